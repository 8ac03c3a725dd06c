"""Simulation as a facade: a constructor that fails half-way closes what it started; pause/resume are the tool's."""

from __future__ import annotations

import contextlib
import gc
import os
import subprocess
import sys
import threading
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis

from harness.isolation import Isolation, ScenarioEnv
from simulator.db.errors import PrismaError
from simulator.queues.bull_host.spares import SPARES
from simulator.queues.registry import QUEUE_NAMES
from simulator.release import HEALTHY
from simulator.simulation import Simulation
from tests.waiting import wait_until

# Threads the simulation's parts run (the HTTP servers, the Bull hosts' readers, the metrics sampler).
PART_THREADS = {"fake-image-search", "image-review-api", "bull-host-out", "bull-host-err", "metrics-sampler",
                "fake-vercel", "app-cron-endpoint"}


def part_threads() -> list[str]:
    return sorted(thread.name for thread in threading.enumerate() if thread.name in PART_THREADS)


def open_fds(isolation: Isolation) -> set[str]:
    """What this process's file descriptors point at (sockets and pipes by inode), with the session's own
    background work done: the idle spare Bull hosts (a pool of the process) ended, no clone or drop in progress."""
    SPARES.close()
    isolation.settle()
    gc.collect()  # sockets only garbage holds are not the parts' doing
    found = set()
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):  # the listing's own descriptor is gone by now
            found.add(f"{fd}:{os.readlink(f'/proc/self/fd/{fd}')}")
    return found


def other_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def api_connections(database_url: str) -> int:
    with psycopg.connect(database_url) as conn:
        row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'po-app-api'").fetchone()
    return int(row[0]) if row else 0


def test_a_database_that_does_not_exist_fails_the_constructor_and_stops_the_servers_started_before(
        scenario: ScenarioEnv, isolation: Isolation) -> None:
    before_threads, before_fds = part_threads(), open_fds(isolation)
    missing = replace(scenario, database_url=other_database(scenario.database_url, "no_such_database"))
    with pytest.raises(PrismaError, match="no_such_database"):
        Simulation(missing, release=HEALTHY)  # the search and review servers and the Bull host start first
    assert part_threads() == before_threads
    assert open_fds(isolation) - before_fds == set(), "a socket or the loop's selector of a started part is still open"


def test_a_deployment_that_fails_closes_the_api_client_and_the_servers(scenario: ScenarioEnv,
                                                                       isolation: Isolation) -> None:
    before_threads, before_fds = part_threads(), open_fds(isolation)
    with pytest.raises(ValueError, match="worker_mode"):
        Simulation(scenario, release=HEALTHY, worker_mode="threads")  # type: ignore[arg-type]
    assert part_threads() == before_threads
    # The API client had connected (it wrote the merchant): its connections are gone from the server too.
    wait_until(lambda: api_connections(scenario.database_url) == 0, "the API client's connections to close",
               timeout=10)
    assert open_fds(isolation) - before_fds == set()


def test_a_started_simulation_runs_its_parts_and_close_stops_them(scenario: ScenarioEnv) -> None:
    before = part_threads()
    sim = Simulation(scenario, release=HEALTHY)
    assert set(part_threads()) - set(before) == PART_THREADS
    sim.close()
    sim.close()  # a second close does nothing
    assert part_threads() == before


def test_pause_and_resume_are_the_tools_own(scenario: ScenarioEnv) -> None:
    client = redis.Redis.from_url(scenario.redis_url)
    status = [sys.executable, "-m", "recovery_tools.manage_queues", "status", "--redis-url", scenario.redis_url,
              "--prefix", scenario.prefix]
    try:
        with Simulation(scenario, release=HEALTHY) as sim:
            assert sim.paused_queues() == []
            environment = {**os.environ, **sim.tool_environment()}
            sim.pause()
            assert sim.paused_queues() == list(QUEUE_NAMES)
            assert not sim.crons_enabled, "the project's crons are disabled on Vercel"
            assert [r.body for r in sim.hosting.vercel.requests_to("PATCH", "/crons")] == [{"enabled": False}]
            paused = subprocess.run([*status, "--expect", "paused"], capture_output=True, text=True, timeout=60,
                                    env=environment)
            assert paused.returncode == 0, paused.stdout + paused.stderr
            sim.resume()
            assert sim.paused_queues() == [] and sim.crons_enabled
            running = subprocess.run([*status, "--expect", "running"], capture_output=True, text=True, timeout=60,
                                     env=environment)
            assert running.returncode == 0, running.stdout + running.stderr
    finally:
        client.close()


def test_the_facade_answers_about_jobs(scenario: ScenarioEnv) -> None:
    client = redis.Redis.from_url(scenario.redis_url)
    with Simulation(scenario, release=HEALTHY, seed=5) as sim:
        sim.pause()
        sim.hosting.vercel.set_crons_enabled(True)  # the cron enqueues, onto paused queues
        uploads = sim.upload_fake_pos(2, lines=1)
        parse = QUEUE_NAMES[0]
        sim.go_live()
        pending = wait_until(lambda: sim.pending_job_ids()[parse] if len(sim.pending_job_ids()[parse]) == 2 else None,
                             "two parse jobs waiting on the paused queue")
        assert all(not ids for name, ids in sim.pending_job_ids().items() if name != parse)
        job_id = sorted(pending)[0]
        assert sim.job_exists(parse, job_id) and sim.job_state(parse, job_id) in ("waiting", "paused")
        sim.resume()
        assert sim.run_until(sim.all_finished, within_virtual_minutes=30), sim.workflows()
        assert sim.workflows() == {"done": len(uploads)}
        assert sim.job_state(parse, job_id) == "completed"
        assert sim.job_state(parse, "no-such-job") == "unknown" and not sim.job_exists(parse, "no-such-job")
        assert sim.search_requests > 0 and sim.search_rejections == 0
        assert sim.worker_process() is None  # in-process workers
    client.close()
