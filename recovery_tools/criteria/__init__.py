"""The checklist's success criteria: its facts (names, log signatures, limits) and the pure judging from evidence."""
