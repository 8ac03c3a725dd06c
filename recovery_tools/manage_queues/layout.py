"""The queues' key layout in Redis: queue keys, discovering queues under a prefix, BullMQ 5.x versus 6.x.

BullMQ 5.x pauses by renaming `wait` to `paused` and its producers add to `paused` while the meta hash
says `paused`; 6.x (and the Python package) keep jobs in `wait` and only mark `meta.paused`. Bull 4 renames
`wait` to `paused` and sets the key `meta-paused` (library.py tells the libraries apart).
"""

from __future__ import annotations

import re

import redis.asyncio as aioredis

# Keys a BullMQ or Bull 4 queue may own, `<prefix>:<queue>:<suffix>`; a job hash is `<prefix>:<queue>:<job id>`.
QUEUE_SUFFIXES = frozenset(
    {
        "meta", "id", "wait", "paused", "active", "completed", "failed", "delayed", "prioritized",
        "waiting-children", "events", "marker", "stalled", "stalled-check", "limiter", "pc", "repeat", "de",
        "meta-paused", "priority",  # Bull 4's
    }
)
LEGACY_LAYOUT = "5.x"
CURRENT_LAYOUT = "6.x"
_VERSION = re.compile(r"^(?P<lib>[^:]+):(?P<major>\d+)\.")


def key(prefix: str, queue: str, suffix: str) -> str:
    return f"{prefix}:{queue}:{suffix}"


def text(value: str | bytes | None) -> str | None:
    """A Redis reply as text (the tool's client decodes, but the stubs allow bytes)."""
    return value.decode() if isinstance(value, bytes) else value


def layout_of(version: str | bytes | None) -> str:
    """"5.x" for queues whose meta records a BullMQ major below 6, else "6.x" (also the Python package's)."""
    match = _VERSION.match(text(version) or "")
    if match and match["lib"] == "bullmq" and int(match["major"]) < 6:
        return LEGACY_LAYOUT
    return CURRENT_LAYOUT


def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


async def discover(client: aioredis.Redis, prefix: str, ignore: frozenset[str] = frozenset()) -> list[str]:
    """Names of the queues that own at least one key under `prefix`, sorted; one SCAN pass."""
    found: set[str] = set()
    stem = f"{prefix}:"
    async for raw in client.scan_iter(match=f"{_glob_escape(prefix)}:*", count=1000):
        name = str(raw)
        if name in ignore:
            continue
        queue, _, suffix = name[len(stem):].partition(":")
        if queue and suffix in QUEUE_SUFFIXES:
            found.add(queue)
    return sorted(found)
