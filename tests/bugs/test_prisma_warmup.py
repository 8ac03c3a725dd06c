"""prisma-warmup: a cold engine answers "Engine is not yet connected." until prisma_operation() connects it."""

from __future__ import annotations

from harness.isolation import ScenarioEnv
from simulator.release import HEALTHY
from simulator.simulation import Simulation

BROKEN = HEALTHY.with_broken("prisma-warmup")


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=13) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        cold = sim.logs.matching("engine-not-connected")
        assert cold, "the cold instance's first queries fail"
        assert all(event.fields.get("attempt") == 1 for event in cold if "stage" in event.fields)
        # Retries after the engine came up succeed: the outage was the failed first attempts.
        assert sim.workflows() == {"done": 3}

    with Simulation(other_scenario, release=HEALTHY, seed=13) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": 3}
        assert sim.logs.matching("engine-not-connected") == []
