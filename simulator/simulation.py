"""The Simulation facade: one entry point for steps, tests and the rehearsal to run the simulated app."""

from __future__ import annotations

import asyncio
import json
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from typing import Any

from sqlalchemy import func, select

from harness.isolation import ScenarioEnv
from recovery_tools.platform.vercel import VercelClient
from simulator.bugs import cron_overload
from simulator.clock import ScaledClock
from simulator.cron import Cron, CronClosed, RunResult
from simulator.db.client import PrismaClient
from simulator.db.operation import prisma_operation
from simulator.models import ImageReviewSession, WorkflowExecution, WorkflowStageExecution
from simulator.observe.logs import LogSink
from simulator.observe.metrics import MetricsSampler
from simulator.platform.hosting import CronSwitch, Hosting
from simulator.platform.scheduler import Invocation
from simulator.platform.vercel_api import APP_CRON_PATH, CronDefinition
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
    (workers in this process or in a subprocess), and its Vercel (simulator/platform/): the fake API, the app's cron
    path, and the scheduler that calls it, started with the first run_for()/run_until().
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
        self.bull_settings = bull_settings  # Bull's lock and stalled check of the workers (default Bull's)
        self.clock = ScaledClock(time_scale)
        self.merchant_id, self.merchant_token = MERCHANT_ID, MERCHANT_TOKEN
        self._uploads = 0
        self._live = False
        self._history: list[tuple[Release, str]] = []  # (release, its Vercel deployment id) before each deploy
        self.pushes: list[Push] = []  # every deploy, in order
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
            # Vercel: the project, its crons, the app's cron path and the scheduler (started by go_live()).
            self.hosting = Hosting(self.clock, self._serve_cron, self._deployment.cron.schedule).start()
            stack.callback(self.hosting.stop)
            self.deployment_id = self._vercel_deployment(self._deployment.cron.schedule)
            self.hosting.vercel.set_ready_state(self.deployment_id, "READY")  # the release live before the scenario
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
        """Start Vercel's cron scheduler (done by run_for() and run_until() when needed)."""
        if not self._live:
            self._live = True
            self.hosting.go_live()

    def _serve_cron(self) -> RunResult:
        """One call of the cron path, served by the live deployment (the one Vercel routes to at that moment)."""
        for _ in range(5):
            try:
                return self._deployment.cron.invoke()
            except CronClosed:  # the call came in during a switch: the new deployment is live now
                time.sleep(0.01)
        return RunResult(503, error="no live deployment")

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

    def _vercel_deployment(self, schedule: str) -> str:
        """A new deployment on Vercel whose vercel.json declares the app's cron with `schedule`."""
        return self.hosting.vercel.create_deployment(crons=(CronDefinition(APP_CRON_PATH, schedule),)).id

    def push(self, release: Release, *, fail_build: bool = False) -> Push:
        """`git push` of `release`, the deploy running in the background: `Push.deployment_id` is Vercel's id at once,
        `Push.wait()` waits for the deployment to be live (or its build to fail)."""
        schedule = cron_overload.schedule(release.fixed("cron-overload"))
        deployment_id = self._vercel_deployment(schedule)
        push = Push(self, release, deployment_id, fail_build)
        self.pushes.append(push)
        return push

    def deploy(self, release: Release, *, fail_build: bool = False) -> str:
        """The Vercel deploy of `release`: QUEUED, BUILDING (build, Prisma client generation), READY after ~2 virtual
        minutes; returns the deployment's id. A failing build ends in ERROR and the live release stays.

        The old deployment keeps working until the new one is live; then the new workers start, the old ones finish
        their active jobs and close. Jobs stay in Redis throughout, so none is lost.
        """
        return self.push(release, fail_build=fail_build).wait()

    def _build(self, release: Release, deployment_id: str, fail_build: bool) -> bool:
        """The deployment's build and go-live, in virtual time, on Vercel and in the app's logs; False on ERROR."""
        vercel = self.hosting.vercel
        self.logs.info("Deployment started: building", release=release.name, deployment=deployment_id)
        vercel.set_ready_state(deployment_id, "BUILDING")
        vercel.add_event(deployment_id, "Running build in Washington, D.C., USA (East) – iad1")
        vercel.add_event(deployment_id, "Installing dependencies...")
        self.clock.sleep(BUILD_SECONDS)
        if fail_build:
            error = 'Error: Command "npm run build" exited with 1'
            vercel.add_event(deployment_id, error, type="stderr", level="error")
            vercel.set_ready_state(deployment_id, "ERROR", error_message=error)
            self.logs.error(f"Build failed: {error}", release=release.name, deployment=deployment_id)
            return False
        vercel.add_event(deployment_id, f"Build Completed in /vercel/output [{BUILD_SECONDS:.0f}s]")
        self.logs.info("Build success", release=release.name)
        vercel.add_event(deployment_id, "> prisma generate")
        self.clock.sleep(GENERATE_SECONDS)
        vercel.add_event(deployment_id, "✔ Generated Prisma Client (v6.16.0) to ./node_modules/@prisma/client")
        self.logs.info("Prisma client generation: generated Prisma Client", release=release.name)
        vercel.set_ready_state(deployment_id, "INITIALIZING")
        vercel.add_event(deployment_id, "Deploying outputs...")
        self.clock.sleep(GO_LIVE_SECONDS)
        self._switch_to(release, lambda: vercel.set_ready_state(deployment_id, "READY"))
        vercel.add_event(deployment_id, "Deployment completed")
        self.logs.info("Deployment live", release=release.name, deployment=deployment_id)
        return True

    def rollback(self) -> Release:
        """Vercel's Instant Rollback: the previous deployment is production again, with its cron definitions, and
        its release's code serves; returns that release."""
        if not self._history:
            raise RuntimeError("nothing to roll back to: no deploy has happened")
        previous, deployment_id = self._history.pop()
        self.logs.info("Instant Rollback started", release=previous.name, deployment=deployment_id)
        self._switch_to(previous, lambda: self.hosting.vercel.rollback_to(deployment_id))
        self.deployment_id = deployment_id
        self.logs.info("Deployment live", release=previous.name, deployment=deployment_id)
        return previous

    def _switch_to(self, release: Release, promote: Callable[[], None]) -> None:
        """The new code serves from now on (workers started, then Vercel routes to it); the old deployment's
        functions run to their end."""
        new = self._deployment_of(release)
        old, self._deployment = self._deployment, new
        promote()
        old.close()
        self.release = release

    # -- the checklist's hooks ------------------------------------------------------------------

    def _vercel_client(self) -> VercelClient:
        """The tools' own Vercel client, pointed at the simulated platform."""
        vercel = self.hosting.vercel
        return VercelClient(vercel.token, vercel.team_id, vercel.base_url)

    def pause(self) -> None:
        """Disable the project's crons on Vercel, then pause every registered queue: `manage-queues pause`'s code."""
        asyncio.run(operator.pause(self.env.redis_url, self.env.prefix, QUEUE_NAMES,
                                   (self._vercel_client(), self.hosting.vercel.project_id)))

    def resume(self) -> None:
        """Re-enable the project's crons, then resume every registered queue, as `manage-queues resume` does."""
        asyncio.run(operator.resume(self.env.redis_url, self.env.prefix, QUEUE_NAMES,
                                    (self._vercel_client(), self.hosting.vercel.project_id)))

    # -- the platform ----------------------------------------------------------------------------

    @property
    def crons_enabled(self) -> bool:
        """What Vercel says of the project's crons (`crons.disabledAt` null)."""
        return self.hosting.vercel.crons_enabled

    def cron_invocations(self) -> list[Invocation]:
        """Vercel's log of calls of the cron path: time, path, status."""
        return self.hosting.invocations()

    def cron_switches(self) -> list[CronSwitch]:
        """The crons' state over virtual time: enabled at the start, then every change."""
        return self.hosting.cron_switches()

    def deployment_state(self, deployment_id: str) -> str:
        """Vercel's readyState of a deployment."""
        deployment = self.hosting.vercel.deployment(deployment_id)
        return deployment.ready_state if deployment is not None else "unknown"

    def tool_environment(self) -> dict[str, str]:
        """The environment the real tools need to act on this app's platform (config with [vercel], token, URL)."""
        return self.hosting.tool_environment()

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
        """The cron handler of the live deployment (its runs, skips and overlap are counted)."""
        return self._deployment.cron

    # -- lifecycle -------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop everything the simulation started, the last started first (workers finish their active jobs)."""
        self._resources.close()

    def __enter__(self) -> Simulation:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Push:
    """A deploy under way in the background (Simulation.push)."""

    def __init__(self, sim: Simulation, release: Release, deployment_id: str, fail_build: bool) -> None:
        self.sim, self.release, self.deployment_id = sim, release, deployment_id
        self.live: bool | None = None
        self._error: BaseException | None = None
        previous = (sim.release, sim.deployment_id)
        self._thread = threading.Thread(target=self._run, args=(previous, fail_build), name="deploy", daemon=True)
        self._thread.start()

    def _run(self, previous: tuple[Release, str], fail_build: bool) -> None:
        try:
            self.live = self.sim._build(self.release, self.deployment_id, fail_build)
            if self.live:
                self.sim._history.append(previous)
                self.sim.deployment_id = self.deployment_id
        except BaseException as error:  # handed to wait()
            self._error = error

    def wait(self, timeout: float = 300.0) -> str:
        """Wait until the deployment is READY and serving (or ERROR); returns its id. Re-raises a deploy's error."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise RuntimeError(f"deployment {self.deployment_id} still building after {timeout:g} wall seconds")
        if self._error is not None:
            raise self._error
        return self.deployment_id
