"""`verify` against queues filled by the real Node `bull@4`: jobs failed with Prisma's P2010 message -> exit 1."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.isolation import ScenarioEnv
from tests.node.bull4 import ensure_bull4
from tests.verify.helpers import run_verify, snapshot

SCRIPT = Path(__file__).resolve().parents[1] / "node" / "bull4_fail.js"


@pytest.mark.jobs_left("Bull 4 keeps its failed jobs; the ledger follows BullMQ's")
def test_bull4_jobs_failed_with_p2010_fail_the_criterion(scenario: ScenarioEnv) -> None:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("node and npm are needed for the Bull 4 interop (the brief says they are installed)")
    modules = ensure_bull4()
    env = {**os.environ, "NODE_PATH": str(modules)}
    filled = subprocess.run(["node", str(SCRIPT), scenario.redis_url, scenario.prefix, "ai-parsing", "3"],
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert filled.returncode == 0, filled.stderr
    before = snapshot(scenario)
    run = run_verify(scenario, "--queue", "ai-parsing", "--window", "0s", "--since", "5m", "--json")
    assert snapshot(scenario) == before, "verify changed a key or a value of the Bull 4 queue"
    assert run.exit_code == 1, run.stdout + run.stderr
    criteria = {c["id"]: c for c in run.document["criteria"]}
    assert criteria["no-p2010"]["verdict"] == "fails"
    # 3 jobs x 2 attempts: each attempt's stack is one error line
    assert criteria["no-p2010"]["details"]["count"] == 6, criteria["no-p2010"]["evidence"]
    assert "queue ai-parsing job" in criteria["no-p2010"]["evidence"]
    uploads = criteria["po-uploads-complete"]
    assert uploads["verdict"] == "fails" and "3 failed for good" in uploads["evidence"]
