"""Installs the real Node `bullmq` majors and `bull` 4 from npm into a cache folder outside the repo (reused)."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from pathlib import Path

# bullmq 6.x loads `ioredis` as an optional peer: it is installed beside it.
PACKAGES = {5: ["bullmq@5"], 6: ["bullmq@6", "ioredis@5"]}


def cache_root() -> Path:
    return Path(os.environ.get("HARNESS_NODE_CACHE", Path.home() / ".cache" / "recovery-harness" / "node"))


def missing_tools() -> str | None:
    """Why the Node interop cannot run here (node or npm absent), or None."""
    absent = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    return f"{' and '.join(absent)} not found on PATH" if absent else None


def installed_version(folder: Path, package: str = "bullmq") -> str | None:
    manifest = folder / "node_modules" / package / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def ensure_bullmq(major: int) -> Path:
    """The node_modules folder holding bullmq `major` (installing it once; a file lock serialises xdist workers)."""
    return _ensure("bullmq", major, PACKAGES[major])


def ensure_bull() -> Path:
    """The node_modules folder holding Bull 4 (npm `bull`, the app's queue library), installed once."""
    return _ensure("bull", 4, ["bull@4"])


def _ensure(package: str, major: int, specs: list[str]) -> Path:
    folder = cache_root() / f"{package}-{major}"
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        version = installed_version(folder, package)
        if version is None or not version.startswith(f"{major}."):
            manifest = folder / "package.json"
            if not manifest.exists():
                manifest.write_text('{"private": true}\n')
            subprocess.run(
                ["npm", "install", "--no-audit", "--no-fund", "--loglevel=error", *specs],
                cwd=folder, check=True, capture_output=True, text=True, timeout=600,
            )
    return folder / "node_modules"
