"""`verify` against the simulated app on real Redis and Postgres: deploy release, incident release, an empty stack."""

from __future__ import annotations

import pytest

from harness.isolation import ScenarioEnv
from simulator.queues.registry import QUEUE_NAMES
from simulator.release import DEPLOY, INCIDENT
from simulator.simulation import MERCHANT_TOKEN, Simulation
from tests.verify.helpers import run_verify, snapshot


def _done(sim: Simulation, count: int) -> bool:
    return sim.workflows().get("done", 0) == count


def test_deploy_release_all_criteria_hold(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=DEPLOY, seed=31, time_scale=120) as sim:
        sim.upload_fake_pos(2, lines=3)
        assert sim.run_until(lambda: _done(sim, 2), within_virtual_minutes=30), sim.workflows()
        run = run_verify(scenario, "--window", "2s", "--sample-every", "1s", "--since", "10m", "--json",
                         "--app-url", sim.review_api_url, "--token", MERCHANT_TOKEN)
    assert run.exit_code == 0, run.stdout + run.stderr
    assert set(run.verdicts().values()) == {"holds"}, run.verdicts()
    assert run.document["window"]["samples"] >= 2
    assert MERCHANT_TOKEN not in run.stdout + run.stderr


@pytest.mark.jobs_left("the incident release strands jobs mid-retry")
def test_incident_release_fails_naming_p2010_and_const_assignment(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=INCIDENT, seed=22, time_scale=300, search_quota_per_minute=1) as sim:
        sim.upload_fake_pos(6, lines=4)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=60), sim.workflows()
        run = run_verify(scenario, "--window", "0s", "--since", "10m", "--app-url", sim.review_api_url,
                         "--token", MERCHANT_TOKEN)
    before = snapshot(scenario)  # the app stopped: nothing but verify could change a key or a row now
    again = run_verify(scenario, "--window", "1s", "--sample-every", "1s", "--since", "10m", "--json")
    after = snapshot(scenario)
    assert run.exit_code == 1, run.stdout + run.stderr
    failing = [line for line in run.stdout.splitlines() if line.startswith("[fails]")]
    text = "\n".join(failing)
    assert 'No P2010 "relation does not exist" errors in logs' in text and 'relation "' in text, run.stdout
    assert 'No "Assignment to constant variable" errors' in text and "TypeError: Assignment to constant" in text
    assert "PO uploads complete successfully end-to-end" in text
    assert any("No 404 errors on image review API endpoints" in line for line in failing), run.stdout
    assert "[holds] No \"Engine is not yet connected\"" in run.stdout, run.stdout
    assert "verify: fails:" in run.stderr and "no-p2010" in run.stderr
    assert again.exit_code == 1 and again.verdicts()["no-const-assignment"] == "fails"
    assert before == after, "verify changed a key, a value or a row"


def test_empty_stack_is_inconclusive_and_names_what_is_missing(scenario: ScenarioEnv) -> None:
    run = run_verify(scenario, "--window", "0s", "--json")
    assert run.exit_code == 3, run.stdout + run.stderr
    verdicts = run.verdicts()
    assert "fails" not in verdicts.values() and verdicts["pool-under-25"] == "holds"
    evidence = {c["id"]: c["evidence"] for c in run.document["criteria"]}
    assert verdicts["no-p2010"] == "inconclusive" and "no job ran in the window" in evidence["no-p2010"]
    assert evidence["po-uploads-complete"].endswith("no PO was uploaded in the evaluated window; "
                                                    "no job was added to the stage queues in the window")
    assert "needs --app-url" in evidence["no-review-404"]


@pytest.mark.jobs_left("the queues are paused on purpose")
def test_on_fail_pause_leaves_the_queues_paused(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=INCIDENT, seed=23, time_scale=300, search_quota_per_minute=1) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=60), sim.workflows()
        run = run_verify(scenario, "--window", "60s", "--sample-every", "1s", "--on-fail", "pause", "--json",
                         platform=sim.tool_environment())
        paused = sim.paused_queues()
        crons_enabled = sim.crons_enabled
    assert run.exit_code == 1, run.stdout + run.stderr
    document = run.document
    assert document["window"]["stopped_early"] is True, "ended at the failure, not after the window"
    assert document["on_fail"]["exit_code"] == 0 and document["on_fail"]["command"].startswith("manage-queues pause")
    assert paused == list(QUEUE_NAMES), paused
    assert not crons_enabled, "the pause disabled the project's crons on Vercel"
