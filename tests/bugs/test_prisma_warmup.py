"""prisma-warmup: warmups that `$disconnect()` a shared client race other invocations' queries ("Engine is not yet
connected."); prisma_operation() never disconnects, so the fixed release shows none."""

from __future__ import annotations

from harness.isolation import ScenarioEnv
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from simulator.workflow.stages import STAGE_ATTEMPTS

BROKEN = HEALTHY.with_broken("prisma-warmup")


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=13) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        raced = sim.logs.matching("engine-not-connected")
        assert raced, "a query of one invocation meets another invocation's `$disconnect()`"
        failed = [event for event in raced if "stage" in event.fields]
        # As Node logs it: the Prisma error class, the model call it interrupted, the engine's text and backtrace.
        assert all("PrismaClientUnknownRequestError: \nInvalid `prisma." in event.message for event in failed)
        assert all("Engine is not yet connected.\nBacktrace:" in event.message for event in failed)
        # The race lasts only while the instance warms: retries after it succeed, no job runs out of attempts.
        assert all(event.fields["attempt"] < STAGE_ATTEMPTS for event in failed)
        assert sim.workflows() == {"done": 3}

    with Simulation(other_scenario, release=HEALTHY, seed=13) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": 3}
        assert sim.logs.matching("engine-not-connected") == []
