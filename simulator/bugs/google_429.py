"""Bug google-429: image searches retried 100 ms × attempt apart hit the per-minute quota again and lose images;
the fix spaces requests under the quota, backs off exponentially with jitter (Google's quota 429 carries no
Retry-After to lean on; one is honoured if ever sent) and stops after a retry limit."""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import redis

from recovery_tools.detect import google_429 as _detector
from simulator.bugs.bug import Bug
from simulator.clock import Clock
from simulator.observe.logs import LogSink
from simulator.services.image_search import ImageSearchClient, RateLimited

BUG = Bug(
    id="google-429",
    seam="image search (Google Custom Search)",
    checklist_item="Post-Deployment Verification / 4. Check for Remaining Issues / Google API 429; "
    "Follow-Up Tasks / 2. Rate Limiting",
    broken="3 attempts 100 ms × attempt apart; a query that keeps getting 429 ends with no images",
    fixed="a shared per-minute budget under the quota, exponential backoff with jitter, a retry limit",
    signature="google-429",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

BROKEN_ATTEMPTS = 3
# The broken client's pause before attempt n+1: 100 ms × n (virtual).
BROKEN_PAUSE_SECONDS = 0.1
FIXED_ATTEMPTS = 6
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 60.0
# Share of the quota the fixed client allows itself: a margin for requests still in flight to the server.
BUDGET_SHARE = 0.9

Search = Callable[[str], list[str]]


class SearchRetriesExhausted(Exception):
    """The fixed client gave up after its retry limit; the stage job fails and BullMQ retries it later."""


def backoff_seconds(attempt: int, rng: random.Random, *, base: float = BACKOFF_BASE_SECONDS,
                    cap: float = BACKOFF_CAP_SECONDS) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**attempt)], never below base/2."""
    ceiling = min(cap, base * 2**attempt)
    return max(base / 2, rng.uniform(0, ceiling))


class MinuteBudget:
    """`per_minute` requests a virtual minute, evenly spaced, shared through Redis by every instance of a scenario.

    Spacing instead of a fixed window: a request that took the last turn of one minute but reaches the server
    early in the next cannot add to a full window there (a fixed window let two such stragglers past the quota).
    """

    def __init__(self, client: redis.Redis, prefix: str, clock: Clock, per_minute: int) -> None:
        self._redis = client
        self.key = f"{prefix}:ratelimit:google-search"
        self.clock = clock
        self.per_minute = max(1, per_minute)
        self.interval = 60.0 / self.per_minute

    def try_take(self) -> float:
        """0 when a request may go now (and books the next turn), else the virtual seconds until its turn."""
        expiry_ms = max(1000, int(self.clock.to_wall(self.interval + 60.0) * 1000))
        with self._redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(self.key)
                    booked = pipe.get(self.key)
                    now = self.clock.now()
                    next_turn = float(booked) if booked is not None else now
                    if next_turn > now:
                        pipe.unwatch()
                        return next_turn - now
                    pipe.multi()
                    pipe.set(self.key, repr(now + self.interval), px=expiry_ms)
                    pipe.execute()
                    return 0.0
                except redis.WatchError:  # another instance booked a turn meanwhile: look again
                    continue

    def wait_turn(self) -> None:
        """Block (on the virtual clock) until the budget admits one request."""
        while (wait := self.try_take()) > 0:
            self.clock.sleep(wait)


def search_broken(client: ImageSearchClient, query: str, logs: LogSink, clock: Clock) -> list[str]:
    """As in production: three attempts, 100 ms × attempt apart, each 429 logged as the app logs it; after the
    third the draft just has no images."""
    for attempt in range(1, BROKEN_ATTEMPTS + 1):
        try:
            return client.search(query)
        except RateLimited as error:
            logs.error(str(error), attempt=attempt, status=error.status, query=query)
            if attempt < BROKEN_ATTEMPTS:
                clock.sleep(BROKEN_PAUSE_SECONDS * attempt)
    logs.warning("image search gave up; the product draft gets no images", attempts=BROKEN_ATTEMPTS)
    return []


def search_fixed(client: ImageSearchClient, query: str, logs: LogSink, budget: MinuteBudget,
                 clock: Clock, rng: random.Random | None = None) -> list[str]:
    """Under the shared budget; on 429 back off with jitter (longer if a Retry-After ever comes); give up after
    the limit."""
    rng = rng or random.Random(time.time_ns())
    for attempt in range(FIXED_ATTEMPTS):
        budget.wait_turn()
        try:
            return client.search(query)
        except RateLimited as error:
            wait = max(error.retry_after or 0.0, backoff_seconds(attempt, rng))
            logs.warning(f"{error}; backing off", wait=wait, attempt=attempt + 1, status=error.status)
            clock.sleep(wait)
    raise SearchRetriesExhausted(f"image search still rate limited after {FIXED_ATTEMPTS} attempts")
