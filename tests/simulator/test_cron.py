"""The cron: the handler (Redis lock against overlap, time limit) and Vercel's scheduler calling it over HTTP."""

from __future__ import annotations

import threading
from collections.abc import Callable

import fakeredis
import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.clock import ManualClock, ScaledClock
from simulator.cron import MAX_DURATION, Cron, CronClosed, RunLimit, cron_lock_key
from simulator.observe.logs import LogSink
from simulator.platform.app_endpoint import CronEndpoint
from simulator.platform.scheduler import CronScheduler, minute_matches
from simulator.platform.vercel_api import CronDefinition, FakeVercel
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


@pytest.mark.parametrize(("schedule", "minutes"), [
    ("* * * * *", [0, 1, 2, 3, 4, 5, 6]), ("*/3 * * * *", [0, 3, 6]), ("5,6 * * * *", [5, 6])])
def test_a_schedule_names_its_minutes(schedule: str, minutes: list[int]) -> None:
    assert [m for m in range(7) if minute_matches(schedule, m)] == minutes


@pytest.mark.parametrize("schedule", ["* * * *", "0 3 * * *", "*/0 * * * *", "x * * * *"])
def test_a_schedule_the_scheduler_cannot_read_is_refused(schedule: str) -> None:
    with pytest.raises(ValueError, match="cron schedule"):
        minute_matches(schedule, 0)


@pytest.mark.parametrize("minutes", [0.0, -1.0, float("nan"), 1.5])
def test_bad_interval_is_refused(fake: fakeredis.FakeRedis, minutes: float) -> None:
    with pytest.raises(ValueError, match="positive"):
        make_cron(fake, lambda _: 0, interval_minutes=minutes)


class Platform:
    """The fake Vercel, the app's cron path serving `cron`, and the scheduler, on one clock."""

    def __init__(self, cron: Cron, clock: ManualClock | ScaledClock, schedule: str = "* * * * *") -> None:
        self.vercel = FakeVercel(crons=(CronDefinition(schedule=schedule),))
        self.vercel.start()
        self.endpoint = CronEndpoint("s3cret", cron.invoke)
        self.scheduler = CronScheduler(self.vercel, clock, self.endpoint.start(), "s3cret")

    def close(self) -> None:
        self.scheduler.stop()
        self.endpoint.stop()
        self.vercel.stop()


def test_the_scheduler_calls_the_cron_path_on_its_minutes_with_the_secret(fake: fakeredis.FakeRedis) -> None:
    cron, _ = make_cron(fake, lambda _: 1, interval_minutes=3.0)
    clock = cron.clock
    assert isinstance(clock, CountingClock)
    platform = Platform(cron, clock, cron.schedule)
    try:
        platform.scheduler.start()
        wait_until(lambda: cron.runs == 1, "the call of minute 0")
        clock.advance(179.0)
        seen = clock.reads
        # Nothing is due: the scheduler reads the clock a few more times and must not call.
        wait_until(lambda: clock.reads >= seen + 5, "the scheduler to look at the clock again")
        assert cron.runs == 1
        clock.advance(1.0)
        wait_until(lambda: cron.runs == 2, "the call of minute 3")
        wait_until(lambda: all(i.status for i in platform.scheduler.invocations()), "both answers")
        assert [(i.at, i.path, i.status) for i in platform.scheduler.invocations()] == [
            (0.0, "/api/process-workflows-cron", 200), (180.0, "/api/process-workflows-cron", 200)]
    finally:
        platform.close()


def test_a_wrong_secret_gets_401_and_runs_nothing(fake: fakeredis.FakeRedis) -> None:
    calls: list[int] = []
    cron, _ = make_cron(fake, counting(calls))
    platform = Platform(cron, cron.clock)  # type: ignore[arg-type]
    try:
        platform.scheduler.secret = "guessed"
        platform.scheduler.start()
        wait_until(lambda: platform.scheduler.invocations() and platform.scheduler.invocations()[0].status,
                   "the first call's answer")
        assert platform.scheduler.invocations()[0].status == 401
        assert calls == [] and platform.endpoint.rejected == 1
    finally:
        platform.close()


