"""A deploy and a rollback in the middle of processing lose no job and no workflow (real Redis and Postgres)."""

from __future__ import annotations

import pytest

from harness.isolation import ScenarioEnv
from simulator.release import HEALTHY, Release
from simulator.simulation import Simulation
from simulator.workflow.stages import QUEUE_OF, STAGES

PO_COUNT = 12


@pytest.mark.parametrize("worker_mode", ["inprocess", "process"])
def test_deploy_and_rollback_mid_processing_lose_nothing(scenario: ScenarioEnv, worker_mode: str) -> None:
    next_build = Release("healthy-next", HEALTHY.fixes)
    with Simulation(scenario, release=HEALTHY, seed=3, worker_mode=worker_mode) as sim:  # type: ignore[arg-type]
        sim.upload_fake_pos(PO_COUNT)
        assert sim.run_until(lambda: sim.workflows().get("done", 0) >= 2, within_virtual_minutes=10)
        assert sim.workflows().get("done", 0) < PO_COUNT, "the deploy must land mid-processing"

        sim.deploy(next_build)
        assert sim.release is next_build
        mid = sim.workflows()
        assert sim.rollback() is HEALTHY
        assert sim.release is HEALTHY

        assert sim.run_until(sim.all_finished, within_virtual_minutes=30), sim.workflows()
        assert sim.workflows() == {"done": PO_COUNT}, f"after deploy ({mid}) and rollback"
        counts = sim.job_counts()
        for queue, count in counts.items():
            expected = PO_COUNT if queue in QUEUE_OF.values() else 0  # the other queues of the config: no job
            assert count["completed"] == expected, (queue, count)
            assert count["failed"] == count["active"] == count["waiting"] == count["delayed"] == 0, (queue, count)
        runs = sim.stage_runs()
        assert len(runs) == PO_COUNT * len(STAGES)
        assert set(runs.values()) == {1}, "no stage ran twice"
        messages = [event.message for event in sim.logs.events()]
        assert messages.count("Deployment live") == 2
        assert sum(sim.logs.counts_by_signature().values()) == 0


def test_rollback_without_a_deploy_is_refused(scenario: ScenarioEnv) -> None:
    with Simulation(scenario) as sim, pytest.raises(RuntimeError, match="nothing to roll back"):
        sim.rollback()
