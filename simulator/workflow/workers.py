"""The stage workers of a deployment on real Bull 4 queues: a Bull host (Node) serving the Python stage bodies,
in the calling process or in a `python -m simulator worker` subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from simulator.bugs import connection_hygiene
from simulator.clock import Clock, ScaledClock
from simulator.queues.bull_host import BullHost, BullJob, BullSettings, JobSpec
from simulator.workflow.context import App, AppConfig
from simulator.workflow.processors import run_stage
from simulator.workflow.stages import QUEUE_OF, WORKER_QUEUES, job_id, job_options, next_stage

# Jobs each stage worker takes at once: as many as the app runs bodies (its connection limit), so that a burst on
# one stage keeps every connection busy; the app's executor still runs at most that many bodies in all.
CONCURRENCY = connection_hygiene.CONNECTION_LIMIT


def job_spec(name: str, data: dict[str, Any], opts: Mapping[str, Any]) -> JobSpec:
    """A Bull job from the workflow's job options (stages.job_options: attempts, backoff, jobId; real ms)."""
    return JobSpec(name, data, attempts=opts.get("attempts"), backoff=opts.get("backoff"), delay=opts.get("delay"),
                   job_id=opts.get("jobId"))


class StageWorkers:
    """One Bull host whose workers consume `queues` (default every worker queue) with the app's stage bodies.

    Bull hands a job to `handle` on one of the host's threads; the body runs in the app's executor (at most its
    connection limit at once), then the next stage's job is added through the same host. An exception fails the
    job with its message, and Bull retries it with the job's backoff.
    """

    def __init__(self, app: App, queues: list[str] | None = None, settings: BullSettings | None = None) -> None:
        self.app = app
        consumed = list(queues) if queues is not None else list(WORKER_QUEUES)
        self.host = BullHost(app.config.redis_url, app.config.prefix, dict.fromkeys(consumed, CONCURRENCY),
                             self.handle, settings=settings, events=False)
        try:
            self.host.start()
        except BaseException:
            app.close()
            raise

    def handle(self, job: BullJob) -> dict[str, Any]:
        stage = job.name  # stage jobs are named after their stage
        attempt = job.attempts_made + 1
        final = attempt >= job.attempts
        data = dict(job.data)
        result = self.app.executor.submit(run_stage, self.app, stage, data, attempt, final).result()
        following = next_stage(stage)
        if result is not None and following is not None:
            opts = job_options(self.app.clock, dedupe_id=job_id(str(data["workflowId"]), following))
            # addJob through the temporary-queue seam: None when the job went to a temporary queue elsewhere.
            queue = self.app.route(QUEUE_OF[following], following, result, opts)
            if queue is not None:
                self.host.add(queue, job_spec(following, result, opts))
        return {"workflowId": data.get("workflowId"), "stage": stage, "pid": os.getpid()}

    def close(self) -> None:
        """Graceful: Bull stops taking jobs and lets the active ones finish; then the app closes."""
        try:
            self.host.close(timeout=120)
        finally:
            self.app.close()


def serve(config: AppConfig, clock: Clock, logs: Any, queues: list[str], stop: Callable[[], bool],
          on_ready: Callable[[], None] = lambda: None, settings: BullSettings | None = None) -> None:
    """A worker process's main loop: Bull workers on `queues` until `stop()` is true, then a graceful close."""
    workers = StageWorkers(App(config, clock, logs), queues, settings)
    try:
        logs.info("worker process ready", queues=queues, release=config.release.name, bull=workers.host.versions)
        on_ready()
        while not stop() and workers.host.alive:
            time.sleep(0.05)
    finally:
        workers.close()


class WorkerProcess:
    """`python -m simulator worker --processor stages` for every stage queue, as a separate OS process."""

    def __init__(self, config: AppConfig, clock: ScaledClock, ready_timeout: float = 60.0,
                 settings: BullSettings | None = None) -> None:
        settings = settings or BullSettings()
        command = [
            sys.executable, "-m", "simulator", "worker", "--processor", "stages",
            "--redis-url", config.redis_url, "--prefix", config.prefix,
            "--database-url", config.database_url, "--search-url", config.search_url,
            "--release", config.release.name, "--fixes", ",".join(sorted(config.release.fixes)),
            "--search-quota", str(config.search_quota_per_minute),
            "--clock-scale", repr(clock.scale), "--clock-origin", repr(clock.origin),
            "--lock-ms", str(settings.lock_duration), "--stalled-interval-ms", str(settings.stalled_interval),
        ]
        for queue in WORKER_QUEUES:
            command += ["--queue", queue]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.PIPE, text=True)
        self.stderr_tail: deque[str] = deque(maxlen=50)
        self._ready = threading.Event()
        threading.Thread(target=self._drain, name="worker-stderr", daemon=True).start()
        deadline = time.monotonic() + ready_timeout
        while not self._ready.wait(0.05) and self.process.poll() is None and time.monotonic() < deadline:
            pass
        if not self._ready.is_set():
            self.close(timeout=10)
            tail = " | ".join(self.stderr_tail)
            raise RuntimeError(f"worker process not ready (exit code {self.process.returncode}): {tail}")

    def _drain(self) -> None:
        # Read stderr to the end so the child never blocks on a full pipe.
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_tail.append(line.rstrip())
            if line.startswith("worker ready"):
                self._ready.set()

    def close(self, timeout: float = 120.0) -> None:
        """SIGTERM: the process lets Bull finish its active jobs, then exits."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
