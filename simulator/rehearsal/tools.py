"""The checklist's tools run as the runbook runs them: subprocesses on the rehearsal's Redis, Postgres and prefix."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from simulator.isolation import ScenarioEnv

# Console script -> module, for when the scripts are not installed beside this interpreter.
MODULES = {"manage-queues": "simulator.tools.manage_queues", "check-table-names": "simulator.tools.check_table_names"}


@dataclass(frozen=True)
class ToolRun:
    """One tool run: the command as the runbook writes it, its exit code and what it printed."""

    command: str
    exit_code: int
    stdout: str
    stderr: str

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.stdout.splitlines() if line.strip()]


def _argv(tool: str) -> list[str]:
    script = Path(sys.executable).parent / tool
    return [str(script)] if script.exists() else [sys.executable, "-m", MODULES[tool]]


def run_tool(command: str, env: ScenarioEnv, timeout: float = 120.0) -> ToolRun:
    """Run e.g. "manage-queues pause" against `env`: servers through REDIS_URL/DATABASE_URL, the prefix as --prefix."""
    words = shlex.split(command)
    if not words or words[0] not in MODULES:
        raise ValueError(f"not a checklist tool: {command!r} (known: {', '.join(MODULES)})")
    argv = _argv(words[0]) + words[1:]
    if words[0] == "manage-queues":
        argv += ["--prefix", env.prefix]
    environment = {**os.environ, "REDIS_URL": env.redis_url, "DATABASE_URL": env.database_url,
                   "NO_COLOR": "1", "COLUMNS": "160", "TERM": "dumb"}
    done = subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)
    return ToolRun(command, done.returncode, done.stdout, done.stderr)
