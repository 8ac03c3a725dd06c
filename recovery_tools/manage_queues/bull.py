"""Bull 4 semantics in Redis, each an atomic Lua script per queue as Bull's own: pause, resume, clean, counts.

Bull's workers block on `wait` (BRPOPLPUSH wait -> active) and never read the meta hash; Bull pauses a queue
by renaming `wait` to `paused` and setting `meta-paused`, and while that key exists its producers, retries,
promoted delayed jobs and stalled jobs go to `paused`. Bull 4.16's `isPaused()` is true when `meta-paused`
exists or `meta.paused` is set.
"""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from recovery_tools.manage_queues.layout import key

# Both scripts start by moving every id of list KEYS[1] to the consuming (right) end of list KEYS[2], in order,
# without overwriting ids already there (a RENAME when KEYS[2] is empty); `moved` is how many ids moved.
_MOVE_LIST = """
local moved = redis.call('LLEN', KEYS[1])
if moved > 0 then
  if redis.call('EXISTS', KEYS[2]) == 0 then
    redis.call('RENAME', KEYS[1], KEYS[2])
  else
    while redis.call('LLEN', KEYS[1]) > 0 do
      local ids = redis.call('LRANGE', KEYS[1], 0, 6999)
      redis.call('RPUSH', KEYS[2], unpack(ids))
      redis.call('LTRIM', KEYS[1], #ids, -1)
    end
  end
end
"""

# KEYS: wait, paused, meta-paused, meta. ARGV[1]: the value of meta-paused; ARGV[2] "1": publish the event.
# Moves `wait` to the consuming (right) end of `paused`, keeping its order and the jobs already in `paused`,
# marks the queue paused both ways Bull reads, and publishes Bull's paused event (channel = the paused key).
# Returns how many jobs moved.
_PAUSE = _MOVE_LIST + """redis.call('SET', KEYS[3], ARGV[1])
redis.call('HSET', KEYS[4], 'paused', 1)
if ARGV[2] == '1' then redis.call('PUBLISH', KEYS[2], 'paused') end
return moved
"""

# KEYS: paused, wait, meta-paused, meta, resumed (event channel); ARGV[1] "1": publish. The reverse: `paused`
# to the consuming end of `wait` in order (Bull's own resume renames over `wait`, dropping jobs there), marks cleared.
_RESUME = _MOVE_LIST + """redis.call('DEL', KEYS[3])
redis.call('HDEL', KEYS[4], 'paused')
if ARGV[1] == '1' then redis.call('PUBLISH', KEYS[5], 'resumed') end
return moved
"""

# KEYS: the state's list or zset, priority, limiter. ARGV: job key prefix, cutoff ms, batch size, state,
# offset, dry ("1": select only). One batch of Bull's clean: a window of `batch` jobs from the old end
# (failed/completed by finish time = their score, delayed by due time, wait/paused from the tail that workers
# take next), `offset` windows in; a job is taken when unlocked and its finishedOn, else processedOn, else
# timestamp is at or before the cutoff. Removal as Bull's cleanJobsInSet: out of the set and `priority`,
# its debounce key (unfinished states), hash, `:logs` and rate-limiter index. Returns the ids.
_CLEAN = """
local prefix, cutoff, batch, state = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local offset, dry = tonumber(ARGV[5]), ARGV[6] == '1'
local isList = state == 'wait' or state == 'paused'
local ids, first
if isList then
  local len = redis.call('LLEN', KEYS[1])
  first = math.max(len - offset - batch, 0)
  local last = len - offset - 1
  if last < 0 then return {} end
  ids = redis.call('LRANGE', KEYS[1], first, last)
elseif state == 'delayed' then
  ids = redis.call('ZRANGE', KEYS[1], offset, offset + batch - 1)
else
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, cutoff, 'LIMIT', offset, batch)
end
local taken = {}
for i, id in ipairs(ids) do
  local jobKey = prefix .. id
  if redis.call('EXISTS', jobKey .. ':lock') == 0 then
    local stamp
    for _, value in ipairs(redis.call('HMGET', jobKey, 'finishedOn', 'processedOn', 'timestamp')) do
      if value then stamp = tonumber(value); break end
    end
    if stamp == nil or stamp <= cutoff then
      table.insert(taken, id)
      if not dry then
        if isList then
          redis.call('LSET', KEYS[1], first + i - 1, '')
        else
          redis.call('ZREM', KEYS[1], id)
        end
        redis.call('ZREM', KEYS[2], id)
        if state ~= 'failed' and state ~= 'completed' then
          local debounce = redis.call('HGET', jobKey, 'deid')
          if debounce then redis.call('DEL', prefix .. 'de:' .. debounce) end
        end
        redis.call('DEL', jobKey, jobKey .. ':logs')
        local limited = redis.call('HGET', KEYS[3] .. ':index', id)
        if limited then
          redis.call('SREM', limited, id)
          redis.call('HDEL', KEYS[3] .. ':index', id)
        end
      end
    end
  end
end
if isList and not dry and #taken > 0 then redis.call('LREM', KEYS[1], 0, '') end
return taken
"""

