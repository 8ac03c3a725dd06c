"""temporary-queue: a producer using an unregistered name strands its jobs on a queue no worker consumes."""

from __future__ import annotations

import pytest

from harness.isolation import ScenarioEnv
from simulator.bugs.temporary_queue import LEGACY_REFINEMENT_QUEUE, UnregisteredQueue, producer_queue_fixed
from simulator.release import HEALTHY
from simulator.simulation import Simulation

BROKEN = HEALTHY.with_broken("temporary-queue")


def test_fixed_producer_refuses_unregistered_names(scenario: ScenarioEnv) -> None:
    with Simulation(scenario) as sim, pytest.raises(UnregisteredQueue, match="not in the registry"):
        producer_queue_fixed(LEGACY_REFINEMENT_QUEUE, sim.logs)


@pytest.mark.jobs_left("the broken producer strands refinement jobs on a queue no worker serves")
def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=17) as sim:
        sim.upload_fake_pos(3, lines=2)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert len(sim.logs.matching("temporary-queue")) == 3
        stranded = sim.job_counts(LEGACY_REFINEMENT_QUEUE)[LEGACY_REFINEMENT_QUEUE]
        assert stranded["waiting"] == 3, "refinement jobs wait where no worker listens"
        assert sim.job_counts()["refinement"]["completed"] == 0

    with Simulation(other_scenario, release=HEALTHY, seed=17) as sim:
        sim.upload_fake_pos(3, lines=2)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.logs.matching("temporary-queue") == []
        assert sim.job_counts()["refinement"]["completed"] == 3
        assert sim.check_queues() == []
