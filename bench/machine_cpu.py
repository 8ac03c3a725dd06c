"""The whole machine's CPU over a timed part (from /proc/stat): busy core-seconds, whatever process spent them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC_STAT = Path("/proc/stat")


def _jiffies() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs since boot, or None where /proc/stat is not there (not Linux)."""
    try:
        first = PROC_STAT.read_text(encoding="ascii").split("\n", 1)[0].split()
    except OSError:
        return None
    values = [int(value) for value in first[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)  # idle + iowait
    return sum(values[:8]) - idle, sum(values[:8])


@dataclass(frozen=True)
class CpuUse:
    """Busy core-seconds and wall seconds of one timed part; `cores_busy` = busy core-seconds per wall second."""

    busy_core_seconds: float
    wall_seconds: float
    cores: int

    @property
    def cores_busy(self) -> float:
        return self.busy_core_seconds / self.wall_seconds if self.wall_seconds else 0.0

    def ms_per(self, count: int) -> float | None:
        """Busy CPU milliseconds per unit of work (a job), or None for no work."""
        return self.busy_core_seconds / count * 1000 if count else None


class MachineCpu:
    """`with MachineCpu() as cpu: ...` then `cpu.use`: what the machine spent while the block ran (None off Linux)."""

    def __init__(self) -> None:
        self.use: CpuUse | None = None
        self._start: tuple[int, int] | None = None
        self._wall = 0.0

    def __enter__(self) -> MachineCpu:
        self._start, self._wall = _jiffies(), time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        end, wall = _jiffies(), time.perf_counter() - self._wall
        if self._start is None or end is None or end[1] == self._start[1]:
            return
        cores = os.cpu_count() or 1
        busy_share = (end[0] - self._start[0]) / (end[1] - self._start[1])
        self.use = CpuUse(busy_share * cores * wall, wall, cores)
