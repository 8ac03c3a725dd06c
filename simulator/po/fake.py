"""Realistic PO files made by Faker from a seed: the same seed always gives the same bytes."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from typing import Literal

from faker import Faker

from simulator.po.parse import CSV_COLUMNS

_MATERIALS = ("ceramic", "cotton", "steel", "oak", "glass", "leather", "bamboo", "linen", "wool", "copper")
_PRODUCTS = (
    "mug", "tote bag", "water bottle", "cutting board", "candle", "notebook", "throw blanket", "lamp",
    "planter", "wallet", "scarf", "serving bowl", "desk organizer", "apron", "coaster set",
)  # fmt: skip
_SKU_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_CENT = Decimal("0.01")


def fake_po(seed: int, *, fmt: Literal["csv", "json"] = "csv", lines: int | None = None) -> tuple[str, bytes]:
    """(filename, content) of a valid PO: vendor, 3-12 lines (or `lines`) of SKU, product, quantity, cost.

    The order is the same for both formats of one seed; only the encoding differs.
    """
    if fmt not in ("csv", "json"):
        raise ValueError(f"fmt must be 'csv' or 'json', got {fmt!r}")
    fake = Faker("en_US")
    fake.seed_instance(seed)
    po_number = f"PO-{seed:06d}"
    vendor = fake.company()
    count = lines if lines is not None else fake.random_int(3, 12)
    items = [
        {
            "sku": fake.bothify("??-####-??", letters=_SKU_LETTERS),
            "description": _product(fake),
            "quantity": fake.random_int(1, 240),
            "unitCost": str((Decimal(fake.random_int(199, 49_999)) / 100).quantize(_CENT)),
        }
        for _ in range(count)
    ]
    filename = f"{po_number}.{fmt}"
    if fmt == "json":
        document = {"poNumber": po_number, "vendorName": vendor, "lines": items}
        return filename, (json.dumps(document, indent=2) + "\n").encode("utf-8")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for item in items:
        writer.writerow([po_number, vendor, item["sku"], item["description"], item["quantity"], item["unitCost"]])
    return filename, out.getvalue().encode("utf-8")


def _product(fake: Faker) -> str:
    """A product title an image search can work with, e.g. "Teal linen apron"."""
    return f"{fake.safe_color_name().capitalize()} {fake.random_element(_MATERIALS)} {fake.random_element(_PRODUCTS)}"
