"""Tools pointed at production: least privilege, wrong credentials, empty servers, a huge queue, no password shown."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
from psycopg import sql

from harness.isolation import ScenarioEnv, delete_prefix
from simulator.queues.app_queues import AppQueues
from simulator.queues.bridge import QueueBridge
from simulator.queues.bull_host import JobSpec
from simulator.queues.registry import QUEUE_NAMES

PASSWORD = "s3cret-" + secrets.token_hex(6)


def run(tool: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    return subprocess.run([sys.executable, "-m", f"recovery_tools.{tool}", *args], capture_output=True, text=True,
                          env={**env, "NO_COLOR": "1", "COLUMNS": "200"}, timeout=300)


def assert_one_clean_line(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert done.returncode == code, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and done.stderr.strip().count("\n") == 0, done.stderr
    for needle in needles:
        assert needle.lower() in done.stderr.lower(), done.stderr
    assert PASSWORD not in done.stdout + done.stderr


def with_user(url: str, user: str, password: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, f"{user}:{password}@{host}", parts.path, parts.query, parts.fragment))


@pytest.fixture
def readonly_role(scenario: ScenarioEnv) -> Iterator[str]:
    """A login role that can write nothing (no grants beyond PUBLIC's CONNECT), dropped afterwards."""
    role = f"harness_ro_{secrets.token_hex(4)}"
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(role), sql.Literal(PASSWORD)))
        conn.execute(sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
    yield role
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def test_check_table_names_works_with_a_role_that_can_write_nothing(scenario: ScenarioEnv, readonly_role: str) -> None:
    url = with_user(scenario.database_url, readonly_role, PASSWORD)
    with psycopg.connect(url, autocommit=True) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute('INSERT INTO "Merchant" (id) VALUES (\'x\')')  # the role really cannot write
    done = run("check_table_names", "--database-url", url)
    assert done.returncode == 0, done.stderr
    assert '✅ EXISTS - "ImageReviewSession"' in done.stdout and "✅ PASS" in done.stdout
    assert PASSWORD not in done.stdout + done.stderr


def test_check_table_names_with_wrong_credentials_is_one_line(scenario: ScenarioEnv) -> None:
    url = with_user(scenario.database_url, f"harness_nobody_{secrets.token_hex(3)}", PASSWORD)
    assert_one_clean_line(run("check_table_names", "--database-url", url), 2, "does not exist")


def test_check_table_names_on_a_database_without_the_schema(scenario: ScenarioEnv) -> None:
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    done = run("check_table_names", "--database-url", scenario.database_url)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert '❌ NOT FOUND - "ImageReviewSession"' in done.stdout


@pytest.fixture
def acl_user(scenario: ScenarioEnv) -> Iterator[tuple[str, redis.Redis]]:
    """A Redis ACL user of this test (created with a password, deleted afterwards) and an admin client."""
    admin = redis.Redis.from_url(scenario.redis_url)
    user = f"harness-mq-{secrets.token_hex(4)}"
    yield user, admin
    admin.acl_deluser(user)
    admin.close()


def grant(admin: redis.Redis, user: str, prefix: str, *rules: str) -> None:
    admin.execute_command("ACL", "SETUSER", user, "reset", "on", f">{PASSWORD}", f"~{prefix}:*", "resetchannels",
                          *rules)


# What manage-queues and BullMQ need: reading and writing keys, scripts, and the connection commands.
LEAST = ("+@read", "+@write", "+@scripting", "+@connection", "+info", "-@dangerous")


@pytest.mark.jobs_left("jobs are paused, counted and resumed; no worker runs")
def test_manage_queues_works_with_an_acl_user_limited_to_the_prefix(scenario: ScenarioEnv,
                                                                    acl_user: tuple[str, redis.Redis]) -> None:
    user, admin = acl_user
    # The app's queues are Bull 4: Bull's pause and resume publish their event on the queue's channel, as Bull does.
    grant(admin, user, scenario.prefix, *LEAST, "+publish", f"&{scenario.prefix}:*")
    with AppQueues(scenario.redis_url, scenario.prefix) as queues:
        queues.add(QUEUE_NAMES[0], JobSpec("job"))
    url = with_user(scenario.redis_url, user, PASSWORD)
    for command in (["pause"], ["status", "--expect", "paused"], ["resume"], ["status", "--expect", "running"],
                    ["clean", "--grace", "0s"], ["list"]):
        done = run("manage_queues", *command, "--redis-url", url, "--prefix", scenario.prefix)
        assert done.returncode == 0, (command, done.stdout, done.stderr)
        assert PASSWORD not in done.stdout + done.stderr
    outside = run("manage_queues", "status", "--redis-url", url, "--prefix", scenario.prefix + "-other")
    assert_one_clean_line(outside, 2, "no permissions to access")


def test_manage_queues_names_the_missing_permission(scenario: ScenarioEnv, acl_user: tuple[str, redis.Redis]) -> None:
    user, admin = acl_user
    grant(admin, user, scenario.prefix, *LEAST, "-@scripting")
    url = with_user(scenario.redis_url, user, PASSWORD)
    done = run("manage_queues", "pause", "--redis-url", url, "--prefix", scenario.prefix)
    assert_one_clean_line(done, 2, "has no permissions to run the 'evalsha' command")


def test_manage_queues_with_a_wrong_password_is_one_line(scenario: ScenarioEnv,
                                                        acl_user: tuple[str, redis.Redis]) -> None:
    user, admin = acl_user
    grant(admin, user, scenario.prefix, *LEAST)
    url = with_user(scenario.redis_url, user, PASSWORD + "-wrong")
    done = run("manage_queues", "status", "--redis-url", url, "--prefix", scenario.prefix)
    assert_one_clean_line(done, 2)
    assert PASSWORD + "-wrong" not in done.stdout + done.stderr


def test_manage_queues_on_a_redis_with_no_queues(scenario: ScenarioEnv) -> None:
    listed = run("manage_queues", "list", "--redis-url", scenario.redis_url, "--prefix", scenario.prefix)
    assert listed.returncode == 0 and "Traceback" not in listed.stderr, listed.stderr
    status = run("manage_queues", "status", "--redis-url", scenario.redis_url, "--prefix", scenario.prefix, "--json")
    assert status.returncode == 0, status.stderr
    assert all(queue["waiting"] == 0 for queue in json.loads(status.stdout)["queues"])


HUGE = 100_000
# Bounds with room for a loaded 2-core machine (measured there: status 1.9 s with the interpreter's start, a page of
# 25,000 removals 2.9 s); a status that reads jobs one by one, or a clean that is not paged, goes far past them.
STATUS_BOUND_S = 10.0
CLEAN_PAGE_BOUND_S = 30.0


@pytest.mark.slow
def test_a_huge_queue_status_stays_fast_and_clean_pages_through(scenario: ScenarioEnv) -> None:
    prefix = scenario.prefix + "-huge"  # the tool's own load, not app jobs: outside the scenario's ledger
    queue = QUEUE_NAMES[0]
    try:
        started = time.perf_counter()
        with QueueBridge(scenario.redis_url, prefix) as bridge:
            for first in range(0, HUGE, 5000):
                jobs = [{"name": "bulk", "data": {"n": n}} for n in range(first, first + 5000)]
                bridge.call(bridge.queue(queue).addBulk(jobs), timeout=120)
        fill = time.perf_counter() - started
        started = time.perf_counter()
        status = run("manage_queues", "status", "--redis-url", scenario.redis_url, "--prefix", prefix, "--json")
        status_seconds = time.perf_counter() - started
        assert status.returncode == 0, status.stderr
        counted = {q["name"]: q for q in json.loads(status.stdout)["queues"]}
        assert counted[queue]["waiting"] == HUGE
        pages = 0
        started = time.perf_counter()
        while True:
            done = run("manage_queues", "clean", "--grace", "0s", "--state", "wait", "--limit", "25000",
                       "--queue", queue, "--redis-url", scenario.redis_url, "--prefix", prefix)
            assert done.returncode == 0, done.stderr
            pages += 1
            left = redis.Redis.from_url(scenario.redis_url).llen(f"{prefix}:{queue}:wait")
            if left == 0 or pages > 10:
                break
        clean_seconds = time.perf_counter() - started
        assert left == 0 and pages == 4, (left, pages)
        assert status_seconds < STATUS_BOUND_S, f"status of {HUGE} jobs took {status_seconds:.1f} s"
        assert clean_seconds / pages < CLEAN_PAGE_BOUND_S, f"a clean page took {clean_seconds / pages:.1f} s"
        print(f"\nhuge queue: fill {HUGE} jobs {fill:.1f}s, status {status_seconds:.2f}s, "
              f"clean {pages} pages of 25000 {clean_seconds:.1f}s")
    finally:
        delete_prefix(scenario.redis_url, prefix)
