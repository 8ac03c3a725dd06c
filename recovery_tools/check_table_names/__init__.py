"""check-table-names: the checklist's schema gate (expected tables exist with exact case, legacy ones absent)."""
