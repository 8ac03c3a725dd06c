"""Steps that run the checklist's tools as subprocesses and check their output and exit codes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, then, when

from simulator.simulation import Simulation
from steps.live_mode import read_only
from steps.runner import Stack, ToolRun, run_and_record


def platform_of(simulations: list[Simulation]) -> dict[str, str] | None:
    """The simulated app's Vercel (config with [vercel], VERCEL_API_URL, VERCEL_TOKEN), when a simulation runs."""
    return simulations[-1].tool_environment() if simulations else None


@given(parsers.parse('I have run "{command}"'), target_fixture="tool_run")
def have_run_tool(command: str, env: Stack, tool_runs: list[ToolRun], recovery_ledger: Path,
                  simulations: list[Simulation]) -> ToolRun:
    result = run_and_record(command, env, tool_runs, recovery_ledger, platform_of(simulations))
    assert result.returncode == 0, result.describe()
    return result


@when(parsers.parse('I run "{command}"'), target_fixture="tool_run")
def run_tool_step(command: str, env: Stack, tool_runs: list[ToolRun], recovery_ledger: Path,
                  simulations: list[Simulation]) -> ToolRun:
    return run_and_record(command, env, tool_runs, recovery_ledger, platform_of(simulations))


@then("the command succeeds")
@read_only
def command_succeeds(tool_run: ToolRun) -> None:
    assert tool_run.returncode == 0, tool_run.describe()


@then(parsers.parse("the command fails with exit code {code:d}"))
@read_only
def command_fails(tool_run: ToolRun, code: int) -> None:
    assert tool_run.returncode == code, tool_run.describe()


@then("the output contains these lines:")
@read_only
def output_contains_lines(tool_run: ToolRun, datatable: list[list[str]]) -> None:
    expected = [row[0].strip() for row in datatable[1:]]
    missing = [line for line in expected if line not in tool_run.lines]
    assert not missing, f"missing lines {missing}\n{tool_run.describe()}"


@then(parsers.re(r"""the output has a line containing (?P<quote>['"])(?P<text>.+)(?P=quote)$"""))
@read_only
def output_line_containing(tool_run: ToolRun, text: str) -> None:
    assert any(text in line for line in tool_run.lines), f"no line contains {text!r}\n{tool_run.describe()}"


def tool_json(tool_run: ToolRun) -> Any:
    """The --json document a tool printed."""
    try:
        return json.loads(tool_run.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"not JSON ({error})\n{tool_run.describe()}") from error
