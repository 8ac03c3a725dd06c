"""Real Bull 4 queues for the simulated app: a Node host process (host.js) and its Python client (client.py)."""

from simulator.queues.bull_host.client import BullHost, BullHostError, BullJob, BullSettings, JobSpec

__all__ = ["BullHost", "BullHostError", "BullJob", "BullSettings", "JobSpec"]
