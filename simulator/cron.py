"""The app's cron handler (`/api/process-workflows-cron`): what one invocation by Vercel's scheduler runs, optionally
guarded by a Redis lock against overlap, cut off at the function's time limit (300 s) as Vercel does.

The schedule and the pause are Vercel's, not the app's: simulator/platform/ calls the handler over HTTP every minute
its cron definitions say, while the project's crons are enabled.
"""

from __future__ import annotations

import contextlib
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from simulator.clock import Clock
from simulator.observe.logs import LogSink

# Upper bound on the time a lock is held, in wall seconds: a crashed tick frees it after this.
DEFAULT_LOCK_TTL = 60.0
# Vercel's maxDuration of the app's cron function, in virtual seconds: a run still working then is stopped.
MAX_DURATION = 300.0


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


@dataclass(frozen=True)
class RunResult:
    """One invocation as the function answers it: HTTP status (200, 504 past the limit, 500 on an error, 503 when
    the deployment is gone), workflows picked, and why it did no work (a held lock) or failed."""

    status: int
    picked: int | None = None
    skipped: str | None = None
    error: str | None = None


class CronClosed(RuntimeError):
    """The deployment of this handler is gone: Vercel routes the invocation to the live one."""


class Cron:
    """The handler of one deployment: `tick(limit)` (which enqueues work and returns how many workflows it picked).

    Vercel fires every scheduled minute whether or not the last run has finished, each invocation on its own; with
    `use_lock` a run that finds the lock held is skipped, without it runs overlap (the cron-overload bug). A run is
    cut off at `max_duration` virtual seconds: the tick checks its RunLimit between steps; a run found past it is
    logged as Vercel logs a timeout and counted in `timed_out`. `interval_minutes` is the release's schedule (its
    vercel.json `crons`), which the platform reads.
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
        if not (interval_minutes > 0 and float(interval_minutes).is_integer()):
            raise ValueError(f"cron interval must be a positive whole number of minutes, got {interval_minutes!r}")
        self.prefix = prefix
        self.clock = clock
        self.tick = tick
        self.interval = interval_minutes * 60.0
        self.use_lock = use_lock
        self.logs = logs
        self.lock_ttl_ms = max(1, int(lock_ttl * 1000))
        if not (max_duration > 0 and max_duration != float("inf")):
            raise ValueError(f"cron max duration must be a positive number of seconds, got {max_duration!r}")
        self.max_duration = max_duration
        self._own_client = client is None
        self._redis: redis.Redis = client if client is not None else redis.Redis.from_url(redis_url)
        self._stats_lock = threading.Condition()
        self._closed = False
        self.runs = 0
        self.skipped_locked = 0
        self.failures = 0
        self.timed_out = 0
        self.running = 0  # runs past the lock, in their tick now
        self.max_concurrent = 0
        self._in_flight = 0  # invocations being served, skipped ones included (what drain() waits for)

    @property
    def schedule(self) -> str:
        """The release's cron expression, as its vercel.json declares it."""
        minutes = self.interval / 60
        return "* * * * *" if minutes == 1 else f"*/{minutes:g} * * * *"

    def _log(self, level: str, message: str, **fields: object) -> None:
        if self.logs is not None:
            self.logs.emit(level, message, **fields)

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
        """One run now: None when another run holds the lock or the run was cut off, else what the tick returned.

        A tick that raises is logged and re-raised; one cut off at the time limit is logged as Vercel logs it and
        returns None (what it enqueued before stays enqueued).
        """
        result = self.invoke()
        if result.status == 500:
            raise RuntimeError(result.error)
        return result.picked

    def invoke(self) -> RunResult:
        """One invocation, answered as the function answers Vercel (raises CronClosed once the deployment closed)."""
        with self._stats_lock:
            if self._closed:
                raise CronClosed("the deployment of this cron handler is closed")
            self._in_flight += 1
        try:
            return self._invoke()
        finally:
            with self._stats_lock:
                self._in_flight -= 1
                self._stats_lock.notify_all()

    def _invoke(self) -> RunResult:
        now = self.clock.now()
        token = None
        if self.use_lock:
            token = self._acquire()
            if token is None:
                with self._stats_lock:
                    self.skipped_locked += 1
                self._log("info", "cron tick skipped: previous run still holds the lock", t=now)
                return RunResult(200, skipped="locked")
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
            return RunResult(504, error=str(timeout))
        except Exception as error:
            with self._stats_lock:
                self.failures += 1
            message = f"{type(error).__name__}: {error}"
            self._log("error", f"cron tick failed: {message}")
            return RunResult(500, error=message)
        finally:
            with self._stats_lock:
                self.running -= 1
            if token is not None:
                self._release(token)
        with self._stats_lock:
            self.runs += 1
        self._log("info", "cron tick finished", picked=picked)
        return RunResult(200, picked=picked)

    def drain(self, timeout: float = 30.0) -> None:
        """Take no new invocation and wait (up to `timeout` wall seconds) for those in progress to finish: an old
        deployment's function runs to its end."""
        deadline = time.monotonic() + timeout
        with self._stats_lock:
            self._closed = True
            while self._in_flight and time.monotonic() < deadline:
                self._stats_lock.wait(min(0.5, max(0.0, deadline - time.monotonic())))

    def close(self) -> None:
        self.drain()
        if self._own_client:
            with contextlib.suppress(redis.RedisError):
                self._redis.close()

    def __enter__(self) -> Cron:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
