"""Python `bullmq` Queue objects for the tool, all sharing its one Redis client (closed by the caller)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import redis.asyncio as aioredis

if TYPE_CHECKING:
    from bullmq import Queue


class Queues:
    """One bullmq Queue per name, created on first use, on the tool's client and prefix."""

    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.client = client
        self.prefix = prefix
        self._queues: dict[str, Queue] = {}

    def __getitem__(self, name: str) -> Queue:
        if name not in self._queues:
            # Imported here: bullmq (with croniter) is a fifth of the tool's start-up, and Bull 4 queues never
            # need it.
            from bullmq import Queue

            # Passing a client (not a URL) keeps our connect timeout and no-retry policy.
            self._queues[name] = Queue(name, {"connection": self.client, "prefix": self.prefix})
        return self._queues[name]
