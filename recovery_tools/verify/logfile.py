"""Exported logs as evidence: plain text, or JSON lines as `vercel logs --json` prints them.

A JSON line's text is its `message` (or `msg`); its time `timestampInMs`, `timestamp` or `time` (epoch ms or s,
or ISO 8601); a request line's path `requestPath` (or `path`, `url`) and status `responseStatusCode` (or
`statusCode`, `status`). A plain line's time is a leading ISO 8601 stamp, if any. A line without a time counts
as inside the window (the operator exported it for this deploy).
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from recovery_tools.criteria.judge import LogLine

_STAMP = re.compile(r"^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?)")


class LogFileError(Exception):
    """A log file cannot be read (one line naming it)."""


def _epoch(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    text = str(value).strip()
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return _epoch(float(text))
    try:
        stamp = datetime.fromisoformat(text.replace(",", ".").replace("Z", "+00:00"))
    except ValueError:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _first(document: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        if document.get(key) not in (None, ""):
            return document[key]
    return None


def parse_line(text: str, source: str, default_t: float) -> LogLine | None:
    """One line of an exported log (None for a blank line)."""
    text = text.rstrip("\r\n")
    if not text.strip():
        return None
    if text.lstrip().startswith("{"):
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if isinstance(document, dict):
            message = _first(document, "message", "msg")
            t = _epoch(_first(document, "timestampInMs", "timestamp", "time"))
            status = _first(document, "responseStatusCode", "statusCode", "status")
            path = _first(document, "requestPath", "path", "url")
            method = _first(document, "requestMethod", "method")
            shown = str(message) if message is not None else ""
            if path is not None and status is not None:  # a request line: say it as one
                shown = f"{method or 'GET'} {path} {status}" + (f" {shown}" if shown else "")
            return LogLine(default_t if t is None else t, shown or text, source,
                           status=int(status) if str(status).lstrip("-").isdigit() else None,
                           path=str(path) if path is not None else None)
    stamp = _STAMP.match(text)
    t = _epoch(stamp.group(1)) if stamp else None
    return LogLine(default_t if t is None else t, text.strip(), source)


@dataclass
class LogFile:
    """One exported log (a path, or `-` for stdin read once); a file is read on from where the last read ended."""

    name: str
    _offset: int = 0
    _lineno: int = 0
    lines: list[LogLine] = field(default_factory=list)

    def read(self, now: float) -> list[LogLine]:
        """Every line read so far (new lines are appended on each call)."""
        if self.name == "-":
            if self._lineno == 0:
                self._add(sys.stdin.read().splitlines(), now)
                self._lineno = max(self._lineno, 1)
            return self.lines
        try:
            with Path(self.name).open("rb") as handle:
                handle.seek(self._offset)
                chunk = handle.read()
        except OSError as error:
            raise LogFileError(f"cannot read log file {self.name}: {error.strerror or error}") from None
        complete = chunk[: chunk.rfind(b"\n") + 1]  # a line still being written is read next time
        self._offset += len(complete)
        self._add(complete.decode("utf-8", "replace").splitlines(), now)
        return self.lines

    def _add(self, texts: list[str], now: float) -> None:
        label = "stdin" if self.name == "-" else Path(self.name).name
        for text in texts:
            self._lineno += 1
            line = parse_line(text, f"{label}:{self._lineno}", now)
            if line is not None:
                self.lines.append(line)
