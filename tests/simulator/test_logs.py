"""Logs: events in a Redis stream per scenario, signatures counted, JSON lines written, shared across processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import fakeredis
import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.clock import ManualClock, ScaledClock
from simulator.db import errors
from simulator.observe.logs import SIGNATURES, LogSink, signatures_in, stream_key
from simulator.services.image_search import http_error_message

# The lines as the simulated app writes them, made by the same code that writes them (Prisma's errors as a Node
# app's console.error starts them, the image search's 429 as the app words it).
INCIDENT_LINES = {
    "relation-does-not-exist": errors.logged(errors.raw_query_failed(
        "42P01", 'relation "image_review_options" does not exist')),
    "engine-not-connected": errors.logged(errors.engine_not_connected("workflowExecution.findMany")),
    "const-assignment": "TypeError: Assignment to constant variable.",
    "pool-timeout": errors.logged(errors.pool_timeout(10, 5)),
    "google-429": http_error_message(429, "Too Many Requests"),
    "temporary-queue": "Queue background-image-processing not found (jobType: undefined), creating temporary queue",
}


def test_incident_lines_are_the_formats_of_the_apps_logs() -> None:
    assert INCIDENT_LINES["relation-does-not-exist"] == (
        "PrismaClientKnownRequestError: \nInvalid `prisma.$queryRawUnsafe()` invocation:\n\n\n"
        'Raw query failed. Code: `42P01`. Message: `relation "image_review_options" does not exist`')
    assert INCIDENT_LINES["engine-not-connected"].startswith(
        "PrismaClientUnknownRequestError: \nInvalid `prisma.workflowExecution.findMany()` invocation:\n\n\n"
        "Engine is not yet connected.\nBacktrace:")
    assert INCIDENT_LINES["pool-timeout"].endswith(
        "Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool "
        "(Current connection pool timeout: 10, connection limit: 5)")
    assert INCIDENT_LINES["google-429"] == "Google Search API error: 429 Too Many Requests"


@pytest.fixture
def sink() -> LogSink:
    return LogSink("", "test-prefix", ManualClock(), "worker", client=fakeredis.FakeRedis())


def test_every_incident_line_shows_exactly_its_signature() -> None:
    assert set(INCIDENT_LINES) == set(SIGNATURES)
    for signature, line in INCIDENT_LINES.items():
        assert signatures_in(line) == [signature], line
    assert signatures_in("workflow wf-1 finished stage refinement") == []
    assert signatures_in("workflow 3f4291c0-aa42-4290-b429-0d1e2f3a4b5c done") == []
    assert signatures_in("image search answered HTTP 429") == ["google-429"]


def test_emit_stamps_virtual_time_source_and_fields(sink: LogSink) -> None:
    assert isinstance(sink.clock, ManualClock)
    sink.clock.advance(300.0)
    sink.info("cron tick", enqueued=4)
    sink.clock.advance(60.0)
    sink.error("boom", workflow="wf-1")
    first, second = sink.events()
    assert (first.t, first.level, first.message, first.source) == (300.0, "info", "cron tick", "worker")
    assert first.fields == {"enqueued": 4}
    assert first.pid == os.getpid() and first.wall > 0
    assert (second.t, second.level, second.fields) == (360.0, "error", {"workflow": "wf-1"})


def test_unknown_level_is_refused(sink: LogSink) -> None:
    with pytest.raises(ValueError, match="unknown log level"):
        sink.emit("loud", "x")
    assert sink.events() == []


def test_matching_and_counts_by_signature(sink: LogSink) -> None:
    sink.error(INCIDENT_LINES["relation-does-not-exist"])
    sink.error(INCIDENT_LINES["relation-does-not-exist"])
    sink.error(INCIDENT_LINES["google-429"])
    sink.info("all good")
    assert len(sink.matching("relation-does-not-exist")) == 2
    counts = sink.counts_by_signature()
    assert set(counts) == set(SIGNATURES)
    assert counts["relation-does-not-exist"] == 2 and counts["google-429"] == 1
    assert sum(counts.values()) == 3
    with pytest.raises(KeyError):
        sink.matching("no-such-signature")


def test_children_share_the_stream_and_tail_reads_only_new_events(sink: LogSink) -> None:
    cron = sink.child("cron")
    sink.info("one")
    cursor, events = sink.tail()
    assert [e.message for e in events] == ["one"]
    cron.info("two")
    cursor, events = sink.tail(cursor)
    assert [(e.message, e.source) for e in events] == [("two", "cron")]
    assert sink.tail(cursor) == (cursor, [])


def test_write_jsonl_writes_one_object_per_line(sink: LogSink, tmp_path: Path) -> None:
    sink.info("first", n=1)
    sink.warning("second")
    target = tmp_path / "logs.jsonl"
    sink.write_jsonl(target)
    rows = [json.loads(line) for line in target.read_text().splitlines()]
    assert [row["message"] for row in rows] == ["first", "second"]
    assert rows[0]["fields"] == {"n": 1} and rows[0]["source"] == "worker"
    assert not (tmp_path / "logs.jsonl.partial").exists()


def test_worker_subprocess_logs_to_the_scenario_stream(scenario: ScenarioEnv) -> None:
    clock = ScaledClock(scale=60.0)
    with LogSink(scenario.redis_url, scenario.prefix, clock, "test") as sink:
        sink.info("before the worker")
        script = textwrap.dedent(
            """
            import sys
            from simulator.clock import ScaledClock
            from simulator.observe.logs import LogSink
            url, prefix, origin = sys.argv[1], sys.argv[2], float(sys.argv[3])
            with LogSink(url, prefix, ScaledClock(60.0, origin=origin), "worker") as sink:
                sink.error("TypeError: Assignment to constant variable.", stage="image-attachment")
            """
        )
        subprocess.run(
            [sys.executable, "-c", script, scenario.redis_url, scenario.prefix, repr(clock.origin)],
            check=True,
            timeout=60,
        )
        sink.info("after the worker")
        events = sink.events()
    assert [e.source for e in events] == ["test", "worker", "test"]
    worker = events[1]
    assert worker.pid != os.getpid()
    assert events[0].t <= worker.t <= events[2].t  # one virtual timeline across processes
    assert worker.fields == {"stage": "image-attachment"}
    client = redis.Redis.from_url(scenario.redis_url)
    try:
        assert client.xlen(stream_key(scenario.prefix)) == 3
    finally:
        client.close()
