"""upload_po on a real Postgres: PO + lines + pending workflow in one transaction, or nothing at all."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from decimal import Decimal
from functools import partial

import psycopg
import pytest
from sqlalchemy import select

from harness.isolation import ScenarioEnv
from simulator.db import PrismaClient, prisma_operation
from simulator.models import POLineItem, PurchaseOrder, WorkflowExecution
from simulator.po import POFileError, UnknownMerchantError, ensure_merchant, fake_po, upload_po
from tests.waiting import wait_until

TABLES = ("Merchant", "Upload", "PurchaseOrder", "POLineItem", "WorkflowExecution")
HOSTILE_SKU = "SKU-'; DROP TABLE \"POLineItem\"; --"
HOSTILE_DESCRIPTION = '<img src=x onerror="alert(1)"> 12" \'ruler\''
HOSTILE_VENDOR = "O'Brien \"Best\"; DELETE FROM \"Merchant\""


def row_counts(database_url: str) -> dict[str, int]:
    """Counted straight from Postgres, not through the code under test."""
    with psycopg.connect(database_url) as conn:
        counts = {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone() for table in TABLES}
    return {table: int(row[0]) if row else 0 for table, row in counts.items()}


@pytest.fixture
def client(scenario: ScenarioEnv) -> Iterator[PrismaClient]:
    prisma = PrismaClient(scenario.database_url)
    prisma.connect()
    with prisma.transaction() as session:
        ensure_merchant(session, "m-1", "Merchant One", "token-1")
        ensure_merchant(session, "m-2", "Merchant Two", "token-2")
    yield prisma
    prisma.disconnect()


def test_an_upload_becomes_a_pending_workflow(scenario: ScenarioEnv, client: PrismaClient) -> None:
    filename, content = fake_po(5, lines=4)
    result = prisma_operation(client, lambda session: upload_po(session, "m-1", filename, content))
    assert (result.po_number, result.line_count) == ("PO-000005", 4)
    with client.transaction() as session:
        order = session.get(PurchaseOrder, result.purchase_order_id)
        workflow = session.get(WorkflowExecution, result.workflow_id)
        lines = session.scalars(
            select(POLineItem).where(POLineItem.purchaseOrderId == result.purchase_order_id)
            .order_by(POLineItem.lineNumber)
        ).all()
    assert order is not None and (order.merchantId, order.fileName, order.status) == ("m-1", filename, "uploaded")
    assert workflow is not None and (workflow.status, workflow.currentStage) == ("pending", "ai-parsing")
    assert (workflow.attempts, workflow.purchaseOrderId) == (0, order.id)
    assert [line.lineNumber for line in lines] == [1, 2, 3, 4]
    counts = row_counts(scenario.database_url)
    assert counts == {"Merchant": 2, "Upload": 1, "PurchaseOrder": 1, "POLineItem": 4, "WorkflowExecution": 1}


def test_the_same_file_twice_is_refused_and_writes_nothing(scenario: ScenarioEnv, client: PrismaClient) -> None:
    filename, content = fake_po(8)
    with client.transaction() as session:
        upload_po(session, "m-1", filename, content)
    before = row_counts(scenario.database_url)
    refused = pytest.raises(POFileError, match=r"already uploaded for merchant m-1 as 'PO-000008.csv'")
    with refused, client.transaction() as session:
        upload_po(session, "m-1", "renamed-copy.csv", content)
    assert row_counts(scenario.database_url) == before
    with client.transaction() as session:  # another merchant may upload the same file
        upload_po(session, "m-2", filename, content)
    assert row_counts(scenario.database_url)["PurchaseOrder"] == before["PurchaseOrder"] + 1


def waiting_on_a_lock(database_url: str) -> bool:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        ).fetchone()
    return bool(row and row[0])


def test_a_concurrent_duplicate_is_refused_by_the_unique_key(scenario: ScenarioEnv, client: PrismaClient) -> None:
    """Both uploads pass the duplicate check; the second then waits on the first one's unique key."""
    filename, content = fake_po(9)
    outcome: list[BaseException | None] = []

    def second_upload() -> None:
        try:
            with client.transaction() as session:
                upload_po(session, "m-1", "copy.csv", content)
            outcome.append(None)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    with client.transaction() as session:
        upload_po(session, "m-1", filename, content)
        other = threading.Thread(target=second_upload)
        other.start()
        wait_until(lambda: waiting_on_a_lock(scenario.database_url), "the second upload to reach the unique key",
                   timeout=10, every=0.01)
    other.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], POFileError)
    assert f"already uploaded for merchant m-1 as '{filename}'" in str(outcome[0])
    assert row_counts(scenario.database_url)["PurchaseOrder"] == 1


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("empty.csv", b""),
        ("truncated.csv", fake_po(1)[1][:-9]),
        ("truncated.json", fake_po(1, fmt="json")[1][:-30]),
        ("latin1.csv", fake_po(2)[1].replace(b"PO-000002,", "PO-000002,Caf\xe9 ".encode("latin-1"), 1)),
        ("negative.csv", fake_po(3, lines=5)[1].rsplit(b"\n", 2)[0] + b"\nPO-000003,X,S-1,Mug,-4,1.00\n"),
        ("oversized.csv", b"x" * 2_000_000),
    ],
    ids=["empty", "truncated-csv", "truncated-json", "non-utf8", "negative-last-line", "oversized"],
)
def test_a_bad_file_writes_nothing(scenario: ScenarioEnv, client: PrismaClient, filename: str, content: bytes) -> None:
    before = row_counts(scenario.database_url)
    with pytest.raises(POFileError) as raised, client.transaction() as session:
        upload_po(session, "m-1", filename, content)
    assert str(raised.value).startswith(f"{filename}: ")
    assert row_counts(scenario.database_url) == before


