"""BullMQ workers for every stage queue: in the calling process (on a QueueBridge loop) or as a subprocess."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from bullmq import Job, Queue, Worker

from simulator.bugs import connection_hygiene
from simulator.clock import Clock, ScaledClock
from simulator.queues.bridge import QueueBridge
from simulator.workflow.context import App, AppConfig
from simulator.workflow.processors import run_stage
from simulator.workflow.stages import QUEUE_OF, WORKER_QUEUES, job_id, job_options, next_stage

# Jobs each stage worker takes at once: as many as the app runs bodies (its connection limit), so that a burst on
# one stage keeps every connection busy; the app's executor still runs at most that many bodies in all.
CONCURRENCY = connection_hygiene.CONNECTION_LIMIT


class Producer:
    """Adds stage jobs from inside the bridge's event loop (QueueBridge.add would wait on its own loop)."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self._opts = {"connection": redis_url, "prefix": prefix}
        self._queues: dict[str, Queue] = {}

    async def add(self, queue: str, name: str, data: dict[str, Any], opts: dict[str, Any]) -> str:
        if queue not in self._queues:
            self._queues[queue] = Queue(queue, self._opts)
        job = await self._queues[queue].add(name, data, opts)
        return str(job.id)

    async def close(self) -> None:
        for queue in self._queues.values():
            await queue.close()
        self._queues.clear()


def make_processor(app: App, producer: Producer) -> Callable[[Job, str], Awaitable[dict[str, Any]]]:
    """The BullMQ processor of every stage queue: run the stage in the app's executor, then enqueue the next."""

    async def process(job: Job, token: str) -> dict[str, Any]:
        stage = job.name  # stage jobs are named after their stage
        attempt = int(job.attemptsMade) + 1
        final = attempt >= int(job.opts.get("attempts") or 1)
        loop = asyncio.get_running_loop()
        data = dict(job.data)
        result = await loop.run_in_executor(app.executor, run_stage, app, stage, data, attempt, final)
        following = next_stage(stage)
        if result is not None and following is not None:
            workflow_id = str(data["workflowId"])
            opts = job_options(app.clock, dedupe_id=job_id(workflow_id, following))
            # addJob through the temporary-queue seam: None when the job went to a temporary queue elsewhere.
            queue = await loop.run_in_executor(app.executor, app.route, QUEUE_OF[following], following, result, opts)
            if queue is not None:
                await producer.add(queue, following, result, opts)
        return {"workflowId": data.get("workflowId"), "stage": stage, "pid": os.getpid()}

    return process


class InProcessWorkers:
    """One BullMQ worker per stage queue in this process, sharing one app instance."""

    def __init__(self, app: App, bridge: QueueBridge) -> None:
        self.app = app
        self._bridge = bridge
        self._producer = Producer(app.config.redis_url, app.config.prefix)
        processor = make_processor(app, self._producer)
        self._workers: list[Worker] = [
            bridge.start_worker(queue, processor, concurrency=CONCURRENCY) for queue in WORKER_QUEUES
        ]

    def close(self) -> None:
        """Graceful: each worker stops taking jobs and finishes the active ones; then the app closes."""
        for worker in self._workers:
            self._bridge.call(worker.close(), timeout=120)
        self._bridge.call(self._producer.close())
        self._workers.clear()
        self.app.close()


def serve(config: AppConfig, clock: Clock, logs: Any, queues: list[str], stop: Callable[[], bool],
          on_ready: Callable[[], None] = lambda: None) -> None:
    """A worker process's main loop: workers on `queues` until `stop()` is true, then a graceful close."""
    with QueueBridge(config.redis_url, config.prefix) as bridge:
        app = App(config, clock, logs)
        producer = Producer(config.redis_url, config.prefix)
        processor = make_processor(app, producer)
        workers = [bridge.start_worker(queue, processor, concurrency=CONCURRENCY) for queue in queues]
        logs.info("worker process ready", queues=queues, release=config.release.name)
        on_ready()
        while not stop():
            time.sleep(0.05)
        for worker in workers:
            bridge.call(worker.close(), timeout=120)
        bridge.call(producer.close())
        app.close()


class WorkerProcess:
    """`python -m simulator worker --processor stages` for every stage queue, as a separate OS process."""

    def __init__(self, config: AppConfig, clock: ScaledClock, ready_timeout: float = 30.0) -> None:
        command = [
            sys.executable, "-m", "simulator", "worker", "--processor", "stages",
            "--redis-url", config.redis_url, "--prefix", config.prefix,
            "--database-url", config.database_url, "--search-url", config.search_url,
            "--release", config.release.name, "--fixes", ",".join(sorted(config.release.fixes)),
            "--search-quota", str(config.search_quota_per_minute),
            "--clock-scale", repr(clock.scale), "--clock-origin", repr(clock.origin),
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
        """SIGTERM: the process finishes its active jobs, then exits."""
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
