"""Steps for the checklist's remaining issues: connection pool, Google API 429, cron overload."""

from __future__ import annotations

import psycopg
from pytest_bdd import parsers, then

from recovery_tools.criteria.facts import POOL_LIMIT
from simulator.clock import CRON_TICK
from simulator.simulation import Simulation

DRAFTS_WITHOUT_IMAGES = (
    'SELECT count(*) FROM "ProductDraft" d WHERE NOT EXISTS '
    '(SELECT 1 FROM "ProductImage" i WHERE i."productDraftId" = d.id)'
)


def _some_or_no(kind: str, count: int) -> bool:
    return count > 0 if kind == "some" else count == 0


@then(parsers.re(r"Postgres connections peak (?P<relation>at or above|under) 25"))
def connections_peak(sim: Simulation, relation: str) -> None:
    sim.metrics.sample(sim.clock.now())
    peak = sim.metrics.peak("pg_connections")
    holds = peak >= POOL_LIMIT if relation == "at or above" else 0 < peak < POOL_LIMIT
    assert holds, f"peak app connections in pg_stat_activity: {peak:.0f}, expected {relation} {POOL_LIMIT}"


@then(parsers.re(r"the image search answered (?P<kind>some|no) requests with 429"))
def search_rejections(sim: Simulation, kind: str) -> None:
    rejected = sim.search_rejections
    assert _some_or_no(kind, rejected), f"the image search rejected {rejected} requests with 429"


@then(parsers.re(r"(?P<kind>some|no) product drafts are left without images"))
def drafts_without_images(sim: Simulation, kind: str) -> None:
    with psycopg.connect(sim.env.database_url) as conn:
        row = conn.execute(DRAFTS_WITHOUT_IMAGES).fetchone()
    count = int(row[0]) if row else 0
    assert _some_or_no(kind, count), f"{count} product drafts have no image"


@then(parsers.re(r"cron runs (?P<kind>overlapped|never overlapped)"))
def cron_overlap(sim: Simulation, kind: str) -> None:
    sim.clock.check(CRON_TICK)  # ticks fired late bunch together: the overlap would be the machine's, not the cron's
    overlap = sim.cron.max_concurrent
    assert (overlap >= 2) if kind == "overlapped" else (overlap == 1), f"at most {overlap} cron runs at once"


@then(parsers.re(r"(?P<kind>some|no) workflow stages were processed twice"))
def stages_twice(sim: Simulation, kind: str) -> None:
    twice = [key for key, runs in sim.stage_runs().items() if runs > 1]
    assert _some_or_no(kind, len(twice)), f"{len(twice)} stages ran more than once: {twice[:3]}"
