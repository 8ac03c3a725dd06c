"""`pause --wait-idle`, `status --expect idle` and the recovery ledger, with real Node `bull@4` and `bullmq` workers."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.queues.bridge import QueueBridge

QUEUE = "ai-parsing"
LONG_JOB_MS = 15000  # long enough for two tool runs on a loaded 2-core machine


def one_line(result: Any, code: int, *needles: str) -> str:
    assert result.returncode == code, (result.returncode, result.stdout, result.stderr)
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in result.stderr, (needle, result.stderr)
    return str(result.stderr)


def accounts(document: dict[str, Any], name: str = QUEUE) -> dict[str, Any]:
    return next(q for q in document["ledger"]["queues"] if q["name"] == name)


# -- a long job still active after the pause -------------------------------------------------------------------


def wait_idle_round(node: Any, mq: Callable[..., Any], ledger: Path, library: str) -> dict[str, Any]:
    """A 15 s job active when the queue is paused: --wait-idle 2s names it (exit 1), --wait-idle 30s sees it end."""
    [job_id] = node.add(QUEUE, 1, sleep=LONG_JOB_MS, removeOnComplete=True)
    worker = node.worker(QUEUE)
    worker.wait_for(lambda _: job_id in worker.ids("active"), "the worker to take the long job")

    short = mq("pause", "--queue", QUEUE, "--wait-idle", "2s", "--ledger", str(ledger), "--json")
    one_line(short, 1, "still active after --wait-idle 2s", f"queue {QUEUE}: {job_id} (running ")
    waited = short.json()["wait_idle"]
    assert waited["idle"] is False and waited["waited_seconds"] >= 2.0, waited
    [active] = waited["active"][QUEUE]
    assert active["id"] == job_id and active["locked"] is True and active["running_seconds"] >= 2.0, active
    assert short.json()["ledger"]["action"] == "opened"
    assert job_id not in worker.ids("completed"), "the job ended before the short wait did: the test proves nothing"

    busy = mq("status", "--queue", QUEUE, "--expect", "idle")
    assert busy.returncode == 1 and f"queue {QUEUE} has 1 active job(s): {job_id} (running" in busy.stdout, busy.stdout

    long = mq("pause", "--queue", QUEUE, "--wait-idle", "30s", "--ledger", str(ledger), "--json")
    assert long.returncode == 0, (long.stdout, long.stderr)
    document = long.json()
    assert document["wait_idle"]["idle"] is True and document["wait_idle"]["active"] == {}
    assert document["ledger"]["action"] == "kept", "a second pause must keep the first snapshot"
    worker.wait_for(lambda _: job_id in worker.ids("completed"), "the worker to report the long job completed")
    assert mq("status", "--queue", QUEUE, "--expect", "idle").returncode == 0

    resumed = mq("resume", "--queue", QUEUE, "--ledger", str(ledger), "--json")
    assert resumed.returncode == 0, (resumed.stdout, resumed.stderr)
    report = accounts(resumed.json())
    assert report["counts"]["at_pause"] == 1 and report["missing"] == [], report
    # removeOnComplete took the job away: BullMQ's events stream proves it finished; Bull 4 keeps no trace.
    if library == "bullmq":
        assert report["finished_by_events"] == [job_id] and report["unconfirmed"] == [], report
    else:
        assert report["unconfirmed"] == [job_id] and report["finished_by_events"] == [], report
    kept = json.loads(ledger.read_text())
    [recovery] = kept["recoveries"]
    assert len(recovery["pauses"]) == 2 and recovery["closed_at"] is not None
    assert recovery["queues"][QUEUE]["jobs"]["active"] == [job_id]
    assert recovery["queues"][QUEUE]["retention"] == [job_id]
    return report


def test_wait_idle_names_a_long_bull_job_then_sees_it_finish(
    node_bull: Any, mq: Callable[..., Any], tmp_path: Path
) -> None:
    wait_idle_round(node_bull, mq, tmp_path / "ledger.json", "bull")


def test_wait_idle_names_a_long_bullmq_job_then_sees_it_finish(
    node_bullmq: Any, mq: Callable[..., Any], tmp_path: Path
) -> None:
    wait_idle_round(node_bullmq, mq, tmp_path / "ledger.json", "bullmq")


# -- a job deleted behind the tool's back is missing; clean's removals are not -------------------------------------


def missing_round(outside: Any, raw_redis: redis.Redis, ledger: Path) -> None:
    node, mq, prefix = outside.node, outside.mq, outside.env.prefix
    name = "ledger-queue"
    failed = node.add(name, 2, fail=(0, 1))
    worker = node.worker(name)
    worker.wait_for(lambda _: len(worker.ids("failed")) == 2, "the worker to fail two jobs")
    worker.stop()
    waiting = node.add(name, 4, start=2)
    assert mq("pause", "--queue", name, "--ledger", str(ledger)).returncode == 0
    added = node.add(name, 1, start=10)
    cleaned = mq("clean", "--queue", name, "--grace", "0", "--ledger", str(ledger), "--json")
    assert cleaned.returncode == 0, cleaned.stderr
    assert sorted(cleaned.json()["queues"][0]["removed"]["failed"]) == sorted(failed)
    assert cleaned.json()["ledger"]["action"] == "appended"

    victim = waiting[1]
    for held in ("wait", "paused"):  # where a paused queue's waiting jobs sit (BullMQ 6.x: wait; Bull, 5.x: paused)
        raw_redis.lrem(f"{prefix}:{name}:{held}", 0, victim)
    raw_redis.delete(f"{prefix}:{name}:{victim}")

    resumed = mq("resume", "--queue", name, "--ledger", str(ledger), "--json")
    one_line(resumed, 1, "1 job(s) present at the pause are missing", f"queue {name}: {victim}")
    report = accounts(resumed.json(), name)
    assert report["missing"] == [victim], report
    assert sorted(report["cleaned"]) == sorted(failed) and report["added"] == added, report
    assert report["counts"] == {"at_pause": 6, "added": 1, "cleaned": 2, "finished": 0, "still_waiting": 3,
                                "missing": 1, "unconfirmed": 0}, report
    assert resumed.json()["ledger"]["missing_total"] == 1
    text = mq("status", "--queue", name, "--json")  # the resume itself went through
    assert text.json()["queues"][0]["paused"] is False


def test_bull_job_deleted_behind_the_tools_back_is_missing_cleaned_ones_are_not(
    bull_outside: Any, raw_redis: redis.Redis, tmp_path: Path
) -> None:
    missing_round(bull_outside, raw_redis, tmp_path / "ledger.json")


def test_bullmq_job_deleted_behind_the_tools_back_is_missing_cleaned_ones_are_not(
    bullmq_outside: Any, raw_redis: redis.Redis, tmp_path: Path
) -> None:
    missing_round(bullmq_outside, raw_redis, tmp_path / "ledger.json")


# -- where the ledger is kept, and what happens to a damaged one ---------------------------------------------------


@pytest.mark.jobs_left("the queue is left paused with its jobs on purpose")
def test_default_ledger_is_a_file_in_the_current_folder_written_whole(
    mq: Callable[..., Any], bridge: QueueBridge, tmp_path: Path, raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    first = [bridge.add(QUEUE, "w", {"n": n}) for n in range(3)]
    assert mq("pause", "--queue", QUEUE, cwd=tmp_path).returncode == 0
    assert [p.name for p in tmp_path.iterdir()] == ["recovery-ledger.json"], "a temp file was left behind"
    later = bridge.add(QUEUE, "w", {"n": 3})
    again = mq("pause", "--queue", QUEUE, "--json", cwd=tmp_path)
    assert again.json()["ledger"]["action"] == "kept"
    document = json.loads((tmp_path / "recovery-ledger.json").read_text())
    assert document["format"] == "recovery-ledger/1"
    [recovery] = document["recoveries"]
    assert sorted(recovery["queues"][QUEUE]["jobs"]["wait"]) == sorted(first), "the second pause replaced the snapshot"
    assert recovery["prefix"] == scenario.prefix and "@" in recovery["opened_by"]
    assert not raw_redis.exists(f"{scenario.prefix}:recovery-ledger"), "the file ledger wrote into the app's Redis"

    resumed = mq("resume", "--queue", QUEUE, "--json", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    report = accounts(resumed.json())
    assert report["added"] == [later] and report["counts"]["still_waiting"] == 3
    assert mq("pause", "--queue", QUEUE, cwd=tmp_path).returncode == 0  # after a resume: a new recovery
    assert len(json.loads((tmp_path / "recovery-ledger.json").read_text())["recoveries"]) == 2

    dry = mq("clean", "--queue", QUEUE, "--state", "wait", "--grace", "0", "--dry-run", "--json", cwd=tmp_path)
    assert dry.json()["ledger"]["action"] == "off" and dry.json()["total"] == 4
    assert all(not q["cleaned"] for r in json.loads((tmp_path / "recovery-ledger.json").read_text())["recoveries"]
               for q in r["queues"].values()), "a dry run was recorded"


@pytest.mark.jobs_left("the queue is left paused with its jobs on purpose")
def test_ledger_in_redis_only_when_asked_under_a_key_no_queue_owns(
    mq: Callable[..., Any], bridge: QueueBridge, tmp_path: Path, raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    bridge.add(QUEUE, "w", {})
    assert mq("pause", "--queue", QUEUE, "--ledger", "redis", cwd=tmp_path).returncode == 0
    assert list(tmp_path.iterdir()) == []
    stored = json.loads(str(raw_redis.get(f"{scenario.prefix}:recovery-ledger")))
    assert stored["recoveries"][0]["queues"][QUEUE]["library"] == "bullmq"
    listed = mq("list", "--json").json()["queues"]
    assert "recovery-ledger" not in {q["name"] for q in listed}, "the ledger key was taken for a queue"
    assert mq("pause", "--queue", QUEUE, "--ledger", "off", cwd=tmp_path).returncode == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("content", ["{not json", '{"format": "something-else"}', '{"format": "recovery-ledger/1"}',
                                     "\udcff"], ids=["bad-json", "foreign", "no-recoveries", "not-utf8"])
@pytest.mark.jobs_left("the job only gives the queue keys; nothing may run it")
def test_a_damaged_ledger_is_refused_before_anything_changes_and_kept(
    mq: Callable[..., Any], bridge: QueueBridge, tmp_path: Path, content: str
) -> None:
    bridge.add(QUEUE, "w", {})
    path = tmp_path / "ledger.json"
    raw = content.encode("utf-8", "surrogateescape")
    path.write_bytes(raw)
    for command in ("pause", "clean", "resume"):
        done = mq(command, "--queue", QUEUE, "--ledger", str(path))
        one_line(done, 2, f"recovery ledger {path}", "refusing to use or overwrite it")
        assert path.read_bytes() == raw, f"{command} touched the damaged ledger"
    status = mq("status", "--queue", QUEUE, "--json").json()
    assert status["queues"][0]["paused"] is False and status["cron"]["paused"] is None, "paused despite the refusal"


def test_bad_wait_idle_and_a_folder_as_ledger_are_usage_errors(mq: Callable[..., Any], tmp_path: Path) -> None:
    one_line(mq("pause", "--wait-idle", "soon"), 2, "bad --wait-idle 'soon'")
    one_line(mq("pause", "--ledger", str(tmp_path)), 2, f"--ledger {tmp_path} is a folder")
