"""Property: parse_po accepts a file whole or refuses it with one clear message, and an upload never writes half."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import psycopg
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.isolation import ScenarioEnv
from simulator.db import PrismaClient
from simulator.po import CSV_COLUMNS, MAX_QUANTITY, POFileError, PurchaseOrderFile, fake_po, parse_po, upload_po
from simulator.po.upload import ensure_merchant

FUZZ = settings(max_examples=300, deadline=None, database=None)
NAMES = st.sampled_from(["po.csv", "po.json", "PO.CSV", "weird name.json"])


@st.composite
def mutated_fakes(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid Faker PO, then truncated, spliced with random bytes, or with a slice cut out."""
    filename, content = fake_po(draw(st.integers(0, 500)), fmt=draw(st.sampled_from(["csv", "json"])))
    start = draw(st.integers(0, len(content)))
    end = draw(st.integers(start, min(len(content), start + 40)))
    kind = draw(st.sampled_from(["truncate", "replace", "insert", "delete"]))
    noise = draw(st.binary(max_size=12) | st.text(max_size=6).map(lambda text: text.encode("utf-8", "surrogatepass")))
    mutated = {
        "truncate": content[:start],
        "replace": content[:start] + noise + content[end:],
        "insert": content[:start] + noise + content[start:],
        "delete": content[:start] + content[end:],
    }[kind]
    return filename, mutated


@st.composite
def random_csv(draw: st.DrawFn) -> tuple[str, bytes]:
    """CSV from a plausible or shuffled header and rows of arbitrary text."""
    header = draw(st.permutations(CSV_COLUMNS) | st.lists(st.sampled_from([*CSV_COLUMNS, "x", ""]), max_size=8))
    cell = st.text(max_size=12) | st.sampled_from(["1", "0", "-1", "12.50", "1e9", "NaN", " 7 ", "PO-1"])
    rows = draw(st.lists(st.lists(cell, min_size=0, max_size=8), max_size=6))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
    writer.writerow(header)
    writer.writerows(rows)
    return "fuzz.csv", out.getvalue().encode("utf-8", "surrogatepass")


JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@st.composite
def random_json(draw: st.DrawFn) -> tuple[str, bytes]:
    """Arbitrary JSON, or a PO-shaped document whose values are arbitrary."""
    line_value = st.fixed_dictionaries(
        {key: JSON_VALUES for key in ("sku", "description", "quantity", "unitCost")},
        optional={"extra": JSON_VALUES},
    )
    lines = st.lists(line_value, max_size=3) | JSON_VALUES
    document = draw(
        JSON_VALUES | st.fixed_dictionaries({"poNumber": JSON_VALUES, "vendorName": JSON_VALUES, "lines": lines})
    )
    return "fuzz.json", json.dumps(document, indent=draw(st.sampled_from([None, 2]))).encode("utf-8", "surrogatepass")


ANY_FILE = st.tuples(NAMES, st.binary(max_size=400)) | mutated_fakes() | random_csv() | random_json()


def check_outcome(filename: str, content: bytes) -> PurchaseOrderFile | None:
    """The property itself: a whole valid order, or POFileError with a one-line message naming the file."""
    try:
        order = parse_po(filename, content)
    except POFileError as error:
        message = str(error)
        assert message.startswith(f"{filename}: ") and len(message) > len(filename) + 2
        assert "\n" not in message and error.reason
        return None
    assert order.lines and order.po_number.strip() and order.vendor_name.strip()
    for number, line in enumerate(order.lines, start=1):
        assert line.line_number == number
        assert 1 <= line.quantity <= MAX_QUANTITY
        assert line.unit_cost >= 0 and line.unit_cost == line.unit_cost.quantize(Decimal("0.01"))
        assert line.sku.strip() and line.description.strip()
    return order


@FUZZ
@given(ANY_FILE)
def test_parse_po_accepts_whole_or_refuses_with_a_message(case: tuple[str, bytes]) -> None:
    check_outcome(*case)


def counts(database_url: str) -> tuple[int, int, int]:
    with psycopg.connect(database_url) as conn:
        row = conn.execute(
            'SELECT (SELECT count(*) FROM "PurchaseOrder"), (SELECT count(*) FROM "POLineItem"),'
            ' (SELECT count(*) FROM "WorkflowExecution")'
        ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated_fakes())
def test_an_upload_writes_the_whole_po_or_nothing(scenario: ScenarioEnv, case: tuple[str, bytes]) -> None:
    filename, content = case
    expected = check_outcome(filename, content)
    with PrismaClient(scenario.database_url, connection_limit=1) as client:
        with client.transaction() as session:
            ensure_merchant(session, "m-1", "Merchant One", "token-1")
        before = counts(scenario.database_url)
        try:
            with client.transaction() as session:
                upload_po(session, "m-1", filename, content)
        except POFileError:
            assert counts(scenario.database_url) == before
            return
    assert expected is not None  # the upload took exactly what the parser accepted
    assert counts(scenario.database_url) == (before[0] + 1, before[1] + len(expected.lines), before[2] + 1)
