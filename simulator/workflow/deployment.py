"""One live deployment of a release: its stage workers (in-process or a subprocess) and its cron handler."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Literal

from simulator.bugs import cron_overload, prisma_warmup, temporary_queue
from simulator.clock import ScaledClock
from simulator.cron import Cron, RunLimit
from simulator.db.client import PrismaClient
from simulator.observe.logs import LogSink
from simulator.queues.app_queues import AppQueues
from simulator.queues.bull_host import BullSettings
from simulator.workflow.context import App, AppConfig
from simulator.workflow.stages import FIRST_STAGE, QUEUE_OF, WORKER_QUEUES, job_id, job_options
from simulator.workflow.workers import StageWorkers, WorkerProcess, job_spec

WorkerMode = Literal["inprocess", "process"]
WORKER_MODES: tuple[str, ...] = ("inprocess", "process")


class Deployment:
    """The release's code running: workers on every stage queue, and the handler of its cron path (Vercel's
    scheduler calls it: simulator/platform/)."""

    def __init__(self, config: AppConfig, clock: ScaledClock, logs: LogSink, queues: AppQueues,
                 mode: WorkerMode = "inprocess", bull_settings: BullSettings | None = None) -> None:
        if mode not in WORKER_MODES:
            raise ValueError(f"worker_mode must be one of {', '.join(WORKER_MODES)}, got {mode!r}")
        self.config = config
        self.release = config.release
        self.clock = clock
        self.logs = logs
        self._queues = queues
        self.workers: StageWorkers | WorkerProcess
        with ExitStack() as stack:  # a part that fails closes the ones started before it
            if mode == "inprocess":
                self.workers = StageWorkers(App(config, clock, logs.child(f"app:{self.release.name}")),
                                            settings=bull_settings)
            else:
                self.workers = WorkerProcess(config, clock, settings=bull_settings)
            stack.callback(self.workers.close)
            self._cron_client = PrismaClient(config.database_url, connection_limit=1,
                                             application_name="po-app-cron")
            stack.callback(self._cron_client.disconnect)
            self._run = prisma_warmup.run_operation(config.release.fixed("prisma-warmup"))
            fixed_cron = config.release.fixed("cron-overload")
            schedule = cron_overload.settings(fixed_cron)
            self._tick = cron_overload.tick(fixed_cron)
            self.cron = Cron(config.redis_url, config.prefix, clock, self.tick,
                             interval_minutes=schedule.interval_minutes, use_lock=schedule.use_lock,
                             logs=logs.child(f"cron:{self.release.name}"))
            stack.callback(self.cron.close)
            if config.release.fixed("temporary-queue"):
                self.check_queues()
            stack.pop_all()

    def tick(self, limit: RunLimit) -> int:
        """One cron run: pick pending workflows and enqueue their first stage (cron-overload seam)."""
        return self._tick(lambda operation: self._run(self._cron_client, operation, self.clock), self._enqueue,
                          self.clock, limit)

    def _enqueue(self, workflow_id: str, dedupe: bool) -> None:
        opts = job_options(self.clock, dedupe_id=job_id(workflow_id, FIRST_STAGE) if dedupe else None)
        self._queues.add(QUEUE_OF[FIRST_STAGE], job_spec(FIRST_STAGE, {"workflowId": workflow_id}, opts))

    def check_queues(self) -> list[str]:
        """The fixed release's check: every registered queue has a Bull worker; the missing ones are logged."""
        consumed = {name for name in WORKER_QUEUES if self._queues.workers(name)}
        missing = temporary_queue.missing_queues(consumed)
        for name in missing:
            self.logs.error("registered queue has no worker", queue=name)
        return missing

    def close(self) -> None:
        """The cron handler takes no new call and its runs in progress finish, then the workers close gracefully
        (active jobs finish, next stages added), then the cron's client: an old deployment's functions run to their
        end."""
        self.cron.close()
        self.workers.close()
        self._cron_client.disconnect()
