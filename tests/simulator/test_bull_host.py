"""The Bull host on real Redis and real Node `bull` 4: interop with plain Node Bull, pause, failures, stalls."""

from __future__ import annotations

import json
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.node.runtime import NodeRuntime, ensure_bull, find_node
from simulator.queues.bull_host import BullHost, BullHostError, BullJob, BullSettings, JobSpec
from tests.waiting import wait_until

PEER = Path(__file__).with_name("bull_peer.js")
# Short locks only here, so a killed host's job is recovered in about a second instead of Bull's 30 s.
QUICK_STALL = BullSettings(lock_duration=1000, stalled_interval=300)


@pytest.fixture(scope="session")
def node() -> NodeRuntime:
    return find_node()


@pytest.fixture(scope="session")
def bull_modules(node: NodeRuntime) -> Path:
    return ensure_bull(node)


class Peer:
    """Runs bull_peer.js (a plain Node Bull process) on the scenario's Redis and prefix."""

    def __init__(self, node: NodeRuntime, modules: Path, scenario: ScenarioEnv) -> None:
        self.node, self.modules, self.scenario = node, modules, scenario
        self.workers: list[subprocess.Popen[str]] = []

    def _argv(self, command: str, queue: str, **opts: Any) -> list[str]:
        payload = {"redis": self.scenario.redis_url, "prefix": self.scenario.prefix, "queue": queue, **opts}
        return [self.node.node, str(PEER), command, json.dumps(payload)]

    def run(self, command: str, queue: str, **opts: Any) -> dict[str, Any]:
        done = subprocess.run(self._argv(command, queue, **opts), capture_output=True, text=True,
                              env=self.node.env(self.modules), timeout=120)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def add(self, queue: str, *jobs: dict[str, Any]) -> list[str]:
        return list(self.run("add", queue, jobs=list(jobs))["ids"])

    def job(self, queue: str, job_id: str) -> dict[str, Any]:
        return self.run("job", queue, id=job_id)

    def worker(self, queue: str) -> tuple[subprocess.Popen[str], list[dict[str, Any]]]:
        process = subprocess.Popen(self._argv("work", queue), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   text=True, env=self.node.env(self.modules))
        self.workers.append(process)
        lines: list[dict[str, Any]] = []

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(json.loads(line))

        threading.Thread(target=pump, daemon=True).start()
        wait_until(lambda: any(e["event"] == "ready" for e in lines) or process.poll() is not None, "peer worker")
        assert process.poll() is None, "the Node Bull worker exited at start"
        return process, lines

    def close(self) -> None:
        for process in self.workers:
            if process.poll() is None:
                assert process.stdin is not None
                process.stdin.close()
                process.wait(timeout=30)


@pytest.fixture
def peer(node: NodeRuntime, bull_modules: Path, scenario: ScenarioEnv) -> Iterator[Peer]:
    owner = Peer(node, bull_modules, scenario)
    yield owner
    owner.close()


@pytest.fixture
def hosts(node: NodeRuntime, bull_modules: Path, scenario: ScenarioEnv) -> Iterator[Callable[..., BullHost]]:
    """hosts(queues, handler, **options) starts a BullHost on the scenario; all are closed after the test."""
    started: list[BullHost] = []

    def start(queues: dict[str, int], handler: Callable[[BullJob], Any], **options: Any) -> BullHost:
        host = BullHost(scenario.redis_url, scenario.prefix, queues, handler, runtime=node,
                        node_modules=bull_modules, **options).start()
        started.append(host)
        return host

    yield start
    for host in started:
        host.close()  # a killed host: only its pool and threads are reaped


def echo(job: BullJob) -> dict[str, Any]:
    return {"by": "python", "queue": job.queue, "data": job.data}


def terminal(host: BullHost, job_id: str) -> dict[str, Any] | None:
    """The event that ended `job_id` on this host (completed, or failed with no retry left)."""
    for event in host.events():
        if event.get("jobId") == job_id and (
                event["event"] == "completed" or (event["event"] == "failed" and not event["willRetry"])):
            return event
    return None


def test_a_node_bull_producer_job_is_processed_by_the_python_callback(hosts: Callable[..., BullHost],
                                                                      peer: Peer) -> None:
    seen: list[BullJob] = []
    host = hosts({"ai-parsing": 2}, lambda job: seen.append(job) or echo(job))
    assert host.versions["bull"].startswith("4.")
    [job_id] = peer.add("ai-parsing", {"name": "parse-po", "data": {"po": 7}})
    wait_until(lambda: terminal(host, job_id), "the host to complete the producer's job")
    assert [(job.id, job.name, job.data) for job in seen] == [(job_id, "parse-po", {"po": 7})]
    record = peer.job("ai-parsing", job_id)
    assert record["state"] == "completed"
    assert record["returnvalue"] == {"by": "python", "queue": "ai-parsing", "data": {"po": 7}}


