"""google-429: without backoff the quota answers 429 and images go missing; with it every draft gets images."""

from __future__ import annotations

import random

import fakeredis

from harness.isolation import ScenarioEnv
from simulator.bugs.google_429 import MinuteBudget, SearchRetriesExhausted, backoff_seconds, search_broken, search_fixed
from simulator.clock import ManualClock
from simulator.observe.logs import LogSink
from simulator.release import HEALTHY
from simulator.services.image_search import FakeImageSearch, ImageSearchClient
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


def test_broken_form_logs_three_429s_100_ms_times_attempt_apart() -> None:
    clock = ManualClock(start=5.0)
    with FakeImageSearch(clock, quota_per_minute=0) as service, \
            LogSink("", "t", clock, client=fakeredis.FakeRedis()) as logs:
        assert search_broken(ImageSearchClient(service.base_url), "blue mug", logs, clock) == []
        errors = [event for event in logs.events() if event.level == "error"]
    assert [event.message for event in errors] == ["Google Search API error: 429 Too Many Requests"] * 3
    assert [event.fields["attempt"] for event in errors] == [1, 2, 3]
    assert {event.fields["status"] for event in errors} == {"RESOURCE_EXHAUSTED"}
    gaps = [round(later.t - earlier.t, 6) for earlier, later in zip(errors, errors[1:], strict=False)]
    assert gaps == [0.1, 0.2]  # virtual seconds: 100 ms × attempt
    assert service.rejected_count == 3


def test_fixed_backoff_needs_no_retry_after() -> None:
    clock = ManualClock()
    with FakeImageSearch(clock, quota_per_minute=0) as service, \
            LogSink("", "t", clock, client=fakeredis.FakeRedis()) as logs:
        budget = MinuteBudget(fakeredis.FakeRedis(), "t", clock, per_minute=1000)
        try:
            search_fixed(ImageSearchClient(service.base_url), "lamp", logs, budget, clock, random.Random(3))
        except SearchRetriesExhausted:
            pass
        else:
            raise AssertionError("a quota of 0 cannot be searched")
        warnings = [event for event in logs.events() if event.level == "warning"]
    # Google sent no Retry-After: every wait is the jittered exponential backoff alone.
    expected = [backoff_seconds(attempt, random.Random(3)) for attempt in range(1)]
    assert warnings[0].fields["wait"] == expected[0]
    assert all(event.message.startswith("Google Search API error: 429 Too Many Requests") for event in warnings)
    assert all(1.0 <= event.fields["wait"] <= 60.0 for event in warnings)


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
