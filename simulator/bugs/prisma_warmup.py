"""Bug prisma-warmup: while an instance was fresh, db.js "warmed" the shared client at the start of every
invocation with `$disconnect()` then `$connect()`, not awaited; a `$disconnect()` took the engine down under the
requests other invocations had in flight ("Engine is not yet connected."). The fix runs every DB operation
through prisma_operation(), which awaits `$connect()` and never disconnects a shared client."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from recovery_tools.detect import prisma_warmup as _detector
from simulator.bugs.bug import Bug
from simulator.clock import Clock
from simulator.db.client import PrismaClient
from simulator.db.errors import PrismaError
from simulator.db.operation import prisma_operation

T = TypeVar("T")

BUG = Bug(
    id="prisma-warmup",
    seam="every DB operation (prismaOperation helper)",
    checklist_item="Deployment / Fixes Included in This Deploy / 3. Prisma Warmup",
    broken="each invocation on a fresh instance fires `$disconnect()` + `$connect()` on the shared client, "
    "racing the queries other invocations have in flight",
    fixed="prisma_operation() awaits `$connect()` (with retry), then runs the query; nothing disconnects",
    signature="engine-not-connected",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

# How long a cold instance takes to load the query engine on its first connect, in virtual seconds (requests
# wait meanwhile); a reconnect of a loaded engine only opens its pool.
COLD_START_SECONDS = 8.0

# How long after its first operation an instance counts as fresh and warms on every invocation (virtual
# seconds). Shorter than a stage job's retries (15 + 30 + 60 s): a job the race fails still gets done.
WARMING_SECONDS = 60.0


def _warmup(client: PrismaClient, clock: Clock) -> None:
    """`prisma.$disconnect().then(() => prisma.$connect())`, fired and forgotten."""

    def load_engine() -> None:
        with client.instance_lock:
            cold = not client.engine_loaded
            client.engine_loaded = True
        if cold:
            clock.sleep(COLD_START_SECONDS)

    def warm() -> None:
        client.disconnect()
        with contextlib.suppress(PrismaError):  # the invocation's own query reports a failed connect
            client.connect(startup=load_engine)

    threading.Thread(target=warm, name="prisma-warmup", daemon=True).start()


def run_operation_broken(client: PrismaClient, operation: Callable[[Session], T], clock: Clock) -> T:
    """On a fresh instance fire the warmup, then query at once on the shared client (Prisma's request waits for
    the `$connect()`; a request of another invocation already past it meets the `$disconnect()`)."""
    now = clock.now()
    with client.instance_lock:
        if client.instance_started_at is None:
            client.instance_started_at = now
        started = client.instance_started_at
    if now - started < WARMING_SECONDS:
        _warmup(client, clock)
    with client.transaction() as session:
        return operation(session)


def run_operation_fixed(client: PrismaClient, operation: Callable[[Session], T], clock: Clock) -> T:
    """Every operation through prisma_operation(): connect (with retry), then one transaction."""
    return prisma_operation(client, operation, sleep=clock.sleep)


def run_operation(fixed: bool) -> Callable[[PrismaClient, Callable[[Session], T], Clock], T]:
    """The implementation a release runs."""
    return run_operation_fixed if fixed else run_operation_broken
