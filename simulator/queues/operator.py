"""The checklist's pause and resume run in-process with the manage-queues tool's own code (its one call site here)."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from recovery_tools.manage_queues import control, cron_switch, library
from recovery_tools.manage_queues.handles import Queues
from simulator.queues.registry import QUEUE_LIBRARY


async def pause(redis_url: str, prefix: str, names: Sequence[str]) -> None:
    """What `manage-queues pause` does: the cron pause switch first, then every queue of `names`."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)  # as the tool connects: text replies
    try:
        await cron_switch.pause_cron(client, prefix)
        queues = Queues(client, prefix)
        libraries = await library.detect(client, prefix, list(names), None, QUEUE_LIBRARY)
        for name in names:
            await control.pause_queue(queues, name, libraries[name])
    finally:
        await client.aclose()


async def resume(redis_url: str, prefix: str, names: Sequence[str]) -> None:
    """What `manage-queues resume` does: every queue of `names`, then the cron pause switch cleared."""
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)  # as the tool connects: text replies
    try:
        queues = Queues(client, prefix)
        libraries = await library.detect(client, prefix, list(names), None, QUEUE_LIBRARY)
        for name in names:
            await control.resume_queue(queues, name, libraries[name])
        await cron_switch.resume_cron(client, prefix)
    finally:
        await client.aclose()
