"""parse_po: valid CSV and JSON accepted whole; every kind of bad file refused with file, line and field."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest

from simulator.po import CSV_COLUMNS, MAX_FILE_BYTES, POFileError, parse_po

GOOD_ROW = ["PO-1", "Acme, Inc.", "AB-1", "Blue mug", "3", "4.50"]
HOSTILE = {
    "sku": "SKU-'; DROP TABLE \"PurchaseOrderLine\"; --",
    "description": '<script>alert("x")</script> 12" \'ruler\' & <b>co</b>',
    "vendor_name": "O'Brien \"Best\" Supplies; DELETE FROM \"Merchant\"",
}


def csv_bytes(*rows: list[str], header: tuple[str, ...] | list[str] = CSV_COLUMNS) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def row(**changes: str) -> list[str]:
    values = dict(zip(CSV_COLUMNS, GOOD_ROW, strict=True))
    values.update(changes)
    return [values[name] for name in CSV_COLUMNS]


def json_bytes(lines: object, **top: object) -> bytes:
    document = {"poNumber": "PO-1", "vendorName": "Acme", "lines": lines} | top
    return json.dumps(document, indent=2).encode("utf-8")


GOOD_ITEM = {"sku": "AB-1", "description": "Blue mug", "quantity": 3, "unitCost": "4.50"}


def item(**changes: object) -> dict[str, object]:
    return GOOD_ITEM | changes


# -- accepted ------------------------------------------------------------------------------------


def test_csv_is_read_whole() -> None:
    order = parse_po("po.csv", csv_bytes(GOOD_ROW, row(sku="AB-2", quantity=" 10 ", unit_cost="12")))
    assert (order.format, order.po_number, order.vendor_name) == ("csv", "PO-1", "Acme, Inc.")
    assert [(line.line_number, line.sku, line.quantity, line.unit_cost) for line in order.lines] == [
        (1, "AB-1", 3, Decimal("4.50")),
        (2, "AB-2", 10, Decimal("12.00")),
    ]
    assert order.total == Decimal("133.50")


def test_csv_with_bom_crlf_blank_lines_and_reordered_columns() -> None:
    header = list(reversed(CSV_COLUMNS))
    text = ",".join(header) + "\r\n\r\n" + ",".join(reversed(row())) + "\r\n"
    order = parse_po("PO.CSV", b"\xef\xbb\xbf" + text.replace('Acme, Inc.', '"Acme, Inc."').encode("utf-8"))
    assert order.vendor_name == "Acme, Inc."
    assert order.lines[0].unit_cost == Decimal("4.50")


def test_json_is_read_whole_with_numbers_or_strings_for_money() -> None:
    content = json_bytes([item(), item(sku="AB-2", unitCost=12.5), item(sku="AB-3", unitCost=7)])
    order = parse_po("po.json", content)
    assert order.format == "json"
    assert [line.unit_cost for line in order.lines] == [Decimal("4.50"), Decimal("12.50"), Decimal("7.00")]


def test_quotes_sql_and_html_are_kept_verbatim_in_both_formats() -> None:
    from_csv = parse_po("po.csv", csv_bytes(row(**HOSTILE)))
    from_json = parse_po(
        "po.json",
        json_bytes([item(sku=HOSTILE["sku"], description=HOSTILE["description"])], vendorName=HOSTILE["vendor_name"]),
    )
    for order in (from_csv, from_json):
        assert order.vendor_name == HOSTILE["vendor_name"]
        assert (order.lines[0].sku, order.lines[0].description) == (HOSTILE["sku"], HOSTILE["description"])


# -- refused -------------------------------------------------------------------------------------

HEADER = ",".join(CSV_COLUMNS)
OVERSIZED = csv_bytes(*[row(sku=f"S-{number}", description="x" * 200) for number in range(5_000)])

BAD_CSV = [
    ("empty", b"", 1, None, "file is empty"),
    ("only whitespace", b"\n \n\t\n", 1, None, "file is empty"),
    ("header only", (HEADER + "\n").encode(), 2, None, "no PO lines after the header"),
    ("truncated row", (HEADER + "\nPO-1,Acme,AB-1,Mug,3\n").encode(), 2, "unit_cost", "row has 5 fields"),
    ("truncated in a quote", (HEADER + '\nPO-1,"Acme').encode(), 2, None, "unterminated quoted field"),
    ("too many fields", csv_bytes(GOOD_ROW + ["extra"]), 2, None, "row has 7 fields, the header has 6"),
    ("renamed column", csv_bytes(GOOD_ROW, header=["po", *CSV_COLUMNS[1:]]), 1, "po", "unknown column"),
    ("missing column", csv_bytes(GOOD_ROW[:5], header=CSV_COLUMNS[:5]), 1, "unit_cost", "column missing"),
    ("column twice", csv_bytes(GOOD_ROW + ["1"], header=[*CSV_COLUMNS, "sku"]), 1, "sku", "column appears twice"),
    ("not UTF-8", (HEADER + "\nPO-1,Acme,AB-1,Mug,3,4.50\nPO-1,Caf\xe9,AB-2,Mug,1,1.00\n").encode("latin-1"),
     3, None, "not valid UTF-8 (byte 0xe9"),
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 1, None, "not valid UTF-8 (byte 0x89"),
    ("oversized", OVERSIZED, None, None, f"the limit is {MAX_FILE_BYTES}"),
    ("negative quantity", csv_bytes(row(quantity="-5")), 2, "quantity", "from 1 to 100000, got '-5'"),
    ("zero quantity", csv_bytes(row(quantity="0")), 2, "quantity", "got '0'"),
    ("absurd quantity", csv_bytes(row(quantity="1000000000")), 2, "quantity", "got '1000000000'"),
    ("fractional quantity", csv_bytes(row(quantity="2.5")), 2, "quantity", "got '2.5'"),
    ("blank quantity", csv_bytes(row(quantity="")), 2, "quantity", "got ''"),
    ("currency symbol", csv_bytes(row(unit_cost="$12.00")), 2, "unit_cost", "got '$12.00'"),
    ("decimal comma", csv_bytes(row(unit_cost="12,50")), 2, "unit_cost", "got '12,50'"),
    ("three decimals", csv_bytes(row(unit_cost="12.345")), 2, "unit_cost", "at most 2 decimals"),
    ("negative cost", csv_bytes(row(unit_cost="-1.00")), 2, "unit_cost", "got '-1.00'"),
    ("NaN cost", csv_bytes(row(unit_cost="NaN")), 2, "unit_cost", "got 'NaN'"),
    ("exponent cost", csv_bytes(row(unit_cost="1e3")), 2, "unit_cost", "got '1e3'"),
    ("absurd cost", csv_bytes(row(unit_cost="99999999")), 2, "unit_cost", "got '99999999'"),
    ("blank sku", csv_bytes(GOOD_ROW, row(sku="  ")), 3, "sku", "is blank"),
    ("NUL in sku", csv_bytes(row(sku="AB\x001")), 2, "sku", "control character: 'AB\\\\u00001'"),
    ("overlong sku", csv_bytes(row(sku="S" * 65)), 2, "sku", "65 characters long, the limit is 64"),
    ("two POs in one file", csv_bytes(GOOD_ROW, row(po_number="PO-2")), 3, "po_number", "differs from line 2"),
]


@pytest.mark.parametrize(("content", "line", "field", "reason"), [case[1:] for case in BAD_CSV],
                         ids=[case[0] for case in BAD_CSV])
def test_bad_csv_is_refused_naming_file_line_and_field(
    content: bytes, line: int | None, field: str | None, reason: str
) -> None:
    with pytest.raises(POFileError) as raised:
        parse_po("orders.csv", content)
    error = raised.value
    assert (error.filename, error.line, error.field) == ("orders.csv", line, field)
    assert reason in str(error)
    assert str(error).startswith("orders.csv: ")
    assert "\n" not in str(error)


BAD_JSON: list[tuple[str, bytes, int | None, str | None, str]] = [
    ("truncated", json_bytes([item()])[:-20], 9, None, "invalid JSON"),
    ("top-level list", b"[1, 2]", 1, None, "must be an object, not a list"),
    ("lines missing", b'{"poNumber": "PO-1", "vendorName": "Acme"}', 1, "lines", "key missing"),
    ("unknown key", json_bytes([item()], currency="EUR"), 1, "currency", "unknown key"),
    ("no lines", json_bytes([]), 1, "lines", "must be a non-empty list"),
    ("lines not a list", json_bytes({"sku": "x"}), 1, "lines", "must be a list, not an object"),
    ("line not an object", json_bytes(["AB-1"]), 1, "lines[0]", "must be an object, not a string"),
    ("unknown line key", json_bytes([item(colour="red")]), 5, "lines[0].colour", "unknown key"),
    ("quantity as text", json_bytes([item(), item(quantity="3")]), 11, "lines[1].quantity", "not a string"),
    ("quantity as float", json_bytes([item(quantity=3.0)]), 5, "lines[0].quantity", "not a number"),
    ("quantity as boolean", json_bytes([item(quantity=True)]), 5, "lines[0].quantity", "not a boolean"),
    ("negative quantity", json_bytes([item(quantity=-2)]), 5, "lines[0].quantity", "got -2"),
    ("absurd quantity", json_bytes([item(quantity=10**50)]), 5, "lines[0].quantity", "more than 40 digits"),
    ("bad money", json_bytes([item(unitCost="abc")]), 5, "lines[0].unitCost", "got 'abc'"),
    ("money with 3 decimals", json_bytes([item(unitCost=12.345)]), 5, "lines[0].unitCost", "got '12.345'"),
    ("money NaN", json_bytes([item(unitCost=float("nan"))]), 5, "lines[0].unitCost", "got 'nan'"),
    ("money null", json_bytes([item(unitCost=None)]), 5, "lines[0].unitCost", "not null"),
    ("huge number literal", b'{"poNumber": ' + b"9" * 5000 + b"}", 1, None, "invalid JSON"),
    ("nested too deeply", b"[" * 100_000, 1, None, "nested too deeply"),
    ("lone surrogate", b'{"poNumber": "PO-\\ud800", "vendorName": "A", "lines": []}', 1, "poNumber",
     "lone surrogate"),
    ("sku a number", json_bytes([item(sku=42)]), 5, "lines[0].sku", "must be text, not a number"),
    ("blank vendor", json_bytes([item()], vendorName=" "), 1, "vendorName", "is blank"),
]


@pytest.mark.parametrize(("content", "line", "field", "reason"), [case[1:] for case in BAD_JSON],
                         ids=[case[0] for case in BAD_JSON])
def test_bad_json_is_refused_naming_file_line_and_field(
    content: bytes, line: int | None, field: str | None, reason: str
) -> None:
    with pytest.raises(POFileError) as raised:
        parse_po("orders.json", content)
    error = raised.value
    assert (error.line, error.field) == (line, field)
    assert reason in str(error)
    assert "\n" not in str(error)


@pytest.mark.parametrize("filename", ["orders.txt", "orders", "orders.csv.exe", ""])
def test_unsupported_file_names_are_refused(filename: str) -> None:
    with pytest.raises(POFileError, match="must end in .csv or .json"):
        parse_po(filename, csv_bytes(GOOD_ROW))


def test_the_message_escapes_control_characters_in_the_file_name() -> None:
    with pytest.raises(POFileError) as raised:
        parse_po("evil\nname.csv", b"")
    assert str(raised.value) == "evil\\u000aname.csv: line 1: file is empty"
