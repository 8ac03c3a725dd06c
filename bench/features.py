"""Wall time of the checklist gate, `pytest features/`, run as a subprocess serially and with `-n 2`."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GateRun:
    workers: int
    wall_seconds: float
    exit_code: int
    summary: str


def run_gate(target: str, backend: str, workers: int, cwd: Path, timeout: float = 1800.0) -> GateRun:
    """`python -m pytest <target> --backend <backend> [-n workers]`; the last summary line is kept."""
    command = [sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider", "--backend", backend]
    if workers > 1:
        command += ["-n", str(workers)]
    started = time.perf_counter()
    completed = subprocess.run(command, cwd=cwd, env=dict(os.environ), stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout, check=False)
    wall = time.perf_counter() - started
    # pytest's summary is stdout's last line; stderr only when pytest could not start.
    lines = [line for line in completed.stdout.splitlines() or completed.stderr.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else ""
    return GateRun(workers, wall, completed.returncode, summary)
