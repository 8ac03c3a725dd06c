"""The job ledger on a real Redis: completed, failed, removed, unfinished, duplicated and lost jobs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import redis
from bullmq import Job

from harness.isolation import ScenarioEnv
from harness.ledger import take_ledger
from simulator.queues.bridge import QueueBridge
from steps.ledger_plugin import LedgerPolicy, verdict
from tests.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]


async def succeed_unless_told(job: Job, token: str) -> str:
    if job.data.get("fail"):
        raise RuntimeError("told to fail")
    return "ok"


def test_finished_jobs_balance_and_duplicates_are_counted(scenario: ScenarioEnv) -> None:
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        for number in range(5):
            bridge.add("ledger-a", "work", {"n": number})
        bridge.add("ledger-a", "work", {"fail": True}, {"attempts": 1})
        bridge.add("ledger-a", "work", {"n": "dup"}, {"jobId": "same"})
        bridge.add("ledger-a", "work", {"n": "dup"}, {"jobId": "same"})  # refused by BullMQ: a duplicate id
        bridge.start_worker("ledger-a", succeed_unless_told)
        wait_until(lambda: bridge.counts("ledger-a").get("completed") == 6 and bridge.counts("ledger-a").get("failed")
                   == 1, "six completed jobs and one failed")
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert ledger.counts()["added"] == 7
    assert len(ledger.where("completed")) == 6 and len(ledger.where("failed")) == 1
    assert ledger.lost == [] and ledger.unfinished == []
    assert ledger.duplicate_adds == {"ledger-a/same": 1}
    assert verdict(ledger, LedgerPolicy()) is None
    assert "lost=0" in ledger.summary() and "duplicates=1" in ledger.summary()


def test_removed_jobs_are_accounted_and_waiting_ones_need_a_reason(scenario: ScenarioEnv) -> None:
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        removed = bridge.add("ledger-b", "work", {})
        waiting = bridge.add("ledger-b", "work", {})
        bridge.add("ledger-b", "later", {}, {"delay": 600_000})
        bridge.call(bridge.queue("ledger-b").remove(removed))
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert [job.job_id for job in ledger.where("removed")] == [removed]
    assert {(job.job_id, job.place) for job in ledger.unfinished} >= {(waiting, "waiting")}
    assert {job.place for job in ledger.unfinished} == {"waiting", "delayed"}
    message = verdict(ledger, LedgerPolicy())
    assert message is not None and f"ledger-b/{waiting} [work] waiting" in message
    assert verdict(ledger, LedgerPolicy(left_on_purpose="the test stops before any worker")) is None
    # the plugin checks this very test too; it leaves its jobs on purpose
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        bridge.call(bridge.queue("ledger-b").obliterate({"force": True}))


def test_a_job_that_vanishes_is_lost_and_named(scenario: ScenarioEnv) -> None:
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        kept = bridge.add("ledger-c", "work", {})
        gone = bridge.add("ledger-c", "work", {})
        orphan = bridge.add("ledger-c", "work", {})
    client = redis.Redis.from_url(scenario.redis_url)
    base = f"{scenario.prefix}:ledger-c:"
    client.lrem(f"{base}wait", 0, gone)
    client.delete(f"{base}{gone}")  # the job's record vanishes without a terminal event
    client.lrem(f"{base}wait", 0, orphan)  # the record stays but no queue state holds it
    client.close()
    ledger = take_ledger(scenario.redis_url, scenario.prefix)
    assert {job.job_id: job.detail for job in ledger.lost} == {
        gone: "its record vanished without finishing", orphan: "its record is in no queue state"}
    message = verdict(ledger, LedgerPolicy(left_on_purpose="even on purpose"))
    assert message is not None and f"ledger-c/{gone} [work] lost" in message and "2 job(s) lost" in message
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:  # leave this test's own ledger balanced
        bridge.call(bridge.queue("ledger-c").obliterate({"force": True}))
    assert kept


INNER_CONFTEST = '''
"""A scenario fixture on the real Redis of the outer test, checked by the ledger plugin."""
import os

import pytest

from harness.isolation import ScenarioEnv, delete_prefix

pytest_plugins = ["steps.ledger_plugin"]


@pytest.fixture
def scenario(request):
    prefix = os.environ["INNER_PREFIX"] + "-" + request.node.name  # its own: under -n 2 the tests run at once
    env = ScenarioEnv("inner", os.environ["INNER_REDIS_URL"], "", prefix)
    yield env
    delete_prefix(env.redis_url, env.prefix)
'''

INNER_TESTS = '''
"""One test that balances its jobs, one that loses one, one that leaves one on purpose."""
import pytest
import redis

from simulator.queues.bridge import QueueBridge


async def ok(job, token):
    return 1


def test_balanced(scenario):
    with QueueBridge(scenario.redis_url, scenario.prefix + "-a") as bridge:
        bridge.add("q", "w", {})
    client = redis.Redis.from_url(scenario.redis_url)
    client.delete(scenario.prefix + "-a:q:events")  # nothing under the checked prefix
    client.close()


def test_loses_one(scenario):
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        job_id = bridge.add("inner-q", "doomed", {})
    client = redis.Redis.from_url(scenario.redis_url)
    client.lrem(f"{scenario.prefix}:inner-q:wait", 0, job_id)
    client.delete(f"{scenario.prefix}:inner-q:{job_id}")
    client.close()


@pytest.mark.jobs_left("nothing consumes inner-q here")
def test_leaves_one(scenario):
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        bridge.add("inner-q", "waits", {})
'''


@pytest.mark.parametrize("workers", [["-p", "no:xdist"], ["-n", "2"]], ids=["serial", "xdist"])
def test_the_plugin_fails_a_test_that_loses_a_job_and_names_it(scenario: ScenarioEnv, tmp_path: Path,
                                                                workers: list[str]) -> None:
    (tmp_path / "conftest.py").write_text(textwrap.dedent(INNER_CONFTEST))
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS))
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    jobs_left(reason): on purpose\n")
    env: dict[str, Any] = {**os.environ, "INNER_REDIS_URL": scenario.redis_url, "INNER_PREFIX": scenario.prefix + "-in",
                           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *workers,
                           "-p", "no:randomly", str(tmp_path)], capture_output=True, text=True, cwd=tmp_path, env=env,
                          timeout=120)
    out = done.stdout + done.stderr
    assert done.returncode == 1, out
    assert "3 passed, 1 error" in out, out
    assert "ERROR at teardown of test_loses_one" in out
    assert "1 job(s) lost: inner-q/1 [doomed] lost (its record vanished without finishing)" in out
    # The summary adds up the numbers each report carries (across xdist workers too).
    assert "3 ledgers checked: 2 jobs added, 1 lost, 0 duplicates, 0 stalls recovered" in out, out
    assert "test_inner.py::test_loses_one: " in out and "lost=1" in out, out
