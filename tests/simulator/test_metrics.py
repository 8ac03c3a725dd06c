"""Metrics: real queue depths from BullMQ keys, app connections from pg_stat_activity, finished workflows from SQL."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from typing import Any

import fakeredis
import psycopg
import pytest

from harness.isolation import ScenarioEnv
from simulator.clock import ManualClock, ScaledClock
from simulator.observe.logs import LogSink
from simulator.observe.metrics import MetricsSampler
from simulator.queues.bridge import QueueBridge
from simulator.queues.registry import QUEUE_NAMES
from tests.waiting import wait_until

PARSE, DRAFTS = QUEUE_NAMES[0], QUEUE_NAMES[1]


def test_queue_depths_count_every_unfinished_state_with_fakeredis() -> None:
    fake = fakeredis.FakeRedis()
    logs = LogSink("", "p", ManualClock(), client=fake)
    sampler = MetricsSampler("", "p", "postgresql://unused/db", logs, [PARSE, DRAFTS], client=fake)
    fake.rpush(f"p:{PARSE}:wait", "1", "2")
    fake.rpush(f"p:{PARSE}:paused", "3")
    fake.rpush(f"p:{PARSE}:active", "4")
    fake.zadd(f"p:{PARSE}:delayed", {"5": 1.0})
    fake.zadd(f"p:{PARSE}:prioritized", {"6": 1.0, "7": 2.0})
    fake.zadd(f"p:{PARSE}:completed", {"8": 1.0})  # finished jobs are not depth
    fake.rpush(f"other:{DRAFTS}:wait", "9")  # another scenario's prefix
    assert sampler.queue_depths() == {PARSE: 7, DRAFTS: 0}


def test_errors_are_read_incrementally_from_the_log_stream() -> None:
    fake = fakeredis.FakeRedis()
    logs = LogSink("", "p", ManualClock(), client=fake)
    sampler = MetricsSampler("", "p", "postgresql://unused/db", logs, [], client=fake)
    logs.error("TypeError: Assignment to constant variable.")
    assert sampler.errors_by_signature()["const-assignment"] == 1
    logs.error("TypeError: Assignment to constant variable.")
    logs.error("Engine is not yet connected.")
    errors = sampler.errors_by_signature()
    assert errors["const-assignment"] == 2 and errors["engine-not-connected"] == 1
    assert sampler.errors_by_signature() == errors  # nothing new, nothing counted twice


@pytest.fixture
def bridge(scenario: ScenarioEnv) -> Iterator[QueueBridge]:
    with QueueBridge(scenario.redis_url, scenario.prefix) as queues:
        yield queues


def add_done_workflows(database_url: str, done: int, pending: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("""INSERT INTO "Merchant" (id, name, "apiToken") VALUES ('m', 'M', 't')""")
        for n in range(done + pending):
            conn.execute(
                """INSERT INTO "PurchaseOrder" (id, "merchantId", "poNumber", "vendorName", "fileName", "fileSha256")
                   VALUES (%s, 'm', %s, 'V', %s, %s)""",
                (f"po-{n}", f"PO-{n}", f"f{n}.csv", f"sha{n}"),
            )
            conn.execute(
                """INSERT INTO "WorkflowExecution" (id, "purchaseOrderId", status) VALUES (%s, %s, %s)""",
                (f"wf-{n}", f"po-{n}", "done" if n < done else "pending"),
            )


@pytest.mark.jobs_left("queue depths are sampled from jobs no worker takes")
def test_sample_reads_real_redis_and_postgres(scenario: ScenarioEnv, bridge: QueueBridge) -> None:
    release = threading.Event()

    async def hold(job: Any, token: str) -> str:
        await asyncio.to_thread(release.wait, 20)
        return "ok"

    bridge.add(PARSE, "parse", {"n": 1})
    bridge.add(PARSE, "parse", {"n": 2})
    bridge.add(PARSE, "parse", {"n": 3}, {"delay": 600_000})
    bridge.add(DRAFTS, "drafts", {"n": 4}, {"priority": 3})
    add_done_workflows(scenario.database_url, done=3, pending=2)
    app_connections = [psycopg.connect(scenario.database_url, application_name=f"po-app-w{i}") for i in range(3)]
    other = psycopg.connect(scenario.database_url, application_name="someone-else")
    logs = LogSink(scenario.redis_url, scenario.prefix, ManualClock(), "worker")
    logs.error('Raw query failed. Code: `42P01`. Message: `relation "image_review_options" does not exist`')
    sampler = MetricsSampler(scenario.redis_url, scenario.prefix, scenario.database_url, logs, [PARSE, DRAFTS])
    try:
        bridge.start_worker(PARSE, hold, concurrency=1)
        wait_until(lambda: bridge.counts(PARSE).get("active", 0) == 1, "the parse job to be active")
        sample = sampler.sample(120.0)
        assert sample.t == 120.0
        # wait 1 + active 1 + delayed 1 on parse; prioritized 1 on drafts: agrees with BullMQ's own counts
        assert sample.queue_depths == {PARSE: 3, DRAFTS: 1}
        parse_counts = bridge.counts(PARSE)
        assert sum(parse_counts.get(s, 0) for s in ("waiting", "active", "delayed", "prioritized", "paused")) == 3
        assert sample.pg_connections == 3
        assert sample.workflows_finished == 3
        assert sample.errors["relation-does-not-exist"] == 1 and sample.errors_total == 1
    finally:
        release.set()
        for conn in [*app_connections, other]:
            conn.close()
    wait_until(lambda: bridge.counts(PARSE).get("completed", 0) == 2, "two parse jobs completed")
    later = sampler.sample(180.0)
    assert later.queue_depths == {PARSE: 1, DRAFTS: 1}  # the delayed job is still ahead
    assert later.pg_connections == 0
    series = sampler.series()
    assert series["queue_depth"] == [(120.0, 4.0), (180.0, 2.0)]
    assert series[f"queue_depth:{PARSE}"] == [(120.0, 3.0), (180.0, 1.0)]
    assert series["pg_connections"] == [(120.0, 3.0), (180.0, 0.0)]
    assert sampler.peak("pg_connections") == 3.0
    assert sampler.peak("workflows_finished") == 3.0
    assert sampler.peak("errors:relation-does-not-exist") == 1.0
    with pytest.raises(KeyError, match="unknown metric"):
        sampler.peak("cpu")
    sampler.close()
    logs.close()


def test_background_sampling_on_virtual_time(scenario: ScenarioEnv) -> None:
    clock = ScaledClock(scale=600.0)
    logs = LogSink(scenario.redis_url, scenario.prefix, clock)
    with MetricsSampler(scenario.redis_url, scenario.prefix, scenario.database_url, logs, QUEUE_NAMES) as sampler:
        sampler.start(clock, every=30.0)  # every 0.05 s of wall time
        wait_until(lambda: len(sampler.samples) >= 3, "len(sampler.samples) >= 3")
        sampler.stop()
        times = [t for t, _ in sampler.series()["queue_depth"]]
    assert times == sorted(times) and times[-1] - times[0] >= 30.0
    assert sampler.last_error is None
    logs.close()
