"""The operational tools the checklist runs: manage-queues and check-table-names."""
