"""fake_po: deterministic per seed, valid in both formats, the same order in CSV and JSON."""

from __future__ import annotations

import pytest

from simulator.po import fake_po, parse_po


def test_same_seed_same_bytes_in_both_formats() -> None:
    for fmt in ("csv", "json"):
        assert fake_po(11, fmt=fmt) == fake_po(11, fmt=fmt)


def test_different_seeds_make_different_files() -> None:
    contents = {fake_po(seed)[1] for seed in range(50)}
    names = {fake_po(seed)[0] for seed in range(50)}
    assert len(contents) == 50 and len(names) == 50


@pytest.mark.parametrize("seed", range(40))
def test_every_fake_parses_and_csv_and_json_describe_the_same_order(seed: int) -> None:
    csv_name, csv_content = fake_po(seed, fmt="csv")
    json_name, json_content = fake_po(seed, fmt="json")
    from_csv, from_json = parse_po(csv_name, csv_content), parse_po(json_name, json_content)
    assert (csv_name, json_name) == (f"PO-{seed:06d}.csv", f"PO-{seed:06d}.json")
    assert from_csv.lines == from_json.lines
    assert (from_csv.po_number, from_csv.vendor_name) == (from_json.po_number, from_json.vendor_name)
    assert 3 <= len(from_csv.lines) <= 12
    assert all(line.quantity >= 1 and line.unit_cost > 0 for line in from_csv.lines)


def test_line_count_can_be_chosen() -> None:
    assert len(parse_po(*fake_po(3, lines=1)).lines) == 1
    assert len(parse_po(*fake_po(3, fmt="json", lines=200)).lines) == 200


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="fmt must be 'csv' or 'json'"):
        fake_po(1, fmt="xml")  # type: ignore[arg-type]
