"""Metrics of one scenario sampled over virtual time: queue depths, app Postgres connections, errors, finished work."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
import redis

from simulator.clock import Clock
from simulator.observe.logs import SIGNATURES, LogSink, count_signatures

# BullMQ keys `{prefix}:{queue}:{state}` that hold jobs not yet finished: lists, then sorted sets.
_LIST_STATES = ("wait", "paused", "active")
_ZSET_STATES = ("delayed", "prioritized")

_CONNECTIONS_SQL = (
    "SELECT count(*) FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name LIKE %s AND pid <> pg_backend_pid()"
)
_FINISHED_SQL = """SELECT count(*) FROM "WorkflowExecution" WHERE status = 'done'"""
# The shortest wall-time gap between scheduled samples. A stage job takes 35 ms or more of wall time, so samples
# 25 ms apart still see every state; 10 ms cost the driving process 6 % of its time at scale 3600 for nothing new.
MIN_WALL_INTERVAL = 0.025


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


@dataclass(frozen=True)
class Sample:
    """One reading at virtual time `t`. `errors` counts, per signature, every matching event so far."""

    t: float
    queue_depths: dict[str, int]
    pg_connections: int
    errors: dict[str, int]
    workflows_finished: int
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def queue_depth(self) -> int:
        return sum(self.queue_depths.values())

    @property
    def errors_total(self) -> int:
        return sum(self.errors.values())


class MetricsSampler:
    """Takes samples on demand (sample(t)) or on a virtual schedule (start(clock, every)).

    Metric names in series() and peak(): "queue_depth" (all queues), "queue_depth:<queue>",
    "pg_connections", "errors" (all signatures), "errors:<signature>", "workflows_finished".
    """

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        database_url: str,
        logs: LogSink,
        queue_names: Sequence[str],
        application_name_prefix: str = "po-app",
        *,
        client: redis.Redis | None = None,
    ) -> None:
        self.prefix = prefix
        self.database_url = database_url
        self.logs = logs
        self.queue_names = tuple(queue_names)
        self.application_name_prefix = application_name_prefix
        self._own_client = client is None
        self._redis: redis.Redis = client if client is not None else redis.Redis.from_url(redis_url)
        self._pg: psycopg.Connection | None = None
        self._lock = threading.Lock()
        self._log_cursor = "0-0"
        self._errors = dict.fromkeys(SIGNATURES, 0)
        self.samples: list[Sample] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def _connection(self) -> psycopg.Connection:
        if self._pg is None or self._pg.closed:
            # Named so that it is never counted among the app's connections.
            self._pg = psycopg.connect(
                self.database_url, autocommit=True, connect_timeout=5, application_name="harness-metrics"
            )
        return self._pg

    def queue_depths(self) -> dict[str, int]:
        """Jobs not yet finished per queue: waiting + paused + active + delayed + prioritized."""
        with self._redis.pipeline(transaction=False) as pipe:
            for queue in self.queue_names:
                for state in _LIST_STATES:
                    pipe.llen(f"{self.prefix}:{queue}:{state}")
                for state in _ZSET_STATES:
                    pipe.zcard(f"{self.prefix}:{queue}:{state}")
            counts = pipe.execute()
        per_queue = len(_LIST_STATES) + len(_ZSET_STATES)
        return {
            queue: int(sum(counts[index * per_queue : (index + 1) * per_queue]))
            for index, queue in enumerate(self.queue_names)
        }

    def pg_connections(self) -> int:
        """Connections to this database whose application_name starts with the app's prefix."""
        row = self._connection().execute(_CONNECTIONS_SQL, (_like_prefix(self.application_name_prefix),)).fetchone()
        return int(row[0]) if row else 0

    def workflows_finished(self) -> int:
        row = self._connection().execute(_FINISHED_SQL).fetchone()
        return int(row[0]) if row else 0

    def errors_by_signature(self) -> dict[str, int]:
        """Matching log events so far, per signature (reads only the events new since the last call)."""
        while True:  # tail() reads in batches
            self._log_cursor, events = self.logs.tail(self._log_cursor)
            if not events:
                return dict(self._errors)
            for name, count in count_signatures(events).items():
                self._errors[name] += count

    def sample(self, t: float) -> Sample:
        """Read every metric now and record it at virtual time `t`."""
        with self._lock:
            depths = self.queue_depths()
            errors = self.errors_by_signature()
            sample = Sample(
                t=t,
                queue_depths=depths,
                pg_connections=self.pg_connections(),
                errors=errors,
                workflows_finished=self.workflows_finished(),
            )
            metrics: dict[str, float] = {
                "queue_depth": sample.queue_depth,
                "pg_connections": sample.pg_connections,
                "errors": sample.errors_total,
                "workflows_finished": sample.workflows_finished,
            }
            metrics.update({f"queue_depth:{queue}": depth for queue, depth in depths.items()})
            metrics.update({f"errors:{name}": count for name, count in errors.items()})
            sample.metrics.update(metrics)
            self.samples.append(sample)
            return sample

    def metric_names(self) -> list[str]:
        return (
            ["queue_depth", "pg_connections", "errors", "workflows_finished"]
            + [f"queue_depth:{queue}" for queue in self.queue_names]
            + [f"errors:{name}" for name in SIGNATURES]
        )

    def series(self) -> dict[str, list[tuple[float, float]]]:
        """Every metric as (virtual time, value) points, in sampling order."""
        with self._lock:
            samples = list(self.samples)
        return {name: [(s.t, float(s.metrics[name])) for s in samples] for name in self.metric_names()}

    def peak(self, metric_name: str) -> float:
        """The highest value the metric reached (0.0 before any sample)."""
        if metric_name not in self.metric_names():
            raise KeyError(f"unknown metric {metric_name!r}; known: {', '.join(self.metric_names())}")
        with self._lock:
            return max((float(s.metrics[metric_name]) for s in self.samples), default=0.0)

    def start(self, clock: Clock, every: float = 30.0) -> None:
        """Sample every `every` virtual seconds in a background thread until stop()."""
        if self._thread is not None:
            return
        self._stop.clear()

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.sample(clock.now())
                except (psycopg.Error, redis.RedisError) as error:
                    # A server going away mid-scenario is a reading missed, not a crash of the sampler.
                    self.last_error = f"{type(error).__name__}: {error}"
                self._stop.wait(max(clock.to_wall(every), MIN_WALL_INTERVAL))

        self._thread = threading.Thread(target=loop, name="metrics-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def close(self) -> None:
        self.stop()
        if self._pg is not None:
            self._pg.close()
            self._pg = None
        if self._own_client:
            self._redis.close()

    def __enter__(self) -> MetricsSampler:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
