"""Interop with the real npm `bull` 4 (the app's queue library): Bull producers and workers, manage-queues between."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv, delete_prefix

QUEUE = "ai-parsing"


def row(result: Any, name: str = QUEUE) -> dict[str, Any]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return next(q for q in result.json()["queues"] if q["name"] == name)


def now_ms() -> int:
    return int(time.time() * 1000)


def assert_worker_idle_after(worker: Any, since_ms: int) -> None:
    """The Bull worker looked at `wait` (a whole BRPOPLPUSH) after `since_ms`, found nothing, and took no job."""
    worker.wait_for(
        lambda events: any(e["event"] == "poll" and e["started"] >= since_ms and e["got"] is None for e in events),
        "the Bull worker to wait on an empty `wait` list after the jobs were added",
    )
    assert worker.ids("active") == [], "a Bull worker took a job from a paused queue"


def test_our_pause_holds_bull_workers_and_resume_finishes_every_job(
    node_bull: Any, mq: Callable[..., Any], raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    keys = f"{scenario.prefix}:{QUEUE}"
    failed_id = node_bull.add(QUEUE, 1, fail=(0,))[0]
    first = node_bull.worker(QUEUE)
    first.wait_for(lambda _: failed_id in first.ids("failed"), "the Bull worker to fail the job")
    first.stop()
    raw_redis.rpush(f"{keys}:{failed_id}:logs", "a log line")  # what Bull's job.log() writes

    before = node_bull.add(QUEUE, 5, start=1)
    change = row(mq("pause", "--queue", QUEUE, "--json"))
    assert (change["library"], change["layout"], change["moved"], change["was_paused"]) == ("bull", "bull4", 5, False)
    assert (raw_redis.llen(f"{keys}:wait"), raw_redis.llen(f"{keys}:paused")) == (0, 5)
    assert node_bull.run("is-paused", queue=QUEUE)["isPaused"] is True

    worker = node_bull.worker(QUEUE)
    worker.wait_for(lambda events: any(e["event"] == "ready" for e in events), "the Bull worker to start")
    during = node_bull.add(QUEUE, 3, start=6)  # a Bull producer sees meta-paused: into the paused list
    assert_worker_idle_after(worker, now_ms())

    status = row(mq("status", "--queue", QUEUE, "--json", "--expect", "paused"))
    assert (status["state"], status["waiting"], status["legacy_paused"], status["active"], status["failed"]) == (
        "paused", 8, 8, 0, 1)
    assert (status["library"], status["library_source"], status["notes"]) == ("bull", "redis", [])

    cleaned = row(mq("clean", "--queue", QUEUE, "--grace", "0", "--json"))
    assert cleaned["removed"] == {"failed": [failed_id]}
    assert raw_redis.exists(f"{keys}:{failed_id}", f"{keys}:{failed_id}:logs") == 0
    assert raw_redis.zcard(f"{keys}:failed") == 0
    assert row(mq("status", "--queue", QUEUE, "--json"))["waiting"] == 8

    resumed = row(mq("resume", "--queue", QUEUE, "--json"))
    assert (resumed["paused"], resumed["was_paused"], resumed["moved"]) == (False, True, 8)
    expected = set(before + during)
    worker.wait_for(lambda _: set(worker.ids("completed")) == expected, "the Bull worker to finish every job")
    assert sorted(worker.ids("active"), key=int) == sorted(expected, key=int), "a job ran twice or not at all"
    assert node_bull.run("is-paused", queue=QUEUE)["isPaused"] is False
    final = row(mq("status", "--queue", QUEUE, "--json", "--expect", "running"))
    assert (final["waiting"], final["active"], final["failed"], final["completed"]) == (0, 0, 0, 8)
    assert raw_redis.exists(f"{keys}:paused", f"{keys}:meta-paused") == 0


def test_the_apps_own_bull_pause_is_seen_and_our_resume_releases_every_job(
    node_bull: Any, mq: Callable[..., Any], raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    before = node_bull.add(QUEUE, 4)
    paused = node_bull.run("pause", queue=QUEUE)  # Bull's queue.pause(): RENAME wait paused, meta-paused
    assert paused["isPaused"] is True and paused["counts"]["paused"] == 4
    during = node_bull.add(QUEUE, 3, start=4)
    raw_redis.set(f"{scenario.prefix}:cron-paused", "{}")  # the cron half of the checklist's pause step

    status = mq("status", "--queue", QUEUE, "--json", "--expect", "paused")
    assert status.returncode == 0, status.stdout
    found = row(status)
    assert (found["library"], found["waiting"], found["legacy_paused"]) == ("bull", 7, 7)

    worker = node_bull.worker(QUEUE)
    worker.wait_for(lambda events: any(e["event"] == "ready" for e in events), "the Bull worker to start")
    assert_worker_idle_after(worker, now_ms())

    resumed = row(mq("resume", "--queue", QUEUE, "--json"))
    assert (resumed["was_paused"], resumed["moved"]) == (True, 7)
    expected = set(before + during)
    worker.wait_for(lambda _: set(worker.ids("completed")) == expected, "the Bull worker to finish every job")
    assert raw_redis.exists(f"{scenario.prefix}:{QUEUE}:meta-paused") == 0
    assert node_bull.run("is-paused", queue=QUEUE)["isPaused"] is False
    assert mq("status", "--queue", QUEUE, "--expect", "running").returncode == 0  # our resume cleared the cron too


def test_bull_dry_run_lists_exactly_what_clean_removes_for_every_state(
    bull_outside: Any, raw_redis: redis.Redis
) -> None:
    node, mq, prefix = bull_outside.node, bull_outside.mq, bull_outside.env.prefix
    finished = node.add("bull-finished", 6, fail=(0, 1, 2))
    worker = node.worker("bull-finished")
    worker.wait_for(lambda _: len(worker.ids("failed")) == 3 and len(worker.ids("completed")) == 3, "jobs to finish")
    worker.stop()
    node.add("bull-delayed", 4, delay=3_600_000)
    node.add("bull-wait", 5)
    node.add("bull-wait", 2, start=5, priority=3)
    node.run("pause", queue="bull-paused")
    node.add("bull-paused", 4)
    refused = mq("clean", "--queue", "bull-wait", "--state", "prioritized", "--dry-run")
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1, refused.stderr
    assert "queue bull-wait is Bull 4: it has no prioritized state" in refused.stderr
    cases = {"failed": "bull-finished", "completed": "bull-finished", "delayed": "bull-delayed",
             "wait": "bull-wait", "paused": "bull-paused"}
    for state, name in cases.items():
        key = f"{prefix}:{name}:{state}"
        size = raw_redis.zcard if state in ("failed", "completed", "delayed") else raw_redis.llen
        assert size(key), f"no {state} jobs: the set-up failed"
        for extra in (["--limit", "2"], ["--limit", "0"]):
            args = ("clean", "--queue", name, "--state", state, "--grace", "0", "--json", *extra)
            held = size(key)
            preview = row(mq(*args, "--dry-run"), name)["removed"][state]
            assert size(key) == held, f"--dry-run removed {state} jobs"
            removed = row(mq(*args), name)["removed"][state]
            assert removed == preview and removed, (state, extra, preview, removed)
            assert len(removed) == (2 if extra[1] == "2" else held), (state, extra)
            assert not any(raw_redis.exists(f"{prefix}:{name}:{job_id}") for job_id in removed)
    assert raw_redis.exists(f"{prefix}:bull-wait:priority") == 0  # the prioritized ids went too
    assert set(finished) == set(worker.ids("failed") + worker.ids("completed"))



@pytest.mark.jobs_left("queues are refused or paused, never processed")
def test_a_queue_whose_keys_do_not_tell_the_library_is_refused_in_one_line(
    mq_without_library: Callable[..., Any], mq: Callable[..., Any], raw_redis: redis.Redis,
    scenario: ScenarioEnv, tmp_path: Any
) -> None:
    with_config, mq = mq, mq_without_library  # no `library` in the config: nothing but Redis says which
    keys = f"{scenario.prefix}:{QUEUE}"
    # A Bull-shaped job (opts.timestamp) in wait, and a BullMQ events stream: two libraries' signs at once.
    raw_redis.hset(f"{keys}:1", mapping={"name": "__default__", "data": "{}", "timestamp": now_ms(),
                                         "opts": '{"attempts":1,"delay":0,"timestamp":1}'})
    raw_redis.lpush(f"{keys}:wait", "1")
    raw_redis.xadd(f"{keys}:events", {"event": "added", "jobId": "1"})
    for command in (["pause"], ["resume"], ["status"], ["clean", "--dry-run"]):
        refused = mq(*command, "--queue", QUEUE)
        assert refused.returncode == 2, (command, refused.stdout, refused.stderr)
        line = refused.stderr
        assert line.count("\n") == 1 and "Traceback" not in line, line
        assert f"queue {QUEUE}" in line and "job 1 opts.timestamp" in line and "events key" in line, line
    assert raw_redis.llen(f"{keys}:wait") == 1 and not raw_redis.exists(f"{keys}:meta-paused"), "a refusal acted"
    listed = mq("list", "--json")
    assert row(listed)["layout"] == "ambiguous" and row(listed)["paused"] is None

    # Told which library, the tool acts: by flag, or by the app's config file.
    assert row(mq("pause", "--queue", QUEUE, "--library", "bull", "--json"))["library"] == "bull"
    assert raw_redis.llen(f"{keys}:paused") == 1 and raw_redis.exists(f"{keys}:meta-paused") == 1
    config = tmp_path / "recovery-harness.toml"
    config.write_text(f'library = "bull"\nqueues = ["{QUEUE}"]\n')
    status = row(with_config("status", "--config", str(config), "--json", "--expect", "paused"))
    assert (status["library"], status["library_source"]) == ("bull", "config")

    # A flag that contradicts what Redis clearly shows is refused too.
    raw_redis.delete(f"{keys}:events")
    contradicted = mq("resume", "--queue", QUEUE, "--library", "bullmq")
    assert contradicted.returncode == 2 and contradicted.stderr.count("\n") == 1
    assert "Redis shows bull" in contradicted.stderr


@pytest.mark.parametrize("library", ["bull", "bullmq"])
def test_limit_0_cleans_everything_in_bounded_batches(
    library: str, raw_redis: redis.Redis, scenario: ScenarioEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--limit 0` never hands a script more than CLEAN_BATCH jobs, and the dry run walks the same batches."""
    import asyncio

    import redis.asyncio as aioredis

    from recovery_tools.manage_queues import cleaning
    from recovery_tools.manage_queues import library as libraries
    from recovery_tools.manage_queues.handles import Queues

    prefix, name, total = f"{scenario.prefix}-batches", "many", 2 * cleaning.CLEAN_BATCH + 345
    base = f"{prefix}:{name}"
    stamp = now_ms() - 60_000
    pipe = raw_redis.pipeline(transaction=False)
    for n in range(1, total + 1):
        opts = '{"attempts":1,"timestamp":1}' if library == "bull" else '{"attempts":0}'
        pipe.hset(f"{base}:{n}", mapping={"name": "x", "data": "{}", "opts": opts, "timestamp": stamp,
                                          "finishedOn": stamp + n})
        pipe.zadd(f"{base}:failed", {str(n): stamp + n})
    if library == "bullmq":
        pipe.hset(f"{base}:meta", "opts.maxLenEvents", 10000)
    pipe.execute()
    sizes: list[int] = []
    real_batch = cleaning._batch

    async def counted(*args: Any) -> list[str]:
        sizes.append(args[5])
        return await real_batch(*args)

    monkeypatch.setattr(cleaning, "_batch", counted)

    async def clean(dry_run: bool) -> list[str]:
        client = aioredis.Redis.from_url(scenario.redis_url, decode_responses=True)
        try:
            found = (await libraries.detect(client, prefix, [name], None, None))[name]
            assert found.name == library
            result = await cleaning.clean_queue(Queues(client, prefix), name, found, grace_seconds=0, limit=0,
                                                states=("failed",), dry_run=dry_run)
            return result.removed["failed"]
        finally:
            await client.aclose()

    try:
        preview = asyncio.run(clean(True))
        assert raw_redis.zcard(f"{base}:failed") == total
        removed = asyncio.run(clean(False))
        assert removed == preview and len(removed) == total
        assert raw_redis.zcard(f"{base}:failed") == 0
        assert max(sizes) == cleaning.CLEAN_BATCH and len(sizes) == 2 * 3  # 3 batches each, dry and real
    finally:
        delete_prefix(scenario.redis_url, prefix)
