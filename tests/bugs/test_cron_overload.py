"""cron-overload: an unbatched 1-minute cron without a lock overlaps and processes workflows twice."""

from __future__ import annotations

from harness.isolation import ScenarioEnv
from simulator.release import HEALTHY
from simulator.simulation import Simulation

BROKEN = HEALTHY.with_broken("cron-overload")
PO_COUNT = 12


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=16) as sim:
        sim.upload_fake_pos(PO_COUNT, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.cron.max_concurrent >= 2, "runs overlapped"
        twice = [key for key, runs in sim.stage_runs().items() if runs > 1]
        assert twice, "some workflows were processed twice"
        assert sim.job_counts()["po-parse"]["completed"] > PO_COUNT, "more parse jobs than workflows"

    with Simulation(other_scenario, release=HEALTHY, seed=16) as sim:
        sim.upload_fake_pos(PO_COUNT, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": PO_COUNT}
        assert sim.cron.max_concurrent == 1
        assert set(sim.stage_runs().values()) == {1}
        assert sim.job_counts()["po-parse"]["completed"] == PO_COUNT
