"""Set-up costs: the embedded backend's cold start, and per-scenario database and prefix creation."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from simulator.backends.embedded import EmbeddedBackend
from simulator.isolation import Isolation


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


def isolation_costs(redis_url: str, database_url: str, rounds: int) -> IsolationCost:
    """Isolation.prepare_template once, then `rounds` create/destroy cycles (what each scenario pays)."""
    owner = Isolation(redis_url, database_url)
    creates: list[float] = []
    destroys: list[float] = []
    try:
        started = time.perf_counter()
        owner.prepare_template()
        template = time.perf_counter() - started
        for number in range(rounds):
            started = time.perf_counter()
            env = owner.create(f"bench-{number}")
            created = time.perf_counter()
            owner.destroy(env)
            destroys.append(time.perf_counter() - created)
            creates.append(created - started)
    finally:
        owner.close()
    cycles = [c + d for c, d in zip(creates, destroys, strict=True)]
    return IsolationCost(template, statistics.median(creates), max(creates), statistics.median(destroys),
                         max(destroys), statistics.median(cycles))
