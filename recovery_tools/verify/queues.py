"""The app's queues as evidence, with read commands only: failed and retried jobs' errors, and how stage jobs fared.

Bull 4 and BullMQ keep the same shapes here: `<prefix>:<queue>:failed` and `:completed` are sorted sets scored by
the finishing time (ms), `:delayed` (and BullMQ's `:prioritized`) sorted sets, `:wait`, `:paused`, `:active` lists,
and each job a hash `<prefix>:<queue>:<id>` with `timestamp` (added), `processedOn`, `finishedOn`, `failedReason`
(the last error's message), `stacktrace` (a JSON list, one entry per failed attempt) and the attempts made
(`attemptsMade` in Bull 4, `atm` in BullMQ 5).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import redis

from recovery_tools.criteria.judge import JobTally, LogLine
from recovery_tools.criteria.signatures import signatures_in
from recovery_tools.verify.durations import show

FINISHED_SETS = ("completed", "failed")
PENDING_SETS = ("delayed", "prioritized")
PENDING_LISTS = ("wait", "paused", "active")
FIELDS = ("timestamp", "processedOn", "finishedOn", "failedReason", "stacktrace", "attemptsMade", "atm")
# At most this many jobs per state and queue are read in one pass (a production queue can hold millions).
MAX_PER_STATE = 2000


@dataclass(frozen=True)
class Job:
    """One job as its hash tells it (times in epoch seconds; 0 when the field is absent)."""

    queue: str
    id: str
    state: str
    added: float
    processed: float
    finished: float
    failed_reason: str
    stacktrace: tuple[str, ...]
    attempts: int

    @property
    def label(self) -> str:
        return f"{self.queue}/{self.id}"


@dataclass
class QueueReading:
    """Every job read in one pass, and what could not be read."""

    jobs: list[Job] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # keys of another type than expected


def _text(value: object) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _ms(value: object) -> float:
    try:
        return float(_text(value)) / 1000.0
    except ValueError:
        return 0.0


def _traces(value: object) -> tuple[str, ...]:
    try:
        entries = json.loads(_text(value) or "[]")
    except ValueError:
        return ()
    return tuple(str(entry) for entry in entries if entry) if isinstance(entries, list) else ()


def read_jobs(client: redis.Redis, prefix: str, queues: Sequence[str], since: float) -> QueueReading:
    """Jobs finished since `since` (epoch seconds) and every job not yet finished, on each queue."""
    reading = QueueReading()
    for queue in queues:
        base = f"{prefix}:{queue}"
        ids: list[tuple[str, str]] = []
        for state in FINISHED_SETS + PENDING_SETS + PENDING_LISTS:
            key = f"{base}:{state}"
            try:
                if state in FINISHED_SETS:
                    found = client.zrangebyscore(key, int(since * 1000), "+inf", start=0, num=MAX_PER_STATE)
                elif state in PENDING_SETS:
                    found = client.zrange(key, 0, MAX_PER_STATE - 1)
                else:
                    found = client.lrange(key, 0, MAX_PER_STATE - 1)
            except redis.ResponseError:  # WRONGTYPE: not a queue key of ours; read nothing from it
                reading.skipped.append(key)
                continue
            ids.extend((state, _text(job_id)) for job_id in found)
        if not ids:
            continue
        with client.pipeline(transaction=False) as pipe:
            for _, job_id in ids:
                pipe.hmget(f"{base}:{job_id}", FIELDS)
            rows = pipe.execute(raise_on_error=False)
        for (state, job_id), row in zip(ids, rows, strict=True):
            if isinstance(row, Exception) or row is None or all(value is None for value in row):
                continue  # removed between the two reads, or not a hash
            values = dict(zip(FIELDS, row, strict=True))
            attempts = _text(values["attemptsMade"]) or _text(values["atm"]) or "0"
            reading.jobs.append(Job(
                queue, job_id, state, _ms(values["timestamp"]), _ms(values["processedOn"]),
                _ms(values["finishedOn"]), _text(values["failedReason"]), _traces(values["stacktrace"]),
                int(attempts) if attempts.isdigit() else 0,
            ))
    return reading


def headline(text: str) -> str:
    """The line of an error worth showing: one naming a signature, else the error line of a stack."""
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    if not lines:
        return ""
    for line in lines:
        if signatures_in(line):
            return line
    return lines[-1] if lines[0].startswith("Traceback") else lines[0]


def error_lines(reading: QueueReading, since: float) -> list[LogLine]:
    """The errors of failed and retried jobs as log lines: one per failed attempt, at its best-known time."""
    lines = []
    for job in reading.jobs:
        entries = job.stacktrace or ((job.failed_reason,) if job.failed_reason else ())
        when = job.finished if job.state == "failed" and job.finished else job.processed or job.added
        if not entries or when < since:
            continue
        for n, entry in enumerate(entries, start=1):
            last = n == len(entries)  # failedReason is the last attempt's message
            text = f"{job.failed_reason}\n{entry}" if last and job.failed_reason not in entry else entry
            source = f"queue {job.queue} job {job.id}, attempt {n} of {max(job.attempts, len(entries))}"
            lines.append(LogLine(when, headline(text)[:2000], source))
    return sorted(lines, key=lambda line: line.t)


def tally(reading: QueueReading, since: float, now: float, stuck_after: float) -> JobTally:
    """Stage jobs added since `since`: finished, failed for good, unfinished for longer than `stuck_after`."""
    added = [job for job in reading.jobs if job.added >= since]
    finished = [job for job in added if job.state == "completed"]
    failed = [f"{job.label}: {headline(job.failed_reason) or 'no reason recorded'}"
              for job in added if job.state == "failed"]
    stuck = [f"{job.label} ({job.state}, added {show(now - job.added)} ago)" for job in added
             if job.state not in FINISHED_SETS and now - job.added > stuck_after]
    return JobTally(len(added), len(finished), failed, stuck)


def depths(reading: QueueReading, queues: Sequence[str]) -> dict[str, int]:
    """Jobs not finished per queue (as read, up to the per-state cap)."""
    counts = dict.fromkeys(queues, 0)
    for job in reading.jobs:
        if job.state not in FINISHED_SETS:
            counts[job.queue] += 1
    return counts
