"""In-flight jobs: what is still active on each queue (Bull 4 and BullMQ both keep an `active` list), and
waiting, after a pause, until none is (`pause --wait-idle`), with a live line per queue.

A paused queue still runs the jobs its workers already took, on the old code: the deploy should wait for them.
How long a job has run comes from its `processedOn`; a job with no `:lock` key has no worker renewing it (a
stalled job: it stays active until the library's stalled check moves it back).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis.asyncio as aioredis

from recovery_tools.manage_queues.layout import key, text

POLL_SECONDS = 0.25


@dataclass(frozen=True)
class ActiveJob:
    """A job in a queue's `active` list: its id, seconds since it started (None if unknown), whether locked."""

    job_id: str
    running_seconds: float | None
    locked: bool

    def label(self) -> str:
        ran = f"running {self.running_seconds:.0f}s" if self.running_seconds is not None else "start unknown"
        return f"{self.job_id} ({ran}{'' if self.locked else ', no lock: stalled?'})"

    def to_json(self) -> dict[str, object]:
        seconds = None if self.running_seconds is None else round(self.running_seconds, 1)
        return {"id": self.job_id, "running_seconds": seconds, "locked": self.locked}


async def active_jobs(client: aioredis.Redis, prefix: str, name: str) -> list[ActiveJob]:
    ids = [str(i) for i in await client.lrange(key(prefix, name, "active"), 0, -1) if text(i)]
    if not ids:
        return []
    pipe = client.pipeline(transaction=False)
    for job_id in ids:
        pipe.hget(key(prefix, name, job_id), "processedOn")
        pipe.exists(key(prefix, name, f"{job_id}:lock"))
    replies = await pipe.execute()
    now_ms = time.time() * 1000
    jobs = []
    for n, job_id in enumerate(ids):
        started, locked = replies[2 * n], replies[2 * n + 1]
        try:
            seconds: float | None = max(now_ms - float(text(started) or ""), 0.0) / 1000
        except ValueError:
            seconds = None
        jobs.append(ActiveJob(job_id, seconds, bool(locked)))
    return jobs


async def active_by_queue(client: aioredis.Redis, prefix: str, names: list[str]) -> dict[str, list[ActiveJob]]:
    return {name: await active_jobs(client, prefix, name) for name in names}


@dataclass(frozen=True)
class WaitResult:
    """How a wait ended: idle or not, after how long, and what was still active at the end."""

    idle: bool
    timeout_seconds: float
    waited_seconds: float
    active: dict[str, list[ActiveJob]]

    def to_json(self) -> dict[str, object]:
        return {"idle": self.idle, "timeout_seconds": self.timeout_seconds,
                "waited_seconds": round(self.waited_seconds, 1),
                "active": {name: [job.to_json() for job in jobs] for name, jobs in self.active.items() if jobs}}

    def summary(self) -> str:
        busy = [f"queue {name}: {', '.join(job.label() for job in jobs)}" for name, jobs in self.active.items() if jobs]
        return "; ".join(busy)


Progress = Callable[[float, dict[str, list[ActiveJob]]], None]


async def wait_idle(client: aioredis.Redis, prefix: str, names: list[str], timeout: float,
                    progress: Progress | None = None) -> WaitResult:
    """Poll every queue's `active` list until all are empty or `timeout` seconds have passed."""
    started = time.monotonic()
    while True:
        active = await active_by_queue(client, prefix, names)
        waited = time.monotonic() - started
        if progress is not None:
            progress(waited, active)
        if not any(active.values()):
            return WaitResult(True, timeout, waited, active)
        if waited >= timeout:
            return WaitResult(False, timeout, waited, active)
        await asyncio.sleep(min(POLL_SECONDS, max(timeout - waited, 0.0)))
