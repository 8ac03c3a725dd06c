"""The job ledger: every job whose add succeeded under a prefix, and where each one ended (BullMQ and Bull 4).

BullMQ queues: the source of truth is BullMQ's own events stream `{prefix}:{queue}:events`. BullMQ's add scripts
write the job hash and the "added" entry in the same Lua script, so an add that succeeded always left an "added"
entry (and a refused duplicate id left "duplicated"/"deduplicated").

Bull 4 queues keep no event stream: the Bull host (simulator/queues/bull_host) journals Bull's events to
`{prefix}:{queue}:journal`: its "added" before the add is acknowledged, its workers' active/completed/failed/
stalled, and (from one host per prefix) Bull's global waiting/duplicated, so jobs of other producers (a Node Bull
process) are in it too. A "failed" ends a job only when Bull will not retry it (`willRetry` 0). Bull's keys are
the cross-check: every job in one of Bull's lists or sets is accounted, journaled or not.

The job's present place is read from the queue's lists and sorted sets; a job whose hash is gone is accounted for
by its last terminal event (completed, failed, removed: retention, `clean`, `Job.remove`). What is neither still
in a queue nor ended is lost.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import redis

# Where a job can be while BullMQ still owns it (list or sorted set keys under `{prefix}:{queue}:`).
UNFINISHED_LISTS = ("wait", "paused", "active")
UNFINISHED_SETS = ("delayed", "prioritized", "waiting-children")
BULL_PRIORITY = "priority"  # Bull 4's priority zset: its jobs also sit in wait or paused
FINISHED_SETS = ("completed", "failed")
TERMINAL_EVENTS = ("completed", "failed", "removed")
DUPLICATE_EVENTS = ("duplicated", "deduplicated")
EVENT_STREAMS = ("events", "journal")  # BullMQ's own stream; the Bull host's journal


@dataclass(frozen=True)
class JobEnd:
    """Where one added job is now: `place` is completed, failed, removed, an unfinished state, or lost."""

    queue: str
    job_id: str
    name: str
    place: str
    detail: str = ""

    def label(self) -> str:
        extra = f" ({self.detail})" if self.detail else ""
        return f"{self.queue}/{self.job_id} [{self.name}] {self.place}{extra}"


@dataclass
class Ledger:
    """The accounts of one prefix: each added job's end, duplicates and recovered stalls."""

    prefix: str
    jobs: list[JobEnd] = field(default_factory=list)
    duplicate_adds: Counter[str] = field(default_factory=Counter)  # "queue/job id" -> adds refused as duplicates
    repeated_completions: Counter[str] = field(default_factory=Counter)  # "queue/job id" -> completions beyond 1
    stalls: Counter[str] = field(default_factory=Counter)  # "queue/job id" -> times BullMQ found it stalled
    trimmed: dict[str, int] = field(default_factory=dict)  # queue -> events lost to the stream's MAXLEN

    def where(self, place: str) -> list[JobEnd]:
        return [job for job in self.jobs if job.place == place]

    @property
    def lost(self) -> list[JobEnd]:
        return self.where("lost")

    @property
    def unfinished(self) -> list[JobEnd]:
        return [job for job in self.jobs if job.place not in (*TERMINAL_EVENTS, "lost")]

    @property
    def complete(self) -> bool:
        """False when a stream was trimmed: adds older than the trim are not in the ledger."""
        return not self.trimmed

    @property
    def duplicates(self) -> int:
        return sum(self.duplicate_adds.values()) + sum(self.repeated_completions.values())

    def counts(self) -> dict[str, int]:
        places = Counter(job.place for job in self.jobs)
        return {"added": len(self.jobs), **dict(sorted(places.items())), "duplicates": self.duplicates,
                "stalls recovered": sum(self.stalls.values())}

    def summary(self) -> str:
        """One line: `added=12 completed=11 failed=1 lost=0 duplicates=0 stalls recovered=1`."""
        counts = self.counts()
        counts.setdefault("lost", 0)
        text = " ".join(f"{key.replace(' ', '_')}={value}" for key, value in counts.items())
        if self.trimmed:
            text += " incomplete: events trimmed on " + ", ".join(sorted(self.trimmed))
        return text


def queues_under(client: redis.Redis, prefix: str) -> list[str]:
    """Queue names that have an events stream (BullMQ) or a journal (Bull host) under `prefix`."""
    head = f"{prefix}:"
    names = set()
    for stream in EVENT_STREAMS:
        tail = f":{stream}"
        for raw in client.scan_iter(match=f"{prefix}:*{tail}", count=1000, _type="stream"):
            key = raw.decode()
            names.add(key[len(head):-len(tail)])
    return sorted(names)


