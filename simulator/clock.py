"""Virtual time: every wait of the simulated app (cron interval, backoff, deploy delay) goes through a Clock.

A ScaledClock is strict about real-time pacing, as SimPy's strict RealtimeEnvironment is: a scheduled wake-up
(a sleep, a cron tick) that comes later than its virtual due time by more than LAG_TOLERANCE virtual seconds is
recorded, and check() then fails with that reason: the machine could not keep up at this scale, so whatever the
run showed about timing is no verdict on the app. Callers check where a verdict rests on timing: a wait that ran
out of virtual time (every late wake-up), the cron's schedule and overlap (its ticks: check(CRON_TICK)).
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

# How late (virtual seconds) a scheduled wake-up may come before the run no longer rehearses the app's timing:
# the cron's interval. A wake-up later than that can move a cron tick past the next one, which changes what the
# cron-overload verdicts count (runs fired, runs overlapping); the other verdicts wait 20 virtual minutes or more
# and count events, not their order within a minute. At the features' scale (300) it is 200 ms of wall time.
# Measured on the idle 2-core machine (2026-12-01): a serial gate run saw single stalls of 52 and 140 ms (16 and
# 42 virtual s, a thread waiting for the GIL behind a stage body), so a third of the first retry (5 s, the first
# choice) failed runs whose verdicts were sound.
LAG_TOLERANCE = 60.0


# The label of the cron scheduler's wake-ups: the ones the cron's own verdicts (runs apart, overlapping) rest on.
CRON_TICK = "a cron tick"


@dataclass(frozen=True)
class Lag:
    """One wake-up that came late: where, its virtual due time, and by how many virtual seconds."""

    where: str
    due: float
    behind: float


class ClockFellBehind(RuntimeError):
    """The virtual clock could not keep pace with the wall clock: the run is not a rehearsal of the app's timing."""


@runtime_checkable
class Clock(Protocol):
    """Virtual seconds since the start of a scenario, and waits measured in virtual seconds."""

    @property
    def scale(self) -> float:
        """Virtual seconds per wall second."""

    def now(self) -> float: ...

    def sleep(self, virtual_seconds: float, where: str = ...) -> None: ...

    async def asleep(self, virtual_seconds: float, where: str = ...) -> None: ...

    def to_wall(self, virtual_seconds: float) -> float: ...

    def woke(self, due: float, where: str) -> None:
        """A scheduled wake-up due at virtual time `due` happened now (a strict clock records it if late)."""


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

    def __init__(self, scale: float = 60.0, *, origin: float | None = None, wall: Wall = SYSTEM_WALL,
                 tolerance: float = LAG_TOLERANCE) -> None:
        _check_scale(scale)
        self._wall = wall
        # (scale, origin) in one tuple: set_scale() swaps both at once, so a reader never mixes them.
        self._state = (float(scale), wall.time() if origin is None else float(origin))
        self.tolerance = tolerance
        self._lags: list[Lag] = []
        self._lag_lock = threading.Lock()

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

    def sleep(self, virtual_seconds: float, where: str = "a virtual sleep") -> None:
        due = self.now() + max(0.0, virtual_seconds)
        self._wall.sleep(self.to_wall(virtual_seconds))
        self.woke(due, where)

    async def asleep(self, virtual_seconds: float, where: str = "a virtual sleep") -> None:
        due = self.now() + max(0.0, virtual_seconds)
        await self._wall.asleep(self.to_wall(virtual_seconds))
        self.woke(due, where)

    # -- strict pacing ---------------------------------------------------------------------------

    def woke(self, due: float, where: str) -> None:
        behind = self.now() - due
        if behind > self.tolerance:
            with self._lag_lock:
                self._lags.append(Lag(where, due, behind))

    @property
    def lags(self) -> list[Lag]:
        """Every wake-up so far that came later than the tolerance, in the order they were seen."""
        with self._lag_lock:
            return list(self._lags)

    def behind_message(self, where: str | None = None) -> str | None:
        """Why the run cannot be trusted on timing (the worst late wake-up, of `where` only when given), or None
        while it kept pace."""
        lags = [lag for lag in self.lags if where is None or lag.where == where]
        if not lags:
            return None
        worst = max(lags, key=lambda lag: lag.behind)
        return (f"the virtual clock fell behind by {worst.behind:.1f} virtual s at {worst.where} (due at virtual "
                f"{worst.due:.1f} s; {len(lags)} late wake-up(s) over the {self.tolerance:g} s tolerance): the "
                f"machine cannot keep up at scale {self.scale:g}")

    def check(self, where: str | None = None) -> None:
        """Raise ClockFellBehind if a wake-up (of `where` only, e.g. CRON_TICK) came later than the tolerance."""
        message = self.behind_message(where)
        if message is not None:
            raise ClockFellBehind(message)

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

    def woke(self, due: float, where: str) -> None:
        """Time moves only when told: a manual clock is never behind."""

    def sleep(self, virtual_seconds: float, where: str = "a virtual sleep") -> None:
        self.advance(max(0.0, virtual_seconds))

    async def asleep(self, virtual_seconds: float, where: str = "a virtual sleep") -> None:
        self.advance(max(0.0, virtual_seconds))
        await asyncio.sleep(0)

    def __repr__(self) -> str:
        return f"ManualClock(now={self.now()})"
