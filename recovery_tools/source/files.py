"""Which files of an app's tree to read: sources by suffix, without dependencies, build output or minified code."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

# Dependencies, caches and build output: not the app's own source.
SKIPPED_DIRS = frozenset({
    "node_modules", "bower_components", "dist", "build", "out", "coverage", ".next", ".nuxt", ".svelte-kit",
    ".turbo", ".vercel", ".output", "__pycache__", ".git", ".venv", "venv", ".tox", ".mypy_cache", ".ruff_cache",
})
MINIFIED_MARKERS = (".min.", "-min.", ".bundle.")
# Generated code (a bundle, a minified file) has lines this long, and they are most of it: a person's file with
# one long line (a Tailwind class list, an SVG path) still averages well under MINIFIED_MEAN a line.
MINIFIED_LINE = 1000
MINIFIED_MEAN = 200


def is_minified_name(name: str) -> bool:
    return any(marker in name.lower() for marker in MINIFIED_MARKERS)


def minified_reason(text: str) -> str | None:
    """Why a file's text looks minified (a line over MINIFIED_LINE characters and lines of MINIFIED_MEAN
    characters on average), or None."""
    lines = text.splitlines()
    longest = max((len(line) for line in lines), default=0)
    mean = len(text) / max(len(lines), 1)
    if longest > MINIFIED_LINE and mean > MINIFIED_MEAN:
        return f"looks minified (a line of {longest} characters, {mean:.0f} on average)"
    return None


def source_files(root: Path, suffixes: frozenset[str]) -> Iterator[Path]:
    """Files under `root` with one of `suffixes`, in a stable order; a file given directly is always yielded."""
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() in suffixes and not is_minified_name(name):
                yield Path(folder) / name