def _read_events(client: redis.Redis, key: str) -> list[dict[str, str]]:
    events: list[dict[str, str]] = []
    start = "-"
    while True:
        batch: Any = client.xrange(key, min=start, max="+", count=5000)
        for entry_id, fields in batch:
            events.append({k.decode(): v.decode(errors="replace") for k, v in fields.items()})
            start = "(" + entry_id.decode()
        if len(batch) < 5000:
            return events


def _trimmed(client: redis.Redis, key: str) -> int:
    info: Any = client.xinfo_stream(key)
    added = info.get("entries-added")
    return max(0, int(added) - int(info["length"])) if added is not None else 0


def _places(client: redis.Redis, base: str) -> dict[str, str]:
    """job id -> the list or set that holds it now (one read per collection)."""
    pipe = client.pipeline(transaction=False)
    for name in UNFINISHED_LISTS:
        pipe.lrange(f"{base}{name}", 0, -1)
    for name in (*UNFINISHED_SETS, *FINISHED_SETS):
        pipe.zrange(f"{base}{name}", 0, -1)
    found: dict[str, str] = {}
    for name, members in zip((*UNFINISHED_LISTS, *UNFINISHED_SETS, *FINISHED_SETS), pipe.execute(), strict=True):
        for member in members:
            found[member.decode()] = "waiting" if name == "wait" else name
    return found


def _is_terminal(event: dict[str, str]) -> bool:
    kind = event.get("event", "")
    # A Bull host's "failed" says whether Bull retries; BullMQ's stream has no such field.
    return kind in TERMINAL_EVENTS and not (kind == "failed" and event.get("willRetry") == "true")


def queue_ledger(client: redis.Redis, prefix: str, queue: str, ledger: Ledger) -> None:
    """Add the accounts of one queue to `ledger` (BullMQ's events stream, else the Bull host's journal)."""
    base = f"{prefix}:{queue}:"
    events_key = next((f"{base}{stream}" for stream in EVENT_STREAMS if client.exists(f"{base}{stream}")), None)
    if events_key is None:
        return
    bull = events_key.endswith(":journal")
    events = _read_events(client, events_key)
    trimmed = _trimmed(client, events_key)
    if trimmed:
        ledger.trimmed[queue] = trimmed
    added: dict[str, str] = {}
    last_terminal: dict[str, str] = {}
    completions: Counter[str] = Counter()
    for event in events:
        kind, job_id = event.get("event", ""), event.get("jobId", "")
        key = f"{queue}/{job_id}"
        if kind == "added" or (bull and kind == "waiting"):  # Bull's waiting: any producer's job, name unsaid
            if event.get("name") or job_id not in added:
                added[job_id] = added.get(job_id) or event.get("name", "")
        elif kind in DUPLICATE_EVENTS:
            ledger.duplicate_adds[key] += 1
        elif kind == "stalled":
            ledger.stalls[key] += 1
        if _is_terminal(event):
            last_terminal[job_id] = kind
        if kind == "completed":
            completions[job_id] += 1
    for job_id, count in completions.items():
        if count > 1:
            ledger.repeated_completions[f"{queue}/{job_id}"] = count - 1
    places = _places(client, base)
    if bull:  # the cross-check: a job Bull holds is accounted for, whether or not the journal saw its add
        for job_id in places:
            added.setdefault(job_id, "")
    pipe = client.pipeline(transaction=False)
    ids = list(added)
    for job_id in ids:
        pipe.exists(f"{base}{job_id}")
        pipe.exists(f"{base}{job_id}:lock")
    flags = pipe.execute()
    for index, job_id in enumerate(ids):
        has_hash, has_lock = bool(flags[2 * index]), bool(flags[2 * index + 1])
        place = places.get(job_id)
        name = added[job_id]
        if has_hash and place is not None:
            detail = "no worker holds its lock" if place == "active" and not has_lock else ""
            ledger.jobs.append(JobEnd(queue, job_id, name, place, detail))
        elif not has_hash and job_id in last_terminal:
            ledger.jobs.append(JobEnd(queue, job_id, name, last_terminal[job_id], "job record removed"))
        elif has_hash:
            ledger.jobs.append(JobEnd(queue, job_id, name, "lost", "its record is in no queue state"))
        else:
            ledger.jobs.append(JobEnd(queue, job_id, name, "lost", "its record vanished without finishing"))


def take_ledger(redis_url: str, prefix: str, queues: list[str] | None = None) -> Ledger:
    """The ledger of every queue under `prefix` (or of `queues`), read now from Redis."""
    client = redis.Redis.from_url(redis_url)
    try:
        ledger = Ledger(prefix)
        for queue in queues if queues is not None else queues_under(client, prefix):
            queue_ledger(client, prefix, queue, ledger)
        return ledger
    finally:
        client.close()
