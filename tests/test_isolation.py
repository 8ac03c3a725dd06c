"""Isolation: parallel scenarios do not interfere and nothing remains after a session."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
import redis

from harness.backends import Backend
from harness.isolation import NAME_STEM, Isolation, ScenarioEnv, leftovers
from recovery_tools.urls import database_name

CASES = Path(__file__).parent / "isolation" / "isolation_cases.py"


def test_scenario_gets_its_own_database_and_prefix(scenario: ScenarioEnv, isolation: Isolation) -> None:
    assert scenario.prefix.startswith(f"{NAME_STEM}-{isolation.token}-")
    with psycopg.connect(scenario.database_url) as conn:
        name = conn.execute("SELECT current_database()").fetchone()
    assert name is not None and name[0].startswith(f"{NAME_STEM}_{isolation.token}_")
    assert name[0] != isolation.template


def test_destroy_removes_database_and_keys(isolation: Isolation) -> None:
    env = isolation.create("throwaway")
    client = redis.Redis.from_url(env.redis_url)
    client.set(f"{env.prefix}:some-queue:meta", "x")
    open_conn = psycopg.connect(env.database_url)  # left open on purpose: destroy must still drop
    isolation.destroy(env)
    database = database_name(env.database_url)
    remaining = leftovers(env.redis_url, isolation.database_url)
    assert f"database {database}" not in remaining
    assert not any(env.prefix in item for item in remaining)
    assert client.exists(f"{env.prefix}:some-queue:meta") == 0
    open_conn.close()
    client.close()


def test_parallel_sessions_do_not_interfere_and_leave_nothing(backend: Backend, tmp_path: Path) -> None:
    environment = {**os.environ, "REDIS_URL": backend.redis_url, "DATABASE_URL": backend.database_url,
                   "ISOLATION_REPORT_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", str(CASES), "-n", "2", "--backend", "services", "-q"],
        capture_output=True, text=True, env=environment, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    alpha, beta = (json.loads((tmp_path / f"{owner}.json").read_text()) for owner in ("alpha", "beta"))
    assert {alpha["worker"], beta["worker"]} == {"gw0", "gw1"}, "the two cases did not run on two workers"
    assert alpha["started"] < beta["ended"] and beta["started"] < alpha["ended"], "the two cases did not overlap"
    # Each xdist worker of the child run was a test session of its own; nothing of either may remain.
    # (Other sessions, e.g. this run's other worker on the services backend, may own live names meanwhile.)
    tokens = {alpha["session_token"], beta["session_token"]}
    assert len(tokens) == 2
    for token in tokens:
        assert leftovers(backend.redis_url, backend.database_url, token) == [], result.stdout


def test_embedded_backend_leaves_default_ports_alone(backend: Backend) -> None:
    if backend.name != "embedded":
        pytest.skip("only the embedded backend starts servers of its own")
    assert not backend.redis_url.endswith(":6379")
    with psycopg.connect(backend.database_url) as conn:
        row = conn.execute("SHOW listen_addresses").fetchone()
    assert row == ("",), "embedded Postgres must listen on its Unix socket only"


def test_a_drop_left_to_the_background_is_done_by_close(backend: Backend) -> None:
    owner = Isolation(backend.redis_url, backend.database_url)
    env = owner.create("dropped-later")
    client = redis.Redis.from_url(env.redis_url)
    client.set(f"{env.prefix}:some-queue:meta", "x")
    owner.destroy_later(env)
    owner.close()
    assert leftovers(backend.redis_url, backend.database_url, owner.token) == []
    assert client.exists(f"{env.prefix}:some-queue:meta") == 0
    client.close()
