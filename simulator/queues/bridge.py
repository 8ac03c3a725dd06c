"""A synchronous facade over the asyncio-only `bullmq` package, for tests of the tools and the ledger on BullMQ queues.

The simulated app itself runs on Bull 4 (bull_host); this is not its driver. One event loop runs in a daemon
thread; callers use plain methods that submit coroutines to it. Each worker gets its own (blocking) connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from bullmq import Job, Queue, Worker

T = TypeVar("T")

Processor = Callable[[Job, str], Awaitable[Any]]


class LoopThread:
    """An asyncio loop in a background thread, with `run()` to wait for a coroutine from sync code."""

    def __init__(self, name: str = "bullmq-loop") -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """The coroutine's result; a TimeoutError names the call, so a stuck Redis call says which one it was."""
        name = getattr(coroutine, "__qualname__", type(coroutine).__name__)
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise TimeoutError(f"bullmq call {name} did not finish within {timeout:g} s") from None

    def close(self) -> None:
        if self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        self.loop.close()


async def learn_blocking_capabilities(worker: Worker) -> None:
    """Let a worker's blocking connection learn the server's version before its first wait.

    bullmq (Python) sizes its blocking wait from that connection's capabilities, which stay at their defaults
    ("cannot block for a fraction of a second") until the version is read, so every wait was rounded up to a whole
    second: a retry due after 50 ms of backoff waited about 1 s (5 virtual minutes at the features' scale).
    """
    blocking = getattr(worker.backend, "blocking_connection", None)
    if blocking is not None:
        await blocking.getRedisVersion()


class QueueBridge:
    """Queues and workers of one Redis and one key prefix, driven synchronously."""

    def __init__(self, redis_url: str, prefix: str) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self._loop = LoopThread()
        self._queues: dict[str, Queue] = {}
        self._workers: list[Worker] = []

    def _opts(self) -> dict[str, Any]:
        return {"connection": self.redis_url, "prefix": self.prefix}

    def queue(self, name: str) -> Queue:
        if name not in self._queues:
            self._queues[name] = self._loop.run(self._make_queue(name))
        return self._queues[name]

    async def _make_queue(self, name: str) -> Queue:
        return Queue(name, self._opts())

    def add(self, queue: str, job_name: str, data: dict[str, Any], opts: dict[str, Any] | None = None) -> str:
        """Add a job; returns its id once Redis has it."""
        job = self._loop.run(self.queue(queue).add(job_name, data, opts or {}))
        return str(job.id)

    def counts(self, queue: str) -> dict[str, int]:
        """BullMQ's getJobCounts for the queue."""
        return dict(self._loop.run(self.queue(queue).getJobCounts()))

    def job_state(self, queue: str, job_id: str) -> str:
        return str(self._loop.run(self.queue(queue).getJobState(job_id)))

    def job(self, queue: str, job_id: str) -> Job | None:
        return self._loop.run(self.queue(queue).getJob(job_id))

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float | None = 30.0) -> T:
        """Run any bullmq coroutine on the bridge's loop."""
        return self._loop.run(coroutine, timeout)

    def start_worker(self, queue: str, processor: Processor, **opts: Any) -> Worker:
        """Start a BullMQ worker on the loop; it runs until close()."""
        return self._loop.run(self._make_worker(queue, processor, opts))

    async def _make_worker(self, queue: str, processor: Processor, opts: dict[str, Any]) -> Worker:
        worker = Worker(queue, processor, {**self._opts(), **opts})
        await learn_blocking_capabilities(worker)
        self._workers.append(worker)
        return worker

    def close(self) -> None:
        """Close workers (letting active jobs finish), then queues, then the loop."""
        try:
            for worker in self._workers:
                self._loop.run(worker.close(), timeout=30)
            for queue in self._queues.values():
                self._loop.run(queue.close(), timeout=10)
        finally:
            self._workers.clear()
            self._queues.clear()
            self._loop.close()

    def __enter__(self) -> QueueBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
