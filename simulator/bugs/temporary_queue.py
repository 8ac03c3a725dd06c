"""Bug temporary-queue: the background image job asked addJob for `background-image-processing`, a queue missing
from the shared config; addJob logged "creating temporary queue" and made a Bull queue on a default Redis where no
worker listens, so the job never ran. The fix takes names only from the shared config and checks each is served."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis

from recovery_tools.detect import temporary_queue as _detector
from simulator.bugs.bug import Bug
from simulator.observe.logs import LogSink
from simulator.queues.bull_host.client import BullHost, JobSpec
from simulator.queues.registry import QUEUE_NAMES, is_registered

BUG = Bug(
    id="temporary-queue",
    seam="processorRegistrationService.addJob (queue definitions)",
    checklist_item="Follow-Up Tasks / 1. Queue Configuration",
    broken="the background image job asks for 'background-image-processing', missing from the shared config: "
    "addJob creates a temporary Bull queue on a default Redis where no worker listens",
    fixed="producers take names only from the shared config (the background refinement goes to ai-enrichment); "
    "every registered queue is checked for a worker at deploy",
    signature="temporary-queue",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

# The name processImageAttachment's background job used; the shared config never had it.
BACKGROUND_QUEUE = "background-image-processing"
# Where the fixed producer sends the background refinement: a queue of the shared config, with workers.
REFINEMENT_QUEUE = "ai-enrichment"
# Redis numbers its databases 0-15 by default; the temporary queue's "default Redis" is the next one of the app's.
REDIS_DATABASES = 16


class UnregisteredQueue(ValueError):
    """A producer asked for a queue that is not in the shared config."""


def temporary_queue_message(name: str, job_type: str) -> str:
    """The warning addJob logged, exactly as the app's logs show it."""
    return f"Queue {name} not found (jobType: {job_type}), creating temporary queue"


def job_type(name: str) -> str:
    """addJob's queueNameToJobType lookup; JavaScript prints a missing key as `undefined`."""
    return name.replace("-", "_") if is_registered(name) else "undefined"


def producer_queue(fixed: bool, queue: str) -> str:
    """The queue name a release's producer asks for: the broken background job still names its old queue."""
    if queue == REFINEMENT_QUEUE and not fixed:
        return BACKGROUND_QUEUE
    return queue


def producer_queue_fixed(name: str, logs: LogSink) -> str:
    """Only names of the shared config."""
    if not is_registered(name):
        raise UnregisteredQueue(f"queue {name!r} is not in the shared config ({', '.join(QUEUE_NAMES)})")
    return name


def default_redis_url(app_redis_url: str) -> str:
    """The temporary queue's Redis: the app hard-coded localhost db 0; here the app's server, its next database
    number, so that the job leaves the app's Redis as it did in production without touching another server."""
    parts = urlsplit(app_redis_url)
    query = dict(parse_qsl(parts.query))
    if parts.scheme == "unix":
        database = int(query.get("db", 0))
        query["db"] = str((database + 1) % REDIS_DATABASES)
        return f"unix://{parts.netloc}{parts.path}?{urlencode(query)}"  # urlunsplit would drop the empty host
    path = parts.path.strip("/")
    database = int(path) if path else int(query.pop("db", 0))
    return urlunsplit(parts._replace(path=f"/{(database + 1) % REDIS_DATABASES}", query=urlencode(query)))


def _never(job: Any) -> Any:
    raise RuntimeError("no worker serves a temporary queue")  # concurrency 0: Bull never hands one over


HostFactory = Callable[[str, str, Mapping[str, int]], BullHost]


def _start_host(redis_url: str, prefix: str, queues: Mapping[str, int]) -> BullHost:
    return BullHost(redis_url, prefix, queues, _never).start()


class TemporaryQueues:
    """addJob's fallback in the broken release: a Bull queue on the default Redis per unknown name, no worker.

    Bull runs in a producer-only Node host, started at the first temporary queue and closed with the app. The
    queue keeps the scenario's prefix on the other database, so parallel scenarios never share it; the harness
    removes it with the scenario (see `default_redis_url`).
    """

    def __init__(self, app_redis_url: str, prefix: str, logs: LogSink,
                 start_host: HostFactory = _start_host) -> None:
        self.redis_url = default_redis_url(app_redis_url)
        self.prefix = prefix
        self.logs = logs
        self._start_host = start_host
        self._host: BullHost | None = None
        self._lock = threading.Lock()

    def add(self, name: str, job_name: str, data: Any, opts: Mapping[str, Any]) -> str:
        """Log the app's warning, then add the job to a temporary Bull queue `name` on the default Redis."""
        self.logs.warning(temporary_queue_message(name, job_type(name)), queue=name)
        with self._lock:
            if self._host is None:
                self._host = self._start_host(self.redis_url, self.prefix, {name: 0})
            host = self._host
        spec = JobSpec(job_name, data, attempts=opts.get("attempts"), backoff=opts.get("backoff"),
                       delay=opts.get("delay"), job_id=opts.get("jobId"))
        return host.add(name, spec)

    def close(self) -> None:
        with self._lock:
            host, self._host = self._host, None
        if host is not None:
            host.close()


def route(fixed: bool, queue: str, temporary: TemporaryQueues, job_name: str, data: Any,
          opts: Mapping[str, Any]) -> str | None:
    """addJob: the queue to add the job to, or None when the broken addJob put it on a temporary queue."""
    name = producer_queue(fixed, queue)
    if fixed:
        return producer_queue_fixed(name, temporary.logs)
    if is_registered(name):
        return name
    temporary.add(name, job_name, data, opts)
    return None


def stranded_jobs(app_redis_url: str, prefix: str, name: str = BACKGROUND_QUEUE) -> int:
    """Jobs waiting or delayed in the temporary queue `name` on the default Redis (Bull's wait list, delayed set)."""
    client = redis.Redis.from_url(default_redis_url(app_redis_url))
    try:
        return int(client.llen(f"{prefix}:{name}:wait")) + int(client.zcard(f"{prefix}:{name}:delayed"))
    finally:
        client.close()


def missing_queues(queues_with_workers: set[str]) -> list[str]:
    """The registered queues no worker consumes: the fixed release's check at deploy."""
    return [name for name in QUEUE_NAMES if name not in queues_with_workers]
