"""`rehearse`: replay the incident and the recovery over virtual time, with a verdict, a journal and a report."""
