"""Clock: scaled virtual time (on a wall clock that moves only when told) and the manual clock of unit tests."""

from __future__ import annotations

import asyncio
import math

import pytest

from simulator.clock import SYSTEM_WALL, Clock, ManualClock, ScaledClock


class StepWall:
    """A wall clock for tests: sleeping moves it by exactly the time asked, and it records each wait."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start
        self.waits: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def test_scaled_clock_converts_virtual_to_wall() -> None:
    clock = ScaledClock(scale=60.0)
    assert clock.to_wall(60.0) == 1.0
    assert clock.to_wall(120.0) == 2.0
    assert clock.to_wall(-5.0) == 0.0


# Scales and waits are powers of two below: virtual and wall times are then exact binary fractions, so every
# reading is compared exactly.

def test_scaled_clock_runs_faster_than_the_wall() -> None:
    wall = StepWall()
    clock = ScaledClock(scale=512.0, wall=wall)
    assert clock.now() == 0.0
    clock.sleep(64.0)
    assert wall.waits == [0.125]  # 64 virtual seconds at 512x
    assert clock.now() == 64.0
    wall.now += 2.0  # two wall seconds pass on their own
    assert clock.now() == 64.0 + 1024.0


def test_scaled_clock_async_sleep_waits_the_scaled_wall_time() -> None:
    wall = StepWall()
    clock = ScaledClock(scale=1024.0, wall=wall)
    asyncio.run(clock.asleep(64.0))
    assert wall.waits == [0.0625]
    assert clock.now() == 64.0
    clock.sleep(-5.0)  # a wait in the past returns at once
    assert wall.waits == [0.0625, 0.0]


def test_two_clocks_with_one_origin_agree() -> None:
    wall = StepWall()
    first = ScaledClock(scale=64.0, wall=wall)
    wall.now += 7.5
    second = ScaledClock(scale=64.0, origin=first.origin, wall=wall)
    assert first.now() == second.now() == 480.0


def test_the_default_wall_is_the_system_clock() -> None:
    clock = ScaledClock(scale=3600.0)
    assert clock._wall is SYSTEM_WALL
    assert 0.0 <= clock.now() < 3600.0  # less than a wall second since it was made


@pytest.mark.parametrize("scale", [0.0, -1.0, math.inf, math.nan])
def test_scaled_clock_rejects_a_bad_scale(scale: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(scale=scale)


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock()
    assert clock.now() == 0.0
    assert clock.advance(90.0) == 90.0
    clock.sleep(30.0)
    assert clock.now() == 120.0
    asyncio.run(clock.asleep(60.0))
    assert clock.now() == 180.0
    assert clock.to_wall(3600.0) == 0.0
    with pytest.raises(ValueError):
        clock.advance(-1.0)


def test_both_clocks_satisfy_the_protocol() -> None:
    assert isinstance(ScaledClock(), Clock)
    assert isinstance(ManualClock(), Clock)


def test_set_scale_keeps_virtual_time_continuous() -> None:
    wall = StepWall()
    clock = ScaledClock(64.0, wall=wall)
    wall.now += 10.0
    assert clock.now() == 640.0
    clock.set_scale(4096.0)
    assert clock.scale == 4096.0
    assert clock.now() == 640.0  # continuous: no jump by the factor of 64
    wall.now += 1.0
    assert clock.now() == 640.0 + 4096.0  # then the new pace
    with pytest.raises(ValueError):
        clock.set_scale(0)
