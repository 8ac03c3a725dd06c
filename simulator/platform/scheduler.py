"""Vercel's cron scheduler over the fake API: while the project's crons are enabled, it calls each cron path of the
project's definitions over HTTP on the minutes its schedule names, with the CRON_SECRET, and logs every call."""

from __future__ import annotations

import math
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass, replace

from simulator.clock import CRON_TICK, Clock
from simulator.cron import MAX_DURATION
from simulator.platform.vercel_api import FakeVercel

# How often (wall seconds) the scheduler looks at a clock whose waits take no wall time (a manual clock).
_POLL_WALL = 0.02


@dataclass(frozen=True)
class Invocation:
    """One call of a cron path: when it was made (virtual seconds), its path, and the HTTP status it got (None while
    in flight, 0 when the app could not be reached)."""

    at: float
    path: str
    status: int | None = None
    finished_at: float | None = None


def minute_matches(schedule: str, minute: int) -> bool:
    """Whether a cron expression fires at `minute` (minutes since the schedule began): the minute field may be `*`,
    `*/N` or a list of minutes; the other fields must be `*` (every schedule the app's vercel.json may use here)."""
    fields = schedule.split()
    if len(fields) != 5 or any(field != "*" for field in fields[1:]):
        raise ValueError(f"cron schedule {schedule!r}: only the minute field may differ from '*'")
    field = fields[0]
    if field == "*":
        return True
    if field.startswith("*/") and field[2:].isdigit() and int(field[2:]) > 0:
        return (minute % 60) % int(field[2:]) == 0
    if all(part.isdigit() for part in field.split(",")):
        return minute % 60 in {int(part) for part in field.split(",")}
    raise ValueError(f"cron schedule {schedule!r}: minute field {field!r} not understood")


class CronScheduler:
    """Calls `app_url` + each definition's path on its minutes while `vercel`'s crons are enabled.

    Every call runs in its own thread, as Vercel fires whether or not the last run has finished; the function cuts
    itself off at its maxDuration (the app's RunLimit), and the call waits a little longer than that for the answer.
    """

    def __init__(self, vercel: FakeVercel, clock: Clock, app_url: str, secret: str, *,
                 max_duration: float = MAX_DURATION) -> None:
        self.vercel = vercel
        self.clock = clock
        self.app_url = app_url.rstrip("/")
        self.secret = secret
        self.max_duration = max_duration
        self._lock = threading.Lock()
        self._log: list[Invocation] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._calls: list[threading.Thread] = []
        self._origin = 0.0
        self._minute = 0

    def invocations(self) -> list[Invocation]:
        """Every call so far, in the order made."""
        with self._lock:
            return list(self._log)

    def start(self) -> None:
        """Start the schedule now: minute 0 is due at once."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._origin, self._minute = self.clock.now(), 0
        self._thread = threading.Thread(target=self._loop, name="vercel-cron", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = self.clock.now()
            due = self._origin + self._minute * 60.0
            if now >= due:
                self.clock.woke(due, CRON_TICK)  # a strict clock records a minute fired late
                if self.vercel.crons_enabled:
                    for definition in self.vercel.cron_definitions:
                        if minute_matches(definition.schedule, self._minute):
                            self._fire(definition.path, now)
                # A late scheduler keeps the grid: the next minute after now, not every one it missed.
                self._minute = max(self._minute + 1, math.floor((now - self._origin) / 60.0) + 1)
                continue
            wait = self.clock.to_wall(due - now)
            self._stop.wait(min(wait, 0.5) if wait > 0 else _POLL_WALL)

    def _fire(self, path: str, at: float) -> None:
        with self._lock:
            index = len(self._log)
            self._log.append(Invocation(at, path))
        thread = threading.Thread(target=self._call, args=(index, path), name="vercel-cron-call", daemon=True)
        self._calls = [t for t in self._calls if t.is_alive()] + [thread]
        thread.start()

    def _call(self, index: int, path: str) -> None:
        request = urllib.request.Request(self.app_url + path, headers={
            "Authorization": f"Bearer {self.secret}", "User-Agent": "vercel-cron/1.0"})
        timeout = self.clock.to_wall(self.max_duration) + 60.0
        try:
            with urllib.request.urlopen(request, timeout=timeout) as answer:
                status = answer.status
                answer.read()
        except urllib.error.HTTPError as error:
            status = error.code
        except (urllib.error.URLError, OSError):
            status = 0
        with self._lock:
            self._log[index] = replace(self._log[index], status=status, finished_at=self.clock.now())

    def stop(self, timeout: float = 30.0) -> None:
        """Stop firing and wait for the calls in progress to be answered."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        for thread in self._calls:
            thread.join(timeout)
        self._calls.clear()
