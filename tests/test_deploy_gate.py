"""The deploy gate judges the release under test: the incident release fails it, naming the broken criteria."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.backends import Backend

ROOT = Path(__file__).resolve().parent.parent


def test_the_incident_release_fails_the_gate_naming_the_broken_criteria(backend: Backend) -> None:
    environment = {**os.environ, "REDIS_URL": backend.redis_url, "DATABASE_URL": backend.database_url}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "features/", "-m", "success-criteria", "-k", "hold_on_the_deploy_release",
         "--release", "incident", "--backend", "services", "-p", "no:cacheprovider", "-p", "no:logging", "-q"],
        capture_output=True, text=True, env=environment, cwd=ROOT, timeout=600,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    assert "1 failed" in result.stdout
    for criterion in ('No P2010 "relation does not exist" errors in logs',
                      'No "Assignment to constant variable" errors',
                      "PO uploads complete successfully end-to-end"):
        assert f"[FAIL] {criterion}" in result.stdout, result.stdout[-3000:]
    assert "[FAIL] No \"Engine is not yet connected\" errors in logs" not in result.stdout
