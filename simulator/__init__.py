"""The PO-upload system of CHECKLIST.md, simulated on real Redis and real Postgres."""