@pytest.mark.parametrize("use_lock", [False, True])
def test_real_redis_overlap_and_lock(scenario: ScenarioEnv, use_lock: bool) -> None:
    """Every virtual minute (0.1 s of wall time) Vercel calls the cron path; each run lasts until released."""
    clock = ScaledClock(scale=600.0)
    release = threading.Event()
    logs = LogSink(scenario.redis_url, scenario.prefix, clock, "cron")
    cron = Cron(
        scenario.redis_url, scenario.prefix, clock, lambda _: int(release.wait(20)), interval_minutes=1.0,
        use_lock=use_lock, logs=logs, max_duration=DAY,  # the time limit is not what this test is about
    )
    platform = Platform(cron, clock)
    try:
        platform.scheduler.start()
        if use_lock:
            wait_until(lambda: cron.skipped_locked >= 2, "cron.skipped_locked >= 2")
        else:
            wait_until(lambda: cron.max_concurrent >= 3, "cron.max_concurrent >= 3")
        release.set()
    finally:
        platform.close()
        cron.close()
    messages = [e.message for e in logs.events()]
    if use_lock:
        assert cron.max_concurrent == 1
        assert messages.count("cron tick skipped: previous run still holds the lock") == cron.skipped_locked
    else:
        assert cron.max_concurrent >= 3 and cron.skipped_locked == 0
        assert messages.count("cron tick started") == cron.runs
    assert all(i.status == 200 for i in platform.scheduler.invocations())
    client = redis.Redis.from_url(scenario.redis_url)
    try:
        assert client.exists(cron_lock_key(scenario.prefix)) == 0
    finally:
        client.close()
    logs.close()


def test_real_redis_crons_disabled_on_vercel_make_no_call(scenario: ScenarioEnv) -> None:
    clock = ScaledClock(scale=600.0)
    calls: list[int] = []
    cron = Cron(scenario.redis_url, scenario.prefix, clock, counting(calls), interval_minutes=1.0)
    platform = Platform(cron, clock)
    try:
        platform.vercel.set_crons_enabled(False)
        platform.scheduler.start()
        start = clock.now()
        wait_until(lambda: clock.now() - start >= 180.0, "3 virtual minutes")
        assert calls == [] and platform.scheduler.invocations() == []
        platform.vercel.set_crons_enabled(True)
        wait_until(lambda: len(calls) >= 1, "len(calls) >= 1")
    finally:
        platform.close()
        cron.close()
    assert all(i.at >= start + 180.0 for i in platform.scheduler.invocations())


def test_a_cut_off_run_answers_504_as_vercel_does(fake: fakeredis.FakeRedis) -> None:
    def tick(limit: RunLimit) -> int:
        limit.clock.sleep(301.0)
        return 3

    cron, _ = make_cron(fake, tick)
    assert cron.invoke().status == 504
    cron, _ = make_cron(fake, lambda _: 1 // 0)
    result = cron.invoke()
    assert (result.status, result.error) == (500, "ZeroDivisionError: integer division or modulo by zero")


def test_a_closed_deployment_takes_no_new_call_and_lets_a_run_finish(fake: fakeredis.FakeRedis) -> None:
    release = threading.Event()
    cron, _ = make_cron(fake, lambda _: int(release.wait(10)))
    first = threading.Thread(target=cron.invoke)
    first.start()
    wait_until(lambda: cron.running == 1, "a run in progress")
    closer = threading.Thread(target=cron.drain)
    closer.start()
    wait_until(lambda: cron._closed, "the drain to begin")
    with pytest.raises(CronClosed):
        cron.invoke()
    assert closer.is_alive(), "the drain waits for the run in progress"
    release.set()
    closer.join(10)
    first.join(10)
    assert cron.runs == 1
