"""Clock: scaled virtual time and the manual clock of unit tests."""

from __future__ import annotations

import asyncio
import math
import time

import pytest

from simulator.clock import Clock, ManualClock, ScaledClock


def test_scaled_clock_converts_virtual_to_wall() -> None:
    clock = ScaledClock(scale=60.0)
    assert clock.to_wall(60.0) == pytest.approx(1.0)
    assert clock.to_wall(120.0) == pytest.approx(2.0)
    assert clock.to_wall(-5.0) == 0.0


def test_scaled_clock_runs_faster_than_the_wall() -> None:
    clock = ScaledClock(scale=600.0)
    wall_before = time.time()
    before = clock.now()
    clock.sleep(30.0)  # 0.05 s of wall time
    elapsed_virtual = clock.now() - before
    elapsed_wall = time.time() - wall_before
    assert elapsed_virtual >= 30.0
    assert elapsed_virtual == pytest.approx(elapsed_wall * 600.0, rel=0.01)


def test_scaled_clock_async_sleep_advances_virtual_time() -> None:
    clock = ScaledClock(scale=1200.0)
    before = clock.now()
    asyncio.run(clock.asleep(60.0))
    assert clock.now() - before >= 60.0


def test_two_clocks_with_one_origin_agree() -> None:
    first = ScaledClock(scale=60.0)
    second = ScaledClock(scale=60.0, origin=first.origin)
    assert abs(first.now() - second.now()) < 1.0


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
    clock = ScaledClock(60.0)
    before = clock.now()
    clock.set_scale(6000.0)
    after = clock.now()
    assert clock.scale == 6000.0
    assert 0 <= after - before < 5.0  # continuous: no jump by the factor of 100
    with pytest.raises(ValueError):
        clock.set_scale(0)
