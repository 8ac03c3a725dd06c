"""prisma_operation(): connects a cold client, retries connection trouble only, one transaction per attempt."""

from __future__ import annotations

import secrets
import socket

import psycopg
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from harness.isolation import ScenarioEnv
from simulator.db import PrismaClient, PrismaClientInitializationError, PrismaClientKnownRequestError, prisma_operation
from simulator.models import Merchant


def count_merchants(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Merchant)) or 0)


def terminate(database_url: str, application_name: str) -> int:
    """Kill the client's server backends the way an operator (or a failover) would."""
    with psycopg.connect(database_url, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND application_name = %s",
            (application_name,),
        ).fetchall()
    return len(rows)


def test_connects_a_cold_client_first(scenario: ScenarioEnv) -> None:
    client = PrismaClient(scenario.database_url)
    try:
        assert prisma_operation(client, count_merchants) == 0
        assert client.is_connected
    finally:
        client.disconnect()


def test_commits_on_success_and_rolls_back_a_failed_operation(scenario: ScenarioEnv) -> None:
    client = PrismaClient(scenario.database_url)

    def add_then_fail(session: Session) -> None:
        session.add(Merchant(id="m-2", name="Two", apiToken="t-2"))
        session.flush()
        raise RuntimeError("stage failed")

    try:
        prisma_operation(client, lambda session: session.add(Merchant(id="m-1", name="One", apiToken="t-1")))
        with pytest.raises(RuntimeError, match="stage failed"):
            prisma_operation(client, add_then_fail)
        assert prisma_operation(client, count_merchants) == 1
    finally:
        client.disconnect()


def test_retries_after_the_server_closed_the_connection(scenario: ScenarioEnv) -> None:
    name = f"po-app-test-{secrets.token_hex(3)}"
    client = PrismaClient(scenario.database_url, connection_limit=1, application_name=name)
    waits: list[float] = []
    try:
        client.connect()
        assert terminate(scenario.database_url, name) == 1
        with pytest.raises(PrismaClientKnownRequestError) as raised, client.transaction() as session:
            count_merchants(session)  # without the helper the app sees the real closed connection
        assert raised.value.code == "P1017"

        prisma_operation(client, count_merchants)  # warm the pool again
        assert terminate(scenario.database_url, name) == 1
        assert prisma_operation(client, count_merchants, sleep=waits.append) == 0
    finally:
        client.disconnect()
    assert waits == [0.05]  # exactly one retry, after the first backoff


def test_query_errors_are_not_retried(scenario: ScenarioEnv) -> None:
    client = PrismaClient(scenario.database_url)
    waits: list[float] = []
    attempts: list[int] = []

    def read_legacy_table(session: Session) -> object:
        attempts.append(1)
        return session.execute(text("SELECT * FROM image_review_items")).all()

    try:
        with pytest.raises(PrismaClientKnownRequestError) as raised:
            prisma_operation(client, read_legacy_table, sleep=waits.append)
    finally:
        client.disconnect()
    assert raised.value.code == "P2021"
    assert (len(attempts), waits) == (1, [])


def test_unreachable_server_gives_up_after_the_retries() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = PrismaClient(f"postgresql://app@127.0.0.1:{port}/app")
    waits: list[float] = []
    with pytest.raises(PrismaClientInitializationError) as raised:
        prisma_operation(client, count_merchants, retries=3, backoff=0.01, sleep=waits.append)
    assert raised.value.code == "P1001"
    assert waits == [0.01, 0.02, 0.04]
