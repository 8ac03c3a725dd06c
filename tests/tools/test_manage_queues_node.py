"""Interop with the real npm `bullmq` 5.x and 6.x: Node producers and workers, manage-queues in between."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv

QUEUE = "ai-parsing"


def row(result: Any) -> dict[str, Any]:
    assert result.returncode == 0, result.stderr
    return next(q for q in result.json()["queues"] if q["name"] == QUEUE)


def test_node_queue_paused_counted_cleaned_and_resumed(
    node_bullmq: Any, mq: Callable[..., Any], raw_redis: redis.Redis, scenario: ScenarioEnv,
    fetch_cycle: Callable[[str], None],
) -> None:
    node = node_bullmq
    keys = f"{scenario.prefix}:{QUEUE}"
    # A job failed by a Node worker, to be cleaned later.
    failed_id = node.add(QUEUE, 1, start=0, fail=(0,))[0]
    first = node.worker(QUEUE, exitAfter=1)
    first.wait_for(lambda _: failed_id in first.ids("failed"), "the Node worker to fail the job")
    first.stop()

    before = node.add(QUEUE, 5, start=1)
    paused = mq("pause", "--queue", QUEUE, "--json")
    change = row(paused)
    layout = "5.x" if node.major == 5 else "6.x"
    assert change["layout"] == layout
    if node.major == 5:  # BullMQ 5.x keeps a paused queue's jobs in the `paused` list
        assert change["moved"] == 5
        assert (raw_redis.llen(f"{keys}:wait"), raw_redis.llen(f"{keys}:paused")) == (0, 5)
    else:
        assert (raw_redis.llen(f"{keys}:wait"), raw_redis.exists(f"{keys}:paused")) == (5, 0)

    worker = node.worker(QUEUE)
    worker.wait_for(lambda events: any(e["event"] == "ready" for e in events), "the Node worker to connect")
    fetch_cycle(QUEUE)
    during = node.add(QUEUE, 3, start=6)  # added while paused (5.x: into the paused list)
    fetch_cycle(QUEUE)
    assert worker.ids("active") == [], "a Node worker took a job from a paused queue"

    status = row(mq("status", "--queue", QUEUE, "--json", "--expect", "paused"))
    assert (status["state"], status["waiting"], status["active"], status["failed"]) == ("paused", 8, 0, 1)
    assert status["version"].startswith(f"bullmq:{node.major}.")
    assert status["legacy_paused"] == (8 if node.major == 5 else 0)

    cleaned = row(mq("clean", "--queue", QUEUE, "--grace", "0", "--json"))
    assert cleaned["removed"] == {"failed": [failed_id]}
    assert raw_redis.exists(f"{keys}:{failed_id}") == 0
    assert row(mq("status", "--queue", QUEUE, "--json"))["waiting"] == 8

    resumed = row(mq("resume", "--queue", QUEUE, "--json"))
    assert resumed["paused"] is False
    expected = set(before + during)
    worker.wait_for(lambda _: set(worker.ids("completed")) == expected, "the Node worker to finish every job")
    final = row(mq("status", "--queue", QUEUE, "--json", "--expect", "running"))
    assert (final["waiting"], final["active"], final["failed"], final["completed"]) == (0, 0, 0, 8)
    assert raw_redis.exists(f"{keys}:paused") == 0


@pytest.mark.jobs_left("the resumed jobs are counted back in wait, no worker runs")
def test_the_apps_own_resume_after_the_tool_pause_loses_nothing(
    node_bullmq: Any, mq: Callable[..., Any]
) -> None:
    """BullMQ 5.x's own resume renames `paused` over `wait`: the tool's pause must leave nothing in `wait` to lose."""
    node = node_bullmq
    node.add(QUEUE, 4)
    assert mq("pause", "--queue", QUEUE).returncode == 0
    node.add(QUEUE, 2, start=4)
    counts = node.run("resume", queue=QUEUE)["counts"]
    assert counts["waiting"] + counts.get("paused", 0) == 6
    status = row(mq("status", "--queue", QUEUE, "--json"))
    assert (status["state"], status["waiting"], status["legacy_paused"]) == ("running", 6, 0)


def test_dry_run_lists_exactly_what_bullmqs_clean_removes_for_every_state(
    bullmq_outside: Any, raw_redis: redis.Redis
) -> None:
    node, mq, prefix = bullmq_outside.node, bullmq_outside.mq, bullmq_outside.env.prefix
    finished = node.add("mq-finished", 6, fail=(0, 1, 2))
    worker = node.worker("mq-finished")
    worker.wait_for(lambda _: len(worker.ids("failed")) == 3 and len(worker.ids("completed")) == 3, "jobs to finish")
    worker.stop()
    node.add("mq-delayed", 4, delay=3_600_000)
    node.add("mq-prioritized", 4, priority=3)
    node.add("mq-wait", 5)
    node.add("mq-paused", 4)
    assert mq("pause", "--queue", "mq-paused").returncode == 0  # 5.x: into the paused list; 6.x: stays in wait
    cases = {"failed": "mq-finished", "completed": "mq-finished", "delayed": "mq-delayed",
             "prioritized": "mq-prioritized", "wait": "mq-wait", "paused": "mq-paused"}
    for state, name in cases.items():
        key = f"{prefix}:{name}:{state}"
        size = raw_redis.llen if state in ("wait", "paused") else raw_redis.zcard
        assert size(key) or (state == "paused" and node.major == 6), f"no {state} jobs: the set-up failed"
        for extra in (["--limit", "2"], ["--limit", "0"]):
            args = ("clean", "--queue", name, "--state", state, "--grace", "0", "--json", *extra)
            held = size(key)
            preview = row_of(mq(*args, "--dry-run"), name)["removed"][state]
            assert size(key) == held, f"--dry-run removed {state} jobs"
            removed = row_of(mq(*args), name)["removed"][state]
            assert removed == preview, (state, extra, preview, removed)
            assert len(removed) == min(held, 2 if extra[1] == "2" else held), (state, extra, held)
            assert not any(raw_redis.exists(f"{prefix}:{name}:{job_id}") for job_id in removed)
    assert set(finished) == set(worker.ids("failed") + worker.ids("completed"))


def row_of(result: Any, name: str) -> dict[str, Any]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return next(q for q in result.json()["queues"] if q["name"] == name)
