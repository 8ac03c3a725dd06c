"""The floor of a stage job on the real parts: what the workflow's share of the Node bull ceiling can be at best.

A chain of seven jobs per PO on seven Bull 4 queues (the workflow's shape and concurrency), each job handed by the
Bull host to Python, which commits one INSERT in Postgres and adds the chain's next job through the host. The
simulated stage jobs do that and more (their stage rows, the body's reads and writes, the image search, logs).
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg

from bench.machine_cpu import CpuUse, MachineCpu
from harness.isolation import Isolation
from simulator.queues.bull_host import BullHost, BullJob, JobSpec

STAGES = 7
CONNECTIONS = 5  # the app's connection limit: as many transactions at once as the workflow runs


@dataclass(frozen=True)
class FloorRun:
    """Jobs done, their wall time and the whole machine's CPU over it."""

    jobs: int
    wall_seconds: float
    cpu: CpuUse | None

    @property
    def jobs_per_second(self) -> float:
        return self.jobs / self.wall_seconds

    @property
    def cpu_ms_per_job(self) -> float | None:
        return self.cpu.ms_per(self.jobs) if self.cpu else None


class _Connections:
    """A fixed set of Postgres connections; each use is one transaction."""

    def __init__(self, url: str, size: int) -> None:
        self._idle: queue.Queue[psycopg.Connection] = queue.Queue()
        for _ in range(size):
            self._idle.put(psycopg.connect(url))

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        connection = self._idle.get()
        try:
            with connection.transaction():
                yield connection
        finally:
            self._idle.put(connection)

    def close(self) -> None:
        while not self._idle.empty():
            self._idle.get().close()


def run_floor(isolation: Isolation, *, chains: int, concurrency: int, timeout: float = 300.0) -> FloorRun:
    """`chains` chains of seven jobs, timed from the queues' resume until the last job of the last chain is done."""
    env = isolation.create("bench-floor")
    try:
        connections = _Connections(env.database_url, CONNECTIONS)
    except BaseException:
        isolation.destroy(env)
        raise
    names = [f"stage-{number}" for number in range(STAGES)]
    left, all_done, lock = [chains * STAGES], threading.Event(), threading.Lock()
    host: BullHost | None = None

    def stage(job: BullJob) -> None:
        chain, number = int(job.data["chain"]), int(job.data["stage"])
        with connections.transaction() as connection:
            connection.execute("INSERT INTO bench_floor (chain, stage) VALUES (%s, %s)", (chain, number))
        if number + 1 < STAGES:
            assert host is not None
            host.add(names[number + 1], JobSpec("stage", {"chain": chain, "stage": number + 1}))
        with lock:
            left[0] -= 1
            if not left[0]:
                all_done.set()

    try:
        with connections.transaction() as connection:
            connection.execute("CREATE TABLE bench_floor (id bigserial PRIMARY KEY, chain int NOT NULL, "
                               "stage int NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp())")
        host = BullHost(env.redis_url, env.prefix, dict.fromkeys(names, concurrency // STAGES), stage, events=False)
        with host:
            host.pause(names[0])
            host.add_bulk(names[0], [JobSpec("stage", {"chain": chain, "stage": 0}) for chain in range(chains)])
            started = time.perf_counter()
            with MachineCpu() as machine:
                host.resume(names[0])
                if not all_done.wait(timeout):
                    raise TimeoutError(f"floor: {left[0]} of {chains * STAGES} jobs not done in {timeout:.0f} s")
            return FloorRun(chains * STAGES, time.perf_counter() - started, machine.use)
    finally:
        connections.close()
        isolation.destroy(env)
