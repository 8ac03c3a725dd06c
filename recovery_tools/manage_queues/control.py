"""Pause and resume: bullmq's own pause script per queue and the 5.x list layout."""

from __future__ import annotations

from dataclasses import dataclass

from recovery_tools.manage_queues.handles import Queues
from recovery_tools.manage_queues.layout import LEGACY_LAYOUT, key, layout_of

# Moves up to 7000 ids of `wait` (KEYS[1]) to the tail of `paused` (KEYS[2]) keeping their order,
# as BullMQ 5.x's pause does with RENAME, but without overwriting a `paused` list that already has jobs.
# Returns how many ids are still in `wait` (call again while > 0).
_MOVE_WAIT_TO_PAUSED = """
local ids = redis.call('LRANGE', KEYS[1], 0, 6999)
if #ids == 0 then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 and redis.call('LLEN', KEYS[1]) == #ids then
  redis.call('RENAME', KEYS[1], KEYS[2])
  return 0
end
redis.call('RPUSH', KEYS[2], unpack(ids))
redis.call('LTRIM', KEYS[1], #ids, -1)
return redis.call('LLEN', KEYS[1])
"""


@dataclass(frozen=True)
class QueueChange:
    """What pause or resume did to one queue."""

    name: str
    paused: bool
    was_paused: bool
    layout: str
    moved: int  # job ids moved between the `wait` and `paused` lists


async def pause_queue(queues: Queues, name: str) -> QueueChange:
    """bullmq's pause (meta.paused, marker removed, `paused` event); on a 5.x queue also its list layout."""
    client = queues.client
    meta_key = key(queues.prefix, name, "meta")
    was_paused = bool(await client.hexists(meta_key, "paused"))
    await queues[name].pause()
    layout = layout_of(await client.hget(meta_key, "version"))
    moved = 0
    if layout == LEGACY_LAYOUT:
        # A 5.x app resumes with RENAME paused -> wait, which would drop jobs left in `wait`.
        wait, paused = key(queues.prefix, name, "wait"), key(queues.prefix, name, "paused")
        while True:
            before = await client.llen(wait)
            remaining = int(await client.eval(_MOVE_WAIT_TO_PAUSED, 2, wait, paused))
            moved += before - remaining
            if remaining == 0:
                break
    return QueueChange(name=name, paused=True, was_paused=was_paused, layout=layout, moved=moved)


async def resume_queue(queues: Queues, name: str) -> QueueChange:
    """bullmq's resume: clears meta.paused and moves any 5.x `paused` list back into `wait`, 7000 per call."""
    client = queues.client
    meta_key = key(queues.prefix, name, "meta")
    was_paused = bool(await client.hexists(meta_key, "paused"))
    moved = int(await client.llen(key(queues.prefix, name, "paused")))
    while int(await queues[name].resume() or 0) > 0:
        pass
    layout = layout_of(await client.hget(meta_key, "version"))
    return QueueChange(name=name, paused=False, was_paused=was_paused, layout=layout, moved=moved)
