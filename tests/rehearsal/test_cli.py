"""`rehearse` usage and backend errors: one line on stderr, exit 2, nothing written."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.rehearsal.conftest import rehearse_argv


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **(env or {})}
    for name in ("REDIS_URL", "DATABASE_URL", "HARNESS_BACKEND"):
        if env is None or name not in env:
            environment.pop(name, None)
    return subprocess.run([*rehearse_argv(), *args], capture_output=True, text=True, env=environment, timeout=60,
                          stdin=subprocess.DEVNULL, check=False)


@pytest.mark.parametrize(("args", "says"), [
    (["incident", "--duration", "3x"], "'3x' is not a duration"),
    (["incident", "--duration", "0m"], "is not a duration"),
    (["rollback", "--withhold-fix", "all"], "--withhold-fix applies to the incident scenario only"),
    (["incident", "--withhold-fix", "google-429"], "'google-429' is not a fix of this deploy"),
    (["bogus"], "'bogus' is not one of"),
    (["incident", "--pos", "0"], "--pos"),
])
def test_usage_errors_are_one_line(args: list[str], says: str, tmp_path: Path) -> None:
    done = _run(*args, "--report", str(tmp_path / "out"))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("rehearse: error:"), done.stderr
    assert says in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


def test_services_backend_without_its_variables_is_one_line(tmp_path: Path) -> None:
    done = _run("incident", "--backend", "services", "--report", str(tmp_path))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "REDIS_URL" in done.stderr, done.stderr
    assert list(tmp_path.iterdir()) == []


def test_unreachable_redis_is_one_line_without_the_password(tmp_path: Path) -> None:
    done = _run("incident", "--backend", "services", env={
        "REDIS_URL": "redis://:s3cret@127.0.0.1:1/0", "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/postgres"})
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1, done.stderr
    assert "s3cret" not in done.stderr and "Traceback" not in done.stderr
