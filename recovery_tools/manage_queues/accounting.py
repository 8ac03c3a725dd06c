"""Job ids by state for the recovery ledger: the snapshot `pause` records, and what `resume` makes of it.

Both read a queue's lists and sets in one Lua script, so a job moving between states (active -> completed)
is never seen in neither. Bull 4 and BullMQ keep the same lists (`wait`, `paused`, `active`) and sets
(`delayed`, `failed`, `completed`); BullMQ adds `prioritized` and `waiting-children` (absent keys read empty).
Completed jobs are counted, not listed: the set grows without bound and a completed job is done.

A job that vanished from every state is `missing` unless this tool cleaned it or it finished. Retention is
the one honest doubt: a job active at the pause may finish during it and be removed at once by the app's
`removeOnComplete`/`removeOnFail`, leaving no trace. For BullMQ, a `completed`/`failed` entry for it in the
queue's `events` stream proves it finished (the stream is trimmed, so absence proves nothing). Bull 4 keeps no
record at all. Such a job is `unconfirmed` (not missing) when its options, read at the pause, asked for
retention; without them it is missing. Worker-level retention (a BullMQ Worker's own removeOnComplete) cannot
be seen from Redis: only the events stream can clear those jobs.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from recovery_tools.manage_queues.layout import key, text
from recovery_tools.manage_queues.library import BULLMQ

LISTS = ("wait", "paused", "active")
SETS = ("delayed", "prioritized", "waiting-children", "failed")
UNFINISHED = ("wait", "paused", "active", "delayed", "prioritized", "waiting-children")
EVENT_PAGE = 1000

# KEYS: wait, paused, active, delayed, prioritized, waiting-children, failed, completed.
# ARGV[1]: the job key prefix; ARGV[2..]: ids to locate. Returns the 3 lists, the 4 sets, the completed count,
# then of the given ids those in `completed` and those whose job hash exists, all in one atomic read.
_READ = """
local out = {}
for i = 1, 3 do out[i] = redis.call('LRANGE', KEYS[i], 0, -1) end
for i = 4, 7 do out[i] = redis.call('ZRANGE', KEYS[i], 0, -1) end
out[8] = redis.call('ZCARD', KEYS[8])
local completed, present = {}, {}
for i = 2, #ARGV do
  local id = ARGV[i]
  if redis.call('ZSCORE', KEYS[8], id) then table.insert(completed, id) end
  if redis.call('EXISTS', ARGV[1] .. id) == 1 then table.insert(present, id) end
end
out[9] = completed
out[10] = present
return out
"""


@dataclass(frozen=True)
class Reading:
    """One atomic read of a queue: ids per state, the completed count, and where the asked-for ids are."""

    ids: dict[str, list[str]]
    completed_count: int
    completed: set[str]
    present: set[str]

    def state_of(self) -> dict[str, str]:
        """job id -> the state it sits in (the first found)."""
        found: dict[str, str] = {}
        for state, ids in self.ids.items():
            for job_id in ids:
                found.setdefault(job_id, state)
        return found


async def read(client: aioredis.Redis, prefix: str, name: str, locate: Sequence[str] = ()) -> Reading:
    keys = [key(prefix, name, s) for s in (*LISTS, *SETS, "completed")]
    reply = await client.register_script(_READ)(keys, [key(prefix, name, ""), *locate])
    ids = {state: [str(i) for i in reply[n] if text(i)] for n, state in enumerate((*LISTS, *SETS))}
    return Reading(ids, int(reply[7]), {str(i) for i in reply[8]}, {str(i) for i in reply[9]})


def _asks_retention(raw_opts: str | None) -> bool:
    """Whether a job's stored options ask the library to remove it when it completes or fails."""
    try:
        opts = json.loads(raw_opts or "")
    except ValueError:
        return False
    if not isinstance(opts, dict):
        return False
    return any(opts.get(option) not in (None, False) for option in ("removeOnComplete", "removeOnFail"))


async def snapshot(client: aioredis.Redis, prefix: str, name: str, library: str | None, layout: str,
                   at: str, at_ms: int) -> dict[str, Any]:
    """What `pause` records of one queue."""
    reading = await read(client, prefix, name)
    retention = []
    for job_id in reading.ids["active"]:
        if _asks_retention(text(await client.hget(key(prefix, name, job_id), "opts"))):
            retention.append(job_id)
    return {"library": library, "layout": layout, "snapshot_at": at, "snapshot_ms": at_ms,
            "jobs": reading.ids, "completed_count": reading.completed_count, "retention": retention,
            "cleaned": [], "resumed_at": None, "report": None}