CLEANABLE = ("failed", "completed", "delayed", "wait", "paused")  # Bull's clean types but `active`


@dataclass(frozen=True)
class BullCounts:
    """A Bull 4 queue's lists and sets; `prioritized` jobs also sit in `wait` or `paused`."""

    meta_paused: bool
    meta_paused_field: bool
    wait: int
    paused: int
    active: int
    delayed: int
    priority: int
    failed: int
    completed: int

    @property
    def is_paused(self) -> bool:
        """Bull's workers take nothing new: `meta-paused` holds producers off `wait`, and `wait` is empty."""
        return self.meta_paused and self.wait == 0


async def counts(client: aioredis.Redis, prefix: str, name: str) -> BullCounts:
    pipe = client.pipeline(transaction=False)  # MULTI needs more ACL rights than the tool's
    pipe.exists(key(prefix, name, "meta-paused"))
    pipe.hexists(key(prefix, name, "meta"), "paused")
    for suffix in ("wait", "paused", "active"):
        pipe.llen(key(prefix, name, suffix))
    for suffix in ("delayed", "priority", "failed", "completed"):
        pipe.zcard(key(prefix, name, suffix))
    meta_paused, field, wait, paused, active, delayed, priority, failed, completed = await pipe.execute()
    return BullCounts(bool(meta_paused), bool(field), int(wait), int(paused), int(active), int(delayed),
                      int(priority), int(failed), int(completed))


# A queue with no keys has had no Bull Queue on it to hear the event (and publishing needs channel rights).
async def pause(client: aioredis.Redis, prefix: str, name: str, mark: str = "1", *, publish: bool = True) -> int:
    keys = [key(prefix, name, s) for s in ("wait", "paused", "meta-paused", "meta")]
    return int(await client.register_script(_PAUSE)(keys, [mark, "1" if publish else "0"]))


async def resume(client: aioredis.Redis, prefix: str, name: str, *, publish: bool = True) -> int:
    keys = [key(prefix, name, s) for s in ("paused", "wait", "meta-paused", "meta", "resumed")]
    return int(await client.register_script(_RESUME)(keys, ["1" if publish else "0"]))


async def clean_batch(client: aioredis.Redis, prefix: str, name: str, state: str, *, cutoff_ms: int, batch: int,
                      offset: int, dry_run: bool) -> list[str]:
    keys = [key(prefix, name, state), key(prefix, name, "priority"), key(prefix, name, "limiter")]
    args: list[str | int] = [key(prefix, name, ""), cutoff_ms, batch, state, offset, "1" if dry_run else "0"]
    ids = await client.register_script(_CLEAN)(keys, args)
    return [str(i) for i in ids]
