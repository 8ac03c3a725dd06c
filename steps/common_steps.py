"""Steps every feature shares: the scenario's own Redis and Postgres."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_bdd import given

from harness.isolation import ScenarioEnv
from steps.runner import ToolRun


@given("the scenario's Redis and Postgres", target_fixture="env")
def scenario_servers(scenario: ScenarioEnv) -> ScenarioEnv:
    return scenario


@pytest.fixture
def tool_runs() -> list[ToolRun]:
    """Every tool run of the scenario, in order (the evidence a report can show)."""
    return []


@pytest.fixture
def recovery_ledger(tmp_path: Path) -> Path:
    """The scenario's own recovery ledger file, passed to manage-queues pause, clean and resume."""
    return tmp_path / "recovery-ledger.json"
