"""Helpers for the detector tests: small apps written into a temporary folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from recovery_tools.detect.app import AppSource

APPS = Path(__file__).resolve().parent / "apps"
WriteApp = Callable[[dict[str, str]], AppSource]


def write(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under `root`; returns the root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def write_app(tmp_path: Path) -> WriteApp:
    """Write {relative path: text} under a temporary root and read it as an app."""

    def write_and_read(files: dict[str, str]) -> AppSource:
        return AppSource.read(write(tmp_path, files), config_queues=("ai-parsing", "image-attachment", "shopify-sync"))

    return write_and_read


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the only line of `path` that contains `needle`."""
    hits = [n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in text]
    assert len(hits) == 1, f"{needle!r} is on lines {hits} of {path}"
    return hits[0]
