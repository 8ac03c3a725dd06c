"""const-reassignment: the broken processImageAttachment queries twice and throws V8's TypeError."""

from __future__ import annotations

import pytest

from harness.isolation import ScenarioEnv
from simulator.bugs.const_reassignment import (
    ConstScope,
    process_image_attachment_broken,
    process_image_attachment_fixed,
)
from simulator.db.client import PrismaClient
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from tests.bugs.conftest import scalar

BROKEN = HEALTHY.with_broken("const-reassignment")


def test_const_scope_rebinding_raises_like_v8() -> None:
    scope = ConstScope()
    scope.const("productDrafts", [1])
    scope.let("draftsToProcess", [1])
    scope.assign("draftsToProcess", [2])
    with pytest.raises(TypeError) as raised:
        scope.assign("productDrafts", [2])
    assert f"{type(raised.value).__name__}: {raised.value}" == "TypeError: Assignment to constant variable."


def test_broken_queries_the_drafts_twice(scenario: ScenarioEnv) -> None:
    with PrismaClient(scenario.database_url) as client:
        with client.transaction() as session:
            before = client.query_count
            process_image_attachment_fixed(session, "wf-none", {})
            fixed_queries = client.query_count - before
        with client.transaction() as session:
            before = client.query_count
            process_image_attachment_broken(session, "wf-none", {})
            broken_queries = client.query_count - before
    assert (fixed_queries, broken_queries) == (1, 2)


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=11) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"failed": 3}
        assert len(sim.logs.matching("const-assignment")) >= 3
        assert sim.job_counts()["image-attachment"]["failed"] == 3
    assert scalar(scenario.database_url, 'SELECT count(*) FROM "ProductImage"') == 0

    with Simulation(other_scenario, release=HEALTHY, seed=11) as sim:
        sim.upload_fake_pos(3, lines=3)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": 3}
        assert sim.logs.matching("const-assignment") == []
    assert scalar(other_scenario.database_url, 'SELECT count(*) FROM "ProductImage"') == 9 * 3
