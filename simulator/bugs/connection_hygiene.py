"""Bug connection-hygiene (db.js): a new Prisma client per invocation, old ones never closed, and per-line
queries fanned out at once; the fix keeps one client, closes the ones it replaces, limits recreation and
batches the lookup."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.orm import Session

from recovery_tools.detect import connection_hygiene as _detector
from simulator.bugs.bug import Bug
from simulator.clock import Clock
from simulator.db.client import PrismaClient

BUG = Bug(
    id="connection-hygiene",
    seam="db.js client lifecycle",
    checklist_item="Post-Deployment Verification / 4. Check for Remaining Issues / Connection Pool; "
    "Follow-Up Tasks / 4. Connection Hygiene",
    broken="a new client per invocation, old clients never closed, one concurrent query per PO line",
    fixed="one client per instance, replaced clients closed, recreation limited, one batched query",
    signature="pool-timeout",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

# Prisma's defaults for a serverless instance, in virtual seconds where they are waits.
CONNECTION_LIMIT = 5
POOL_TIMEOUT_SECONDS = 10
# What the catalogue lookup costs in the database, per query (virtual seconds; served by pg_sleep).
LOOKUP_SECONDS = 8.0
# Leaked clients a process keeps before its serverless instance is recycled (which is what finally closed
# them in production); it also keeps one test within the shared server's max_connections.
LEAKED_CLIENTS_BEFORE_RECYCLE = 8
# Recreations the fixed lifecycle allows per virtual minute.
RECREATIONS_PER_MINUTE = 2

Operation = Callable[[PrismaClient, Callable[[Session], object]], object]


class ClientLifecycle(Protocol):
    """Where the app's code gets its Prisma client from (db.js)."""

    def acquire(self) -> PrismaClient: ...

    def recreate(self) -> PrismaClient: ...

    def close(self) -> None: ...


class _Factory:
    def __init__(self, database_url: str, clock: Clock, application_name: str, connection_limit: int) -> None:
        self.database_url = database_url
        self.clock = clock
        self.application_name = application_name
        self.connection_limit = connection_limit

    def make(self) -> PrismaClient:
        return PrismaClient(
            self.database_url,
            connection_limit=self.connection_limit,
            pool_timeout=POOL_TIMEOUT_SECONDS,
            application_name=self.application_name,
            clock=self.clock,
        )


class LeakyClients:
    """Broken db.js: `getPrisma()` returns `new PrismaClient()` every time and never `$disconnect()`s the old one."""

    def __init__(self, database_url: str, clock: Clock, application_name: str = "po-app",
                 connection_limit: int = CONNECTION_LIMIT) -> None:
        self._factory = _Factory(database_url, clock, application_name, connection_limit)
        self._leaked: list[PrismaClient] = []
        self._lock = threading.Lock()
        self.created = 0

    def acquire(self) -> PrismaClient:
        client = self._factory.make()
        with self._lock:
            self.created += 1
            self._leaked.append(client)
            recycled = self._leaked[:-LEAKED_CLIENTS_BEFORE_RECYCLE]
            self._leaked = self._leaked[-LEAKED_CLIENTS_BEFORE_RECYCLE:]
        for old in recycled:
            old.disconnect()
        return client

    def recreate(self) -> PrismaClient:
        return self.acquire()

    def close(self) -> None:
        with self._lock:
            leaked, self._leaked = self._leaked, []
        for client in leaked:
            client.disconnect()


class SharedClient:
    """Fixed db.js: one client per instance; a replaced client is closed; at most a few recreations a minute."""

    def __init__(self, database_url: str, clock: Clock, application_name: str = "po-app",
                 connection_limit: int = CONNECTION_LIMIT) -> None:
        self._factory = _Factory(database_url, clock, application_name, connection_limit)
        self._clock = clock
        self._client = self._factory.make()
        self._lock = threading.Lock()
        self._recreated_at: list[float] = []
        self.created = 1

    def acquire(self) -> PrismaClient:
        return self._client

    def recreate(self) -> PrismaClient:
        """A fresh client, the old one closed, unless the recent recreations already used the allowance."""
        with self._lock:
            now = self._clock.now()
            self._recreated_at = [t for t in self._recreated_at if now - t < 60.0]
            if len(self._recreated_at) >= RECREATIONS_PER_MINUTE:
                return self._client
            self._recreated_at.append(now)
            old, self._client = self._client, self._factory.make()
            self.created += 1
        old.disconnect()
        return self._client

    def close(self) -> None:
        self._client.disconnect()


def lifecycle(fixed: bool, database_url: str, clock: Clock, application_name: str = "po-app",
              connection_limit: int = CONNECTION_LIMIT) -> ClientLifecycle:
    """The db.js a release runs."""
    kind = SharedClient if fixed else LeakyClients
    return kind(database_url, clock, application_name, connection_limit)


_LOOKUP = text('SELECT count(*) FROM "ProductDraft", pg_sleep(:latency) WHERE sku = ANY(:skus)')


def _lookup(skus: Sequence[str], latency: float) -> Callable[[Session], object]:
    def query(session: Session) -> object:
        return session.execute(_LOOKUP, {"latency": latency, "skus": list(skus)}).scalar_one()

    return query


def catalogue_lookup_broken(client: PrismaClient, run: Operation, skus: Sequence[str], clock: Clock) -> None:
    """`Promise.all(lines.map(lookup))`: one query per line, all at once, on a pool of a few connections."""
    latency = clock.to_wall(LOOKUP_SECONDS)
    if not skus:
        return
    with ThreadPoolExecutor(max_workers=len(skus), thread_name_prefix="promise-all") as pool:
        futures = [pool.submit(run, client, _lookup([sku], latency)) for sku in skus]
    for future in futures:
        future.result()  # the first failure (a P2024) propagates, as Promise.all rejects


def catalogue_lookup_fixed(client: PrismaClient, run: Operation, skus: Sequence[str], clock: Clock) -> None:
    """One batched query for every line of the PO."""
    if skus:
        run(client, _lookup(skus, clock.to_wall(LOOKUP_SECONDS)))


def catalogue_lookup(fixed: bool) -> Callable[[PrismaClient, Operation, Sequence[str], Clock], None]:
    """The implementation a release runs."""
    return catalogue_lookup_fixed if fixed else catalogue_lookup_broken
