"""Clock: scaled virtual time (on a wall clock that moves only when told) and the manual clock of unit tests."""

from __future__ import annotations

import asyncio
import math

import pytest

from simulator.clock import CRON_TICK, LAG_TOLERANCE, SYSTEM_WALL, Clock, ClockFellBehind, ManualClock, ScaledClock


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


class LateWall(StepWall):
    """A wall whose sleeps overrun by `overrun` seconds, as on a machine too busy to wake a thread on time."""

    def __init__(self, overrun: float) -> None:
        super().__init__()
        self.overrun = overrun

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds + self.overrun)


def test_a_clock_that_keeps_pace_has_no_lag() -> None:
    clock = ScaledClock(300.0, wall=LateWall(overrun=0.150))  # 150 ms late = 45 virtual s, within the tolerance
    clock.sleep(60.0, where="a stage retry")
    assert clock.lags == []
    assert clock.behind_message() is None
    clock.check()


def test_a_late_wake_up_is_recorded_and_check_says_why() -> None:
    clock = ScaledClock(300.0, wall=LateWall(overrun=0.300))  # 300 ms late = 90 virtual s
    clock.sleep(15.0, where="a stage retry")
    [lag] = clock.lags
    assert lag.where == "a stage retry" and lag.due == pytest.approx(15.0) and lag.behind == pytest.approx(90.0)
    with pytest.raises(ClockFellBehind) as raised:
        clock.check()
    assert str(raised.value).startswith("the virtual clock fell behind by 90.0 virtual s at a stage retry")
    assert str(raised.value).endswith("the machine cannot keep up at scale 300")


def test_a_scheduler_reports_its_own_wake_ups() -> None:
    wall = StepWall()
    clock = ScaledClock(60.0, wall=wall)
    wall.now += 3.0  # the cron's tick due at virtual 60 s fired at virtual 180 s, after the next one was due
    clock.woke(60.0, "a cron tick")
    assert [(lag.where, lag.behind) for lag in clock.lags] == [("a cron tick", pytest.approx(120.0))]
    assert clock.tolerance == LAG_TOLERANCE



def test_a_check_of_the_cron_ticks_ignores_other_late_wake_ups() -> None:
    wall = StepWall()
    clock = ScaledClock(60.0, wall=wall)
    wall.now += 3.0  # a stage body's sleep due at virtual 60 s woke at virtual 180 s
    clock.woke(60.0, "a stage retry")
    clock.check(CRON_TICK)  # the cron's verdicts rest on its ticks, which kept pace
    with pytest.raises(ClockFellBehind):
        clock.check()
    clock.woke(120.0, CRON_TICK)  # a tick due at virtual 120 s fired at virtual 180 s: within the tolerance
    clock.check(CRON_TICK)
    wall.now += 2.0
    clock.woke(120.0, CRON_TICK)  # ... and one fired at virtual 300 s
    with pytest.raises(ClockFellBehind, match="at a cron tick"):
        clock.check(CRON_TICK)
