"""Runs the checklist's tools as the runbook does: real subprocesses pointed at one Redis, Postgres and prefix."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from simulator.schema import tool_config_path

# The runbook's `node api/<tool>.js` commands map to console scripts of the same name (or their modules).
MODULES = {"manage-queues": "recovery_tools.manage_queues", "check-table-names": "recovery_tools.check_table_names",
           "preflight": "recovery_tools.preflight"}


class Stack(Protocol):
    """Where a tool points: a scenario's isolated servers, a rehearsal's, or a real stack."""

    @property
    def redis_url(self) -> str: ...

    @property
    def database_url(self) -> str: ...

    @property
    def prefix(self) -> str: ...


@dataclass(frozen=True)
class ToolRun:
    """One tool run: the command as the runbook writes it, its exit code and what it printed."""

    command: str
    returncode: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.stdout.splitlines() if line.strip()]

    def describe(self) -> str:
        return f"$ {self.command}\n[exit {self.returncode}]\n{self.stdout}{self.stderr}"


def _argv(tool: str) -> list[str]:
    """The console script installed beside this Python, else the module run with this Python."""
    script = Path(sys.executable).parent / tool
    return [str(script)] if script.exists() else [sys.executable, "-m", MODULES[tool]]


# The manage-queues commands that read or write the recovery ledger.
LEDGER_COMMANDS = ("pause", "clean", "resume")


def run_tool(command: str, stack: Stack, *, cwd: Path | None = None, timeout: float = 120.0,
             ledger: Path | None = None, platform: Mapping[str, str] | None = None) -> ToolRun:
    """Run e.g. "manage-queues pause" against `stack`.

    REDIS_URL and DATABASE_URL are the tools' documented defaults, so the servers come in through the
    environment; the BullMQ prefix is passed to manage-queues unless the command names one, and so is
    `--ledger ledger` (a scenario's own recovery ledger file) to pause, clean and resume. `platform` is the
    environment of the app's hosting (the simulated app's: Simulation.tool_environment(), its config with the
    `[vercel]` project, VERCEL_API_URL and VERCEL_TOKEN), as an operator's shell would hold it.
    """
    words = shlex.split(command)
    if not words or words[0] not in MODULES:
        raise ValueError(f"not a checklist tool: {command!r} (known: {', '.join(MODULES)})")
    argv = _argv(words[0]) + words[1:]
    helping = bool({"--help", "-h"} & set(words))
    if words[0] == "manage-queues" and "--prefix" not in words and not helping:
        argv += ["--prefix", stack.prefix]
    if (ledger is not None and words[0] == "manage-queues" and len(words) > 1 and words[1] in LEDGER_COMMANDS
            and "--ledger" not in words and not helping):
        argv += ["--ledger", str(ledger)]
    environment = {**os.environ, "REDIS_URL": stack.redis_url, "DATABASE_URL": stack.database_url,
                   "NO_COLOR": "1", "COLUMNS": "200", "TERM": "dumb"}
    # The simulated app's config file (queues, prefix, schema); a command's own flags override it.
    environment["RECOVERY_HARNESS_CONFIG"] = str(tool_config_path())
    environment.update(platform or {})
    done = subprocess.run(argv, capture_output=True, text=True, env=environment, timeout=timeout,
                          stdin=subprocess.DEVNULL, cwd=cwd, check=False)
    return ToolRun(command, done.returncode, done.stdout, done.stderr)
