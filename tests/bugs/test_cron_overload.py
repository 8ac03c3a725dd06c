"""cron-overload: an unbatched 1-minute cron without a lock overlaps and processes workflows twice."""

from __future__ import annotations

import pytest

from harness.isolation import ScenarioEnv
from simulator.bugs import cron_overload
from simulator.clock import ManualClock
from simulator.cron import MAX_DURATION, FunctionTimeout, RunLimit
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from simulator.workflow.stages import FIRST_STAGE

BROKEN = HEALTHY.with_broken("cron-overload")
PO_COUNT = 12


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=16) as sim:
        sim.upload_fake_pos(PO_COUNT, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.cron.max_concurrent >= 2, "runs overlapped"
        twice = [key for key, runs in sim.stage_runs().items() if runs > 1]
        assert twice, "some workflows were processed twice"
        assert sim.job_counts()[FIRST_STAGE]["completed"] > PO_COUNT, "more ai-parsing jobs than workflows"

    with Simulation(other_scenario, release=HEALTHY, seed=16) as sim:
        sim.upload_fake_pos(PO_COUNT, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": PO_COUNT}
        assert sim.cron.max_concurrent == 1
        assert set(sim.stage_runs().values()) == {1}
        assert sim.job_counts()[FIRST_STAGE]["completed"] == PO_COUNT


def test_the_broken_unbatched_run_is_cut_off_at_300_virtual_seconds() -> None:
    """50 pending workflows at 8 virtual seconds each: the run enqueues those it reaches inside Vercel's limit."""
    clock = ManualClock()
    pending = [f"wf-{n:02d}" for n in range(50)]
    enqueued: list[str] = []

    def run(operation: object) -> object:  # the DB: the pending ids for the pickup query, nothing else matters here
        return pending if operation is cron_overload._pending_ids else None

    with pytest.raises(FunctionTimeout, match="Task timed out after 300 seconds"):
        cron_overload.tick_broken(run, lambda workflow_id, dedupe: enqueued.append(workflow_id), clock,
                                  RunLimit(clock, MAX_DURATION))
    reached = int(MAX_DURATION // cron_overload.PER_WORKFLOW_SECONDS) + 1  # checks at 0, 8, ..., 296 s
    assert enqueued == pending[:reached] and reached < len(pending)
