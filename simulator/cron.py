"""The app's Vercel cron: a run every N virtual minutes, skipped while paused, optionally guarded by a Redis lock
against overlap, each run cut off at the function's time limit (300 s) as Vercel does."""

from __future__ import annotations

import contextlib
import math
import secrets
import threading
from collections.abc import Callable

import redis

from simulator.clock import CRON_TICK, Clock
from simulator.observe.logs import LogSink
from simulator.queues.registry import cron_pause_key

# Upper bound on the time a lock is held, in wall seconds: a crashed tick frees it after this.
DEFAULT_LOCK_TTL = 60.0
# Vercel's maxDuration of the app's cron function, in virtual seconds: a run still working then is stopped.
MAX_DURATION = 300.0
# How often (wall seconds) the scheduler polls a clock whose waits take no wall time (a manual clock).
_POLL_WALL = 0.02


class FunctionTimeout(Exception):
    """The run went past the function's time limit; Vercel stops it wherever it is."""


class RunLimit:
    """The time limit of one cron run: the tick calls check() between its steps, and is cut off past the limit."""

    def __init__(self, clock: Clock, max_duration: float) -> None:
        self.clock = clock
        self.max_duration = max_duration
        self.started = clock.now()

    def elapsed(self) -> float:
        return self.clock.now() - self.started

    def exceeded(self) -> bool:
        return self.elapsed() > self.max_duration

    def check(self) -> None:
        """Raise FunctionTimeout when the run has gone past the limit (Vercel would have stopped it by now)."""
        if self.exceeded():
            raise FunctionTimeout(timeout_message(self.max_duration))


def timeout_message(max_duration: float) -> str:
    """What Vercel logs for a function stopped at its limit."""
    return f"Vercel Runtime Timeout Error: Task timed out after {max_duration:g} seconds"


def cron_lock_key(prefix: str) -> str:
    """The Redis key of the lock that keeps two cron runs of one deployment from overlapping."""
    return f"{prefix}:cron:lock"


