"""Virtual-time compression: simulated hours per wall second a cron-every-minute rehearsal keeps up with."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from harness.isolation import Isolation
from simulator.bugs import cron_overload
from simulator.clock import ClockFellBehind
from simulator.release import HEALTHY
from simulator.simulation import Simulation

# The healthy release with the every-minute, overlapping cron of the cron-overload bug.
CRON_HEAVY = HEALTHY.with_broken("cron-overload", name="cron-every-minute")
# A scale keeps up when at least this share of the due cron runs fired, none failed, and every PO finished.
KEPT_UP_SHARE = 0.95
# Virtual minutes the POs get, after the window, to finish the duplicated work of the overlapping cron.
DRAIN_MINUTES = 600.0


@dataclass(frozen=True)
class CompressionRun:
    """One rehearsal window at one clock scale."""

    scale: float
    virtual_hours: float
    wall_seconds: float
    cron_runs: int
    cron_due: int
    cron_failures: int
    pos_finished: bool

    @property
    def hours_per_wall_second(self) -> float:
        # Rounded: virtual over wall time of one window is the clock's scale / 3600 give or take a few microseconds.
        return round(self.virtual_hours / self.wall_seconds, 3)

    @property
    def kept_up(self) -> bool:
        return self.pos_finished and not self.cron_failures and self.cron_runs >= KEPT_UP_SHARE * self.cron_due


def run_window(isolation: Isolation, *, scale: float, virtual_hours: float, pos: int, seed: int = 5) -> CompressionRun:
    """Upload `pos` POs, let the cron-every-minute release run `virtual_hours`, count its runs against the schedule.

    Then the cron stops and the POs get DRAIN_MINUTES to finish (the overlapping cron enqueues duplicates).
    """
    interval = cron_overload.settings(False).interval_minutes
    env = isolation.create(f"bench-compression-{scale:g}")
    try:
        with Simulation(env, release=CRON_HEAVY, seed=seed, time_scale=scale) as sim:
            sim.upload_fake_pos(pos, lines=3)
            started_wall, started_virtual = time.perf_counter(), sim.clock.now()
            sim.go_live()
            sim.clock.sleep(virtual_hours * 3600.0)
            elapsed_virtual = sim.clock.now() - started_virtual
            wall = time.perf_counter() - started_wall
            sim.hosting.vercel.set_crons_enabled(False)  # Vercel stops calling the cron path
            cron = sim.cron
            fired = len([call for call in sim.cron_invocations() if call.at <= started_virtual + elapsed_virtual])
            try:
                finished = sim.run_until(sim.all_finished, within_virtual_minutes=DRAIN_MINUTES)
            except ClockFellBehind:  # the drain's deadline came late: this scale did not keep up (a figure)
                finished = False
        # Vercel's scheduler calls at once (minute 0, at go-live), then once per interval after it.
        step = interval * 60.0
        due = 1 + math.floor(elapsed_virtual / step)
        return CompressionRun(scale, elapsed_virtual / 3600.0, wall, fired, due, cron.failures, finished)
    finally:
        isolation.destroy(env)
