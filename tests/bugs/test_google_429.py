"""google-429: without backoff the quota answers 429 and images go missing; with it every draft gets images."""

from __future__ import annotations

import random

import fakeredis

from harness.isolation import ScenarioEnv
from simulator.bugs.google_429 import MinuteBudget, backoff_seconds
from simulator.clock import ManualClock
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from tests.bugs.conftest import scalar

BROKEN = HEALTHY.with_broken("google-429")
QUOTA = 8
DRAFTS_WITHOUT_IMAGES = (
    'SELECT count(*) FROM "ProductDraft" d WHERE NOT EXISTS '
    '(SELECT 1 FROM "ProductImage" i WHERE i."productDraftId" = d.id)'
)


def test_backoff_grows_with_jitter_and_a_cap() -> None:
    rng = random.Random(1)
    ceilings = [min(60.0, 2.0 * 2**attempt) for attempt in range(8)]
    waits = [backoff_seconds(attempt, rng) for attempt in range(8)]
    assert all(1.0 <= wait <= ceiling for wait, ceiling in zip(waits, ceilings, strict=True))
    assert len(set(waits)) == len(waits)


def test_minute_budget_spaces_requests_evenly() -> None:
    clock = ManualClock(start=59.0)
    budget = MinuteBudget(fakeredis.FakeRedis(), "t", clock, per_minute=2)
    assert budget.try_take() == 0.0
    assert budget.try_take() == 30.0  # the next turn is half a minute later, even across the minute's end
    clock.advance(10.0)
    assert budget.try_take() == 20.0
    budget.wait_turn()  # sleeps until its turn on the manual clock
    assert clock.now() == 89.0
    assert budget.try_take() == 30.0  # wait_turn booked that turn


def test_same_workload_broken_and_fixed(scenario: ScenarioEnv, other_scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=BROKEN, seed=15, search_quota_per_minute=QUOTA) as sim:
        sim.upload_fake_pos(4, lines=5)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.logs.matching("google-429")
        assert sim.search_rejections > 0
    assert scalar(scenario.database_url, DRAFTS_WITHOUT_IMAGES) > 0

    with Simulation(other_scenario, release=HEALTHY, seed=15, search_quota_per_minute=QUOTA) as sim:
        sim.upload_fake_pos(4, lines=5)
        assert sim.run_until(sim.all_finished, within_virtual_minutes=20), sim.workflows()
        assert sim.workflows() == {"done": 4}
        assert sim.logs.matching("google-429") == []
        assert sim.search_rejections == 0
        assert sim.search_requests == 20
    assert scalar(other_scenario.database_url, DRAFTS_WITHOUT_IMAGES) == 0