class Cron:
    """Calls `tick(limit)` (which enqueues work and returns how many workflows it picked) on a virtual schedule.

    Like a hosted cron, start() fires every interval whether or not the last run has finished,
    each run in its own thread; with `use_lock` a run that finds the lock held is skipped, without
    it runs overlap (the cron-overload bug). A run is cut off at `max_duration` virtual seconds: the tick checks
    its RunLimit between steps; a run found past it is logged as Vercel logs a timeout and counted in `timed_out`.
    """

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        clock: Clock,
        tick: Callable[[RunLimit], int],
        *,
        interval_minutes: float = 5.0,
        use_lock: bool = True,
        logs: LogSink | None = None,
        lock_ttl: float = DEFAULT_LOCK_TTL,
        client: redis.Redis | None = None,
        max_duration: float = MAX_DURATION,
    ) -> None:
        if not math.isfinite(interval_minutes) or interval_minutes <= 0:
            raise ValueError(f"cron interval must be a positive number of minutes, got {interval_minutes!r}")
        self.prefix = prefix
        self.clock = clock
        self.tick = tick
        self.interval = interval_minutes * 60.0
        self.use_lock = use_lock
        self.logs = logs
        self.lock_ttl_ms = max(1, int(lock_ttl * 1000))
        if not math.isfinite(max_duration) or max_duration <= 0:
            raise ValueError(f"cron max duration must be a positive number of seconds, got {max_duration!r}")
        self.max_duration = max_duration
        self._own_client = client is None
        self._redis: redis.Redis = client if client is not None else redis.Redis.from_url(redis_url)
        self._next_at = 0.0
        self._stats_lock = threading.Lock()
        self.runs = 0
        self.skipped_paused = 0
        self.skipped_locked = 0
        self.failures = 0
        self.timed_out = 0
        self.running = 0
        self.max_concurrent = 0
        self._stop = threading.Event()
        self._scheduler: threading.Thread | None = None
        self._ticks: list[threading.Thread] = []

    def _log(self, level: str, message: str, **fields: object) -> None:
        if self.logs is not None:
            self.logs.emit(level, message, **fields)

    def is_paused(self) -> bool:
        """True while the pause switch of `manage-queues pause` is set."""
        return bool(self._redis.exists(cron_pause_key(self.prefix)))

    def due(self, now: float) -> bool:
        """True when a run is due at virtual time `now` (runs are on a grid of the interval, like */N)."""
        return now >= self._next_at

    def _advance_schedule(self, now: float) -> None:
        self._next_at = (math.floor(now / self.interval) + 1) * self.interval

    def _acquire(self) -> str | None:
        token = secrets.token_hex(8)
        if self._redis.set(cron_lock_key(self.prefix), token, nx=True, px=self.lock_ttl_ms):
            return token
        return None

    def _release(self, token: str) -> None:
        # Delete only our own lock: if it expired and another run took it, leave that one alone.
        key = cron_lock_key(self.prefix)
        with self._redis.pipeline() as pipe:
            try:
                pipe.watch(key)
                held = pipe.get(key)
                if held is not None and (held.decode() if isinstance(held, bytes) else held) == token:
                    pipe.multi()
                    pipe.delete(key)
                    pipe.execute()
                else:
                    pipe.unwatch()
            except redis.WatchError:
                pass

    def run_once(self) -> int | None:
        """One run now: None when paused or another run holds the lock, else what the tick returned.

        A tick that raises is logged and re-raised; one cut off at the time limit is logged as Vercel logs it and
        returns None (what it enqueued before stays enqueued).
        """
        now = self.clock.now()
        if self.is_paused():
            with self._stats_lock:
                self.skipped_paused += 1
            self._log("info", "cron tick skipped: paused by manage-queues", t=now)
            return None
        token = None
        if self.use_lock:
            token = self._acquire()
            if token is None:
                with self._stats_lock:
                    self.skipped_locked += 1
                self._log("info", "cron tick skipped: previous run still holds the lock", t=now)
                return None
        with self._stats_lock:
            self.running += 1
            self.max_concurrent = max(self.max_concurrent, self.running)
            concurrent = self.running
        self._log("info", "cron tick started", concurrent=concurrent)
        limit = RunLimit(self.clock, self.max_duration)
        try:
            picked = self.tick(limit)
            limit.check()  # a run that never checked is still stopped at the limit: it did not finish in time
        except FunctionTimeout as timeout:
            with self._stats_lock:
                self.timed_out += 1
            self._log("error", str(timeout), elapsed=round(limit.elapsed(), 1))
            return None
        except Exception as error:
            with self._stats_lock:
                self.failures += 1
            self._log("error", f"cron tick failed: {type(error).__name__}: {error}")
            raise
        finally:
            with self._stats_lock:
                self.running -= 1
            if token is not None:
                self._release(token)
        with self._stats_lock:
            self.runs += 1
        self._log("info", "cron tick finished", picked=picked)
        return picked

    def _run_in_thread(self) -> None:
        with contextlib.suppress(Exception):  # already logged by run_once; the schedule goes on
            self.run_once()

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock.now()
            if self.due(now):
                self.clock.woke(self._next_at, CRON_TICK)  # a strict clock records a tick fired late
                self._advance_schedule(now)
                thread = threading.Thread(target=self._run_in_thread, name="cron-tick", daemon=True)
                self._ticks = [t for t in self._ticks if t.is_alive()] + [thread]
                thread.start()
                continue
            wait = self.clock.to_wall(self._next_at - now)
            # Sleep exactly until the next run on a scaled clock (a floor here capped the cron at 50 runs per wall
            # second); poll only a clock whose waits take no wall time (ManualClock).
            self._stop.wait(min(wait, 0.5) if wait > 0 else _POLL_WALL)

    def start(self) -> None:
        """Start firing on schedule in a background thread (the first run is due at once)."""
        if self._scheduler is not None:
            return
        self._stop.clear()
        self._next_at = max(self._next_at, self.clock.now())  # the first run is due now, not at virtual zero
        self._scheduler = threading.Thread(target=self._loop, name="cron", daemon=True)
        self._scheduler.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop firing and wait for runs in progress to finish."""
        self._stop.set()
        if self._scheduler is not None:
            self._scheduler.join(timeout)
            self._scheduler = None
        for thread in self._ticks:
            thread.join(timeout)
        self._ticks.clear()

    def close(self) -> None:
        self.stop()
        if self._own_client:
            self._redis.close()

    def __enter__(self) -> Cron:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
