"""One running instance of the app (a deployment's workers): its release, DB clients, search client, logs."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from sqlalchemy.orm import Session

from simulator.bugs import connection_hygiene, google_429, prisma_warmup, temporary_queue
from simulator.clock import Clock
from simulator.db.client import PrismaClient
from simulator.observe.logs import LogSink
from simulator.release import Release
from simulator.services.image_search import ImageSearchClient

T = TypeVar("T")

# Connections tagged with this are the app's; MetricsSampler counts them from pg_stat_activity.
APP_NAME = "po-app-worker"


@dataclass(frozen=True)
class AppConfig:
    """Everything an app instance needs; a worker subprocess gets it as command-line options."""

    redis_url: str
    prefix: str
    database_url: str
    search_url: str
    release: Release
    search_quota_per_minute: int = 100
    connection_limit: int = connection_hygiene.CONNECTION_LIMIT


class App:
    """The app code of one deployment, with every seam picked broken or fixed by its release."""

    def __init__(self, config: AppConfig, clock: Clock, logs: LogSink) -> None:
        self.config = config
        self.release = config.release
        self.clock = clock
        self.logs = logs
        self.clients = connection_hygiene.lifecycle(
            self.fixed("connection-hygiene"), config.database_url, clock, APP_NAME, config.connection_limit
        )
        self._run = prisma_warmup.run_operation(self.fixed("prisma-warmup"))
        self.search_client = ImageSearchClient(config.search_url)
        self._redis = redis.Redis.from_url(config.redis_url)
        budget = int(config.search_quota_per_minute * google_429.BUDGET_SHARE)
        self.search_budget = google_429.MinuteBudget(self._redis, config.prefix, clock, budget)
        self._rng = random.Random()
        self._rng_lock = threading.Lock()
        self.temporary_queues = temporary_queue.TemporaryQueues(config.redis_url, config.prefix, logs)
        # Stage bodies are blocking (SQLAlchemy, HTTP): they run here, at most one per pool connection.
        self.executor = ThreadPoolExecutor(max_workers=config.connection_limit, thread_name_prefix="stage")

    def fixed(self, bug_id: str) -> bool:
        """True when this deployment's release holds the fix of `bug_id`."""
        return self.release.fixed(bug_id)

    def run(self, client: PrismaClient, operation: Callable[[Session], T]) -> T:
        """One DB operation in a transaction, through the prisma-warmup seam."""
        return self._run(client, operation, self.clock)

    def search_images(self, query: str) -> list[str]:
        """Image URLs for a query, through the google-429 seam."""
        if self.fixed("google-429"):
            with self._rng_lock:
                seed = self._rng.getrandbits(32)
            return google_429.search_fixed(
                self.search_client, query, self.logs, self.search_budget, self.clock, random.Random(seed)
            )
        return google_429.search_broken(self.search_client, query, self.logs, self.clock)

    def route(self, queue: str, job_name: str, data: Any, opts: Mapping[str, Any]) -> str | None:
        """addJob, through the temporary-queue seam: the queue to add to, or None when the job went to a temporary
        queue on the default Redis (blocking: call it from a stage thread)."""
        return temporary_queue.route(self.fixed("temporary-queue"), queue, self.temporary_queues, job_name, data, opts)

    def close(self) -> None:
        """Wait for stage bodies in flight, then close the DB clients, temporary queues and Redis connection."""
        self.executor.shutdown(wait=True)
        self.temporary_queues.close()
        self.clients.close()
        self._redis.close()
