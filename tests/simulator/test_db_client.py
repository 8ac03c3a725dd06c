"""PrismaClient on a real Postgres: cold engine, pool per client, application_name, Prisma's errors."""

from __future__ import annotations

import secrets
import socket
from typing import Any

import psycopg
import pytest
from sqlalchemy import exc, func, select

from harness.isolation import ScenarioEnv
from recovery_tools.urls import with_database
from simulator.clock import ManualClock, ScaledClock
from simulator.db import (
        PrismaClient,
    PrismaClientInitializationError,
    PrismaClientKnownRequestError,
    PrismaClientUnknownRequestError,
)
from simulator.db.client import prisma_call
from simulator.models import ImageReviewProductImage, Merchant
from simulator.observe.logs import LogSink
from tests.waiting import wait_until


class RecordingLog:
    """A tiny real log sink: keeps what the client emits."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def emit(self, level: str, message: str, **fields: Any) -> None:
        self.events.append((level, message, fields))


def app_name() -> str:
    return f"po-app-test-{secrets.token_hex(3)}"


def connections(database_url: str, application_name: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            (application_name,),
        ).fetchone()
    assert row is not None
    return int(row[0])


def test_a_request_on_a_cold_client_waits_for_connect_as_prismas_request_does(scenario: ScenarioEnv) -> None:
    logs = RecordingLog()
    client = PrismaClient(scenario.database_url, logs=logs)
    assert not client.is_connected
    try:
        assert client.query_raw("SELECT 1 AS ok") == [{"ok": 1}]
        assert client.is_connected
        with client.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Merchant)) == 0
    finally:
        client.disconnect()
    assert logs.events == []


def test_a_transaction_across_a_disconnect_gets_engine_not_connected_naming_the_model(scenario: ScenarioEnv) -> None:
    logs = RecordingLog()
    client = PrismaClient(scenario.database_url, logs=logs)
    client.connect()
    with pytest.raises(PrismaClientUnknownRequestError) as raised, client.transaction() as session:
        session.execute(select(1))
        client.disconnect()  # another invocation's `$disconnect()` on the shared client
        session.scalars(select(Merchant)).all()
    message = str(raised.value)
    assert message.startswith("\nInvalid `prisma.merchant.findMany()` invocation:\n\n\nEngine is not yet connected.\n")
    assert "Backtrace:" in message and "user_facing_errors::Error::new_non_panic_with_current_backtrace" in message
    assert raised.value.code is None
    assert logs.events[-1][1].startswith("PrismaClientUnknownRequestError: \nInvalid `prisma.merchant.findMany()`")
    # The next request connects again; nothing of the stale engine is left on the server.
    assert client.query_raw("SELECT 1 AS ok") == [{"ok": 1}]
    client.disconnect()


def test_a_raw_query_racing_a_reconnect_is_named_as_the_raw_call(scenario: ScenarioEnv) -> None:
    client = PrismaClient(scenario.database_url)
    client.connect()
    stale = client._start()  # the request passed `$connect()` ...
    client.disconnect()  # ... then a warmup's `$disconnect()` and `$connect()` replaced the engine under it
    client.connect()
    try:
        with pytest.raises(PrismaClientUnknownRequestError, match=r"prisma\.\$queryRawUnsafe\(\)` invocation"), \
                stale.connect() as connection:
            connection.execution_options(prisma_call="$queryRawUnsafe").exec_driver_sql("SELECT 1")
    finally:
        stale.dispose()
        client.disconnect()


@pytest.mark.parametrize(("statement", "call"), [
    ('SELECT "WorkflowExecution".id FROM "WorkflowExecution" WHERE status = %(s)s', "workflowExecution.findMany"),
    ('INSERT INTO "ProductDraft" (id) VALUES (%(id)s)', "productDraft.createMany"),
    ('UPDATE "ImageReviewProduct" SET status=%(s)s', "imageReviewProduct.updateMany"),
    ('DELETE FROM public."POLineItem" WHERE id = %(id)s', "pOLineItem.deleteMany"),
    ("SELECT o.id FROM image_review_options o", "$queryRawUnsafe"),
    ("SELECT 1", "$queryRawUnsafe"),
])
def test_prisma_call_is_named_from_the_models_table(statement: str, call: str) -> None:
    assert prisma_call(statement) == call


def test_connections_carry_application_name_and_close_on_disconnect(scenario: ScenarioEnv) -> None:
    name = app_name()
    client = PrismaClient(scenario.database_url, connection_limit=3, application_name=name)
    client.connect()
    with client.transaction() as first, client.transaction() as second, client.transaction() as third:
        for session in (first, second, third):
            session.execute(select(1))
        assert client.checked_out == 3
        assert connections(scenario.database_url, name) == 3
    client.disconnect()
    assert not client.is_connected
    wait_until(lambda: connections(scenario.database_url, name) == 0, f"{name}'s connections to leave the server",
               timeout=10)


def test_real_pool_timeout_is_p2024_and_the_limit_holds(scenario: ScenarioEnv) -> None:
    name = app_name()
    logs = RecordingLog()
    # Prisma's 10 s pool timeout, waited on a clock 60 times faster than the wall (1/6 s of wall time).
    client = PrismaClient(scenario.database_url, connection_limit=2, pool_timeout=10, application_name=name, logs=logs,
                          clock=ScaledClock(60.0))
    client.connect()
    try:
        with client.transaction() as first, client.transaction() as second:
            first.execute(select(1))
            second.execute(select(1))
            with pytest.raises(PrismaClientKnownRequestError) as raised:
                client.query_raw("SELECT 1")
            assert connections(scenario.database_url, name) == 2
    finally:
        client.disconnect()
    error = raised.value
    assert error.code == "P2024"
    assert str(error) == (
        "Timed out fetching a new connection from the connection pool. More info: http://pris.ly/d/connection-pool "
        "(Current connection pool timeout: 10, connection limit: 2)"  # whole seconds, as the app's setting
    )
    assert isinstance(error.__cause__, exc.TimeoutError)  # SQLAlchemy's QueuePool really timed out
    assert logs.events[-1][1].startswith("PrismaClientKnownRequestError: Timed out fetching a new connection")
    assert logs.events[-1][2]["code"] == "P2024"


def test_raw_sql_on_a_missing_table_is_p2010_with_postgres_42p01(scenario: ScenarioEnv) -> None:
    logs = RecordingLog()
    client = PrismaClient(scenario.database_url, logs=logs)
    with client, pytest.raises(PrismaClientKnownRequestError) as raised:
        client.query_raw('SELECT "imageUrl" FROM image_review_options WHERE "itemId" = $1', "item-1")
    error = raised.value
    assert error.code == "P2010"
    assert str(error) == ("\nInvalid `prisma.$queryRawUnsafe()` invocation:\n\n\n"
                          'Raw query failed. Code: `42P01`. Message: `relation "image_review_options" does not exist`')
    assert error.meta == {"code": "42P01", "message": 'relation "image_review_options" does not exist'}
    original = getattr(error.__cause__, "orig", None)
    assert isinstance(original, psycopg.errors.UndefinedTable)  # the server's error, not a made-up one
    fields = {"code": "P2010", "error": "PrismaClientKnownRequestError", "application_name": "po-app"}
    assert logs.events == [("error", f"PrismaClientKnownRequestError: {error}", fields)]


def test_orm_access_to_a_missing_table_is_p2021(scenario: ScenarioEnv) -> None:
    with psycopg.connect(scenario.database_url, autocommit=True) as admin:
        admin.execute('DROP TABLE "ImageReviewProductImage"')
    with PrismaClient(scenario.database_url) as client:
        with pytest.raises(PrismaClientKnownRequestError) as raised, client.transaction() as session:
            session.scalars(select(ImageReviewProductImage)).all()
        assert raised.value.code == "P2021"
        assert str(raised.value) == "The table `public.ImageReviewProductImage` does not exist in the current database."
        # The client stays usable after the failed transaction.
        assert client.query_raw("SELECT 1 AS ok") == [{"ok": 1}]


def test_query_count_counts_every_statement_so_a_duplicate_query_shows(scenario: ScenarioEnv) -> None:
    with PrismaClient(scenario.database_url) as client:
        assert client.query_count == 0  # the connect probe is not the app's query
        with client.transaction() as session:
            session.scalars(select(Merchant)).all()
        once = client.query_count
        with client.transaction() as session:
            session.scalars(select(Merchant)).all()
            session.scalars(select(Merchant)).all()
        assert once == 1
        assert client.query_count == once + 2
        client.query_raw("SELECT 1")
        assert client.query_count == once + 3


def test_raw_values_are_bound_not_spliced(scenario: ScenarioEnv) -> None:
    hostile = "x'); DROP TABLE \"Merchant\"; --"
    with PrismaClient(scenario.database_url) as client:
        client.execute_raw(
            'INSERT INTO "Merchant" (id, name, "apiToken") VALUES ($1, $2, $3)', "m-1", hostile, "token-1"
        )
        rows = client.query_raw(
            "SELECT name, '100%' AS literal, $2::int + 1 AS next FROM \"Merchant\" WHERE id = $1", "m-1", 41
        )
        assert rows == [{"name": hostile, "literal": "100%", "next": 42}]
        with pytest.raises(ValueError, match=r"placeholders \[1, 2\] but 1 values"):
            client.query_raw("SELECT $1, $2", "only-one")
        with client.transaction() as session:
            assert session.scalar(select(func.count()).select_from(Merchant)) == 1


def test_unique_violation_is_p2002_naming_the_fields(scenario: ScenarioEnv) -> None:
    with PrismaClient(scenario.database_url) as client:
        with client.transaction() as session:
            session.add(Merchant(id="m-1", name="One", apiToken="same"))
        with pytest.raises(PrismaClientKnownRequestError) as raised, client.transaction() as session:
            session.add(Merchant(id="m-2", name="Two", apiToken="same"))
        assert raised.value.code == "P2002"
        assert str(raised.value) == "Unique constraint failed on the fields: (`apiToken`)"


def test_an_error_in_the_body_rolls_back_and_propagates_unchanged(scenario: ScenarioEnv) -> None:
    with PrismaClient(scenario.database_url) as client:
        with pytest.raises(TypeError, match="Assignment to constant variable"), client.transaction() as session:
            session.add(Merchant(id="m-1", name="One", apiToken="t"))
            session.flush()
            raise TypeError("Assignment to constant variable.")
        assert client.query_raw('SELECT count(*) AS n FROM "Merchant"') == [{"n": 0}]


def test_unreachable_server_is_p1001_without_the_password() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PrismaClient(f"postgresql://app:s3cret-pw@127.0.0.1:{port}/app")
    with pytest.raises(PrismaClientInitializationError) as raised:
        client.connect()
    assert raised.value.code == "P1001"
    assert str(raised.value).startswith(f"Can't reach database server at `127.0.0.1:{port}`.")
    assert "s3cret-pw" not in str(raised.value)
    assert not client.is_connected


def test_missing_database_is_p1003(scenario: ScenarioEnv) -> None:
    missing = f"harness_missing_{secrets.token_hex(3)}"
    with pytest.raises(PrismaClientInitializationError) as raised:
        PrismaClient(with_database(scenario.database_url, missing)).connect()
    assert raised.value.code == "P1003"
    assert f"Database `{missing}` does not exist" in str(raised.value)


def test_each_client_has_its_own_pool(scenario: ScenarioEnv) -> None:
    name = app_name()
    clients = [PrismaClient(scenario.database_url, connection_limit=2, application_name=name) for _ in range(3)]
    try:
        for client in clients:
            client.connect()  # leaves one idle connection in its own pool, like a leaked Prisma client
        assert connections(scenario.database_url, name) == 3
    finally:
        for client in clients:
            client.disconnect()
    wait_until(lambda: connections(scenario.database_url, name) == 0, f"{name}'s connections to leave the server",
               timeout=10)


def test_client_errors_reach_the_scenario_log_under_the_checklist_signatures(scenario: ScenarioEnv) -> None:
    with LogSink(scenario.redis_url, scenario.prefix, ManualClock(), source="db-test") as logs:
        client = PrismaClient(scenario.database_url, connection_limit=1, pool_timeout=10, logs=logs,
                              clock=ScaledClock(50.0))
        with client:
            with pytest.raises(PrismaClientUnknownRequestError), client.transaction() as session:
                session.execute(select(1))
                client.disconnect()
                session.execute(select(Merchant.id))
            with pytest.raises(PrismaClientKnownRequestError):
                client.query_raw("SELECT * FROM image_review_items")
            with client.transaction() as session, pytest.raises(PrismaClientKnownRequestError):
                session.execute(select(1))
                client.query_raw("SELECT 1")  # the only connection is held by the session above
        seen = {signature: count for signature, count in logs.counts_by_signature().items() if count}
        assert seen == {"engine-not-connected": 1, "relation-does-not-exist": 1, "pool-timeout": 1}
        assert {event.source for event in logs.events()} == {"db-test"}
