"""The app's queues: the registry of names, real Bull 4 through a Node host (bull_host, app_queues), the tools'
pause/resume (operator), and a small synchronous BullMQ client (bridge) for tests on BullMQ queues."""
