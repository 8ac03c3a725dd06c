"""Parsing and validating PO files (CSV or JSON); a bad file is refused whole with one clear error.

CSV (``.csv``, UTF-8, optional BOM): a header row naming exactly these columns, in any order, then one
row per PO line. Every row repeats the PO's number and vendor; blank lines are ignored::

    po_number,vendor_name,sku,description,quantity,unit_cost
    PO-000042,"Acme, Inc.",AB-1234-CD,Blue ceramic mug,12,4.50

JSON (``.json``, UTF-8): one object with exactly these keys::

    {"poNumber": "PO-000042", "vendorName": "Acme, Inc.",
     "lines": [{"sku": "AB-1234-CD", "description": "Blue ceramic mug", "quantity": 12, "unitCost": "4.50"}]}

Rules, for both formats: the file is at most MAX_FILE_BYTES and not empty; text fields are non-blank,
within MAX_TEXT characters and free of control characters (they are otherwise kept verbatim: quotes,
SQL and HTML included); ``quantity`` is a whole number from 1 to MAX_QUANTITY (a JSON integer);
``unit_cost``/``unitCost`` is a plain decimal amount with at most two decimals, from 0 to
MAX_UNIT_COST (JSON: a string or a number; no sign, exponent, currency symbol or thousands separator);
at least one and at most MAX_LINES lines. POFileError names the file, the line of the file and the field.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any, TypeVar

from simulator.po.located_json import LocatedObject, loads_located
from simulator.po.model import (
    MAX_FILE_BYTES,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_TEXT,
    MAX_UNIT_COST,
    POFileError,
    POLine,
    PurchaseOrderFile,
    printable,
)

CSV_COLUMNS = ("po_number", "vendor_name", "sku", "description", "quantity", "unit_cost")
JSON_KEYS = ("poNumber", "vendorName", "lines")
JSON_LINE_KEYS = ("sku", "description", "quantity", "unitCost")

_WHOLE = re.compile(r"[0-9]+")
_MONEY = re.compile(r"[0-9]{1,7}(\.[0-9]{1,2})?")
T = TypeVar("T")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")


class _Refusal(Exception):
    """A field is invalid: the reason, then the caller adds file, line and field."""


def parse_po(filename: str, content: bytes) -> PurchaseOrderFile:
    """The whole PO in `content`, or POFileError; the format comes from the filename's extension."""
    kind = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if kind not in ("csv", "json"):
        raise POFileError(filename, "unsupported file type: the name must end in .csv or .json")
    text = _decode(filename, content)
    return _parse_csv(filename, text) if kind == "csv" else _parse_json(filename, text)


