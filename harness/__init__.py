"""The test harness: backends, isolation, job ledger, success criteria, checklist data, tool runner, rehearsal."""
