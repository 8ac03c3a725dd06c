"""`clean`: remove finished (by default failed) jobs older than a grace period, in bounded batches.

BullMQ queues are cleaned by bullmq's own cleanJobsInSet script; Bull 4 queues by bull.py's script, which
removes a job as Bull does. Every call runs batches of at most CLEAN_BATCH jobs (so one script never holds
Redis for long) and stops at `--limit` or at the first batch that was not full. A batch is full only when
every job of its window went, so the next batch's window is the next one over: `--dry-run` walks the same
windows with read-only scripts that pick jobs by the same rules, and lists exactly what the clean removes.
"""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from recovery_tools.manage_queues import bull
from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.manage_queues.handles import Queues
from recovery_tools.manage_queues.layout import key
from recovery_tools.manage_queues.library import BULL, BULLMQ, Library

# States `--state` may name (bullmq's clean types but `active`); the default touches only failed jobs.
CLEANABLE_STATES = ("failed", "completed", "delayed", "wait", "paused", "prioritized")
DEFAULT_STATES = ("failed",)
CLEAN_BATCH = 1000
_DURATION = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

# A read-only twin of the selection in bullmq's cleanJobsInSet (the Python package's script, which the real
# clean runs): the same windows, timestamps and string comparisons, job-scheduler jobs kept.
# KEYS: the state's key, repeat. ARGV: job key prefix, cutoff, batch, state, offset.
_BULLMQ_PREVIEW = """
local prefix, cutoff, batch, state = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local offset = tonumber(ARGV[5])
local function stampOf(jobKey, fields)
  for _, value in ipairs(redis.call('HMGET', jobKey, unpack(fields))) do
    if value then return value end
  end
end
local function schedulerJob(id, jobKey)
  local repeatJobKey = redis.call('HGET', jobKey, 'rjk')
  if repeatJobKey then
    local millis = redis.call('ZSCORE', KEYS[2], repeatJobKey)
    if millis then return id == 'repeat:' .. repeatJobKey .. ':' .. millis end
  end
  return false
end
local ids, fields
if state == 'failed' or state == 'completed' then
  return redis.call('ZRANGEBYSCORE', KEYS[1], 0, cutoff, 'LIMIT', offset, batch)
elseif state == 'delayed' or state == 'prioritized' then
  ids = redis.call('ZRANGEBYSCORE', KEYS[1], 0, '+inf', 'LIMIT', offset, batch)
  fields = state == 'delayed' and {'processedOn', 'timestamp'} or {'timestamp'}
else
  local len = redis.call('LLEN', KEYS[1])
  local last = len - offset - 1
  if last < 0 then return {} end
  ids = redis.call('LRANGE', KEYS[1], math.max(len - offset - batch, 0), last)
  fields = {'finishedOn', 'processedOn', 'timestamp'}
end
local taken = {}
for _, id in ipairs(ids) do
  local jobKey = prefix .. id
  if not schedulerJob(id, jobKey) then
    local stamp = stampOf(jobKey, fields)
    if not stamp or stamp <= cutoff then table.insert(taken, id) end
  end
end
return taken
"""


def parse_grace(text: str, option: str = "--grace") -> float:
    """Seconds from "90", "30s", "5m", "1h", "2d" or "500ms"; ToolError naming `option` on anything else."""
    match = _DURATION.match(text)
    if not match:
        raise ToolError(f"bad {option} {text!r}: use seconds or a number with ms, s, m, h or d (e.g. 30s, 5m, 1h)")
    return float(match["amount"]) * _UNIT_SECONDS[match["unit"] or "s"]


def check_states(states: list[str] | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(states or DEFAULT_STATES))
    unknown = [s for s in chosen if s not in CLEANABLE_STATES]
    if unknown:
        raise ToolError(f"bad --state {unknown[0]!r}: choose from {', '.join(CLEANABLE_STATES)}")
    return chosen


def check_library_states(name: str, library: Library, states: tuple[str, ...]) -> None:
    """Bull 4 has no `prioritized` set (its prioritized jobs sit in wait or paused): refuse, naming the queue."""
    if library.name == BULL and "prioritized" in states:
        raise ToolError(f"queue {name} is Bull 4: it has no prioritized state (its prioritized jobs sit in "
                        "wait or paused); use --state wait or --state paused")


@dataclass
class CleanResult:
    """Jobs removed (or, on a dry run, that would be) from one queue, by state."""

    name: str
    dry_run: bool
    library: str | None = None
    removed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.removed.values())

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "count": self.count}


async def clean_queue(
    queues: Queues, name: str, library: Library, *, grace_seconds: float, limit: int, states: tuple[str, ...],
    dry_run: bool,
) -> CleanResult:
    """Per state, at most `limit` (0: no limit) jobs finished before now - grace, in batches of CLEAN_BATCH."""
    result = CleanResult(name=name, dry_run=dry_run, library=library.name)
    grace_ms = int(round(grace_seconds * 1000))
    for state in states:
        taken: list[str] = []
        offset = 0
        while True:
            size = CLEAN_BATCH if limit == 0 else min(CLEAN_BATCH, limit - len(taken))
            batch = await _batch(queues, name, library, state, grace_ms, size, offset if dry_run else 0, dry_run)
            taken += batch
            offset += size
            if len(batch) < size or (limit and len(taken) >= limit):
                break
        result.removed[state] = taken
    return result


async def _batch(queues: Queues, name: str, library: Library, state: str, grace_ms: int, size: int, offset: int,
                 dry_run: bool) -> list[str]:
    if library.name == BULL:
        cutoff = int(time.time() * 1000) - grace_ms
        return await bull.clean_batch(queues.client, queues.prefix, name, state, cutoff_ms=cutoff, batch=size,
                                      offset=offset, dry_run=dry_run)
    if library.name != BULLMQ:
        return []  # a queue with no keys has nothing to clean
    if not dry_run:
        return [str(job_id) for job_id in await queues[name].clean(grace_ms, size, state) or []]
    cutoff = round(time.time() * 1000) - grace_ms  # as bullmq computes it
    keys = [key(queues.prefix, name, state), key(queues.prefix, name, "repeat")]
    args: list[str | int] = [key(queues.prefix, name, ""), cutoff, size, state, offset]
    ids = await queues.client.register_script(_BULLMQ_PREVIEW)(keys, args)
    return [str(i) for i in ids]