def test_a_job_the_host_adds_is_processed_by_a_plain_node_bull_worker(hosts: Callable[..., BullHost],
                                                                      peer: Peer) -> None:
    host = hosts({"database-save": 0}, echo)  # producer only: no Python worker on this queue
    _, lines = peer.worker("database-save")
    job_id = host.add("database-save", JobSpec("save", {"rows": 3}, attempts=2, job_id="po-1:save"))
    assert job_id == "po-1:save"
    wait_until(lambda: [e for e in lines if e["event"] == "completed"], "the Node worker to complete the job")
    assert [(e["id"], e["name"], e["result"]) for e in lines if e["event"] == "completed"] == [
        ("po-1:save", "save", {"by": "node", "data": {"rows": 3}})]
    assert [e["jobId"] for e in host.events("added")] == ["po-1:save"]
    assert host.add("database-save", JobSpec("save", {"rows": 4}, job_id="po-1:save")) == "po-1:save"
    wait_until(lambda: host.events("duplicated"), "Bull to report the add that added nothing")
    assert [e["jobId"] for e in host.events("duplicated")] == ["po-1:save"]
    assert len([e for e in lines if e["event"] == "completed"]) == 1


def test_bulls_own_pause_from_another_process_stops_the_hosts_workers(hosts: Callable[..., BullHost],
                                                                      peer: Peer) -> None:
    done: list[str] = []
    host = hosts({"shopify-sync": 2, "status-update": 1}, lambda job: done.append(f"{job.queue}/{job.id}"))
    assert peer.run("pause", "shopify-sync")["paused"] is True
    wait_until(lambda: host.events("paused", "shopify-sync"), "the host to hear Bull's pause")
    held = peer.add("shopify-sync", *({"name": "sync", "data": {"i": i}} for i in range(5)))
    # Control: the same host's workers are alive and fetching: a job on an unpaused queue goes through.
    [control] = peer.add("status-update", {"name": "status"})
    wait_until(lambda: terminal(host, control), "the control job on the unpaused queue")
    counts = host.counts("shopify-sync")
    assert counts["is_paused"] and counts["paused"] == 5 and counts["active"] == 0, counts
    assert not [name for name in done if name.startswith("shopify-sync/")]
    assert peer.run("resume", "shopify-sync")["paused"] is False
    wait_until(lambda: all(terminal(host, job_id) for job_id in held), "the held jobs after resume")
    assert sorted(name for name in done if name.startswith("shopify-sync/")) == sorted(
        f"shopify-sync/{job_id}" for job_id in held)


def test_the_hosts_pause_is_bulls_and_stops_a_node_worker_too(hosts: Callable[..., BullHost], peer: Peer) -> None:
    host = hosts({"merchant-config": 0}, echo)
    _, lines = peer.worker("merchant-config")
    host.pause("merchant-config")
    held = host.add("merchant-config", JobSpec("config"))
    [control] = peer.add("merchant-config", {"name": "config"})  # a second producer, same paused queue
    counts = host.counts("merchant-config")
    assert counts["is_paused"] and counts["paused"] == 2, counts
    host.resume("merchant-config")
    wait_until(lambda: len([e for e in lines if e["event"] == "completed"]) == 2, "the Node worker after resume")
    assert sorted(e["id"] for e in lines if e["event"] == "completed") == sorted([held, control])


class StageError(Exception):
    pass


def test_a_python_failure_is_bulls_failed_reason_and_bull_retries_with_backoff(hosts: Callable[..., BullHost],
                                                                               peer: Peer) -> None:
    calls: list[float] = []

    def failing(job: BullJob) -> None:
        calls.append(time.monotonic())
        raise StageError(f"Google Search API error: 429 Too Many Requests (attempt {job.attempts_made + 1})")

    host = hosts({"image-attachment": 1}, failing)
    job_id = host.add("image-attachment", JobSpec("attach", {"po": 1}, attempts=3, backoff=250))
    wait_until(lambda: terminal(host, job_id), "the job to fail for good")
    failures = host.events("failed")
    assert [(e["attemptsMade"], e["willRetry"]) for e in failures] == [(1, True), (2, True), (3, False)]
    assert failures[-1]["failedReason"] == "Google Search API error: 429 Too Many Requests (attempt 3)"
    assert all(later - earlier >= 0.25 for earlier, later in zip(calls, calls[1:], strict=False)), calls
    record = peer.job("image-attachment", job_id)
    assert record["state"] == "failed" and record["attemptsMade"] == 3
    assert record["failedReason"] == "Google Search API error: 429 Too Many Requests (attempt 3)"
    assert len(record["stacktrace"]) == 3
    assert "in failing" in record["stacktrace"][-1]
    assert record["stacktrace"][-1].endswith("StageError: Google Search API error: 429 Too Many Requests (attempt 3)")


