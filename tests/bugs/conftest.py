"""Fixtures of the bug tests: a second scenario, so that broken and fixed run side by side on clean data."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from harness.isolation import Isolation, ScenarioEnv


@pytest.fixture
def other_scenario(isolation: Isolation, request: pytest.FixtureRequest) -> Iterator[ScenarioEnv]:
    """A second database and prefix for the same test (the fixed run, when `scenario` holds the broken one)."""
    env = isolation.create(request.node.name + "-fixed")
    yield env
    isolation.destroy(env)


def scalar(database_url: str, sql: str) -> int:
    """One number from the scenario's database."""
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql).fetchone()
    assert row is not None
    return int(row[0])
