"""--cucumberjson with --reruns: a scenario that fails once and passes on its rerun is reported once, passed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FEATURE = """Feature: Flaky
  Scenario: Passes on the second attempt
    Given an attempt is counted
    Then it is not the first attempt
"""

STEPS = '''
from pathlib import Path

from pytest_bdd import given, scenarios, then

scenarios("flaky.feature")
COUNTER = Path(__file__).with_name("attempts.txt")


@given("an attempt is counted")
def count() -> None:
    COUNTER.write_text(str(int(COUNTER.read_text()) + 1 if COUNTER.exists() else 1))


@then("it is not the first attempt")
def not_first() -> None:
    assert int(COUNTER.read_text()) > 1
'''


def test_a_rerun_scenario_is_reported_once_as_passed(tmp_path: Path) -> None:
    (tmp_path / "flaky.feature").write_text(FEATURE)
    (tmp_path / "test_flaky.py").write_text(STEPS)
    report = tmp_path / "cucumber.json"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    completed = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "steps.cucumber_reruns", "-p", "no:cacheprovider", "--reruns", "1",
         f"--cucumberjson={report}", "--rootdir", str(tmp_path), "-c", os.devnull, str(tmp_path)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-2000:]
    assert "1 passed, 1 rerun" in completed.stdout
    assert "INTERNALERROR" not in completed.stdout + completed.stderr
    elements = [element for feature in json.loads(report.read_text()) for element in feature["elements"]]
    assert len(elements) == 1
    assert {step["result"]["status"] for step in elements[0]["steps"]} == {"passed"}
