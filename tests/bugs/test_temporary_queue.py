"""temporary-queue: the background job names a queue missing from the shared config; addJob puts it on a temporary
Bull queue on a default Redis, where no worker listens, and the workflow's refinement never runs."""

from __future__ import annotations

import psycopg
import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.bugs.temporary_queue import (
    BACKGROUND_QUEUE,
    REFINEMENT_QUEUE,
    UnregisteredQueue,
    default_redis_url,
    producer_queue_fixed,
    stranded_jobs,
    temporary_queue_message,
)
from simulator.observe.logs import LogSink
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from simulator.workflow.stages import COMPLETES_WORKFLOW, DONE

BROKEN = HEALTHY.with_broken("temporary-queue")


def test_fixed_producer_refuses_names_outside_the_shared_config(scenario: ScenarioEnv) -> None:
    logs = LogSink(scenario.redis_url, scenario.prefix, None, "test")  # type: ignore[arg-type]
    with pytest.raises(UnregisteredQueue, match="not in the shared config"):
        producer_queue_fixed(BACKGROUND_QUEUE, logs)
    assert producer_queue_fixed(REFINEMENT_QUEUE, logs) == REFINEMENT_QUEUE


def test_the_default_redis_is_another_database_of_the_server() -> None:
    assert default_redis_url("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/1"
    assert default_redis_url("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/1"
    assert default_redis_url("redis://:secret@cache:6380/15?socket_timeout=5") == (
        "redis://:secret@cache:6380/0?socket_timeout=5")
    assert default_redis_url("unix:///run/valkey.sock?db=2") == "unix:///run/valkey.sock?db=3"


def workflow_stages(scenario: ScenarioEnv) -> dict[str, int]:
    """How many workflows stand at each stage ("WorkflowExecution"."currentStage")."""
    with psycopg.connect(scenario.database_url) as conn:
        rows = conn.execute('SELECT "currentStage", count(*) FROM "WorkflowExecution" GROUP BY 1').fetchall()
    return {str(stage): int(count) for stage, count in rows}


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=17) as sim:
        sim.upload_fake_pos(3, lines=2)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        warnings = [event.message for event in sim.logs.matching("temporary-queue")]
        assert warnings == [temporary_queue_message(BACKGROUND_QUEUE, "undefined")] * 3
        assert warnings[0] == ("Queue background-image-processing not found (jobType: undefined), "
                               "creating temporary queue")
        # The jobs left the app's Redis: three wait on the default Redis, none reached a worker.
        assert stranded_jobs(scenario.redis_url, scenario.prefix) == 3
        counts = sim.job_counts(BACKGROUND_QUEUE)
        assert counts[BACKGROUND_QUEUE]["waiting"] == 0, "nothing of the temporary queue on the app's Redis"
        assert counts[REFINEMENT_QUEUE]["completed"] == 0
        assert workflow_stages(scenario) == {COMPLETES_WORKFLOW: 3}, "the workflows stall before their refinement"

    # Removed with the scenario, as every key of it (the other database too).
    client = redis.Redis.from_url(default_redis_url(scenario.redis_url))
    try:
        assert client.exists(f"{scenario.prefix}:{BACKGROUND_QUEUE}:wait") == 1, "kept until the scenario ends"
    finally:
        client.close()

    with Simulation(other_scenario, release=HEALTHY, seed=17) as sim:
        sim.upload_fake_pos(3, lines=2)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.logs.matching("temporary-queue") == []
        assert sim.job_counts()[REFINEMENT_QUEUE]["completed"] == 3
        assert stranded_jobs(other_scenario.redis_url, other_scenario.prefix) == 0
        assert sim.check_queues() == []
        assert workflow_stages(other_scenario) == {DONE: 3}