def _decode(filename: str, content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise POFileError(filename, f"file is too large: {len(content)} bytes, the limit is {MAX_FILE_BYTES}")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise POFileError(
            filename, f"not valid UTF-8 (byte 0x{content[error.start]:02x} at offset {error.start})", line=line
        ) from None
    if not text.strip():
        raise POFileError(filename, "file is empty", line=1)
    return text


# -- CSV -----------------------------------------------------------------------------------------


def _csv_rows(filename: str, text: str) -> Iterator[tuple[int, list[str]]]:
    """(line where the row starts, fields) for each non-blank row."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            reason = "unterminated quoted field (is the file truncated?)" if "end of data" in str(error) else error
            raise POFileError(filename, f"malformed CSV: {reason}", line=start) from None
        if any(field.strip() for field in row):
            yield start, row


def _parse_csv(filename: str, text: str) -> PurchaseOrderFile:
    rows = _csv_rows(filename, text)
    header_line, header = next(rows, (1, []))
    columns = [name.strip() for name in header]
    for name in columns:
        if name not in CSV_COLUMNS:
            raise POFileError(filename, f"unknown column (expected {', '.join(CSV_COLUMNS)})", line=header_line,
                              field=printable(name) or "<blank>")
        if columns.count(name) > 1:
            raise POFileError(filename, "column appears twice", line=header_line, field=name)
    for name in CSV_COLUMNS:
        if name not in columns:
            raise POFileError(filename, "column missing from the header", line=header_line, field=name)

    po_number = vendor_name = ""
    first_line = 0
    lines: list[POLine] = []
    for line, row in rows:
        if len(row) != len(columns):
            field = columns[len(row)] if len(row) < len(columns) else None
            raise POFileError(
                filename, f"row has {len(row)} fields, the header has {len(columns)}", line=line, field=field
            )
        if len(lines) == MAX_LINES:
            raise POFileError(filename, f"more than {MAX_LINES} PO lines", line=line)
        values = dict(zip(columns, row, strict=True))
        head = {name: _field(filename, line, name, _text, values[name], name) for name in CSV_COLUMNS[:2]}
        if not lines:
            po_number, vendor_name, first_line = head["po_number"], head["vendor_name"], line
        for name, expected in (("po_number", po_number), ("vendor_name", vendor_name)):
            if head[name] != expected:
                raise POFileError(
                    filename, f"differs from line {first_line} (every row names the same PO)", line=line, field=name
                )
        lines.append(
            POLine(
                line_number=len(lines) + 1,
                sku=_field(filename, line, "sku", _text, values["sku"], "sku"),
                description=_field(filename, line, "description", _text, values["description"], "description"),
                quantity=_field(filename, line, "quantity", _quantity, values["quantity"].strip()),
                unit_cost=_field(filename, line, "unit_cost", _money, values["unit_cost"].strip()),
            )
        )
    if not lines:
        raise POFileError(filename, "no PO lines after the header", line=header_line + 1)
    return PurchaseOrderFile(filename, "csv", po_number, vendor_name, tuple(lines))


# -- JSON ----------------------------------------------------------------------------------------


def _parse_json(filename: str, text: str) -> PurchaseOrderFile:
    try:
        document = loads_located(text)
    except json.JSONDecodeError as error:
        raise POFileError(filename, f"invalid JSON: {error.msg} (column {error.colno})", line=error.lineno) from None
    except RecursionError:
        raise POFileError(filename, "invalid JSON: nested too deeply", line=1) from None
    except ValueError as error:  # a number literal Python refuses to convert (over 4300 digits)
        raise POFileError(filename, f"invalid JSON: {error}", line=1) from None
    if not isinstance(document, LocatedObject):
        raise POFileError(filename, f"the document must be an object, not {_json_type(document)}", line=1)
    _check_keys(filename, document, JSON_KEYS, "")
    po_number = _field(filename, document.line, "poNumber", _text, document["poNumber"], "po_number")
    vendor_name = _field(filename, document.line, "vendorName", _text, document["vendorName"], "vendor_name")
    items = document["lines"]
    if not isinstance(items, list) or not items:
        reason = "must be a non-empty list" if isinstance(items, list) else f"must be a list, not {_json_type(items)}"
        raise POFileError(filename, reason, line=document.line, field="lines")
    if len(items) > MAX_LINES:
        raise POFileError(filename, f"more than {MAX_LINES} PO lines", line=document.line, field="lines")
    lines = [_json_line(filename, index, item, document.line) for index, item in enumerate(items)]
    return PurchaseOrderFile(filename, "json", po_number, vendor_name, tuple(lines))


def _json_line(filename: str, index: int, item: Any, parent_line: int) -> POLine:
    path = f"lines[{index}]"
    if not isinstance(item, LocatedObject):
        raise POFileError(filename, f"must be an object, not {_json_type(item)}", line=parent_line, field=path)
    _check_keys(filename, item, JSON_LINE_KEYS, f"{path}.")
    line = item.line
    return POLine(
        line_number=index + 1,
        sku=_field(filename, line, f"{path}.sku", _text, item["sku"], "sku"),
        description=_field(filename, line, f"{path}.description", _text, item["description"], "description"),
        quantity=_field(filename, line, f"{path}.quantity", _json_quantity, item["quantity"]),
        unit_cost=_field(filename, line, f"{path}.unitCost", _json_money, item["unitCost"]),
    )


def _check_keys(filename: str, obj: LocatedObject, expected: tuple[str, ...], path: str) -> None:
    for key in obj:
        if key not in expected:
            raise POFileError(filename, f"unknown key (expected {', '.join(expected)})", line=obj.line,
                              field=f"{path}{printable(key)}")
    for key in expected:
        if key not in obj:
            raise POFileError(filename, "key missing", line=obj.line, field=f"{path}{key}")


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "a number"


def _json_quantity(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Refusal(f"must be a whole number (a JSON integer), not {_json_type(value)}")
    if not 1 <= value <= MAX_QUANTITY:
        shown = value if abs(value) < 10**40 else "a number of more than 40 digits"
        raise _Refusal(f"must be a whole number from 1 to {MAX_QUANTITY}, got {shown}")
    return value


def _json_money(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Refusal(f"must be an amount (a string or a number), not {_json_type(value)}")
    if isinstance(value, int) and not 0 <= value <= MAX_UNIT_COST:
        raise _Refusal(f"must be an amount from 0 to {MAX_UNIT_COST}")
    return _money(value if isinstance(value, str) else repr(value))


# -- fields --------------------------------------------------------------------------------------


def _field(filename: str, line: int, field: str, check: Callable[..., T], *args: Any) -> T:
    """check(*args), with a refusal turned into POFileError naming file, line and field."""
    try:
        return check(*args)
    except _Refusal as refusal:
        raise POFileError(filename, str(refusal), line=line, field=field) from None


def _shown(value: str) -> str:
    return repr(printable(value[:40] + ("..." if len(value) > 40 else "")))


def _text(value: Any, kind: str) -> str:
    if not isinstance(value, str):
        raise _Refusal(f"must be text, not {_json_type(value)}")
    if not value.strip():
        raise _Refusal("is blank")
    if len(value) > MAX_TEXT[kind]:
        raise _Refusal(f"is {len(value)} characters long, the limit is {MAX_TEXT[kind]}")
    if _CONTROL.search(value):
        raise _Refusal(f"contains a control character: {_shown(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _Refusal(f"is not valid Unicode (a lone surrogate): {_shown(value)}") from None
    return value


def _quantity(value: str) -> int:
    if not _WHOLE.fullmatch(value) or not 1 <= int(value) <= MAX_QUANTITY:
        raise _Refusal(f"must be a whole number from 1 to {MAX_QUANTITY}, got {_shown(value)}")
    return int(value)


def _money(value: str) -> Decimal:
    if not _MONEY.fullmatch(value) or Decimal(value) > MAX_UNIT_COST:
        raise _Refusal(
            f"must be an amount like 12.50, from 0 to {MAX_UNIT_COST} with at most 2 decimals, got {_shown(value)}"
        )
    return Decimal(value).quantize(Decimal("0.01"))
