"""The incident release reproduces the outage's log picture; deploying the fixes of this deploy clears it."""

from __future__ import annotations

import pytest

from harness.isolation import ScenarioEnv
from simulator.release import DEPLOY, INCIDENT
from simulator.simulation import Simulation

# A tight search quota, as in production: some POs get no images at all, the others hit the const bug.
QUOTA = 4
OUTAGE = ("const-assignment", "relation-does-not-exist")
CLEARED_BY_DEPLOY = ("const-assignment", "relation-does-not-exist", "engine-not-connected")


@pytest.mark.jobs_left("the incident and deploy releases stop mid-retry")
def test_incident_then_deploy(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=INCIDENT, seed=21, search_quota_per_minute=QUOTA) as sim:
        incident_uploads = sim.upload_fake_pos(6, lines=4)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=30), sim.workflows()
        counts = sim.logs.counts_by_signature()
        for signature in OUTAGE:
            assert counts[signature] > 0, counts
        assert counts["google-429"] > 0 and counts["engine-not-connected"] == 0, counts
        assert all(sim.review_session_id(upload.workflow_id) is None for upload in incident_uploads)

        sim.pause()
        sim.deploy(DEPLOY)
        live_at = sim.clock.now()
        sim.resume()
        uploads = sim.upload_fake_pos(6, lines=4)
        assert sim.run_until(lambda: all(sim.review_session_id(u.workflow_id) for u in uploads), 30)
        after = [event for event in sim.logs.events() if event.t >= live_at]
        for signature in CLEARED_BY_DEPLOY:
            assert not [event for event in after if event.matches(signature)], signature
        for upload in uploads:
            session_id = sim.review_session_id(upload.workflow_id)
            status, _ = sim.api_get(f"/api/image-review/sessions/{session_id}")
            assert status == 200
