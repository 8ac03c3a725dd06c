"""The Bull 4 ceiling: a plain Node Bull worker's no-op throughput, and the Bull host's round trip to Python."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from pathlib import Path

from bench.ceiling import bench_prefix
from harness.isolation import delete_prefix
from simulator.node.runtime import ensure_bull, find_node
from simulator.queues.bull_host import BullHost, BullJob, JobSpec

QUEUE = "bench-bull"
NOOP_SCRIPT = Path(__file__).with_name("bull_noop.js")
BULK_CHUNK = 500


def node_noop(redis_url: str, jobs: int, concurrency: int, timeout: float = 300.0) -> float:
    """Jobs per second of one Node Bull worker with a processor that does nothing (queue filled first)."""
    runtime = find_node()
    modules = ensure_bull(runtime)
    prefix = bench_prefix(f"bull-node-c{concurrency}")
    options = {"redis": redis_url, "prefix": prefix, "queue": QUEUE, "count": jobs, "concurrency": concurrency}
    try:
        done = subprocess.run([runtime.node, str(NOOP_SCRIPT), json.dumps(options)], capture_output=True, text=True,
                              env=runtime.env(modules), timeout=timeout, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"bull_noop.js failed: {done.stderr.strip().splitlines()[-1:]}")
        return float(json.loads(done.stdout.strip().splitlines()[-1])["jobsPerSecond"])
    finally:
        delete_prefix(redis_url, prefix)


def host_round_trip(redis_url: str, jobs: int, concurrency: int, timeout: float = 300.0) -> float:
    """Jobs per second through the Bull host to a Python no-op and back (queue filled while paused, then resumed)."""
    prefix = bench_prefix(f"bull-host-c{concurrency}")
    all_done = threading.Event()
    completed = 0

    def count(event: dict[str, object]) -> None:
        nonlocal completed
        if event["event"] == "completed":
            completed += 1
            if completed >= jobs:
                all_done.set()

    def noop(job: BullJob) -> None:
        return None

    try:
        with BullHost(redis_url, prefix, {QUEUE: concurrency}, noop, on_event=count) as host:
            host.pause(QUEUE)
            for first in range(0, jobs, BULK_CHUNK):
                host.add_bulk(QUEUE, [JobSpec("noop", {"n": n}) for n in range(first, min(jobs, first + BULK_CHUNK))])
            started = time.perf_counter()
            host.resume(QUEUE)
            if not all_done.wait(timeout):
                raise RuntimeError(f"the Bull host completed {completed} of {jobs} jobs in {timeout:.0f}s")
            return jobs / (time.perf_counter() - started)
    finally:
        delete_prefix(redis_url, prefix)


def measure(redis_url: str, jobs: int, concurrencies: tuple[int, ...]) -> dict[str, float]:
    """`bull_node_noop_c<N>` and `bull_host_roundtrip_c<N>` in jobs per second, per concurrency."""
    figures: dict[str, float] = {}
    for concurrency in concurrencies:
        figures[f"bull_node_noop_c{concurrency}"] = node_noop(redis_url, jobs, concurrency)
        figures[f"bull_host_roundtrip_c{concurrency}"] = host_round_trip(redis_url, jobs, concurrency)
    return figures
