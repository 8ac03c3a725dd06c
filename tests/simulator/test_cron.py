"""Cron: the pause switch, the Redis lock against overlapping runs, the virtual schedule."""

from __future__ import annotations

import threading
from collections.abc import Callable

import fakeredis
import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.clock import ManualClock, ScaledClock
from simulator.cron import MAX_DURATION, Cron, RunLimit, cron_lock_key
from simulator.observe.logs import LogSink
from simulator.queues.registry import cron_pause_key
from tests.waiting import wait_until

PREFIX = "cron-test"
DAY = 86_400.0


def counting(calls: list[int]) -> Callable[[RunLimit], int]:
    """A tick that records each call and picks one workflow."""

    def tick(limit: RunLimit) -> int:
        calls.append(1)
        return 1

    return tick


@pytest.fixture
def fake() -> fakeredis.FakeRedis:
    return fakeredis.FakeRedis()


class CountingClock(ManualClock):
    """A manual clock that counts its readings: the scheduler has looked at the time when the count moves."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def now(self) -> float:
        self.reads += 1
        return super().now()


def make_cron(fake: fakeredis.FakeRedis, tick: Callable[[RunLimit], int], **kwargs: object) -> tuple[Cron, LogSink]:
    clock = CountingClock()
    logs = LogSink("", PREFIX, clock, "cron", client=fake)
    return Cron("", PREFIX, clock, tick, logs=logs, client=fake, **kwargs), logs  # type: ignore[arg-type]


def test_run_once_returns_what_the_tick_picked_and_frees_the_lock(fake: fakeredis.FakeRedis) -> None:
    cron, logs = make_cron(fake, lambda _: 7)
    assert cron.run_once() == 7
    assert cron.runs == 1
    assert fake.exists(cron_lock_key(PREFIX)) == 0
    assert [e.message for e in logs.events()] == ["cron tick started", "cron tick finished"]


def test_pause_switch_skips_the_tick_and_says_so(fake: fakeredis.FakeRedis) -> None:
    calls: list[int] = []
    cron, logs = make_cron(fake, counting(calls))
    fake.set(cron_pause_key(PREFIX), "1")
    assert cron.is_paused()
    assert cron.run_once() is None
    assert calls == [] and cron.skipped_paused == 1
    assert [e.message for e in logs.events()] == ["cron tick skipped: paused by manage-queues"]
    fake.delete(cron_pause_key(PREFIX))
    assert not cron.is_paused()
    assert cron.run_once() == 1 and calls == [1]


def test_a_held_lock_skips_the_tick(fake: fakeredis.FakeRedis) -> None:
    calls: list[int] = []
    cron, logs = make_cron(fake, counting(calls))
    fake.set(cron_lock_key(PREFIX), "another-run", px=60_000)
    assert cron.run_once() is None
    assert calls == [] and cron.skipped_locked == 1
    assert logs.events()[-1].message == "cron tick skipped: previous run still holds the lock"
    assert fake.get(cron_lock_key(PREFIX)) == b"another-run"


def test_lock_is_set_nx_with_an_expiry(fake: fakeredis.FakeRedis) -> None:
    seen: dict[str, object] = {}

    def tick(limit: RunLimit) -> int:
        seen["ttl"] = fake.pttl(cron_lock_key(PREFIX))
        return 0

    cron, _ = make_cron(fake, tick, lock_ttl=30.0)
    cron.run_once()
    assert isinstance(seen["ttl"], int) and 0 < seen["ttl"] <= 30_000


def test_release_leaves_a_lock_taken_by_another_run_alone(fake: fakeredis.FakeRedis) -> None:
    def tick(limit: RunLimit) -> int:  # our lock expired mid-run and another run took it
        fake.set(cron_lock_key(PREFIX), "newer-run")
        return 0

    cron, _ = make_cron(fake, tick)
    cron.run_once()
    assert fake.get(cron_lock_key(PREFIX)) == b"newer-run"


def run_two_at_once(cron: Cron, release: threading.Event) -> list[int | None]:
    results: list[int | None] = []
    first = threading.Thread(target=lambda: results.append(cron.run_once()))
    first.start()
    wait_until(lambda: cron.running == 1, "cron.running == 1")
    second = threading.Thread(target=lambda: results.append(cron.run_once()))
    second.start()
    wait_until(lambda: cron.running == 2 or cron.skipped_locked == 1, "a second run or a locked skip")
    release.set()
    first.join(10)
    second.join(10)
    return results


def test_without_the_lock_runs_overlap(fake: fakeredis.FakeRedis) -> None:
    release = threading.Event()
    cron, _ = make_cron(fake, lambda _: int(release.wait(10)), use_lock=False)
    assert sorted(run_two_at_once(cron, release), key=str) == [1, 1]
    assert cron.max_concurrent == 2 and cron.runs == 2


def test_with_the_lock_the_second_run_is_skipped(fake: fakeredis.FakeRedis) -> None:
    release = threading.Event()
    cron, _ = make_cron(fake, lambda _: int(release.wait(10)), use_lock=True)
    assert sorted(run_two_at_once(cron, release), key=str) == [1, None]
    assert cron.max_concurrent == 1 and cron.skipped_locked == 1


def test_a_run_past_the_time_limit_is_cut_off_and_shows_as_vercel_logs_it(fake: fakeredis.FakeRedis) -> None:
    steps: list[int] = []

    def tick(limit: RunLimit) -> int:  # ten steps of a virtual minute each, checking the limit between them
        for step in range(10):
            limit.check()
            limit.clock.sleep(60.0)
            steps.append(step)
        return len(steps)

    cron, logs = make_cron(fake, tick)
    assert cron.max_duration == MAX_DURATION == 300.0
    assert cron.run_once() is None
    assert steps == [0, 1, 2, 3, 4, 5], "stopped at the first check past 300 virtual seconds"
    assert (cron.timed_out, cron.runs, cron.failures) == (1, 0, 0)
    last = logs.events()[-1]
    assert (last.level, last.message) == ("error", "Vercel Runtime Timeout Error: Task timed out after 300 seconds")
    assert fake.exists(cron_lock_key(PREFIX)) == 0


def test_a_run_that_never_checks_is_still_past_the_limit(fake: fakeredis.FakeRedis) -> None:
    def tick(limit: RunLimit) -> int:
        limit.clock.sleep(301.0)
        return 3

    cron, logs = make_cron(fake, tick)
    assert cron.run_once() is None and cron.timed_out == 1
    assert logs.events()[-1].message.startswith("Vercel Runtime Timeout Error")


def test_a_run_inside_the_limit_finishes(fake: fakeredis.FakeRedis) -> None:
    def tick(limit: RunLimit) -> int:
        limit.clock.sleep(300.0)
        limit.check()
        return 2

    cron, _ = make_cron(fake, tick)
    assert cron.run_once() == 2 and (cron.runs, cron.timed_out) == (1, 0)


@pytest.mark.parametrize("seconds", [0.0, -1.0, float("nan"), float("inf")])
def test_the_time_limit_must_be_positive_and_finite(fake: fakeredis.FakeRedis, seconds: float) -> None:
    with pytest.raises(ValueError, match="max duration"):
        make_cron(fake, lambda _: 0, max_duration=seconds)


def test_a_failing_tick_is_logged_reraised_and_frees_the_lock(fake: fakeredis.FakeRedis) -> None:
    def tick(limit: RunLimit) -> int:
        raise RuntimeError("database down")

    cron, logs = make_cron(fake, tick)
    with pytest.raises(RuntimeError):
        cron.run_once()
    assert cron.failures == 1
    assert logs.events()[-1].message == "cron tick failed: RuntimeError: database down"
    assert fake.exists(cron_lock_key(PREFIX)) == 0


def test_schedule_is_a_grid_of_the_interval(fake: fakeredis.FakeRedis) -> None:
    cron, _ = make_cron(fake, lambda _: 0, interval_minutes=5.0)
    assert cron.due(0.0)
    cron._advance_schedule(0.0)
    assert not cron.due(299.0) and cron.due(300.0)
    cron._advance_schedule(310.0)  # a late run keeps the grid: next at 600, not 610
    assert not cron.due(599.0) and cron.due(600.0)


@pytest.mark.parametrize("minutes", [0.0, -1.0, float("nan")])
def test_bad_interval_is_refused(fake: fakeredis.FakeRedis, minutes: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        make_cron(fake, lambda _: 0, interval_minutes=minutes)


def test_background_cron_fires_on_a_manual_clock(fake: fakeredis.FakeRedis) -> None:
    cron, _ = make_cron(fake, lambda _: 1, interval_minutes=5.0)
    clock = cron.clock
    assert isinstance(clock, CountingClock)
    cron.start()
    try:
        wait_until(lambda: cron.runs == 1, "cron.runs == 1")
        clock.advance(299.0)
        seen = clock.reads
        # Nothing is due: the scheduler reads the clock a few more times and must not fire.
        wait_until(lambda: clock.reads >= seen + 5, "the scheduler to look at the clock again")
        assert cron.runs == 1
        clock.advance(1.0)
        wait_until(lambda: cron.runs == 2, "cron.runs == 2")
    finally:
        cron.stop()


@pytest.mark.parametrize("use_lock", [False, True])
def test_real_redis_overlap_and_lock(scenario: ScenarioEnv, use_lock: bool) -> None:
    """Every virtual minute (0.1 s of wall time) a run starts; each run lasts until released."""
    clock = ScaledClock(scale=600.0)
    release = threading.Event()
    logs = LogSink(scenario.redis_url, scenario.prefix, clock, "cron")
    cron = Cron(
        scenario.redis_url, scenario.prefix, clock, lambda _: int(release.wait(20)), interval_minutes=1.0,
        use_lock=use_lock, logs=logs, max_duration=DAY,  # the time limit is not what this test is about
    )
    try:
        cron.start()
        if use_lock:
            wait_until(lambda: cron.skipped_locked >= 2, "cron.skipped_locked >= 2")
        else:
            wait_until(lambda: cron.max_concurrent >= 3, "cron.max_concurrent >= 3")
        release.set()
    finally:
        cron.close()
    messages = [e.message for e in logs.events()]
    if use_lock:
        assert cron.max_concurrent == 1
        assert messages.count("cron tick skipped: previous run still holds the lock") == cron.skipped_locked
    else:
        assert cron.max_concurrent >= 3 and cron.skipped_locked == 0
        assert messages.count("cron tick started") == cron.runs
    client = redis.Redis.from_url(scenario.redis_url)
    try:
        assert client.exists(cron_lock_key(scenario.prefix)) == 0
    finally:
        client.close()
    logs.close()


def test_real_redis_pause_switch(scenario: ScenarioEnv) -> None:
    clock = ScaledClock(scale=600.0)
    calls: list[int] = []
    client = redis.Redis.from_url(scenario.redis_url)
    client.set(cron_pause_key(scenario.prefix), "1")
    logs = LogSink(scenario.redis_url, scenario.prefix, clock, "cron")
    cron = Cron(
        scenario.redis_url, scenario.prefix, clock, counting(calls), interval_minutes=1.0, logs=logs
    )
    try:
        cron.start()
        wait_until(lambda: cron.skipped_paused >= 2, "cron.skipped_paused >= 2")
        assert calls == []
        client.delete(cron_pause_key(scenario.prefix))
        wait_until(lambda: len(calls) >= 1, "len(calls) >= 1")
    finally:
        cron.close()
        client.close()
    assert any(e.message == "cron tick skipped: paused by manage-queues" for e in logs.events())
    logs.close()
