"""BullMQ queues of the app: the registry of names and a synchronous facade over `bullmq`."""
