"""Fault scenarios on the simulated app, on real servers; each ends with the job ledger at lost = 0."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading

import psycopg
import redis

from harness.isolation import Isolation, ScenarioEnv
from harness.ledger import take_ledger
from recovery_tools.urls import database_name
from simulator.queues.bull_host import BullSettings
from simulator.queues.registry import QUEUE_NAMES
from simulator.release import HEALTHY
from simulator.services.image_search import ImageSearchClient, ImageSearchError
from simulator.simulation import Simulation
from tests.waiting import wait_until

# A quota this small keeps image-attachment jobs active for a while (they back off on 429 inside the job).
SLOW_SEARCH_QUOTA = 4


def active_jobs(env: ScenarioEnv) -> dict[str, list[str]]:
    client = redis.Redis.from_url(env.redis_url)
    try:
        found = {name: [raw.decode() for raw in client.lrange(f"{env.prefix}:{name}:active", 0, -1)]
                 for name in QUEUE_NAMES}
    finally:
        client.close()
    return {name: ids for name, ids in found.items() if ids}


def assert_balanced(env: ScenarioEnv) -> None:
    ledger = take_ledger(env.redis_url, env.prefix)
    assert ledger.lost == [], ledger.summary()
    assert ledger.unfinished == [], ledger.summary()
    assert ledger.where("completed"), ledger.summary()


def manage_queues(env: ScenarioEnv, sim: Simulation, *args: str) -> subprocess.Popen[str]:
    """The tool on the scenario's Redis and the simulated app's Vercel (its config, API URL and token)."""
    command = [sys.executable, "-m", "recovery_tools.manage_queues", *args, "--redis-url", env.redis_url,
               "--prefix", env.prefix]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **sim.tool_environment(), "NO_COLOR": "1"})


def finished(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    out, err = process.communicate(timeout=60)
    return process.returncode, out, err


def test_worker_process_killed_mid_job_the_job_stalls_is_recovered_and_completes(scenario: ScenarioEnv) -> None:
    # A 5 s lock checked every second: the dead worker's job is found within seconds, not Bull's 30-60 s.
    quick = BullSettings(lock_duration=5000, stalled_interval=1000)
    with Simulation(scenario, release=HEALTHY, seed=11, worker_mode="process",
                    search_quota_per_minute=SLOW_SEARCH_QUOTA, bull_settings=quick) as sim:
        sim.upload_fake_pos(4, lines=3)
        sim.go_live()
        busy = wait_until(lambda: active_jobs(scenario).get("image-attachment"), "an image-attachment job in progress",
                          timeout=120, every=0.02)
        worker = sim.worker_process()
        assert worker is not None
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        assert worker.returncode == -signal.SIGKILL
        victim = busy[0]
        assert victim in active_jobs(scenario).get("image-attachment", []), "the killed job is left active, locked"

        sim.deploy(HEALTHY)  # a new worker process: its stalled-job check finds the dead worker's job
        assert sim.run_until(sim.all_finished, within_virtual_minutes=240), sim.workflows()
        assert sim.workflows() == {"done": 4}
        assert sim.job_state("image-attachment", victim) == "completed"
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert ledger.stalls[f"image-attachment/{victim}"] >= 1, ledger.summary()
    assert_balanced(scenario)


def test_pause_while_workers_are_busy_active_jobs_finish_nothing_new_starts(scenario: ScenarioEnv) -> None:
    client = redis.Redis.from_url(scenario.redis_url)
    with Simulation(scenario, release=HEALTHY, seed=12, search_quota_per_minute=SLOW_SEARCH_QUOTA) as sim:
        sim.upload_fake_pos(5, lines=3)
        sim.go_live()
        busy = wait_until(lambda: active_jobs(scenario), "a job in progress", timeout=120, every=0.02)
        code, out, err = finished(manage_queues(scenario, sim, "pause"))
        assert code == 0, err
        marks = {name: client.xinfo_stream(f"{scenario.prefix}:{name}:events")["last-generated-id"]
                 for name in QUEUE_NAMES if client.exists(f"{scenario.prefix}:{name}:events")}
        assert busy, "the pause landed while workers were busy"
        wait_until(lambda: not active_jobs(scenario), "the active jobs to finish", timeout=120)
        sim.run_for(3)
        started = [(name, fields) for name, mark in marks.items()
                   for _, fields in client.xrange(f"{scenario.prefix}:{name}:events", min=f"({mark.decode()}")
                   if fields[b"event"] == b"active"]
        assert started == [], "a job started after the pause"
        assert sim.workflows().get("done", 0) < 5
        assert finished(manage_queues(scenario, sim, "resume"))[0] == 0
        assert sim.run_until(sim.all_finished, within_virtual_minutes=240), sim.workflows()
        assert sim.workflows() == {"done": 5}
    client.close()
    assert_balanced(scenario)


def test_two_pauses_at_once_both_succeed_and_lose_nothing(scenario: ScenarioEnv) -> None:
    # The app's queues are Bull 4 (its layout, bull4): no BullMQ version is forged onto them any more, which would
    # leave queues with signs of both libraries.
    client = redis.Redis.from_url(scenario.redis_url)
    with Simulation(scenario, release=HEALTHY, seed=13, search_quota_per_minute=SLOW_SEARCH_QUOTA) as sim:
        sim.upload_fake_pos(6, lines=2)
        sim.run_for(0.5)
        first, second = manage_queues(scenario, sim, "pause"), manage_queues(scenario, sim, "pause")
        results = [finished(first), finished(second)]
        assert [code for code, _, _ in results] == [0, 0], results
        status = finished(manage_queues(scenario, sim, "status", "--expect", "paused", "--json"))
        assert status[0] == 0, status
        assert {queue["layout"] for queue in json.loads(status[1])["queues"]} == {"bull4"}, status
        assert not sim.crons_enabled, "the project's crons are disabled on Vercel"
        wait_until(lambda: not active_jobs(scenario), "the active jobs to finish", timeout=120)
        assert finished(manage_queues(scenario, sim, "resume"))[0] == 0
        assert sim.run_until(sim.all_finished, within_virtual_minutes=240), sim.workflows()
        assert sim.workflows() == {"done": 6}
    client.close()
    assert_balanced(scenario)


def test_a_429_storm_from_the_image_search_loses_no_job(scenario: ScenarioEnv) -> None:
    with Simulation(scenario, release=HEALTHY, seed=14, search_quota_per_minute=20) as sim:
        sim.upload_fake_pos(5, lines=3)
        stop = threading.Event()

        def other_tenant() -> None:  # another client of the same API key eats the quota: the app gets 429s
            client = ImageSearchClient(sim.search_url)
            while not stop.is_set():
                try:
                    client.search("storm")
                except ImageSearchError:
                    stop.wait(0.01)

        storm = threading.Thread(target=other_tenant, daemon=True)
        storm.start()
        try:
            sim.run_until(lambda: sim.logs.counts_by_signature().get("google-429", 0) >= 3, within_virtual_minutes=60)
            sim.run_for(5)
        finally:
            stop.set()
            storm.join()
        assert sim.logs.counts_by_signature().get("google-429", 0) >= 3, "the app itself met the 429s"
        assert sim.run_until(sim.all_finished, within_virtual_minutes=600), sim.workflows()
        assert sim.workflows() == {"done": 5}
    assert_balanced(scenario)


def terminate_app_backends(database_url: str, admin_url: str) -> int:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            " AND application_name IN ('po-app-worker', 'po-app-cron')", (database_name(database_url),)).fetchall()
    return len(rows)


def test_postgres_backends_terminated_during_processing_the_workflow_resumes(scenario: ScenarioEnv,
                                                                              isolation: Isolation) -> None:
    admin_url = isolation.database_url
    killed: list[int] = []
    with Simulation(scenario, release=HEALTHY, seed=15) as sim:
        sim.upload_fake_pos(8, lines=3)
        stop = threading.Event()

        def storm() -> None:
            while not stop.wait(0.15):
                killed.append(terminate_app_backends(scenario.database_url, admin_url))

        thread = threading.Thread(target=storm, daemon=True)
        thread.start()
        try:
            sim.run_until(lambda: sim.workflows().get("done", 0) >= 4, within_virtual_minutes=60)
        finally:
            stop.set()
            thread.join()
        assert sum(killed) > 0, "backends were terminated while the app worked"
        assert sim.run_until(sim.all_finished, within_virtual_minutes=240), sim.workflows()
        assert sim.workflows() == {"done": 8}
    assert_balanced(scenario)
