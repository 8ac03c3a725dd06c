"""Bug prisma-warmup: a cold serverless instance ran queries before its engine was connected; the fix runs
every DB operation through prisma_operation(), which connects first."""

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
    broken="queries run on a cold engine while `$connect()` is still under way",
    fixed="prisma_operation() connects the engine first (with retry), then runs the query",
    signature="engine-not-connected",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

# How long a cold instance's engine takes to come up after its first use, in virtual seconds.
COLD_START_SECONDS = 8.0

def _connect_later(client: PrismaClient, clock: Clock, delay: float) -> None:
    def warm() -> None:
        clock.sleep(delay)
        with contextlib.suppress(PrismaError):  # the next operation tries again and reports the failure
            client.connect()

    threading.Thread(target=warm, name="prisma-warmup", daemon=True).start()


def run_operation_broken(client: PrismaClient, operation: Callable[[Session], T], clock: Clock) -> T:
    """The first use starts `$connect()` without awaiting it, then queries at once, as the cold instance did."""
    if not client.is_connected and client.claim_background_connect():
        _connect_later(client, clock, COLD_START_SECONDS)
    with client.transaction() as session:  # raises "Engine is not yet connected." until the engine is up
        return operation(session)


def run_operation_fixed(client: PrismaClient, operation: Callable[[Session], T], clock: Clock) -> T:
    """Every operation through prisma_operation(): connect (with retry), then one transaction."""
    return prisma_operation(client, operation, sleep=clock.sleep)


def run_operation(fixed: bool) -> Callable[[PrismaClient, Callable[[Session], T], Clock], T]:
    """The implementation a release runs."""
    return run_operation_fixed if fixed else run_operation_broken
