"""image-review-table-mismatch: raw SQL on legacy tables gets Postgres' own 42P01 as P2010 and leaves no session."""

from __future__ import annotations

import psycopg
import pytest

from harness.isolation import ScenarioEnv
from simulator.bugs.image_review_table_mismatch import (
    LEGACY_APPROVED_IMAGES_SQL,
    get_approved_images_for_item_broken,
    get_approved_images_for_item_fixed,
)
from simulator.db.client import PrismaClient
from simulator.db.errors import PrismaClientKnownRequestError
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from tests.bugs.conftest import scalar

BROKEN = HEALTHY.with_broken("image-review-table-mismatch")


def test_the_raw_sql_really_fails_in_postgres(scenario: ScenarioEnv) -> None:
    assert "image_review_options" in LEGACY_APPROVED_IMAGES_SQL and "image_review_items" in LEGACY_APPROVED_IMAGES_SQL
    with PrismaClient(scenario.database_url) as client, client.transaction() as session:
        assert get_approved_images_for_item_fixed(client, session, "no-such-product") == []
        with pytest.raises(PrismaClientKnownRequestError) as raised:
            get_approved_images_for_item_broken(client, session, "no-such-product")
    error = raised.value
    assert error.code == "P2010" and error.meta["code"] == "42P01"
    assert str(error) == ("\nInvalid `prisma.$queryRawUnsafe()` invocation:\n\n\n"
                          'Raw query failed. Code: `42P01`. Message: `relation "image_review_options" does not exist`')
    assert isinstance(error.__cause__.orig, psycopg.errors.UndefinedTable)  # type: ignore[union-attr]


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=12) as sim:
        uploads = sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"failed": 3}
        assert len(sim.logs.matching("relation-does-not-exist")) >= 3
        for upload in uploads:
            status, _ = sim.api_get(f"/api/image-review/sessions?workflowId={upload.workflow_id}")
            assert status == 404
    assert scalar(scenario.database_url, 'SELECT count(*) FROM "ImageReviewSession"') == 0

    with Simulation(other_scenario, release=HEALTHY, seed=12) as sim:
        uploads = sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": 3}
        assert sim.logs.matching("relation-does-not-exist") == []
        for upload in uploads:
            status, body = sim.api_get(f"/api/image-review/sessions?workflowId={upload.workflow_id}")
            assert status == 200 and len(body["products"]) == 3
