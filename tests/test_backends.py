"""Backend selection: clear errors for the services backend, a clear skip reason for containers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from harness.backends import Backend, BackendConfig, BackendError, BackendUnavailable, open_backend
from harness.backends.containers import ContainersBackend, docker_engine_answers
from harness.backends.services import ServicesBackend
from recovery_tools.urls import redact, sqlalchemy_url, with_database


def test_config_reads_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HARNESS_BACKEND", "services")
    monkeypatch.setenv("REDIS_URL", "redis://r:1/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://p/db")
    assert BackendConfig.from_env() == BackendConfig("services", "redis://r:1/0", "postgresql://p/db")
    assert BackendConfig.from_env("embedded").name == "embedded"


def test_unknown_backend_is_refused() -> None:
    with pytest.raises(BackendError, match="unknown backend 'docker'"):
        open_backend(BackendConfig(name="docker"))


@pytest.mark.parametrize(
    ("redis_url", "database_url", "named"),
    [(None, "postgresql://x/y", "REDIS_URL"), ("redis://127.0.0.1:1/0", None, "DATABASE_URL")],
)
def test_services_names_the_missing_variable(redis_url: str | None, database_url: str | None, named: str) -> None:
    with pytest.raises(BackendError, match=f"needs {named}"):
        ServicesBackend(redis_url, database_url).start()


def test_services_names_the_unreachable_server_without_its_password() -> None:
    backend = ServicesBackend("redis://user:s3cret@127.0.0.1:1/0", "postgresql://p:s3cret@127.0.0.1:1/db")
    with pytest.raises(BackendError) as caught:
        backend.start()
    assert "REDIS_URL" in str(caught.value) and "does not answer" in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_services_names_unreachable_postgres(backend: Backend) -> None:
    services = ServicesBackend(backend.redis_url, "postgresql://p:s3cret@127.0.0.1:1/db")
    with pytest.raises(BackendError, match="DATABASE_URL") as caught:
        services.start()
    assert "s3cret" not in str(caught.value)


def test_containers_backend_says_why_it_cannot_run() -> None:
    if docker_engine_answers() is None:
        pytest.skip("a Docker engine answers on this machine, so the backend would really start")
    with pytest.raises(BackendUnavailable, match="no Docker engine answers"):
        ContainersBackend().start()


def test_url_helpers() -> None:
    assert redact("redis://user:pw@host:6379/0") == "redis://user:***@host:6379/0"
    assert redact("redis://host:6379/0") == "redis://host:6379/0"
    assert redact("redis://u:pw@host:abc/0") == "redis://u:***@host:abc/0"
    assert with_database("postgresql://postgres:@/postgres?host=/tmp/a/pgdata", "x") == (
        "postgresql://postgres:@/x?host=/tmp/a/pgdata"
    )
    assert sqlalchemy_url("postgres://u@h/d") == "postgresql+psycopg://u@h/d"


def test_a_containers_session_skips_with_one_reason_when_no_engine_answers() -> None:
    reason = docker_engine_answers()
    if reason is None:
        pytest.skip("a Docker engine answers on this machine, so the containers session would really run")
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "features/test_smoke.py", "--backend", "containers", "-rs", "-q",
         "-p", "no:cacheprovider"],
        capture_output=True, text=True, cwd=root, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 skipped" in result.stdout
    assert "backend 'containers' cannot run here: no Docker engine answers" in result.stdout
