"""Virtual time: every wait of the simulated app (cron interval, backoff, deploy delay) goes through a Clock."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Virtual seconds since the start of a scenario, and waits measured in virtual seconds."""

    @property
    def scale(self) -> float:
        """Virtual seconds per wall second."""

    def now(self) -> float: ...

    def sleep(self, virtual_seconds: float) -> None: ...

    async def asleep(self, virtual_seconds: float) -> None: ...

    def to_wall(self, virtual_seconds: float) -> float: ...


class Wall(Protocol):
    """Where a ScaledClock reads wall time and waits (the system's; tests pass one that moves only when told)."""

    def time(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...

    async def asleep(self, seconds: float) -> None: ...


class SystemWall:
    """The real wall clock: time.time(), time.sleep(), asyncio.sleep()."""

    def time(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    async def asleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_WALL = SystemWall()


def _check_scale(scale: float) -> None:
    if not math.isfinite(scale) or scale <= 0:
        raise ValueError(f"clock scale must be a positive number, got {scale!r}")


class ScaledClock:
    """Virtual time running `scale` times faster than the wall clock (60.0: a virtual minute per wall second).

    `origin` is the wall (epoch) time of virtual zero; pass it to worker subprocesses so that
    every process of a scenario reads the same virtual time.
    """

    def __init__(self, scale: float = 60.0, *, origin: float | None = None, wall: Wall = SYSTEM_WALL) -> None:
        _check_scale(scale)
        self._wall = wall
        # (scale, origin) in one tuple: set_scale() swaps both at once, so a reader never mixes them.
        self._state = (float(scale), wall.time() if origin is None else float(origin))

    @property
    def scale(self) -> float:
        return self._state[0]

    @property
    def origin(self) -> float:
        return self._state[1]

    def now(self) -> float:
        scale, origin = self._state
        return (self._wall.time() - origin) * scale

    def to_wall(self, virtual_seconds: float) -> float:
        return max(0.0, virtual_seconds) / self._state[0]

    def set_scale(self, scale: float) -> None:
        """Run at `scale` from now on; virtual time stays continuous (the origin moves to match).

        Processes that were handed the old origin keep the old pace: change the scale only while every
        reader of the clock lives in this process.
        """
        _check_scale(scale)
        now_wall = self._wall.time()
        virtual = self.now()
        self._state = (float(scale), now_wall - virtual / float(scale))

    def sleep(self, virtual_seconds: float) -> None:
        self._wall.sleep(self.to_wall(virtual_seconds))

    async def asleep(self, virtual_seconds: float) -> None:
        await self._wall.asleep(self.to_wall(virtual_seconds))

    def __repr__(self) -> str:
        return f"ScaledClock(scale={self.scale}, origin={self.origin})"


class ManualClock:
    """A clock for unit tests: time moves only by advance() or by sleeping, which returns at once."""

    # Waits take no wall time at all, whatever their virtual length.
    scale = math.inf

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, virtual_seconds: float) -> float:
        """Move time forward; returns the new now()."""
        if virtual_seconds < 0:
            raise ValueError("a clock cannot go backwards")
        with self._lock:
            self._now += virtual_seconds
            return self._now

    def to_wall(self, virtual_seconds: float) -> float:
        return 0.0

    def sleep(self, virtual_seconds: float) -> None:
        self.advance(max(0.0, virtual_seconds))

    async def asleep(self, virtual_seconds: float) -> None:
        self.advance(max(0.0, virtual_seconds))
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now()})"
