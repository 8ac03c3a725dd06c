"""Durations as people write them: `90`, `30s`, `10m`, `2h`, `1h30m`."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)([smh]?)")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in `text`; ValueError naming the text when it is not a duration."""
    compact = text.strip().lower()
    parts = _PART.findall(compact)
    if not compact or "".join(number + unit for number, unit in parts) != compact:
        raise ValueError(f"not a duration: {text!r} (use e.g. 30s, 10m, 2h, 1h30m)")
    return sum(float(number) * _UNIT[unit] for number, unit in parts)


def show(seconds: float) -> str:
    """Seconds as the shortest of 45s, 10m, 1h30m."""
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "") + (f"{secs}s" if secs else "")
    return text or "0s"