def test_quotes_sql_and_html_are_stored_verbatim(scenario: ScenarioEnv, client: PrismaClient) -> None:
    content = (
        "po_number,vendor_name,sku,description,quantity,unit_cost\n"
        f'PO-X,"{HOSTILE_VENDOR.replace(chr(34), chr(34) * 2)}","{HOSTILE_SKU.replace(chr(34), chr(34) * 2)}",'
        f'"{HOSTILE_DESCRIPTION.replace(chr(34), chr(34) * 2)}",2,9.99\n'
    ).encode()
    with client.transaction() as session:
        result = upload_po(session, "m-1", "hostile.csv", content)
    with psycopg.connect(scenario.database_url) as conn:
        stored = conn.execute(
            'SELECT o."vendorName", l.sku, l.description, l."unitCost" FROM "PurchaseOrder" o'
            ' JOIN "POLineItem" l ON l."purchaseOrderId" = o.id WHERE o.id = %s',
            (result.purchase_order_id,),
        ).fetchall()
    assert stored == [(HOSTILE_VENDOR, HOSTILE_SKU, HOSTILE_DESCRIPTION, Decimal("9.99"))]
    assert row_counts(scenario.database_url)["Merchant"] == 2  # nothing was executed from the data


def test_unknown_merchant_is_refused_before_any_write(scenario: ScenarioEnv, client: PrismaClient) -> None:
    before = row_counts(scenario.database_url)
    with pytest.raises(UnknownMerchantError, match="merchant 'nobody' does not exist"), client.transaction() as session:
        upload_po(session, "nobody", *fake_po(4))
    assert row_counts(scenario.database_url) == before


def test_ensure_merchant_is_idempotent_and_keeps_the_first_token(client: PrismaClient) -> None:
    with client.transaction() as session:
        merchant = ensure_merchant(session, "m-1", "Renamed", "token-other")
    assert (merchant.name, merchant.apiToken) == ("Merchant One", "token-1")


def test_twenty_fake_pos_upload_with_their_lines(scenario: ScenarioEnv, client: PrismaClient) -> None:
    results = []
    expected_lines = 0
    for seed in range(20):
        filename, content = fake_po(seed, fmt="json" if seed % 2 else "csv")
        expected_lines += content.count(b'"sku"') if seed % 2 else content.count(b"\n") - 1
        upload = partial(upload_po, merchant_id="m-1", filename=filename, content=content)
        results.append(prisma_operation(client, upload))
    assert len({result.workflow_id for result in results}) == 20
    assert row_counts(scenario.database_url) == {
        "Merchant": 2, "Upload": 20, "PurchaseOrder": 20, "POLineItem": expected_lines, "WorkflowExecution": 20,
    }
