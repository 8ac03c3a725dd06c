"""`clean`: remove finished (by default failed) jobs older than a grace period with bullmq's clean script."""

from __future__ import annotations

import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.manage_queues.handles import Queues
from recovery_tools.manage_queues.layout import key

# States `--state` may name (bullmq's clean types); the default touches only failed jobs.
CLEANABLE_STATES = ("failed", "completed", "delayed", "wait", "paused", "prioritized")
DEFAULT_STATES = ("failed",)
_DURATION = re.compile(r"^\s*(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>ms|s|m|h|d)?\s*$")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_grace(text: str) -> float:
    """Seconds from "90", "30s", "5m", "1h", "2d" or "500ms"; ToolError on anything else."""
    match = _DURATION.match(text)
    if not match:
        raise ToolError(f"bad --grace {text!r}: use seconds or a number with ms, s, m, h or d (e.g. 30s, 5m, 1h)")
    return float(match["amount"]) * _UNIT_SECONDS[match["unit"] or "s"]


def check_states(states: list[str] | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(states or DEFAULT_STATES))
    unknown = [s for s in chosen if s not in CLEANABLE_STATES]
    if unknown:
        raise ToolError(f"bad --state {unknown[0]!r}: choose from {', '.join(CLEANABLE_STATES)}")
    return chosen


@dataclass
class CleanResult:
    """Jobs removed (or, on a dry run, that would be) from one queue, by state."""

    name: str
    dry_run: bool
    removed: dict[str, list[str]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return sum(len(ids) for ids in self.removed.values())

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "count": self.count}


async def clean_queue(
    queues: Queues, name: str, *, grace_seconds: float, limit: int, states: tuple[str, ...], dry_run: bool
) -> CleanResult:
    """Per state, at most `limit` jobs finished before now - grace; bullmq's own script does the removal."""
    result = CleanResult(name=name, dry_run=dry_run)
    grace_ms = int(round(grace_seconds * 1000))
    for state in states:
        if dry_run:
            result.removed[state] = await _would_clean(queues, name, state, grace_ms, limit)
        else:
            removed = await queues[name].clean(grace_ms, limit, state)
            result.removed[state] = [str(job_id) for job_id in removed or []]
    return result


async def _would_clean(queues: Queues, name: str, state: str, grace_ms: int, limit: int) -> list[str]:
    """The ids bullmq's clean would pick for the finished sets (scored by finishedOn); a read-only preview."""
    client = queues.client
    cutoff = int(time.time() * 1000) - grace_ms
    state_key = key(queues.prefix, name, state)
    if state in ("failed", "completed"):
        if limit > 0:
            return [str(i) for i in await client.zrangebyscore(state_key, 0, cutoff, start=0, num=limit)]
        return [str(i) for i in await client.zrangebyscore(state_key, 0, cutoff)]
    # Unfinished states: the job's own timestamp decides, as in bullmq's cleanSet/cleanList.
    if state in ("wait", "paused"):
        ids: list[str | bytes] = list(await client.lrange(state_key, -limit if limit > 0 else 0, -1))
    else:
        ids = [str(i) for i in await client.zrange(state_key, 0, -1)]
    picked: list[str] = []
    for job_id in ids:
        fields = await client.hmget(key(queues.prefix, name, str(job_id)), "processedOn", "timestamp")
        stamp = next((int(v) for v in fields if v), None)
        if stamp is None or stamp <= cutoff:
            picked.append(str(job_id))
            if 0 < limit <= len(picked):
                break
    return picked
