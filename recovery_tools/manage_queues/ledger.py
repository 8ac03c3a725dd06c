"""The recovery ledger: where it is kept (a JSON file written atomically, or one Redis key) and its records.

One document, format `recovery-ledger/1`, holds a list of recoveries. A recovery opens at the first `pause`
of a Redis and prefix (a snapshot per queue: job ids by state, when, who), gathers what `clean` removed,
and closes when `resume` has compared and resumed every queue of it. A second `pause` before the resume keeps
the first snapshot (the recovery is measured from its first pause) and is only noted in `pauses`; a queue not
yet in the open recovery is added with its own snapshot. A corrupt or foreign document is refused with one
line and never overwritten.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from recovery_tools.manage_queues.errors import ToolError

FORMAT = "recovery-ledger/1"
DEFAULT_PATH = "recovery-ledger.json"  # under the current directory
REDIS_CHOICE = "redis"  # `--ledger redis`: the key ledger_key(prefix) on the queues' own Redis
OFF_CHOICE = "off"  # `--ledger off`: record nothing (e.g. the ledger file is damaged and the pause cannot wait)


def ledger_key(prefix: str) -> str:
    """The Redis key of `--ledger redis`: two parts, so no queue can own it (queue keys have three)."""
    return f"{prefix}:recovery-ledger"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def empty() -> dict[str, Any]:
    return {"format": FORMAT, "recoveries": []}


def check(document: Any, where: str) -> dict[str, Any]:
    """The document when it is a ledger this tool wrote; ToolError (exit 2) naming `where` otherwise."""
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ToolError(f"recovery ledger {where} is not a {FORMAT} document; refusing to use or overwrite it "
                        "(move it aside, or pass --ledger another path)")
    recoveries = document.get("recoveries")
    if not isinstance(recoveries, list) or not all(
        isinstance(r, dict) and isinstance(r.get("queues"), dict) for r in recoveries
    ):
        raise ToolError(f"recovery ledger {where} has a damaged recoveries list; refusing to use or overwrite it "
                        "(move it aside, or pass --ledger another path)")
    return document


@dataclass(frozen=True)
class Store:
    """Where the ledger lives: a file path, or the Redis key of `--ledger redis`."""

    path: Path | None
    redis_key: str | None

    @property
    def where(self) -> str:
        return str(self.path) if self.path is not None else f"redis key {self.redis_key}"

    async def load(self, client: aioredis.Redis) -> dict[str, Any] | None:
        """The document, or None when there is none yet."""
        if self.redis_key is not None:
            raw = await client.get(self.redis_key)
        else:
            assert self.path is not None
            try:
                raw = self.path.read_text(encoding="utf-8")
            except FileNotFoundError:
                return None
            except UnicodeDecodeError:
                raise ToolError(f"recovery ledger {self.path} is not UTF-8 text; refusing to use or overwrite it "
                                "(move it aside, or pass --ledger another path)") from None
            except OSError as error:
                raise ToolError(f"cannot read recovery ledger {self.path}: {error.strerror or error}") from None
        if raw is None:
            return None
        try:
            document = json.loads(raw)
        except json.JSONDecodeError as error:
            raise ToolError(f"recovery ledger {self.where} is not valid JSON ({error.msg} at line {error.lineno}); "
                            "refusing to use or overwrite it (move it aside, or pass --ledger another path)") from None
        return check(document, self.where)

    async def save(self, client: aioredis.Redis, document: dict[str, Any]) -> None:
        text = json.dumps(document, indent=1) + "\n"
        if self.redis_key is not None:
            await client.set(self.redis_key, text)
            return
        assert self.path is not None
        write_atomically(self.path, text)


def write_atomically(path: Path, text: str) -> None:
    """Temp file in the same folder, fsync, rename over: a reader sees the old or the new ledger, never half."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise ToolError(f"cannot write recovery ledger {path}: {error.strerror or error}") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise ToolError(f"cannot write recovery ledger {path}: {error.strerror or error}") from None


def store_for(choice: str | None, prefix: str) -> Store | None:
    """`--ledger` as given: None (default path), PATH, "redis" or "off" (no ledger: returns None)."""
    if choice == OFF_CHOICE:
        return None
    if choice == REDIS_CHOICE:
        return Store(None, ledger_key(prefix))
    path = Path(choice or DEFAULT_PATH)
    if path.is_dir():
        raise ToolError(f"--ledger {path} is a folder; give a file path (e.g. {path / DEFAULT_PATH})")
    return Store(path, None)


def open_recovery(document: dict[str, Any], redis_shown: str, prefix: str) -> dict[str, Any] | None:
    """The last recovery of this Redis and prefix that has not been closed by a resume."""
    for recovery in reversed(document["recoveries"]):
        if recovery.get("redis") == redis_shown and recovery.get("prefix") == prefix:
            return recovery if recovery.get("closed_at") is None else None
    return None


def new_recovery(document: dict[str, Any], redis_shown: str, prefix: str, who: str) -> dict[str, Any]:
    recovery: dict[str, Any] = {"redis": redis_shown, "prefix": prefix, "opened_at": now_iso(), "opened_by": who,
                                "pauses": [], "queues": {}, "closed_at": None, "closed_by": None}
    document["recoveries"].append(recovery)
    return recovery


def read_file(path: Path) -> dict[str, Any] | None:
    """A ledger file read outside a command (for reports and the harness); None when there is none."""
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        return check(json.loads(raw), str(path))
    except ValueError as error:
        raise ToolError(f"recovery ledger {path} is not valid JSON: {error}") from None


def last_accounts(document: dict[str, Any] | None, prefix: str) -> list[dict[str, Any]] | None:
    """The per-queue accounts `resume` wrote for the last recovery of `prefix`; None if none was compared."""
    for recovery in reversed((document or {}).get("recoveries", [])):
        if recovery.get("prefix") == prefix:
            reports = [entry["report"] for entry in recovery["queues"].values() if entry.get("report")]
            return reports or None
    return None
