"""Steps of the walking skeleton: servers answer, schema applied, a job crosses processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import psycopg
import pytest
import redis
from pytest_bdd import given, parsers, then, when

from harness.isolation import ScenarioEnv
from recovery_tools.prisma_schema import read_prisma_schema
from simulator.queues.app_queues import AppQueues
from simulator.queues.bull_host import JobSpec
from simulator.schema import prisma_schema_path


@then("Redis answers PING")
def redis_answers(env: ScenarioEnv) -> None:
    client = redis.Redis.from_url(env.redis_url)
    assert client.ping() is True
    client.close()


@then("every model of schema.prisma has its table in the scenario's database")
def schema_applied(env: ScenarioEnv) -> None:
    expected = {model.table for model in read_prisma_schema(prisma_schema_path())}
    with psycopg.connect(env.database_url) as conn:
        rows = conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        ).fetchall()
    present = {row[0] for row in rows}
    assert expected <= present, f"tables missing from the scenario database: {sorted(expected - present)}"


@pytest.fixture
def bridge(scenario: ScenarioEnv) -> Iterator[AppQueues]:
    """The app's Bull queues (a producer-only Bull host) on the scenario's Redis."""
    with AppQueues(scenario.redis_url, scenario.prefix) as queues:
        yield queues


@given(parsers.parse('a worker process consuming the "{queue}" queue'), target_fixture="worker_process")
def worker_process(env: ScenarioEnv, queue: str) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "simulator", "worker", "--queue", queue,
               "--redis-url", env.redis_url, "--prefix", env.prefix]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    yield process
    process.terminate()
    process.wait(timeout=30)


@when(parsers.parse('a job is added to the "{queue}" queue'), target_fixture="added_job")
def add_job(bridge: AppQueues, queue: str) -> tuple[str, str]:
    return queue, bridge.add(queue, JobSpec("smoke", {"from_pid": os.getpid()}))


@then(parsers.parse("the job completes within {seconds:d} seconds"), target_fixture="finished_job")
def job_completes(bridge: AppQueues, added_job: tuple[str, str], seconds: int) -> dict[str, object]:
    queue, job_id = added_job
    deadline = time.monotonic() + seconds
    state = bridge.job_state(queue, job_id)
    while state != "completed" and time.monotonic() < deadline:
        assert state != "failed", f"job {job_id} on {queue} failed"
        time.sleep(0.05)
        state = bridge.job_state(queue, job_id)
    assert state == "completed", f"job {job_id} on {queue} is {state!r} after {seconds}s"
    return dict(bridge.host.job(queue, job_id)["returnvalue"])


@then("the worker that processed it ran in another process")
def processed_elsewhere(finished_job: dict[str, object]) -> None:
    assert finished_job["echo"] == {"from_pid": os.getpid()}
    assert finished_job["pid"] != os.getpid()
