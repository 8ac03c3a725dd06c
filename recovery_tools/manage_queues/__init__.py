"""`manage-queues`: pause, resume, inspect and clean the app's queues (Bull 4 or BullMQ) and the cron switch."""
