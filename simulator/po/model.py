"""A parsed purchase-order file, its lines, the limits it must respect and the error for a bad file."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

MAX_FILE_BYTES = 1_048_576  # 1 MiB: a PO of MAX_LINES ordinary lines fits with room to spare
MAX_LINES = 5_000
MAX_QUANTITY = 100_000
MAX_UNIT_COST = Decimal("1000000.00")
MAX_TEXT = {"po_number": 64, "vendor_name": 200, "sku": 64, "description": 500}


@dataclass(frozen=True)
class POLine:
    """One ordered item; `line_number` counts PO lines from 1 in file order."""

    line_number: int
    sku: str
    description: str
    quantity: int
    unit_cost: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_cost * self.quantity


@dataclass(frozen=True)
class PurchaseOrderFile:
    """A whole, valid PO file: header fields and at least one line."""

    filename: str
    format: str  # "csv" or "json"
    po_number: str
    vendor_name: str
    lines: tuple[POLine, ...]

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal("0.00"))


class POFileError(ValueError):
    """A PO file was refused; the message names the file, the line of the file and the field."""

    def __init__(self, filename: str, reason: str, *, line: int | None = None, field: str | None = None) -> None:
        self.filename = filename
        self.reason = reason
        self.line = line
        self.field = field
        where = [f"line {line}"] if line is not None else []
        where += [f"field {field}"] if field is not None else []
        super().__init__(f"{printable(filename) or '<unnamed>'}: {', '.join(where) + ': ' if where else ''}{reason}")


def printable(text: str) -> str:
    """`text` safe for a one-line message: control characters and lone surrogates escaped."""
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)
