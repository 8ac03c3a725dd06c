"""The simulated workflow on the healthy release: POs per minute and stage jobs per second, by worker set-up."""

from __future__ import annotations

import time
from contextlib import ExitStack
from dataclasses import dataclass

from bench.machine_cpu import CpuUse, MachineCpu
from harness.isolation import Isolation
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from simulator.workflow.context import AppConfig
from simulator.workflow.workers import WorkerProcess


@dataclass(frozen=True)
class WorkflowRun:
    """One drained batch of POs: how many, how many stage jobs ran, and how long it took."""

    workers: str
    pos: int
    stage_jobs: int
    wall_seconds: float
    virtual_minutes: float
    cpu: CpuUse | None = None  # the whole machine's CPU over the timed part

    @property
    def cpu_ms_per_job(self) -> float | None:
        return self.cpu.ms_per(self.stage_jobs) if self.cpu else None

    @property
    def pos_per_minute(self) -> float:
        return self.pos / self.wall_seconds * 60.0

    @property
    def jobs_per_second(self) -> float:
        return self.stage_jobs / self.wall_seconds


class WorkflowNotFinished(Exception):
    """The POs did not all finish within the virtual time allowed."""


def run_workflow(isolation: Isolation, *, pos: int, lines: int, worker_processes: int, time_scale: float,
                 within_virtual_minutes: float = 6000.0, seed: int = 11, poll_wall_seconds: float = 0.05,
                 sample_every_seconds: float = 300.0) -> WorkflowRun:
    """Upload `pos` POs, then time from the cron's first tick until every workflow is done and the queues are empty.

    worker_processes 0: stage workers in this process; N >= 1: N `python -m simulator worker` processes.
    Start-up (workers, uploads) is outside the timed part. The metrics sampler reads every 5 virtual minutes
    (it reads the whole log stream each time; the throughput, not the charts, is measured here).
    """
    env = isolation.create(f"bench-workflow-{worker_processes}")
    try:
        mode = "process" if worker_processes else "inprocess"
        with ExitStack() as stack:
            sim = stack.enter_context(Simulation(env, release=HEALTHY, seed=seed, time_scale=time_scale,
                                                 worker_mode=mode,  # type: ignore[arg-type]
                                                 sample_every_seconds=sample_every_seconds))
            config = AppConfig(env.redis_url, env.prefix, env.database_url, sim.search_url, HEALTHY,
                               sim.search_quota_per_minute)
            for _ in range(max(0, worker_processes - 1)):
                extra = WorkerProcess(config, sim.clock)
                stack.callback(extra.close)
            sim.upload_fake_pos(pos, lines=lines)
            started_wall, started_virtual = time.perf_counter(), sim.clock.now()
            with MachineCpu() as machine:
                finished = sim.run_until(sim.all_finished, within_virtual_minutes=within_virtual_minutes,
                                         poll_wall_seconds=poll_wall_seconds)
            wall = time.perf_counter() - started_wall
            virtual_minutes = (sim.clock.now() - started_virtual) / 60.0
            if not finished:
                raise WorkflowNotFinished(f"{pos} POs not finished after {within_virtual_minutes:g} virtual minutes "
                                          f"({worker_processes} worker processes): {sim.workflows()}")
            stage_jobs = sum(sim.stage_runs().values())
        label = f"{worker_processes} worker process{'es' if worker_processes > 1 else ''}" if worker_processes \
            else "in-process workers"
        return WorkflowRun(label, pos, stage_jobs, wall, virtual_minutes, machine.use)
    finally:
        isolation.destroy(env)
