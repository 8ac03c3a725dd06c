"""The live preflight: read-only scenarios that a team points at its real stack before a deploy.

`pytest features/ -m live --backend services` runs the @live scenarios against REDIS_URL and
DATABASE_URL themselves (no scenario database is created there) with the app's own
--prisma-schema, --app-source and --queue-prefix. Every step of a live scenario must be marked
read-only; any other step is refused before it runs. On any other run the same scenarios use the
scenario's isolated servers, so CI exercises them too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, when

from simulator.schema import prisma_schema_path
from steps.live_mode import READ_ONLY, live_mode, read_only
from steps.runner import PROJECT_ROOT, LiveStack, Stack, ToolRun, run_and_record

# The simulator's app code stands in for --app-source when none is given (the healthy release's code).
DEFAULT_APP_SOURCE = PROJECT_ROOT / "simulator" / "workflow"


class LiveWriteRefused(Exception):
    """A live preflight scenario tried to run a step that is not read-only."""


def refuse_writes(scenario_tags: set[str], step_name: str, step_func: Callable[..., Any], live: bool) -> None:
    """Raise LiveWriteRefused when a live scenario on the real stack reaches a step not marked read-only."""
    if live and "live" in scenario_tags and not getattr(step_func, READ_ONLY, False):
        raise LiveWriteRefused(f"live preflight refuses step {step_name!r}: it is not marked read-only")


def pytest_bdd_before_step(request: pytest.FixtureRequest, feature: Any, scenario: Any, step: Any,
                           step_func: Callable[..., Any]) -> None:
    tags = set(scenario.tags) | set(feature.tags)
    refuse_writes(tags, step.name, step_func, live_mode(request.config))


@given("the stack under preflight", target_fixture="env")
@read_only
def stack_under_preflight(request: pytest.FixtureRequest) -> Stack:
    if not live_mode(request.config):
        scenario: Stack = request.getfixturevalue("scenario")
        return scenario
    backend = request.getfixturevalue("backend")
    return LiveStack(backend.redis_url, backend.database_url, str(request.config.getoption("--queue-prefix")))


def _option_path(request: pytest.FixtureRequest, option: str, default: Path) -> Path:
    value = request.config.getoption(option)
    return Path(value).resolve() if value else default


@when("I run the schema gate against the app's Prisma schema", target_fixture="tool_run")
@read_only
def schema_gate(request: pytest.FixtureRequest, env: Stack, tool_runs: list[ToolRun]) -> ToolRun:
    schema = _option_path(request, "--prisma-schema", prisma_schema_path())
    return run_and_record(f"check-table-names --prisma-schema '{schema}'", env, tool_runs)


@when("I run the raw SQL scan of the app's source", target_fixture="tool_run")
@read_only
def raw_sql_scan(request: pytest.FixtureRequest, env: Stack, tool_runs: list[ToolRun]) -> ToolRun:
    source = _option_path(request, "--app-source", DEFAULT_APP_SOURCE)
    schema = _option_path(request, "--prisma-schema", prisma_schema_path())
    return run_and_record(f"check-table-names --prisma-schema '{schema}' --scan '{source}'", env, tool_runs)


@when("I run preflight against the app's Prisma schema", target_fixture="tool_run")
@read_only
def preflight_run(request: pytest.FixtureRequest, env: Stack, tool_runs: list[ToolRun]) -> ToolRun:
    schema = _option_path(request, "--prisma-schema", prisma_schema_path())
    return run_and_record(f"preflight --json --prisma-schema '{schema}'", env, tool_runs)


@when("I check the queue status", target_fixture="tool_run")
@read_only
def queue_status(env: Stack, tool_runs: list[ToolRun]) -> ToolRun:
    return run_and_record("manage-queues status", env, tool_runs)
