"""Pause and resume per library: Bull 4 (bull.py), BullMQ's own pause script plus the 5.x list layout."""

from __future__ import annotations

from dataclasses import dataclass

from recovery_tools.manage_queues import bull
from recovery_tools.manage_queues.handles import Queues
from recovery_tools.manage_queues.layout import LEGACY_LAYOUT, key
from recovery_tools.manage_queues.library import BULL, BULLMQ, EMPTY_PAUSE_MARK, Library

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

# Deletes KEYS[1] (meta-paused) only when it holds ARGV[1]: the mark this tool leaves on a queue without keys.
_DROP_MARK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


@dataclass(frozen=True)
class QueueChange:
    """What pause or resume did to one queue."""

    name: str
    paused: bool
    was_paused: bool
    layout: str
    moved: int  # job ids moved between the `wait` and `paused` lists
    library: str | None = None


async def pause_queue(queues: Queues, name: str, library: Library) -> QueueChange:
    """Pause one queue the way its library's workers and producers honour."""
    client, prefix = queues.client, queues.prefix
    if library.name != BULLMQ:
        # Bull 4, or a queue with no keys yet: Bull's marks (and meta.paused, which BullMQ reads).
        found = await bull.counts(client, prefix, name)
        mark = "1" if library.name == BULL else EMPTY_PAUSE_MARK
        was_paused = found.is_paused if library.name == BULL else found.meta_paused and found.meta_paused_field
        moved = await bull.pause(client, prefix, name, mark, publish=library.name == BULL)
        return QueueChange(name, True, was_paused, library.layout, moved, library.name)
    meta_key = key(prefix, name, "meta")
    was_paused = bool(await client.hexists(meta_key, "paused"))
    await queues[name].pause()
    moved = 0
    if library.layout == LEGACY_LAYOUT:
        # A 5.x app resumes with RENAME paused -> wait, which would drop jobs left in `wait`.
        wait, paused = key(prefix, name, "wait"), key(prefix, name, "paused")
        while True:
            before = await client.llen(wait)
            remaining = int(await client.register_script(_MOVE_WAIT_TO_PAUSED)([wait, paused]))
            moved += before - remaining
            if remaining == 0:
                break
    return QueueChange(name, True, was_paused, library.layout, moved, library.name)


async def resume_queue(queues: Queues, name: str, library: Library) -> QueueChange:
    """Resume one queue; every job held in a `paused` list goes back to `wait` in order."""
    client, prefix = queues.client, queues.prefix
    if library.name != BULLMQ:
        found = await bull.counts(client, prefix, name)
        was_paused = found.is_paused if library.name == BULL else found.meta_paused and found.meta_paused_field
        moved = await bull.resume(client, prefix, name, publish=library.name == BULL)
        return QueueChange(name, False, was_paused, library.layout, moved, library.name)
    meta_key = key(prefix, name, "meta")
    was_paused = bool(await client.hexists(meta_key, "paused"))
    moved = int(await client.llen(key(prefix, name, "paused")))
    # bullmq's resume clears meta.paused and moves any 5.x `paused` list back into `wait`, 7000 per call.
    while int(await queues[name].resume() or 0) > 0:
        pass
    await client.register_script(_DROP_MARK)([key(prefix, name, "meta-paused")], [EMPTY_PAUSE_MARK])
    return QueueChange(name, False, was_paused, library.layout, moved, library.name)
