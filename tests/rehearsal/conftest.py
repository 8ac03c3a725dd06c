"""Fixtures of the rehearsal tests: run `rehearse` as a subprocess on the session's servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from harness.backends import Backend


@dataclass(frozen=True)
class Run:
    """One `rehearse` run: exit code, output, and the journal it wrote."""

    exit_code: int
    stdout: str
    stderr: str
    report_dir: Path

    @property
    def journal(self) -> dict[str, Any]:
        path = self.report_dir / "journal.json"
        assert path.is_file(), f"rehearse (exit {self.exit_code}) wrote no journal: {self.stderr[-3000:]}"
        return json.loads(path.read_text(encoding="utf-8"))


def rehearse_argv() -> list[str]:
    script = Path(sys.executable).parent / "rehearse"
    return [str(script)] if script.exists() else [sys.executable, "-m", "harness.rehearsal.cli"]


def run_rehearse(backend: Backend, report_dir: Path, *args: str, timeout: float = 600) -> Run:
    """`rehearse ARGS --backend services --report DIR --json -q` on the servers of the test session."""
    env = {**os.environ, "REDIS_URL": backend.redis_url, "DATABASE_URL": backend.database_url, "NO_COLOR": "1"}
    env.pop("HARNESS_BACKEND", None)
    argv = [*rehearse_argv(), *args, "--backend", "services", "--report", str(report_dir), "--json", "-q"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=timeout, stdin=subprocess.DEVNULL,
                          check=False)
    return Run(done.returncode, done.stdout, done.stderr, report_dir)


@pytest.fixture(scope="module")
def incident_run(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Run:
    """One `rehearse incident` (seed 5), shared by the tests that read its journal and report."""
    return run_rehearse(backend, tmp_path_factory.mktemp("incident"), "incident", "--seed", "5", "--duration", "20m")
