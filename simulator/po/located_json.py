"""JSON decoding that remembers on which line of the text each object starts (for error messages)."""

from __future__ import annotations

import json
import json.scanner
from bisect import bisect_left
from typing import Any


class LocatedObject(dict[str, Any]):
    """A decoded JSON object that knows the 1-based line of its opening brace."""

    line: int = 1


def loads_located(text: str) -> Any:
    """Like json.loads, but every object is a LocatedObject. Raises json.JSONDecodeError or RecursionError."""
    newlines = [index for index, char in enumerate(text) if char == "\n"]
    decoder: Any = json.JSONDecoder(object_pairs_hook=LocatedObject)  # its scanner hooks are untyped
    parse_object = decoder.parse_object

    def parse_located(string_and_end: tuple[str, int], *args: Any) -> tuple[Any, int]:
        start = string_and_end[1]  # just after the "{"
        value, end = parse_object(string_and_end, *args)
        if isinstance(value, LocatedObject):
            value.line = bisect_left(newlines, start) + 1
        return value, end

    decoder.parse_object = parse_located
    # The C scanner calls its own object parser; the pure-Python one calls ours.
    decoder.scan_once = json.scanner.py_make_scanner(decoder)  # type: ignore[attr-defined]
    return decoder.decode(text)
