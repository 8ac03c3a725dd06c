"""Success criteria: judged on hand-made observations, then evaluated over real Simulation runs."""

from __future__ import annotations

from dataclasses import replace

import pytest

from harness.checklist import SUCCESS_CRITERIA
from harness.criteria import Observation, SessionProbe, evaluate, failed, judge
from harness.isolation import ScenarioEnv
from simulator.observe.logs import LogEvent
from simulator.release import HEALTHY, INCIDENT
from simulator.simulation import Simulation


def _event(t: float, message: str) -> LogEvent:
    return LogEvent(t=t, wall=0.0, level="error", message=message, source="app:test")


def _healthy() -> Observation:
    return Observation(
        since=100.0,
        until=900.0,
        events=[_event(120.0, "stage parse done")],
        workflows={"wf-1": "done", "wf-2": "done"},
        probes=[SessionProbe("wf-1", "s-1", 200, 200), SessionProbe("wf-2", "s-2", 200, 200)],
        connection_samples=[(110.0, 4), (500.0, 24), (800.0, 9)],
    )


def _verdicts(observation: Observation) -> dict[str, bool]:
    return {result.id: result.holds for result in judge(observation)}


def test_every_criterion_of_the_checklist_is_judged_in_order() -> None:
    results = judge(_healthy())
    assert [r.id for r in results] == [c.id for c in SUCCESS_CRITERIA]
    assert [r.text for r in results] == [c.text for c in SUCCESS_CRITERIA]
    assert failed(results) == []
    pool = next(r for r in results if r.id == "pool-under-25")
    assert pool.evidence == "peak 24 app connections at t=500s over 3 samples (< 25)"


@pytest.mark.parametrize(("message", "criterion"), [
    ('Raw query failed. Code: `42P01`. Message: `relation "image_review_options" does not exist`', "no-p2010"),
    ("Engine is not yet connected.", "no-engine-not-connected"),
    ("workflow stage image-attachment failed: TypeError: Assignment to constant variable.", "no-const-assignment"),
])
def test_a_signature_in_the_window_fails_its_criterion_only(message: str, criterion: str) -> None:
    observation = replace(_healthy(), events=[_event(300.0, message)])
    results = judge(observation)
    assert failed(results) == [criterion]
    evidence = next(r.evidence for r in results if r.id == criterion)
    assert evidence.startswith("1 log events show") and "t=300s" in evidence and message in evidence


def test_pool_at_25_fails_and_no_sample_fails() -> None:
    assert _verdicts(replace(_healthy(), connection_samples=[(200.0, 25)]))["pool-under-25"] is False
    assert _verdicts(replace(_healthy(), connection_samples=[]))["pool-under-25"] is False


def test_unfinished_workflow_fails_uploads_and_its_404_fails_the_api_criterion() -> None:
    observation = replace(
        _healthy(),
        workflows={"wf-1": "done", "wf-2": "failed"},
        probes=[SessionProbe("wf-1", "s-1", 200, 200), SessionProbe("wf-2", None, 404, None)],
    )
    results = {r.id: r for r in judge(observation)}
    assert not results["po-uploads-complete"].holds
    assert results["po-uploads-complete"].evidence == "1 of 2 workflows done (1 done, 1 failed)"
    assert results["review-sessions"].holds  # the one done workflow has its session
    assert not results["no-review-404"].holds
    assert "wf-2" in results["no-review-404"].evidence


def test_a_done_workflow_without_a_served_session_fails() -> None:
    observation = replace(_healthy(), probes=[SessionProbe("wf-1", "s-1", 200, 500), SessionProbe("wf-2", None, 404,
                                                                                                   None)])
    results = {r.id: r for r in judge(observation)}
    assert not results["review-sessions"].holds
    assert "1 done workflows have no session" in results["review-sessions"].evidence
    assert "1 sessions not served with 200" in results["review-sessions"].evidence


def test_nothing_uploaded_proves_nothing() -> None:
    verdicts = _verdicts(replace(_healthy(), workflows={}, probes=[]))
    assert not verdicts["po-uploads-complete"]
    assert not verdicts["review-sessions"]
    assert not verdicts["no-review-404"]


def test_all_criteria_hold_on_the_healthy_release(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=HEALTHY, seed=21, time_scale=120) as sim:
        ids = [u.workflow_id for u in sim.upload_fake_pos(2, lines=3)]
        assert sim.run_until(sim.all_finished, within_virtual_minutes=30), sim.workflows()
        results = evaluate(sim, workflow_ids=ids)
    assert failed(results) == [], [(r.id, r.evidence) for r in results]


def test_incident_release_fails_the_criteria_the_outage_broke(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=INCIDENT, seed=22, time_scale=120) as sim:
        sim.upload_fake_pos(2, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=60), sim.workflows()
        results = {r.id: r for r in evaluate(sim)}
    assert not results["no-const-assignment"].holds
    assert "TypeError: Assignment to constant variable." in results["no-const-assignment"].evidence
    assert not results["po-uploads-complete"].holds
    assert not results["no-review-404"].holds  # the frontend asks for sessions that were never created
    assert results["no-engine-not-connected"].holds  # the warmup fix was already deployed