def test_events_account_for_every_job_so_a_ledger_proves_none_lost(hosts: Callable[..., BullHost],
                                                                   peer: Peer) -> None:
    def body(job: BullJob) -> str:
        if job.data.get("fail") and job.attempts_made == 0:
            raise StageError(f"transient {job.id}")
        if job.data.get("fail") == "always":
            raise StageError(f"permanent {job.id}")
        return "ok"

    host = hosts({"ai-enrichment": 3, "shopify-payload": 2}, body)
    ours = host.add_bulk("ai-enrichment", [JobSpec("enrich", {"i": i, "fail": i % 4 == 0 and "once"}, attempts=2,
                                                   backoff=50) for i in range(12)])
    ours += host.add_bulk("shopify-payload", [JobSpec("payload", {"fail": "always"}, attempts=2),
                                              JobSpec("payload", {}, delay=200)])
    theirs = peer.add("ai-enrichment", *({"name": "enrich", "data": {"n": n}} for n in range(6)))

    def announced() -> set[tuple[str, str]]:  # added by this host, or reached wait from any producer
        return {(e["queue"], e["jobId"]) for e in host.events() if e["event"] in ("added", "waiting")}

    def ended() -> set[tuple[str, str]]:
        return {(e["queue"], e["jobId"]) for e in host.events() if e["event"] == "completed"
                or (e["event"] == "failed" and not e["willRetry"])}

    wait_until(lambda: len(announced()) == 20 and ended() >= announced(), "every announced job to end")
    added = announced()
    lost = added - ended()
    assert not lost
    assert len(ours) == 14 and len(theirs) == 6
    assert [e["jobId"] for e in host.events("failed") if not e["willRetry"]] == [ours[12]]
    for queue in ("ai-enrichment", "shopify-payload"):
        counts = host.counts(queue)
        assert counts["waiting"] == counts["active"] == counts["delayed"] == counts["paused"] == 0, counts


def test_a_killed_hosts_job_is_recovered_by_bulls_stalled_check_in_a_second_host(
        hosts: Callable[..., BullHost], peer: Peer) -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck(job: BullJob) -> None:
        started.set()
        release.wait(60)

    first = hosts({"product-draft-creation": 1}, stuck, settings=QUICK_STALL)
    [job_id] = peer.add("product-draft-creation", {"name": "draft", "data": {"po": 9}})
    assert started.wait(30), "the first host never started the job"
    first.kill()
    with pytest.raises(BullHostError, match="exited with code -9"):
        first.ping()
    release.set()
    second = hosts({"product-draft-creation": 1}, echo, settings=QUICK_STALL)
    wait_until(lambda: terminal(second, job_id), "the second host to finish the stalled job", timeout=30)
    assert [e["jobId"] for e in second.events("stalled")] == [job_id]
    record = peer.job("product-draft-creation", job_id)
    assert record["state"] == "completed" and record["returnvalue"]["data"] == {"po": 9}


def test_a_body_longer_than_the_lock_does_not_stall(hosts: Callable[..., BullHost], peer: Peer) -> None:
    """Node renews the lock while Python works: a body 2.5x the lock duration runs once and is not stalled."""
    runs: list[str] = []

    def slow(job: BullJob) -> str:
        runs.append(job.id)
        time.sleep(2.5 * QUICK_STALL.lock_duration / 1000)  # the stage body's own work, not a wait
        return "done"

    host = hosts({"shopify-sync": 2}, slow, settings=QUICK_STALL)
    [job_id] = peer.add("shopify-sync", {"name": "sync"})
    wait_until(lambda: terminal(host, job_id), "the slow job to complete")
    assert runs == [job_id]
    assert host.events("stalled") == []
    assert peer.job("shopify-sync", job_id)["state"] == "completed"


