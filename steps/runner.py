"""The tools as the steps run them: from the project's root, each run kept as the scenario's evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from harness import runbook
from harness.runbook import Stack, ToolRun

# Tools run from the project's root, as the runbook runs them from the app's root.
PROJECT_ROOT = Path(__file__).resolve().parent.parent

__all__ = ["PROJECT_ROOT", "LiveStack", "Stack", "ToolRun", "run_and_record", "run_tool"]


@dataclass(frozen=True)
class LiveStack:
    """The real stack under a live preflight: the backend's own database and the app's queue prefix."""

    redis_url: str
    database_url: str
    prefix: str


def run_tool(command: str, env: Stack, *, timeout: float = 60.0, ledger: Path | None = None,
             platform: Mapping[str, str] | None = None) -> ToolRun:
    """runbook.run_tool() from the project's root (`ledger`: the scenario's recovery ledger file; `platform`: the
    simulated app's Vercel, when one runs)."""
    return runbook.run_tool(command, env, cwd=PROJECT_ROOT, timeout=timeout, ledger=ledger, platform=platform)


def run_and_record(command: str, env: Stack, tool_runs: list[ToolRun], ledger: Path | None = None,
                   platform: Mapping[str, str] | None = None) -> ToolRun:
    """run_tool(), keeping the run as the scenario's evidence."""
    result = run_tool(command, env, ledger=ledger, platform=platform)
    tool_runs.append(result)
    return result
