"""Runs the checklist's tools as real subprocesses, pointed at the scenario's Redis and Postgres."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

# The runbook's `node api/<tool>.js` commands map to our console scripts of the same name.
TOOLS = ("manage-queues", "check-table-names")
# Tools run from the project's root, as the runbook runs them from the app's root.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Stack(Protocol):
    """Where a tool points: a scenario's isolated servers, or the real stack of a live preflight."""

    @property
    def redis_url(self) -> str: ...

    @property
    def database_url(self) -> str: ...

    @property
    def prefix(self) -> str: ...


@dataclass(frozen=True)
class LiveStack:
    """The real stack under a live preflight: the backend's own database and the app's queue prefix."""

    redis_url: str
    database_url: str
    prefix: str


@dataclass(frozen=True)
class ToolRun:
    """What a tool run printed and how it exited."""

    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.stdout.splitlines() if line.strip()]

    def describe(self) -> str:
        return f"$ {self.command}\n[exit {self.returncode}]\n{self.stdout}{self.stderr}"


def tool_executable(tool: str) -> str:
    """The console script installed beside this Python (the same virtual environment)."""
    candidate = Path(sys.executable).parent / tool
    if candidate.exists():
        return str(candidate)
    raise FileNotFoundError(f"console script {tool!r} is not installed beside {sys.executable}")


def run_tool(command: str, env: Stack, *, timeout: float = 60.0) -> ToolRun:
    """Run `command` as the runbook does; the scenario's servers come in through the environment.

    REDIS_URL and DATABASE_URL are the tools' documented defaults; the BullMQ prefix is the
    scenario's own, so it is passed explicitly to manage-queues.
    """
    argv = shlex.split(command)
    if not argv or argv[0] not in TOOLS:
        raise ValueError(f"unknown tool in {command!r}; known: {', '.join(TOOLS)}")
    full = [tool_executable(argv[0]), *argv[1:]]
    if argv[0] == "manage-queues" and "--prefix" not in argv and not any(a in argv for a in ("--help", "-h")):
        full += ["--prefix", env.prefix]
    environment = {**os.environ, "REDIS_URL": env.redis_url, "DATABASE_URL": env.database_url,
                   "NO_COLOR": "1", "COLUMNS": "200"}
    result = subprocess.run(full, capture_output=True, text=True, env=environment, timeout=timeout,
                            stdin=subprocess.DEVNULL, cwd=PROJECT_ROOT)
    return ToolRun(command, result.returncode, result.stdout, result.stderr)


def run_and_record(command: str, env: Stack, tool_runs: list[ToolRun]) -> ToolRun:
    """run_tool(), keeping the run as the scenario's evidence."""
    result = run_tool(command, env)
    tool_runs.append(result)
    return result
