"""manage-queues as a real subprocess on a real Redis, with queues filled and worked by Python bullmq."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.queues.bridge import QueueBridge
from simulator.queues.registry import QUEUE_NAMES, cron_pause_key
from simulator.schema import tool_config_path
from tests.tools.conftest import ToolResult, run_tool

QUEUE = QUEUE_NAMES[0]


class Gate:
    """A processor that records each job and, for gated jobs, holds them active until released."""

    def __init__(self, hold: bool = True) -> None:
        self.started: list[str] = []
        self.release = threading.Event()
        if not hold:
            self.release.set()

    async def __call__(self, job: Any, token: str) -> dict[str, Any]:
        self.started.append(str(job.id))
        await asyncio.to_thread(self.release.wait, 60)
        if job.data.get("fail"):
            raise RuntimeError(f"boom {job.id}")
        return {"ok": job.id}


def queue_json(result: Any, name: str) -> dict[str, Any]:
    return next(q for q in result.json()["queues"] if q["name"] == name)


def backdate_failure(client: redis.Redis, prefix: str, queue: str, job_id: str, seconds: float) -> None:
    """Make a failed job look as if it failed `seconds` ago (its finishedOn and its score in the failed set)."""
    stamp = int((time.time() - seconds) * 1000)
    client.hset(f"{prefix}:{queue}:{job_id}", "finishedOn", stamp)
    client.zadd(f"{prefix}:{queue}:failed", {job_id: stamp}, xx=True)


def test_pause_stops_processing_and_resume_finishes_everything(
    mq: Callable[..., Any], bridge: QueueBridge, fetch_cycle: Callable[[str], None], poll: Callable[..., Any]
) -> None:
    ids = [bridge.add(QUEUE, "parse", {"n": n}) for n in range(5)]
    gate = Gate()
    bridge.start_worker(QUEUE, gate, concurrency=1)
    poll(lambda: len(gate.started) == 1, "the first job to become active")

    paused = mq("pause")
    assert paused.returncode == 0, paused.stderr
    during = mq("status", "--json", "--expect", "paused")
    assert during.returncode == 0, during.stdout
    row = queue_json(during, QUEUE)
    assert (row["state"], row["active"], row["waiting"]) == ("paused", 1, 4)
    assert during.json()["cron"]["paused"] is None  # the config names no platform and no switch: no cron claimed

    gate.release.set()  # the active job finishes although the queue is paused
    poll(lambda: bridge.counts(QUEUE)["completed"] == 1, "the active job to complete")
    fetch_cycle(QUEUE)
    assert gate.started == [ids[0]], "a paused queue handed out a new job"
    counts = bridge.counts(QUEUE)
    assert (counts["active"], counts["waiting"], counts["completed"]) == (0, 4, 1)

    resumed = mq("resume")
    assert resumed.returncode == 0, resumed.stderr
    poll(lambda: bridge.counts(QUEUE)["completed"] == 5, "every job to complete after resume")
    assert sorted(gate.started, key=int) == ids
    after = mq("status", "--json", "--expect", "running")
    assert after.returncode == 0, after.stdout
    assert queue_json(after, QUEUE)["completed"] == 5


@pytest.mark.jobs_left("jobs in every state are counted, none processed")
def test_status_counts_match_getjobcounts_plus_the_legacy_paused_list(
    mq: Callable[..., Any], bridge: QueueBridge, raw_redis: redis.Redis, scenario: ScenarioEnv,
    poll: Callable[..., Any],
) -> None:
    name = QUEUE_NAMES[1]
    for n in range(3):
        bridge.add(name, "job", {"n": n, "fail": n == 0})
    bridge.start_worker(name, Gate(hold=False))
    poll(lambda: bridge.counts(name)["failed"] == 1 and bridge.counts(name)["completed"] == 2, "jobs to finish")
    bridge.add(name, "later", {"n": 9}, {"delay": 3_600_000})
    bridge.call(bridge.queue(name).pause())  # stop the worker taking what comes next
    for n in range(4):
        bridge.add(name, "waiting", {"n": n})
    bridge.add(name, "urgent", {"n": 1}, {"priority": 3})
    # Jobs a BullMQ 5.x producer put in the `paused` list while the queue was paused.
    raw_redis.lpush(f"{scenario.prefix}:{name}:paused", "901", "902")

    counts = bridge.counts(name)
    status = mq("status", "--json", "--queue", name)
    assert status.returncode == 0, status.stderr
    row = queue_json(status, name)
    assert row["waiting"] == counts["waiting"] + 2 == 6
    assert row["legacy_paused"] == 2
    for field in ("active", "delayed", "prioritized", "failed", "completed"):
        assert row[field] == counts[field], field
    assert (row["delayed"], row["prioritized"], row["failed"], row["completed"]) == (1, 1, 1, 2)
    assert row["state"] == "paused"

    human = mq("status", "--queue", name)
    assert "6 (2 in paused list)" in human.stdout


@pytest.mark.jobs_left("a delayed job shows clean leaves other states alone")
def test_clean_removes_only_failed_jobs_past_the_grace(
    mq: Callable[..., Any], bridge: QueueBridge, raw_redis: redis.Redis, scenario: ScenarioEnv,
    poll: Callable[..., Any],
) -> None:
    ids = [bridge.add(QUEUE, "job", {"n": n, "fail": n < 4}) for n in range(6)]
    bridge.start_worker(QUEUE, Gate(hold=False))
    poll(lambda: bridge.counts(QUEUE)["failed"] == 4 and bridge.counts(QUEUE)["completed"] == 2, "jobs to finish")
    old = ids[:3]
    for job_id in old:
        backdate_failure(raw_redis, scenario.prefix, QUEUE, job_id, 7200)
    waiting_id = bridge.add(QUEUE, "after", {"n": 99}, {"delay": 3_600_000})

    preview = mq("clean", "--queue", QUEUE, "--grace", "1h", "--dry-run", "--json")
    assert preview.returncode == 0, preview.stderr
    assert sorted(queue_json(preview, QUEUE)["removed"]["failed"], key=int) == old
    assert bridge.counts(QUEUE)["failed"] == 4, "--dry-run removed something"

    limited = mq("clean", "--queue", QUEUE, "--grace", "1h", "--limit", "2", "--json")
    assert limited.returncode == 0, limited.stderr
    assert queue_json(limited, QUEUE)["count"] == 2
    cleaned = mq("clean", "--queue", QUEUE, "--grace", "3600")
    assert cleaned.returncode == 0, cleaned.stderr
    assert "removed 1 job(s)" in cleaned.stdout

    counts = bridge.counts(QUEUE)
    assert (counts["failed"], counts["completed"], counts["delayed"]) == (1, 2, 1)
    assert bridge.job(QUEUE, ids[3]) is not None, "a failure younger than the grace was removed"
    assert all(bridge.job(QUEUE, job_id) is None for job_id in old)
    assert bridge.job_state(QUEUE, waiting_id) == "delayed"

    completed = mq("clean", "--queue", QUEUE, "--state", "completed", "--json")
    assert sorted(queue_json(completed, QUEUE)["removed"]["completed"], key=int) == [ids[4], ids[5]]
    assert bridge.counts(QUEUE)["failed"] == 1


def test_no_job_is_lost_across_pause_clean_and_resume(
    mq: Callable[..., Any], bridge: QueueBridge, poll: Callable[..., Any]
) -> None:
    added: dict[str, list[str]] = {}
    for name in QUEUE_NAMES[:3]:
        added[name] = [bridge.add(name, "job", {"n": n, "fail": n == 0}) for n in range(4)]
    workers = {name: Gate(hold=False) for name in QUEUE_NAMES[:3]}
    for name, gate in workers.items():
        bridge.start_worker(name, gate)
    poll(lambda: all(bridge.counts(n)["failed"] == 1 and bridge.counts(n)["completed"] == 3 for n in workers),
         "the first round to finish")
    assert mq("pause").returncode == 0
    later = {name: [bridge.add(name, "job", {"n": 10 + n}) for n in range(3)] for name in workers}

    cleaned = mq("clean", "--json")
    assert cleaned.returncode == 0, cleaned.stderr
    assert cleaned.json()["total"] == 3
    for name in workers:
        assert bridge.counts(name)["waiting"] == 3, "clean touched waiting jobs"

    assert mq("resume").returncode == 0
    poll(lambda: all(bridge.counts(n)["completed"] == 6 for n in workers), "every job to complete after resume")
    for name, gate in workers.items():
        failed_id = added[name][0]
        assert sorted(gate.started, key=int) == sorted(added[name] + later[name], key=int)
        assert bridge.job(name, failed_id) is None
        assert all(bridge.job_state(name, j) == "completed" for j in added[name][1:] + later[name])


def test_pause_and_resume_set_and_clear_the_cron_switch(raw_redis: redis.Redis, scenario: ScenarioEnv,
                                                         tmp_path: Path) -> None:
    # An app whose cron handler honours the switch ([cron] switch = true); queues without keys, and no library
    # configured: paused both ways, running again when meta.paused goes.
    config = tmp_path / "recovery-harness.toml"
    lines = [line for line in tool_config_path().read_text().splitlines() if not line.startswith("library")]
    config.write_text("\n".join([*lines, "[cron]", "switch = true"]) + "\n")

    def mq(*args: str) -> ToolResult:
        return run_tool(*args, "--config", str(config), "--redis-url", scenario.redis_url, "--prefix", scenario.prefix)

    key = cron_pause_key(scenario.prefix)
    paused = mq("pause", "--json")
    assert paused.returncode == 0, paused.stderr
    document = paused.json()
    assert document["cron"]["paused"] is True and document["cron"]["key"] == key
    assert raw_redis.exists(key) == 1
    assert [q["name"] for q in document["queues"]] == list(QUEUE_NAMES)
    assert all(raw_redis.hexists(f"{scenario.prefix}:{n}:meta", "paused") for n in QUEUE_NAMES)

    # Queues running but cron paused: "verify paused" and "verify running" both fail.
    raw_redis.hdel(f"{scenario.prefix}:{QUEUE}:meta", "paused")
    mixed = mq("status", "--expect", "paused")
    assert mixed.returncode == 1
    assert f"queue {QUEUE} is running" in mixed.stdout

    assert mq("resume").returncode == 0
    assert raw_redis.exists(key) == 0
    running = mq("status", "--expect", "running", "--json")
    assert running.returncode == 0 and running.json()["expectation_met"] is True
    assert mq("status", "--expect", "paused").returncode == 1


@pytest.mark.jobs_left("queues are listed, not processed")
def test_list_and_all_find_queues_outside_the_registry(
    mq: Callable[..., Any], bridge: QueueBridge, scenario: ScenarioEnv
) -> None:
    bridge.add("legacy-export", "job", {})
    bridge.add(QUEUE, "job", {})
    listed = mq("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {q["name"]: q for q in listed.json()["queues"]}
    assert set(rows) == {"legacy-export", QUEUE}  # the cron switch key is not a queue
    assert rows["legacy-export"]["registered"] is False and rows[QUEUE]["registered"] is True
    assert set(listed.json()["registry_missing"]) == set(QUEUE_NAMES) - {QUEUE}

    paused = mq("pause", "--all", "--json")
    assert [q["name"] for q in paused.json()["queues"]] == sorted(["legacy-export", QUEUE]), "by name"
    assert mq("status", "--queue", "legacy-export", "--expect", "paused").returncode == 0
    unknown = mq("status", "--queue", "no-such-queue")
    assert unknown.returncode == 2
    assert unknown.stderr.strip().count("\n") == 0 and "no-such-queue" in unknown.stderr


@pytest.mark.jobs_left("jobs in every state are shown, none processed")
def test_status_output_is_readable_and_json_is_stable(mq: Callable[..., Any], bridge: QueueBridge) -> None:
    bridge.add(QUEUE, "job", {})
    human = mq("status")
    assert human.returncode == 0
    for word in ("queue", "state", "waiting", "active", "delayed", "prioritized", "failed", "completed", "bullmq"):
        assert word in human.stdout
    assert "cron: this tool does not manage the app's cron" in human.stdout  # no [vercel], no [cron] switch
    document = mq("status", "--json").json()
    assert set(document) == {"command", "redis", "prefix", "cron", "queues", "expect", "expectation_met", "mismatches"}
    assert set(document["queues"][0]) == {
        "name", "state", "paused", "waiting", "legacy_paused", "active", "delayed", "prioritized",
        "waiting_children", "failed", "completed", "version", "layout", "exists", "library", "library_source",
        "evidence", "notes",
    }
    row = queue_json(mq("status", "--json"), QUEUE)
    assert row["waiting"] == 1
    # The simulated app's Python bullmq queue is told from its keys, not from a flag or the config.
    assert (row["library"], row["library_source"], row["layout"]) == ("bullmq", "redis", "6.x")
    assert "events key" in row["evidence"]
