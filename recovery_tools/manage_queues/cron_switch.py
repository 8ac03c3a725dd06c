"""The cron pause switch: a key the app's cron checks before it enqueues work, set by `manage-queues pause`.

The key is `<prefix>:cron-paused`: two parts, so no queue can own it (a queue's keys are always
`<prefix>:<queue>:<suffix>`, and a queue named `cron` would own `<prefix>:cron:paused`).
"""

from __future__ import annotations

import getpass
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis


def cron_pause_key(prefix: str) -> str:
    """The Redis key of the cron pause switch under `prefix`."""
    return f"{prefix}:cron-paused"


@dataclass(frozen=True)
class CronSwitch:
    """The cron pause switch: paused when the key exists; its JSON value says who set it and when."""

    key: str
    paused: bool
    paused_by: str | None = None
    paused_at: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


async def read_cron(client: aioredis.Redis, prefix: str) -> CronSwitch:
    name = cron_pause_key(prefix)
    raw = await client.get(name)
    if raw is None:
        return CronSwitch(key=name, paused=False)
    try:
        value = json.loads(raw)
    except ValueError:
        value = {}
    if not isinstance(value, dict):
        value = {}
    return CronSwitch(key=name, paused=True, paused_by=value.get("paused_by"), paused_at=value.get("paused_at"))


async def pause_cron(client: aioredis.Redis, prefix: str) -> CronSwitch:
    """Set the switch unless it is already set (the first pauser stays on record)."""
    value = {
        "paused_by": operator(),
        "paused_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "tool": "manage-queues",
        "pid": os.getpid(),
    }
    await client.set(cron_pause_key(prefix), json.dumps(value), nx=True)
    return await read_cron(client, prefix)


async def resume_cron(client: aioredis.Redis, prefix: str) -> CronSwitch:
    await client.delete(cron_pause_key(prefix))
    return await read_cron(client, prefix)


def operator() -> str:
    """user@host of whoever runs the tool (for the record of who paused)."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