def cleaned_ids(entry: dict[str, Any]) -> set[str]:
    return {str(i) for clean in entry.get("cleaned", []) for ids in clean.get("ids", {}).values() for i in ids}


@dataclass
class QueueReport:
    """One queue's accounts at resume: every job of the snapshot is cleaned, finished, waiting, or else missing."""

    name: str
    library: str | None
    at_pause: int
    added: list[str] = field(default_factory=list)
    cleaned: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    still_waiting: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)  # vanished, retention asked, nothing proves it finished
    finished_by_events: list[str] = field(default_factory=list)  # vanished; the events stream says it finished
    removed_events: list[str] = field(default_factory=list)  # missing jobs the events stream says were removed
    gone_after_finishing: list[str] = field(default_factory=list)  # failed at pause, gone now, not cleaned
    orphaned: list[str] = field(default_factory=list)  # missing, but the job hash is still there (in no state)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "library": self.library,
            "counts": {"at_pause": self.at_pause, "added": len(self.added), "cleaned": len(self.cleaned),
                       "finished": len(self.finished), "still_waiting": len(self.still_waiting),
                       "missing": len(self.missing), "unconfirmed": len(self.unconfirmed)},
            "missing": self.missing, "unconfirmed": self.unconfirmed, "cleaned": self.cleaned,
            "finished_by_events": self.finished_by_events, "removed_events": self.removed_events,
            "gone_after_finishing": self.gone_after_finishing, "orphaned": self.orphaned, "added": self.added,
        }


def _sort(ids: set[str] | list[str]) -> list[str]:
    return sorted(ids, key=lambda i: (len(i), i))


async def compare(client: aioredis.Redis, prefix: str, name: str, entry: dict[str, Any]) -> QueueReport:
    """The accounts of one queue of the open recovery, read now (before the resume moves anything)."""
    jobs: dict[str, list[str]] = entry.get("jobs", {})
    pending = {str(i) for state in UNFINISHED for i in jobs.get(state, [])}
    failed_then = {str(i) for i in jobs.get("failed", [])} - pending
    at_pause = pending | failed_then
    reading = await read(client, prefix, name, _sort(at_pause))
    now = reading.state_of()
    cleaned = cleaned_ids(entry)
    report = QueueReport(name, entry.get("library"), len(at_pause))
    report.added = _sort(set(now) - at_pause)
    report.cleaned = _sort(cleaned)
    vanished: set[str] = set()
    for job_id in at_pause:
        state = now.get(job_id)
        if job_id in cleaned:
            continue
        if state in UNFINISHED:
            report.still_waiting.append(job_id)
        elif state == "failed" or job_id in reading.completed:
            report.finished.append(job_id)
        elif job_id in failed_then:
            report.gone_after_finishing.append(job_id)
        else:
            vanished.add(job_id)
    ended, removed = await _events(client, prefix, name, entry, vanished)
    retention = set(entry.get("retention", []))
    for job_id in _sort(vanished):
        if job_id in ended:
            report.finished.append(job_id)
            report.finished_by_events.append(job_id)
        elif job_id in retention and job_id not in removed:
            report.unconfirmed.append(job_id)
        else:
            report.missing.append(job_id)
            if job_id in removed:
                report.removed_events.append(job_id)
            if job_id in reading.present:
                report.orphaned.append(job_id)
    report.still_waiting = _sort(report.still_waiting)
    report.finished = _sort(report.finished)
    return report


async def _events(client: aioredis.Redis, prefix: str, name: str, entry: dict[str, Any],
                  wanted: set[str]) -> tuple[set[str], set[str]]:
    """Of `wanted`, the ids BullMQ's events stream says completed/failed, and those it says were removed."""
    if not wanted or entry.get("library") != BULLMQ:
        return set(), set()
    ended: set[str] = set()
    removed: set[str] = set()
    start = f"{max(int(entry.get('snapshot_ms', 0)) - 1000, 0)}-0"
    stream = key(prefix, name, "events")
    while True:
        page = await client.xrange(stream, min=start, max="+", count=EVENT_PAGE) or []
        for _, fields in page:
            job_id = text((fields or {}).get("jobId"))
            if job_id in wanted:
                event = text((fields or {}).get("event"))
                if event in ("completed", "failed"):
                    ended.add(job_id)
                elif event == "removed":
                    removed.add(job_id)
        if len(page) < EVENT_PAGE:
            return ended, removed
        start = "(" + str(page[-1][0])
