"""End to end on real Redis and Postgres: 20 Faker POs through every stage on the healthy release."""

from __future__ import annotations

import time

import psycopg
import pytest

from harness.isolation import ScenarioEnv
from simulator.release import HEALTHY
from simulator.simulation import Simulation

PO_COUNT = 20
IMAGES_PER_WORKFLOW = (
    'SELECT d."workflowId", count(DISTINCT d.id) FROM "ProductDraft" d '
    'JOIN "ProductImage" i ON i."productDraftId" = d.id GROUP BY 1'
)


def _per_workflow(database_url: str, sql: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {row[0]: int(row[1]) for row in conn.execute(sql).fetchall()}


@pytest.mark.parametrize("worker_mode", ["inprocess", "process"])
def test_twenty_pos_complete_on_the_healthy_release(scenario: ScenarioEnv, worker_mode: str) -> None:
    started = time.perf_counter()
    with Simulation(scenario, release=HEALTHY, seed=7, worker_mode=worker_mode) as sim:  # type: ignore[arg-type]
        uploads = sim.upload_fake_pos(PO_COUNT)
        finished = sim.run_until(sim.all_finished, within_virtual_minutes=30)
        virtual_minutes = sim.clock.now() / 60
        assert finished, f"not finished after 30 virtual minutes: {sim.workflows()}"
        assert sim.workflows() == {"done": PO_COUNT}

        lines = _per_workflow(scenario.database_url, 'SELECT w.id, count(l.id) FROM "WorkflowExecution" w '
                              'JOIN "POLineItem" l ON l."purchaseOrderId" = w."purchaseOrderId" GROUP BY w.id')
        drafts = _per_workflow(scenario.database_url, 'SELECT "workflowId", count(*) FROM "ProductDraft" GROUP BY 1')
        images = _per_workflow(scenario.database_url, IMAGES_PER_WORKFLOW)
        for upload in uploads:
            wid = upload.workflow_id
            assert drafts[wid] == lines[wid] == upload.line_count, f"drafts of {wid}"
            assert images[wid] == lines[wid], f"every draft of {wid} has images"
            session_id = sim.review_session_id(wid)
            assert session_id is not None
            status, body = sim.api_get(f"/api/image-review/sessions/{session_id}")
            assert status == 200, body
            assert len(body["products"]) == upload.line_count

        with psycopg.connect(scenario.database_url) as conn:
            stages = conn.execute('SELECT DISTINCT "currentStage" FROM "WorkflowExecution"').fetchall()
            draft_states = conn.execute('SELECT DISTINCT status FROM "ProductDraft"').fetchall()
        assert stages == [("done",)] and draft_states == [("refined",)], "refinement ran for every workflow"
        counts = sim.logs.counts_by_signature()
        assert sum(counts.values()) == 0, counts
        sim.metrics.sample(sim.clock.now())
        peak = sim.metrics.peak("pg_connections")
        assert 0 < peak < 25
        failed = {queue: c.get("failed", 0) for queue, c in sim.job_counts().items()}
        assert set(failed.values()) == {0}, failed
    wall = time.perf_counter() - started
    print(f"\ne2e[{worker_mode}]: {PO_COUNT} POs done in {wall:.1f}s wall, {virtual_minutes:.1f} virtual minutes, "
          f"peak app connections {peak:.0f}")
