"""The ceiling: raw BullMQ throughput on the same Redis (add, and process with a no-op processor)."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

from bullmq import Job, Queue, Worker

from harness.isolation import NAME_STEM, delete_prefix

QUEUE = "bench-ceiling"
BULK_CHUNK = 500


def bench_prefix(what: str) -> str:
    """A fresh key prefix that `harness.isolation.leftovers` would find if it were left behind."""
    return f"{NAME_STEM}-bench-{what}-{secrets.token_hex(4)}"


async def _add_sequential(queue: Queue, count: int) -> float:
    started = time.perf_counter()
    for number in range(count):
        await queue.add("noop", {"n": number})
    return count / (time.perf_counter() - started)


async def _add_bulk(queue: Queue, count: int) -> float:
    started = time.perf_counter()
    for first in range(0, count, BULK_CHUNK):
        await queue.addBulk([{"name": "noop", "data": {"n": n}} for n in range(first, min(count, first + BULK_CHUNK))])
    return count / (time.perf_counter() - started)


async def _process(redis_url: str, prefix: str, queue: Queue, count: int, concurrency: int, timeout: float) -> float:
    """Fill the queue, then time one worker draining it with a processor that does nothing."""
    await _add_bulk(queue, count)
    done = asyncio.Event()
    completed = 0

    def on_completed(*_: Any) -> None:
        nonlocal completed
        completed += 1
        if completed >= count:
            done.set()

    async def noop(job: Job, token: str) -> None:
        return None

    started = time.perf_counter()
    worker = Worker(queue.name, noop, {"connection": redis_url, "prefix": prefix, "concurrency": concurrency})
    worker.on("completed", on_completed)
    try:
        await asyncio.wait_for(done.wait(), timeout)
        elapsed = time.perf_counter() - started
    finally:
        await worker.close()
    return count / elapsed


async def _measure(redis_url: str, jobs: int, concurrencies: tuple[int, ...], timeout: float) -> dict[str, float]:
    figures: dict[str, float] = {}
    prefixes: list[str] = []
    try:
        for what, adder in (("add", _add_sequential), ("add_bulk", _add_bulk)):
            prefix = bench_prefix(what)
            prefixes.append(prefix)
            queue = Queue(QUEUE, {"connection": redis_url, "prefix": prefix})
            try:
                figures[what] = await adder(queue, jobs)
            finally:
                await queue.close()
        for concurrency in concurrencies:
            prefix = bench_prefix(f"noop{concurrency}")
            prefixes.append(prefix)
            queue = Queue(QUEUE, {"connection": redis_url, "prefix": prefix})
            try:
                figures[f"noop_c{concurrency}"] = await _process(redis_url, prefix, queue, jobs, concurrency, timeout)
            finally:
                await queue.close()
    finally:
        for prefix in prefixes:
            delete_prefix(redis_url, prefix)
    return figures


def measure(redis_url: str, jobs: int, concurrencies: tuple[int, ...], timeout: float = 300.0) -> dict[str, float]:
    """Jobs per second: `add` (one awaited add after another), `add_bulk`, and `noop_c<N>` per concurrency."""
    return asyncio.run(_measure(redis_url, jobs, concurrencies, timeout))
