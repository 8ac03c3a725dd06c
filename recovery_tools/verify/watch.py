"""The watch: read every source now and every few seconds for the window, judge the criteria each time.

The first failure inside the window is handed to `on_failure` at once (pause, or an announcement); the watch
ends with the window, or at once after a pause.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis

from recovery_tools.criteria.facts import POOL_LIMIT, SIGNATURES
from recovery_tools.criteria.judge import DONE, FAILED, FAILS, CriterionResult, Evidence, LogLine, SessionProbe, judge
from recovery_tools.criteria.signatures import count_signatures
from recovery_tools.verify import queues as queue_reading
from recovery_tools.verify.database import AppDatabase
from recovery_tools.verify.logfile import LogFile
from recovery_tools.verify.probes import ReviewApi

MAX_PROBES = 50  # review sessions asked per tick, newest first


def wall_time(t: float) -> str:
    """An epoch second as a person reads it in UTC."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass
class Sources:
    """The opened sources (a None one is not configured)."""

    redis: redis.Redis
    prefix: str
    queues: Sequence[str]
    database: AppDatabase
    logs: Sequence[LogFile] = ()
    api: ReviewApi | None = None


@dataclass
class Tick:
    """One reading of every source, judged."""

    t: float
    evidence: Evidence
    results: list[CriterionResult]
    depths: dict[str, int]


@dataclass
class Watch:
    """What the watch saw: every tick, the series for the report, the first failure."""

    started: float
    since: float
    ticks: list[Tick] = field(default_factory=list)
    series: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    first_failure: Tick | None = None
    stopped_early: bool = False

    @property
    def last(self) -> Tick:
        return self.ticks[-1]


def read(sources: Sources, since: float, now: float, stuck_after: float, samples: list[tuple[float, int]],
         pool_limit: int = POOL_LIMIT) -> Tick:
    """Every source once: the evidence of the window since..now and its verdicts."""
    samples.append((now, sources.database.connections()))
    reading = queue_reading.read_jobs(sources.redis, sources.prefix, sources.queues, since)
    logs: list[LogLine] = queue_reading.error_lines(reading, since)
    log_sources = [f"failed and retried jobs of {len(sources.queues)} queues"]
    for log in sources.logs:
        logs.extend(line for line in log.read(now) if line.t >= since)
        log_sources.append(f"log {log.name}")
    logs.sort(key=lambda line: line.t)
    ran = any(max(job.processed, job.finished) >= since for job in reading.jobs)
    workflows = sources.database.workflows(since, now, stuck_after)
    sessions = sources.database.sessions(since)
    probes: list[SessionProbe] | None = None
    if sources.api is not None:
        probes = _probes(sources.api, workflows, sessions)
    evidence = Evidence(since, now, logs=logs if ran or sources.logs else None, log_sources=log_sources,
                        workflows=workflows,
                        jobs=queue_reading.tally(reading, since, now, stuck_after), sessions=sessions,
                        probes=probes, connection_samples=list(samples), pool_limit=pool_limit,
                        time_label=wall_time)
    return Tick(now, evidence, judge(evidence), queue_reading.depths(reading, sources.queues))


def _probes(api: ReviewApi, workflows: dict[str, str] | None,
            sessions: dict[str, str | None] | None) -> list[SessionProbe]:
    by_workflow = {wid: sid for sid, wid in (sessions or {}).items() if wid}
    asked: list[tuple[str | None, str | None]] = []
    for wid, status in (workflows or {}).items():
        if status in (DONE, FAILED):  # finished: the frontend asks for its review session
            asked.append((wid, by_workflow.get(wid)))
    seen = {sid for _, sid in asked}
    asked += [(wid, sid) for sid, wid in (sessions or {}).items() if sid not in seen]
    return [api.probe(wid, sid) for wid, sid in asked[-MAX_PROBES:]]


def watch(sources: Sources, *, since: float, window: float, every: float, stuck_after: float,
          pool_limit: int = POOL_LIMIT, on_failure: Callable[[Tick], bool] | None = None,
          on_tick: Callable[[Watch], None] | None = None, clock: Callable[[], float] = time.time) -> Watch:
    """Watch for `window` seconds from now, looking back to `since`; `on_failure` returns True to stop early."""
    started = clock()
    result = Watch(started, since)
    samples: list[tuple[float, int]] = []
    end = started + window
    while True:
        now = clock()
        tick = read(sources, since, now, stuck_after, samples, pool_limit)
        result.ticks.append(tick)
        _record(result, tick)
        if on_tick is not None:
            on_tick(result)
        if result.first_failure is None and any(r.verdict == FAILS for r in tick.results):
            result.first_failure = tick
            if on_failure is not None and on_failure(tick):
                result.stopped_early = True
                return result
        if now >= end:
            return result
        time.sleep(max(0.0, min(every, end - clock())))


def _record(result: Watch, tick: Tick) -> None:
    t = round(tick.t - result.started, 3)
    evidence = tick.evidence
    points = {"pg_connections": float(evidence.connection_samples[-1][1]) if evidence.connection_samples else 0.0,
              "queue_depth": float(sum(tick.depths.values())),
              "workflows_finished": float(sum(1 for s in (evidence.workflows or {}).values() if s == DONE))}
    points.update({f"queue_depth:{queue}": float(depth) for queue, depth in tick.depths.items()})
    counts = count_signatures([line.message for line in evidence.logs or ()])
    points.update({f"errors:{name}": float(counts[name]) for name in SIGNATURES})
    points["errors"] = float(sum(counts.values()))
    for name, value in points.items():
        result.series.setdefault(name, []).append((t, value))
