"""Matching log messages against the checklist's signatures (compiled once)."""

from __future__ import annotations

import re

from recovery_tools.criteria.facts import SIGNATURES

_COMPILED = {name: re.compile(pattern) for name, pattern in SIGNATURES.items()}


def matches(signature_id: str, message: str) -> bool:
    """True when the message shows the signature (KeyError for an unknown id)."""
    return _COMPILED[signature_id].search(message) is not None


def signatures_in(message: str) -> list[str]:
    """The ids of every signature the message shows."""
    return [name for name, pattern in _COMPILED.items() if pattern.search(message)]


def count_signatures(messages: list[str]) -> dict[str, int]:
    """Per signature id (every id, zero included), how many of the messages show it."""
    counts = dict.fromkeys(SIGNATURES, 0)
    for message in messages:
        for name in signatures_in(message):
            counts[name] += 1
    return counts
