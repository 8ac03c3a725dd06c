"""Structured log events of one scenario, kept in a Redis stream so every process of the scenario logs to one place."""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import redis

# The error signatures the checklist monitors: one source, shared with the real tools' `verify`.
from recovery_tools.criteria.facts import SIGNATURES
from recovery_tools.criteria.signatures import matches, signatures_in
from simulator.clock import Clock

__all__ = ["SIGNATURES", "LogEvent", "LogSink", "count_signatures", "signatures_in", "stream_key"]

LEVELS = ("debug", "info", "warning", "error")

# Cap on the stream so a runaway scenario cannot fill Redis; far above what a scenario writes.
STREAM_MAXLEN = 200_000

_python_log = logging.getLogger("simulator.app")


def stream_key(prefix: str) -> str:
    """The Redis stream that holds the log events of the scenario with this BullMQ prefix."""
    return f"{prefix}:sim:logs"


@dataclass
class LogEvent:
    """One log line: virtual time `t` (seconds since the scenario's start), wall time (epoch), who wrote it."""

    t: float
    wall: float
    level: str
    message: str
    source: str
    fields: dict[str, Any] = field(default_factory=dict)
    pid: int = 0
    id: str = ""  # the stream entry id, "" until read back

    def matches(self, signature_id: str) -> bool:
        return matches(signature_id, self.message)

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, default=str)


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _decode(entry_id: Any, raw: Any) -> LogEvent:
    values = {_text(key): _text(value) for key, value in raw.items()}
    return LogEvent(
        t=float(values["t"]),
        wall=float(values["wall"]),
        level=values["level"],
        message=values["message"],
        source=values["source"],
        fields=json.loads(values.get("fields", "{}")),
        pid=int(values.get("pid", "0")),
        id=_text(entry_id),
    )


class LogSink:
    """Writes and reads the scenario's log stream `{prefix}:sim:logs`.

    Several sinks (one per process or component, told apart by `source`) share one stream.
    `client` lets unit tests pass a fakeredis client instead of a URL.
    """

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        clock: Clock,
        source: str = "app",
        *,
        client: redis.Redis | None = None,
    ) -> None:
        self.prefix = prefix
        self.clock = clock
        self.source = source
        self.key = stream_key(prefix)
        self._own_client = client is None
        self._redis: redis.Redis = client if client is not None else redis.Redis.from_url(redis_url)

    def child(self, source: str) -> LogSink:
        """Another sink on the same stream and connection, writing under another source name."""
        return LogSink("", self.prefix, self.clock, source, client=self._redis)

    def emit(self, level: str, message: str, **fields: Any) -> None:
        """Append one event, stamped with virtual and wall time, source and pid."""
        if level not in LEVELS:
            raise ValueError(f"unknown log level {level!r}; use one of {', '.join(LEVELS)}")
        entry = {
            "t": repr(self.clock.now()),
            "wall": repr(time.time()),
            "level": level,
            "message": message,
            "source": self.source,
            "pid": str(os.getpid()),
            "fields": json.dumps(fields, sort_keys=True, default=str),
        }
        self._redis.xadd(self.key, entry, maxlen=STREAM_MAXLEN, approximate=True)  # type: ignore[arg-type]
        _python_log.log(logging.getLevelName(level.upper()), "[%s] %s", self.source, message)

    def debug(self, message: str, **fields: Any) -> None:
        self.emit("debug", message, **fields)

    def info(self, message: str, **fields: Any) -> None:
        self.emit("info", message, **fields)

    def warning(self, message: str, **fields: Any) -> None:
        self.emit("warning", message, **fields)

    def error(self, message: str, **fields: Any) -> None:
        self.emit("error", message, **fields)

    def tail(self, after_id: str = "0-0", count: int = 10_000) -> tuple[str, list[LogEvent]]:
        """Events written after the entry `after_id`, and the id to pass next time."""
        entries = self._redis.xrange(self.key, min=f"({after_id}", max="+", count=count)
        events = [_decode(entry_id, raw) for entry_id, raw in entries or []]
        return (events[-1].id if events else after_id), events

    def events(self) -> list[LogEvent]:
        """Every event of the scenario, oldest first, from every process."""
        found: list[LogEvent] = []
        cursor = "0-0"
        while True:
            cursor, batch = self.tail(cursor)
            if not batch:
                return found
            found.extend(batch)

    def matching(self, signature_id: str) -> list[LogEvent]:
        """Events whose message shows the signature (KeyError for an unknown id)."""
        if signature_id not in SIGNATURES:
            raise KeyError(signature_id)
        return [event for event in self.events() if matches(signature_id, event.message)]

    def counts_by_signature(self) -> dict[str, int]:
        """How many events show each signature (every id of SIGNATURES, zero included)."""
        return count_signatures(self.events())

    def write_jsonl(self, path: str | Path) -> None:
        """Write every event as one JSON object per line (written to a temporary file, then renamed)."""
        target = Path(path)
        partial = target.with_name(target.name + ".partial")
        with partial.open("w", encoding="utf-8") as out:
            for event in self.events():
                out.write(event.to_json() + "\n")
        partial.replace(target)

    def close(self) -> None:
        if self._own_client:
            self._redis.close()

    def __enter__(self) -> LogSink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def count_signatures(events: list[LogEvent]) -> dict[str, int]:
    """Per signature id, how many of the events show it."""
    counts = dict.fromkeys(SIGNATURES, 0)
    for event in events:
        for name in signatures_in(event.message):
            counts[name] += 1
    return counts