def test_close_lets_the_active_job_finish_first(hosts: Callable[..., BullHost], peer: Peer) -> None:
    release = threading.Event()
    started = threading.Event()

    def slow(job: BullJob) -> str:
        started.set()
        release.wait(30)
        return "finished"

    host = hosts({"data-normalization": 1}, slow)
    [job_id] = peer.add("data-normalization", {"name": "normalize"})
    assert started.wait(30)
    closer = threading.Thread(target=host.close)
    closer.start()
    assert peer.job("data-normalization", job_id)["state"] == "active"
    assert closer.is_alive() and host.process is not None and host.process.poll() is None
    release.set()
    closer.join(30)
    assert not closer.is_alive() and host.process.returncode == 0
    assert peer.job("data-normalization", job_id)["returnvalue"] == "finished"


@pytest.mark.jobs_left("the next stage's job waits for the next deployment, which this test does not start")
def test_close_keeps_every_queue_open_until_the_active_jobs_have_added_their_next_stage(
        hosts: Callable[..., BullHost], peer: Peer) -> None:
    """A job still running when its deployment is replaced adds its next stage through the host's other queue: that
    queue must not close first (its add failed with "Connection is closed." and the job ran again on the retry)."""
    release = threading.Event()
    started = threading.Event()
    holder: list[BullHost] = []

    def stage(job: BullJob) -> str:
        if job.queue == "ai-parsing":
            started.set()
            release.wait(30)
            holder[0].add("database-save", JobSpec("database-save", {"workflowId": "w1"}, job_id="w1-database-save"))
        return "done"

    host = hosts({"ai-parsing": 1, "database-save": 1}, stage)
    holder.append(host)
    [job_id] = peer.add("ai-parsing", {"name": "ai-parsing", "data": {"workflowId": "w1"}, "opts": {"attempts": 3}})
    assert started.wait(30)
    closer = threading.Thread(target=host.close)
    closer.start()
    time.sleep(0.3)  # the close is under way (idle queues would be closed by now) while the body still runs
    release.set()
    closer.join(30)
    assert not closer.is_alive() and host.process is not None and host.process.returncode == 0
    assert host.events("failed") == []
    assert peer.job("ai-parsing", job_id)["state"] == "completed"
    assert peer.job("database-save", "w1-database-save")["state"] == "waiting"  # for the next deployment


def test_a_host_that_cannot_start_is_reported_with_its_stderr(node: NodeRuntime, scenario: ScenarioEnv,
                                                             tmp_path: Path) -> None:
    host = BullHost(scenario.redis_url, scenario.prefix, {"ai-parsing": 1}, echo, runtime=node,
                    node_modules=tmp_path)  # no bull there
    with pytest.raises(BullHostError, match=r"could not start: the host exited with code 2.*Cannot find module 'bull'"):
        host.start()
    host.close()


def test_a_call_that_gets_no_answer_names_itself(hosts: Callable[..., BullHost]) -> None:
    host = hosts({"ai-parsing": 1}, echo)
    assert host.process is not None
    host.process.send_signal(19)  # SIGSTOP: alive but silent
    try:
        with pytest.raises(BullHostError, match=r"bull host: pause ai-parsing timed out after 0.5s"):
            host.pause("ai-parsing", timeout=0.5)
    finally:
        host.process.send_signal(18)  # SIGCONT


def test_a_host_that_forwards_no_events_still_journals_its_jobs_and_hears_no_global_events(
        hosts: Callable[..., BullHost], peer: Peer, scenario: ScenarioEnv) -> None:
    host = hosts({"ai-parsing": 2}, echo, events=False)
    job_ids = host.add_bulk("ai-parsing", [JobSpec("parse", {"n": n}) for n in range(3)])
    job_ids += peer.add("ai-parsing", {"name": "parse", "data": {"n": 3}})
    client = redis.Redis.from_url(scenario.redis_url, decode_responses=True)
    try:
        def journaled(event: str) -> set[str]:
            entries = client.xrange(f"{scenario.prefix}:ai-parsing:journal")
            return {fields["jobId"] for _, fields in entries if fields["event"] == event}

        wait_until(lambda: journaled("completed") == set(job_ids), "every job's completion to be journaled")
        assert journaled("added") == set(job_ids[:3])  # its own adds; the peer's is not this host's to journal
        assert not journaled("waiting")  # no global events journaled without journal_global
        # Nothing went to Python, and of the queue's channels the host listens only to Bull's own delayed timer
        # (a host that forwards events also has paused and resumed).
        assert host.events() == []
        assert client.pubsub_channels(f"{scenario.prefix}:ai-parsing:*") == [f"{scenario.prefix}:ai-parsing:delayed"]
    finally:
        client.close()
