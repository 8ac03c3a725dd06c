"""Scenarios of live_preflight.feature, and the raw SQL scenario itself run on a broken and a fixed sample app."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytest_bdd import scenarios

from harness.backends import BackendConfig

scenarios("live_preflight.feature")

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_APP = ROOT / "tests" / "tools" / "sql_samples"


@pytest.mark.parametrize("form", ["broken", "fixed"])
def test_raw_sql_scenario_fails_on_the_broken_app_and_passes_on_the_fixed_one(
        form: str, backend_config: BackendConfig) -> None:
    """The scenario as a team runs it (`--app-source`), in its own pytest: on the broken sample app it fails
    and its failure shows the tool's command and lines; on the fixed one it passes."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    source = SAMPLE_APP / form
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "features/test_live_preflight.py", "-k", "raw_sql_on_a_table",
         "--tb=short", "-q", "--backend", backend_config.name, "--app-source", str(source)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    output = run.stdout + run.stderr
    if form == "fixed":
        assert run.returncode == 0 and "1 passed" in output, output[-4000:]
        return
    assert run.returncode == 1 and "1 failed" in output, output[-4000:]
    assert f"--scan '{source}'" in output and "[exit 1]" in output, "the failure names the command it ran"
    for evidence in (
        f'❌ NOT FOUND - "image_review_sessions" at {source}/api/services/imageReviewService.js:9 (SELECT; '
        'did you mean "ImageReviewSession" (model ImageReviewSession)?)',
        f'❌ NOT FOUND - "purchase_orders" at {source}/api/services/imageReviewService.js:17',
        f'❌ NOT FOUND - column "session_id" of "public"."ImageReviewProduct" at '
        f"{source}/api/services/refinementPipelineService.mjs:20",
    ):
        assert evidence in output, output[-4000:]
