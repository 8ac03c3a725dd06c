"""The app's queues as its producers and the facade see them: one Bull host on the registered queues (no workers).

It adds jobs (the cron's), answers Bull's counts, states and worker lists, and journals Bull's global events
(waiting, duplicated, paused, resumed) for the job ledger: one such host per simulation, so each is journaled once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from simulator.queues.bull_host import BullHost, BullJob, JobSpec
from simulator.queues.registry import QUEUE_NAMES

# Bull's job states (Queue#getJobs types); BullMQ's "prioritized" and "waiting-children" do not exist in Bull.
BULL_STATES = ("waiting", "paused", "active", "delayed", "completed", "failed")


def _no_worker(job: BullJob) -> Any:
    raise RuntimeError(f"the app's producer host has no worker; it got {job.queue}/{job.id}")


class AppQueues:
    """Bull queues of one Redis and prefix, driven synchronously through a Bull host."""

    def __init__(self, redis_url: str, prefix: str, names: Sequence[str] = QUEUE_NAMES, *, wait: bool = True) -> None:
        """With wait=False the host is only launched: call ready() before using it (it starts beside other work)."""
        self.host = BullHost(redis_url, prefix, dict.fromkeys(names, 0), _no_worker, journal_global=True,
                             events=False).launch()
        if wait:
            self.ready()

    def ready(self) -> AppQueues:
        """Wait until the host has opened every queue and subscribed to Bull's global events."""
        if self.host.versions:
            return self
        try:
            self.host.wait_ready()
        except BaseException:
            self.host.close()
            raise
        return self

    @property
    def versions(self) -> dict[str, str]:
        """{"node": "v20.x", "bull": "4.x.y"}: what the host runs."""
        return dict(self.host.versions)

    def add(self, queue: str, job: JobSpec) -> str:
        """Add a job; returns its id once Bull has it (and the journal its "added")."""
        return self.host.add(queue, job)

    def counts(self, queue: str) -> dict[str, int]:
        """Bull's job counts: waiting, active, completed, failed, delayed, paused."""
        return {key: int(value) for key, value in self.host.counts(queue).items() if key != "is_paused"}

    def is_paused(self, queue: str) -> bool:
        """Bull's isPaused() (global pause)."""
        return bool(self.host.counts(queue)["is_paused"])

    def job_ids(self, queue: str, states: Iterable[str]) -> set[str]:
        """Ids of the jobs in `states` (those Bull does not have are ignored)."""
        wanted = [state for state in states if state in BULL_STATES]
        return set(self.host.job_ids(queue, wanted)) if wanted else set()

    def job_state(self, queue: str, job_id: str) -> str:
        """Bull's state of one job, or "unknown" when Bull holds no such job."""
        return self.host.job_state(queue, job_id)

    def workers(self, queue: str) -> int:
        """Bull workers (of any process) consuming `queue`."""
        return self.host.workers(queue)

    def close(self) -> None:
        self.host.close()

    def __enter__(self) -> AppQueues:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
