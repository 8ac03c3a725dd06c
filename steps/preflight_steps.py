"""Steps of the preflight scenarios: a Redis configured another way standing in for the scenario's, a dropped
column, and what preflight's JSON report says of each check."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from typing import Any

import psycopg
import pytest
import redis
from psycopg import sql
from pytest_bdd import given, parsers, then

from harness.isolation import ScenarioEnv
from harness.scratch_redis import scratch_redis
from steps.live_mode import live_mode, read_only
from steps.runner import Stack, ToolRun
from steps.tool_steps import tool_json

STRICT_FSYNC = ("always", "everysec")


@given(parsers.parse("a Redis with maxmemory-policy {policy} and AOF everysec stands in for the scenario's"),
       target_fixture="env")
def stand_in_redis(env: ScenarioEnv, policy: str, request: pytest.FixtureRequest) -> ScenarioEnv:
    stack = ExitStack()
    request.addfinalizer(stack.close)
    url = stack.enter_context(scratch_redis("--maxmemory-policy", policy, "--appendonly", "yes",
                                            "--appendfsync", "everysec"))
    return replace(env, redis_url=url)


@given(parsers.parse('the column "{column}" of "{table}" has been dropped'))
def drop_column(env: ScenarioEnv, column: str, table: str) -> None:
    with psycopg.connect(env.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER TABLE {} DROP COLUMN {}").format(sql.Identifier(table), sql.Identifier(column)))


def _checks(tool_run: ToolRun) -> dict[str, dict[str, Any]]:
    report = tool_json(tool_run)
    return {check["id"]: check for check in report["checks"]}


def redis_keeps_data(redis_url: str) -> bool:
    """What the server really keeps across a restart, read by the harness itself (AOF fsync'd, or RDB)."""
    client = redis.Redis.from_url(redis_url, decode_responses=True)
    try:
        appendonly = client.config_get("appendonly").get("appendonly")
        appendfsync = client.config_get("appendfsync").get("appendfsync")
        save = client.config_get("save").get("save") or ""
    finally:
        client.close()
    return (appendonly == "yes" and appendfsync in STRICT_FSYNC) or bool(save.strip())


@then(parsers.parse("preflight's checks {ids} hold"))
@read_only
def checks_hold(tool_run: ToolRun, ids: str) -> None:
    checks = _checks(tool_run)
    wanted = [name.strip() for name in ids.split(",")]
    failing = {name: checks[name]["status"] for name in wanted if checks[name]["status"] != "ok"}
    assert not failing, f"{failing}\n{tool_run.describe()}"


@then("preflight's persistence check reports what the scenario's Redis really keeps")
@read_only
def persistence_as_the_server_has_it(tool_run: ToolRun, env: Stack) -> None:
    assert_persistence_as_kept(tool_run, env)


def assert_persistence_as_kept(tool_run: ToolRun, env: Stack) -> None:
    """The persistence check's verdict is the server's real state, and the exit code follows from it."""
    persistence = _checks(tool_run)["redis.persistence"]
    keeps = redis_keeps_data(env.redis_url)
    assert persistence["status"] == ("ok" if keeps else "finding"), tool_run.describe()
    others = [check for name, check in _checks(tool_run).items() if name != "redis.persistence"]
    expected_exit = 0 if keeps and all(check["status"] == "ok" for check in others) else 1
    assert tool_run.returncode == expected_exit, tool_run.describe()


@then(parsers.parse('preflight\'s {check_id} check names "{subject}"'))
@read_only
def check_names(tool_run: ToolRun, check_id: str, subject: str) -> None:
    check = _checks(tool_run)[check_id]
    assert check["status"] == "finding", tool_run.describe()
    assert subject in [item["subject"] for item in check["findings"]], tool_run.describe()


@then("preflight holds on the stack")
@read_only
def preflight_holds(tool_run: ToolRun, env: Stack, request: pytest.FixtureRequest) -> None:
    """On the real stack: every check holds (exit 0). On the scenario's test servers, which run without
    persistence by design, every other check holds and the persistence check says what the server keeps."""
    if live_mode(request.config):
        assert tool_run.returncode == 0, tool_run.describe()
        return
    checks_hold(tool_run, ", ".join(name for name in _checks(tool_run) if name != "redis.persistence"))
    assert_persistence_as_kept(tool_run, env)
