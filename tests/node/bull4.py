"""Installs the real Node `bull@4` from npm into the shared cache folder (tests/node/npm_cache.py's), once."""

from __future__ import annotations

import fcntl
import json
import subprocess
from pathlib import Path

from tests.node.npm_cache import cache_root


def ensure_bull4() -> Path:
    """The node_modules folder holding bull 4.x (a file lock serialises xdist workers)."""
    folder = cache_root() / "bull-4"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        manifest = folder / "node_modules" / "bull" / "package.json"
        try:
            version = str(json.loads(manifest.read_text())["version"])
        except (OSError, ValueError, KeyError):
            version = ""
        if not version.startswith("4."):
            if not (folder / "package.json").exists():
                (folder / "package.json").write_text('{"private": true}\n')
            subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", "bull@4"],
                           cwd=folder, check=True, capture_output=True, text=True, timeout=600)
    return folder / "node_modules"
