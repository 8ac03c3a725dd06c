"""The real recovery tools an operator runs against production: manage-queues, check-table-names and the rest."""
