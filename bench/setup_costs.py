"""Set-up costs: the embedded backend's cold start, and per-scenario database and prefix creation."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from harness.backends.embedded import EmbeddedBackend
from harness.isolation import Isolation


@dataclass(frozen=True)
class ColdStart:
    start_seconds: float
    stop_seconds: float


def embedded_cold_start() -> ColdStart:
    """Start and stop a fresh embedded backend (new data folders: initdb and all) and time both."""
    backend = EmbeddedBackend()
    started = time.perf_counter()
    backend.start()
    start = time.perf_counter() - started
    try:
        assert backend.redis_url and backend.database_url
    finally:
        stopping = time.perf_counter()
        backend.stop()
    return ColdStart(start, time.perf_counter() - stopping)


@dataclass(frozen=True)
class IsolationCost:
    template_seconds: float
    create_median: float
    create_max: float
    destroy_median: float
    destroy_max: float
    cycle_median: float


def isolation_costs(redis_url: str, database_url: str, rounds: int, *, prefetch: bool,
                    scenario_outlasts_clone: bool = False) -> IsolationCost:
    """Isolation.prepare_template once, then `rounds` create/destroy cycles.

    With `prefetch`, create() takes the clone made in the background during the previous cycle. Back to back it
    still waits for whatever of that clone is left; with `scenario_outlasts_clone` create() and destroy() each first
    wait for the clone to be ready, as a scenario that runs longer than one clone (every real one) lets them.
    """
    owner = Isolation(redis_url, database_url, prefetch=prefetch)
    creates: list[float] = []
    destroys: list[float] = []
    try:
        started = time.perf_counter()
        owner.prepare_template()
        template = time.perf_counter() - started
        for number in range(rounds):
            if scenario_outlasts_clone:
                owner.wait_prefetched(timeout=60)
            started = time.perf_counter()
            env = owner.create(f"bench-{number}")
            creates.append(time.perf_counter() - started)
            if scenario_outlasts_clone:
                owner.wait_prefetched(timeout=60)
            started = time.perf_counter()
            owner.destroy(env)
            destroys.append(time.perf_counter() - started)
    finally:
        owner.close()
    cycles = [c + d for c, d in zip(creates, destroys, strict=True)]
    return IsolationCost(template, statistics.median(creates), max(creates), statistics.median(destroys),
                         max(destroys), statistics.median(cycles))
