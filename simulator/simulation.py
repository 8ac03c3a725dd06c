"""The Simulation facade: one entry point for steps, tests and the rehearsal to run the simulated app."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from sqlalchemy import func, select

from harness.isolation import ScenarioEnv
from simulator.clock import ScaledClock
from simulator.cron import Cron
from simulator.db.client import PrismaClient
from simulator.db.operation import prisma_operation
from simulator.models import ImageReviewSession, WorkflowExecution, WorkflowStageExecution
from simulator.observe.logs import LogSink
from simulator.observe.metrics import MetricsSampler
from simulator.po.fake import fake_po
from simulator.po.upload import UploadResult, ensure_merchant, upload_po
from simulator.queues import operator
from simulator.queues.app_queues import AppQueues
from simulator.queues.bull_host import BullSettings
from simulator.queues.registry import QUEUE_NAMES
from simulator.release import HEALTHY, Release
from simulator.services.image_search import FakeImageSearch
from simulator.services.review_api import ImageReviewApi
from simulator.workflow.context import AppConfig
from simulator.workflow.deployment import Deployment, WorkerMode
from simulator.workflow.workers import WorkerProcess

# The Vercel deploy, in virtual seconds: build, Prisma client generation, then live (~2 minutes in all).
BUILD_SECONDS = 70.0
GENERATE_SECONDS = 20.0
GO_LIVE_SECONDS = 30.0

# The states of a job that has yet to run.
PENDING_STATES = ("waiting", "paused", "delayed", "prioritized")

MERCHANT_ID = "merchant-sim"
MERCHANT_TOKEN = "sim-token-merchant"


class Simulation:
    """The PO-upload app of one scenario, on the scenario's Redis prefix and database.

    Starts the fake image search, the image review API, a metrics sampler and a deployment of `release`
    (workers in this process or in a subprocess). The cron starts with the first run_for()/run_until().
    Use as a context manager, or call close().
    """

    def __init__(
        self,
        env: ScenarioEnv,
        *,
        release: Release = HEALTHY,
        seed: int = 0,
        time_scale: float = 60.0,
        worker_mode: WorkerMode = "inprocess",
        search_quota_per_minute: int = 100,
        sample_every_seconds: float = 15.0,
        bull_settings: BullSettings | None = None,
    ) -> None:
        self.env = env
        self.seed = seed
        self.worker_mode: WorkerMode = worker_mode
        self.search_quota_per_minute = search_quota_per_minute
        self.bull_settings = bull_settings  # Bull's lock and stalled check of in-process workers (default Bull's)
        self.clock = ScaledClock(time_scale)
        self.merchant_id, self.merchant_token = MERCHANT_ID, MERCHANT_TOKEN
        self._uploads = 0
        self._live = False
        self._history: list[Release] = []
        # Each part is registered as soon as it runs: if a later one fails, close() of the stack stops the
        # earlier ones (last started, first stopped) and the constructor's error is raised.
        with ExitStack() as stack:
            self.logs = stack.enter_context(LogSink(env.redis_url, env.prefix, self.clock, source="simulation"))
            self._image_search = FakeImageSearch(self.clock, search_quota_per_minute)
            self.search_url = self._image_search.start()
            stack.callback(self._image_search.stop)
            self._review_api = ImageReviewApi(env.database_url, logs=self.logs.child("review-api"))
            self.review_api_url = self._review_api.start()
            stack.callback(self._review_api.stop)
            # The producer host starts (Node, bull, the queues' connections) while the rest is set up.
            self.queues = stack.enter_context(AppQueues(env.redis_url, env.prefix, wait=False))
            self.metrics = stack.enter_context(
                MetricsSampler(env.redis_url, env.prefix, env.database_url, self.logs, QUEUE_NAMES))
            self._api = PrismaClient(env.database_url, connection_limit=2, application_name="po-app-api")
            stack.callback(self._api.disconnect)
            prisma_operation(self._api, lambda s: ensure_merchant(s, self.merchant_id, "Simulated merchant",
                                                                  self.merchant_token))
            self.release = release
            self._deployment = self._deployment_of(release)
            self.queues.ready()
            stack.callback(lambda: self._deployment.close())  # the deployment live at close time
            self.metrics.start(self.clock, every=sample_every_seconds)
            self.logs.info("simulation started", release=release.name, worker_mode=worker_mode)
            self._resources = stack.pop_all()

    # -- uploads ---------------------------------------------------------------------------------

    def upload_po(self, filename: str, content: bytes) -> UploadResult:
        """Upload one PO file for the simulation's merchant; it becomes a pending workflow.

        Raises POFileError (naming file, line and field) for a bad file; nothing is written then.
        """
        result = prisma_operation(self._api, lambda s: upload_po(s, self.merchant_id, filename, content))
        self.logs.info("PO uploaded", workflowId=result.workflow_id, lines=result.line_count)
        return result

    def upload_fake_pos(self, count: int, *, lines: int | None = None, fmt: str = "csv") -> list[UploadResult]:
        """Upload `count` Faker-made POs (deterministic from the simulation's seed)."""
        results = []
        for _ in range(count):
            self._uploads += 1
            filename, content = fake_po(self.seed * 100_000 + self._uploads, fmt=fmt, lines=lines)  # type: ignore[arg-type]
            results.append(self.upload_po(filename, content))
        return results

    # -- time ------------------------------------------------------------------------------------

    def go_live(self) -> None:
        """Start the cron (done by run_for() and run_until() when needed)."""
        if not self._live:
            self._live = True
            self._deployment.start_cron()

    def run_for(self, virtual_minutes: float) -> None:
        """Let the app run for `virtual_minutes` of virtual time."""
        self.go_live()
        self.clock.sleep(virtual_minutes * 60.0, where=f"the end of {virtual_minutes:g} virtual minutes of running")
        self.metrics.sample(self.clock.now())

    def run_until(self, predicate: Callable[[], bool], within_virtual_minutes: float,
                  poll_wall_seconds: float = 0.05) -> bool:
        """Run until `predicate()` is true (True) or `within_virtual_minutes` have passed (False).

        A predicate that came true is a fact, however late the clock ran. A deadline that passed is a verdict only
        while the clock kept pace: when a scheduled wake-up came too late, ClockFellBehind says so instead.
        """
        self.go_live()
        deadline = self.clock.now() + within_virtual_minutes * 60.0
        while True:
            if predicate():
                self.metrics.sample(self.clock.now())
                return True
            if self.clock.now() >= deadline:
                self.metrics.sample(self.clock.now())
                self.clock.check()
                return False
            time.sleep(poll_wall_seconds)

    def all_finished(self) -> bool:
        """True when every uploaded workflow is done or failed and no registered queue has work left."""
        counts = self.workflows()
        if not counts or counts.get("done", 0) + counts.get("failed", 0) != sum(counts.values()):
            return False
        return self.unfinished_jobs() == 0

    def unfinished_jobs(self) -> int:
        """Jobs waiting, active, delayed or prioritized on the registered queues."""
        states = ("waiting", "active", "delayed", "prioritized")
        return sum(count.get(state, 0) for count in self.job_counts().values() for state in states)

    # -- releases --------------------------------------------------------------------------------

    def _deployment_of(self, release: Release) -> Deployment:
        config = AppConfig(self.env.redis_url, self.env.prefix, self.env.database_url, self.search_url, release,
                           self.search_quota_per_minute)
        return Deployment(config, self.clock, self.logs, self.queues, self.worker_mode, self.bull_settings)

    def deploy(self, release: Release) -> None:
        """The Vercel deploy of `release`: build, Prisma client generation, live after ~2 virtual minutes.

        The old deployment keeps working until the new one is live; then the new workers start, the old
        ones finish their active jobs and close. Jobs stay in Redis throughout, so none is lost.
        """
        self._switch_to(release)
        self._history.append(self._previous)

    def rollback(self) -> Release:
        """`git revert HEAD && git push`: deploy the previous release again; returns it."""
        if not self._history:
            raise RuntimeError("nothing to roll back to: no deploy has happened")
        previous = self._history.pop()
        self._switch_to(previous)
        return previous

    def _switch_to(self, release: Release) -> None:
        self.logs.info("Deployment started: building", release=release.name)
        self.clock.sleep(BUILD_SECONDS)
        self.logs.info("Build success", release=release.name)
        self.clock.sleep(GENERATE_SECONDS)
        self.logs.info("Prisma client generation: generated Prisma Client", release=release.name)
        self.clock.sleep(GO_LIVE_SECONDS)
        new = self._deployment_of(release)
        old, self._deployment = self._deployment, new
        old.stop_cron()
        if self._live:
            new.start_cron()
        old.close()
        self._previous, self.release = self.release, release
        self.logs.info("Deployment live", release=release.name)

    # -- the checklist's hooks ------------------------------------------------------------------

    def pause(self) -> None:
        """Pause every registered queue and set the cron pause switch, with the code of `manage-queues pause`."""
        asyncio.run(operator.pause(self.env.redis_url, self.env.prefix, QUEUE_NAMES))

    def resume(self) -> None:
        """Resume every registered queue and clear the cron pause switch, as `manage-queues resume` does."""
        asyncio.run(operator.resume(self.env.redis_url, self.env.prefix, QUEUE_NAMES))

    # -- reading the state -----------------------------------------------------------------------

    def workflows(self) -> dict[str, int]:
        """How many workflows are in each status (pending, queued, running, done, failed)."""
        rows = prisma_operation(self._api, lambda s: s.execute(
            select(WorkflowExecution.status, func.count()).group_by(WorkflowExecution.status)).all())
        return {str(status): int(count) for status, count in rows}

    def stage_runs(self) -> dict[tuple[str, str], int]:
        """Successful runs per (workflow id, stage): more than 1 means a stage was processed twice."""
        runs = WorkflowStageExecution
        rows = prisma_operation(self._api, lambda s: s.execute(
            select(runs.workflowId, runs.stage, func.count())
            .where(runs.status == "done").group_by(runs.workflowId, runs.stage)).all())
        return {(str(w), str(stage)): int(count) for w, stage, count in rows}

    def review_session_id(self, workflow_id: str) -> str | None:
        """The review session of a workflow, if the app created one."""
        return prisma_operation(self._api, lambda s: s.scalar(
            select(ImageReviewSession.id).where(ImageReviewSession.workflowId == workflow_id)))

    def api_get(self, path: str, token: str | None = None) -> tuple[int, Any]:
        """GET on the image review API as the simulation's merchant: (HTTP status, JSON body)."""
        request = urllib.request.Request(self.review_api_url.rstrip("/") + path,
                                         headers={"Authorization": f"Bearer {token or self.merchant_token}"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            return error.code, json.loads(body) if body else None

    def job_counts(self, *extra_queues: str) -> dict[str, dict[str, int]]:
        """Bull's job counts per registered queue (and per queue of `extra_queues`)."""
        return {name: self.queues.counts(name) for name in (*QUEUE_NAMES, *extra_queues)}

    def paused_queues(self) -> list[str]:
        """The registered queues Bull reports paused (its isPaused())."""
        return [name for name in QUEUE_NAMES if self.queues.is_paused(name)]

    def pending_job_ids(self, states: Iterable[str] = PENDING_STATES) -> dict[str, set[str]]:
        """Ids of the jobs in `states` (default: those yet to run), per registered queue."""
        wanted = list(states)
        return {name: self.queues.job_ids(name, wanted) for name in QUEUE_NAMES}

    def job_state(self, queue: str, job_id: str) -> str:
        """Bull's state of one job: completed, failed, waiting, paused, active, delayed, or unknown (no such job)."""
        return self.queues.job_state(queue, job_id)

    def job_exists(self, queue: str, job_id: str) -> bool:
        """True while Bull still holds the job's record."""
        return self.queues.job_state(queue, job_id) != "unknown"

    def slow_image_search(self, virtual_seconds: float, requests: int | None = None) -> None:
        """From now on the image search answers the next `requests` admitted requests (all: None) after
        `virtual_seconds`."""
        self._image_search.slow_down(virtual_seconds, requests)

    @property
    def slow_searches_in_flight(self) -> int:
        """Slowed image search requests still waiting for their answer (each holds a stage job active)."""
        return self._image_search.slow_in_flight

    @property
    def search_requests(self) -> int:
        """Requests the fake image search received."""
        return self._image_search.request_count

    @property
    def search_rejections(self) -> int:
        """Requests the fake image search answered with 429 (quota exceeded)."""
        return self._image_search.rejected_count

    def worker_process(self) -> subprocess.Popen[str] | None:
        """The OS process of the live deployment's workers (worker_mode "process"), else None."""
        workers = self._deployment.workers
        return workers.process if isinstance(workers, WorkerProcess) else None

    def check_queues(self) -> list[str]:
        """The registered queues no worker of the live deployment consumes (empty when all are served)."""
        return self._deployment.check_queues()

    @property
    def cron(self) -> Cron:
        """The cron of the live deployment (its runs, skips and overlap are counted)."""
        return self._deployment.cron

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything the simulation started, the last started first (workers finish their active jobs)."""
        self._resources.close()

    def __enter__(self) -> Simulation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
