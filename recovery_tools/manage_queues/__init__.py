"""`manage-queues`: pause, resume, inspect and clean the app's BullMQ queues and the cron switch."""
