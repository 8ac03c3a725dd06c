"""The simulated app on real Bull 4: interop with plain Node Bull both ways, `manage-queues pause` stops its
workers, the ledger from the Bull host's journal, and a fast clock never turns a slow stage into a stalled one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv
from harness.ledger import take_ledger
from simulator.clock import ScaledClock
from simulator.node.runtime import ensure_bull, find_node
from simulator.queues.app_queues import AppQueues
from simulator.queues.bull_host import BullSettings
from simulator.queues.registry import QUEUE_NAMES
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from simulator.workflow import processors
from simulator.workflow.stages import QUEUE_OF, STAGE_ATTEMPTS, STAGES, job_id, job_options
from simulator.workflow.workers import job_spec
from tests.simulator.test_bull_host import Peer
from tests.waiting import wait_until

FIRST = STAGES[0]


@pytest.fixture
def peer(scenario: ScenarioEnv) -> Iterator[Peer]:
    runtime = find_node()
    owner = Peer(runtime, ensure_bull(runtime), scenario)
    yield owner
    owner.close()


def hold_cron(sim: Simulation) -> None:
    """The project's crons disabled on Vercel: the cron enqueues nothing, so only the test's jobs drive the workflow."""
    sim.hosting.vercel.set_crons_enabled(False)


def manage_queues(env: ScenarioEnv, sim: Simulation | None, *args: str) -> subprocess.CompletedProcess[str]:
    """The tool as an operator runs it against the simulated app: its Redis, and (while `sim` runs) its Vercel project
    (config, token)."""
    command = [sys.executable, "-m", "recovery_tools.manage_queues", *args, "--redis-url", env.redis_url,
               "--prefix", env.prefix]
    return subprocess.run(command, capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(sim.tool_environment() if sim else {}), "NO_COLOR": "1"})


def stage_rows(sim: Simulation, workflow_id: str) -> dict[str, int]:
    return {stage: count for (wid, stage), count in sim.stage_runs().items() if wid == workflow_id}


def test_a_node_bull_producers_stage_job_is_processed_by_the_simulated_app(scenario: ScenarioEnv,
                                                                           peer: Peer) -> None:
    with Simulation(scenario, release=HEALTHY, seed=21) as sim:
        hold_cron(sim)
        [upload] = sim.upload_fake_pos(1, lines=2)
        workflow = upload.workflow_id
        [node_job] = peer.add(QUEUE_OF[FIRST], {"name": FIRST, "data": {"workflowId": workflow},
                                                "opts": {"jobId": job_id(workflow, FIRST), "attempts": 2}})
        assert sim.run_until(sim.all_finished, within_virtual_minutes=60), sim.workflows()
        assert sim.workflows() == {"done": 1}
        assert sim.cron.runs == 0 or sim.job_counts()[QUEUE_OF[FIRST]]["completed"] == 1
    record = peer.job(QUEUE_OF[FIRST], node_job)
    # Bull's record of the Node producer's job: completed by the simulated app's Python stage body.
    assert record["state"] == "completed", record
    assert record["returnvalue"] == {"workflowId": workflow, "stage": FIRST, "pid": os.getpid()}
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert f"{QUEUE_OF[FIRST]}/{node_job}" in {f"{job.queue}/{job.job_id}" for job in ledger.where("completed")}
    assert ledger.lost == [] and len(ledger.where("completed")) == len(STAGES), ledger.summary()


def test_a_job_the_simulated_app_adds_is_processed_by_a_node_bull_worker(scenario: ScenarioEnv, peer: Peer) -> None:
    clock = ScaledClock(300.0)
    queue = QUEUE_OF[FIRST]
    _, lines = peer.worker(queue)
    with AppQueues(scenario.redis_url, scenario.prefix) as queues:
        # What the app's cron does for a pending workflow (Deployment._enqueue): the first stage, with its options.
        opts = job_options(clock, dedupe_id=job_id("wf-node", FIRST))
        added = queues.add(queue, job_spec(FIRST, {"workflowId": "wf-node"}, opts))
        assert added == job_id("wf-node", FIRST)
        wait_until(lambda: [e for e in lines if e["event"] == "completed"], "the Node Bull worker to complete it")
        assert queues.job_state(queue, added) == "completed"
        assert queues.add(queue, job_spec(FIRST, {"workflowId": "wf-node"}, opts)) == added  # Bull: a duplicate
        wait_until(lambda: take_ledger(scenario.redis_url, scenario.prefix).duplicate_adds, "the duplicate's journal")
    assert [(e["id"], e["name"], e["result"]) for e in lines if e["event"] == "completed"] == [
        (added, FIRST, {"by": "node", "data": {"workflowId": "wf-node"}})]
    client = redis.Redis.from_url(scenario.redis_url)
    try:  # the job as Bull 4 wrote it: Bull's options (the virtual backoff in real ms), Bull's job hash
        stored = json.loads(client.hget(f"{scenario.prefix}:{queue}:{added}", "opts") or b"{}")
    finally:
        client.close()
    assert stored["attempts"] == STAGE_ATTEMPTS and stored["backoff"] == opts["backoff"] and "timestamp" in stored
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert [job.label() for job in ledger.jobs] == [f"{queue}/{added} [{FIRST}] completed"]
    assert ledger.duplicate_adds == {f"{queue}/{added}": 1}


def test_manage_queues_pause_stops_the_simulated_apps_workers_and_resume_restarts_them(scenario: ScenarioEnv,
                                                                                        peer: Peer) -> None:
    with Simulation(scenario, release=HEALTHY, seed=22, time_scale=300.0) as sim:
        sim.go_live()
        paused = manage_queues(scenario, sim, "pause")
        assert paused.returncode == 0, paused.stdout + paused.stderr
        status = manage_queues(scenario, sim, "status", "--json", "--expect", "paused")
        assert status.returncode == 0, status.stdout + status.stderr
        report = json.loads(status.stdout)
        assert {queue["name"]: queue["library"] for queue in report["queues"]} == dict.fromkeys(QUEUE_NAMES, "bull")
        assert sim.paused_queues() == list(QUEUE_NAMES)
        [upload] = sim.upload_fake_pos(1, lines=1)
        workflow = upload.workflow_id
        [held] = peer.add(QUEUE_OF[FIRST], {"name": FIRST, "data": {"workflowId": workflow},
                                            "opts": {"jobId": job_id(workflow, FIRST)}})
        sim.run_for(10)  # ten virtual minutes (2 s of wall time): ample for a running worker to take the job
        assert sim.job_state(QUEUE_OF[FIRST], held) == "paused"
        assert stage_rows(sim, workflow) == {} and sim.workflows() == {"pending": 1}
        [(paused_at, _)] = sim.hosting.disabled_windows(until=sim.clock.now())  # the cron is held too:
        assert not sim.crons_enabled and [i for i in sim.cron_invocations() if i.at > paused_at] == []  # no call
        resumed = manage_queues(scenario, sim, "resume")
        assert resumed.returncode == 0, resumed.stdout + resumed.stderr
        assert sim.run_until(sim.all_finished, within_virtual_minutes=60), sim.workflows()
        assert sim.job_state(QUEUE_OF[FIRST], held) == "completed"
        assert stage_rows(sim, workflow) == dict.fromkeys(STAGES, 1)


def test_a_fast_clock_never_turns_a_slow_stage_into_a_stalled_twice_processed_job(
        scenario: ScenarioEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    """A body running 2.5 lock durations of wall time (hours of virtual time at this scale) runs once: Node renews
    Bull's lock, which is real milliseconds at any clock scale."""
    quick = BullSettings(lock_duration=1000, stalled_interval=300)  # short, so a lapse would show within the test
    slow_stage = STAGES[1]
    body = processors.BODIES[slow_stage]
    runs: list[float] = []

    def slow(attempt: processors.StageAttempt, data: dict[str, Any]) -> dict[str, Any] | None:
        runs.append(time.monotonic())
        time.sleep(2.5 * quick.lock_duration / 1000)  # the stage's own work, as a slow query would take it
        return body(attempt, data)

    monkeypatch.setitem(processors.BODIES, slow_stage, slow)
    with Simulation(scenario, release=HEALTHY, seed=23, time_scale=3600.0, bull_settings=quick) as sim:
        sim.upload_fake_pos(2, lines=1)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=24 * 60), sim.workflows()
        assert sim.workflows() == {"done": 2}
        assert len(runs) == 2
        assert set(sim.stage_runs().values()) == {1}
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert ledger.stalls == {} and ledger.duplicates == 0 and ledger.lost == [], ledger.summary()
    assert len(ledger.where("completed")) == 2 * len(STAGES), ledger.summary()


def test_the_journal_is_written_where_the_tools_do_not_look(scenario: ScenarioEnv) -> None:
    """The ledger's journal key is no queue key: manage-queues still tells the app's queues apart as Bull's."""
    with Simulation(scenario, release=HEALTHY, seed=24, time_scale=300.0) as sim:
        sim.upload_fake_pos(1, lines=1)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=60), sim.workflows()
    listed = manage_queues(scenario, None, "list", "--json")
    assert listed.returncode == 0, listed.stderr
    found = json.loads(listed.stdout)
    libraries = {queue["name"]: queue["library"] for queue in found["queues"]}
    assert {libraries[name] for name in QUEUE_NAMES} == {"bull"}, libraries
    assert not [name for name in libraries if name.endswith("journal")], libraries
