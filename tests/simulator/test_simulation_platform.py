"""The simulated app on the fake Vercel: the cron called over HTTP on the release's schedule while enabled, a deploy
as a deployment through its states with build events, a failed build, and the Instant Rollback's cron definitions."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from harness.isolation import ScenarioEnv
from simulator.platform.vercel_api import APP_CRON_PATH
from simulator.release import DEPLOY, HEALTHY
from simulator.simulation import Simulation


def schedules(sim: Simulation) -> list[str]:
    return [definition.schedule for definition in sim.hosting.vercel.cron_definitions]


def states(sim: Simulation, deployment_id: str) -> list[str]:
    deployment = sim.hosting.vercel.deployment(deployment_id)
    assert deployment is not None
    return [e["info"]["readyState"] for e in deployment.events if e["type"] == "deployment-state"]


def test_vercel_calls_the_cron_path_every_minute_of_its_schedule_while_enabled(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=DEPLOY, time_scale=600.0) as sim:  # cron-overload broken: every minute
        assert schedules(sim) == ["* * * * *"]
        sim.run_for(5)
        calls = sim.cron_invocations()
        assert len(calls) >= 5 and {call.path for call in calls} == {APP_CRON_PATH}
        assert {call.status for call in calls if call.status is not None} == {200}
        assert sim.cron.runs >= 5  # each call ran the live deployment's handler
        sim.hosting.vercel.set_crons_enabled(False)
        before = len(sim.cron_invocations())
        sim.run_for(4)
        assert len(sim.cron_invocations()) == before, "a call while the crons were disabled"


def test_the_cron_path_refuses_a_call_without_the_cron_secret(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=HEALTHY) as sim:
        url = sim.hosting.endpoint.base_url + APP_CRON_PATH
        for headers in ({}, {"Authorization": "Bearer not-the-secret"}):
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)
            assert refused.value.code == 401
        assert sim.cron.runs == 0 and sim.hosting.endpoint.rejected == 2


def test_a_deploy_is_a_deployment_going_ready_and_instant_rollback_brings_its_crons_back(
        scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=HEALTHY, time_scale=600.0) as sim:
        first = sim.deployment_id
        assert schedules(sim) == ["*/3 * * * *"]
        deployment_id = sim.deploy(DEPLOY)
        assert sim.release is DEPLOY and sim.deployment_id == deployment_id != first
        assert states(sim, deployment_id) == ["QUEUED", "BUILDING", "INITIALIZING", "READY"]
        deployment = sim.hosting.vercel.deployment(deployment_id)
        assert deployment is not None
        texts = [e["text"] for e in deployment.events if e["type"] == "stdout"]
        assert any(t.startswith("Build Completed") for t in texts) and any("Prisma Client" in t for t in texts)
        assert sim.hosting.vercel.production_deployment_id == deployment_id
        assert schedules(sim) == ["* * * * *"], "the new deployment's vercel.json crons"
        assert sim.rollback() is HEALTHY
        assert sim.hosting.vercel.production_deployment_id == first and sim.deployment_id == first
        assert schedules(sim) == ["*/3 * * * *"], "the Instant Rollback brings the previous crons back"


def test_a_failed_build_ends_in_error_and_the_live_release_stays(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=HEALTHY, time_scale=600.0) as sim:
        first = sim.deployment_id
        failed = sim.deploy(DEPLOY, fail_build=True)
        assert states(sim, failed) == ["QUEUED", "BUILDING", "ERROR"]
        assert sim.release is HEALTHY and sim.deployment_id == first
        assert sim.hosting.vercel.production_deployment_id == first
        assert any(e.message.startswith("Build failed") for e in sim.logs.events())
