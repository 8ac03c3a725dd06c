"""Per-scenario isolation: a database cloned from a migrated template and a private BullMQ key prefix."""

from __future__ import annotations

import itertools
import secrets
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import redis
from psycopg import sql

from recovery_tools.urls import database_name, with_database
from simulator.bugs.temporary_queue import default_redis_url
from simulator.schema import apply_schema

# Every name the harness creates starts with this, so leftovers are easy to find and prove absent.
NAME_STEM = "harness"


@dataclass(frozen=True)
class ScenarioEnv:
    """Where one scenario's data lives: hand these to the simulator and the tools."""

    name: str
    redis_url: str
    database_url: str
    prefix: str


def _admin(database_url: str) -> psycopg.Connection:
    return psycopg.connect(database_url, autocommit=True, connect_timeout=5)


def delete_prefix(redis_url: str, prefix: str) -> int:
    """Remove every key under `prefix:`; returns how many went."""
    client = redis.Redis.from_url(redis_url)
    removed = 0
    try:
        batch: list[bytes] = []
        for key in client.scan_iter(match=f"{prefix}:*", count=1000):
            batch.append(key)
            if len(batch) >= 500:
                removed += int(client.unlink(*batch))
                batch.clear()
        if batch:
            removed += int(client.unlink(*batch))
    finally:
        client.close()
    return removed


class Isolation:
    """Owns one migrated template database and hands out throwaway scenario environments.

    One instance per test session (per xdist worker); names carry a random session token so
    several sessions can share one pair of servers.
    """

    def __init__(self, redis_url: str, database_url: str, *, prefetch: bool = True) -> None:
        self.redis_url = redis_url
        self.database_url = database_url
        self.token = secrets.token_hex(4)
        self.template = f"{NAME_STEM}_{self.token}_template"
        self._counter = itertools.count(1)
        self._template_ready = False
        self.last_setup_seconds = 0.0
        # One admin connection for the session: a new one per scenario doubled the cost of create/destroy.
        self._conn: psycopg.Connection | None = None
        self._conn_lock = threading.Lock()
        # With prefetch, the next scenario's database is cloned in the background while the current one runs,
        # so create() usually only takes it (the clone costs 50-300 ms on a busy 2-core machine).
        self._prefetch = prefetch
        self._cloner: ThreadPoolExecutor | None = None
        self._spare: Future[str] | None = None
        self._drops: list[Future[None]] = []

    def _admin_execute(self, statement: sql.Composed) -> None:
        with self._conn_lock:
            if self._conn is None or self._conn.closed or self._conn.broken:
                self._conn = _admin(self.database_url)
            self._conn.execute(statement)

    def prepare_template(self) -> None:
        """Create the template database and apply the app schema to it, once."""
        if self._template_ready:
            return
        self._admin_execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        apply_schema(with_database(self.database_url, self.template))
        self._template_ready = True

    def _clone_statement(self, name: str) -> sql.Composed:
        # The server's default strategy (WAL_LOG on Postgres 15+): FILE_COPY forces two checkpoints per clone,
        # which cost 3-5x the time of the copy itself on a busy server (measured by `python -m bench`).
        return sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(self.template))

    def _clone_in_background(self, name: str) -> str:
        # Its own connection: the foreground's destroy() must not wait behind a clone in progress.
        with _admin(self.database_url) as conn:
            conn.execute(self._clone_statement(name))
        return name

    def _take_spare(self) -> str | None:
        spare, self._spare = self._spare, None
        if spare is None:
            return None
        try:
            return spare.result()
        except Exception:  # the clone failed in the background: create() clones in the foreground instead
            return None

    def _background(self) -> ThreadPoolExecutor:
        # One thread: the clones and the drops queue behind each other instead of competing for the server.
        if self._cloner is None:
            self._cloner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="isolation-clone")
        return self._cloner

    def _start_spare(self) -> None:
        name = f"{NAME_STEM}_{self.token}_{next(self._counter)}"
        self._spare = self._background().submit(self._clone_in_background, name)

    def wait_prefetched(self, timeout: float | None = None) -> bool:
        """Wait for the background clone; True when the next create() can take it at once."""
        spare = self._spare
        if spare is None:
            return False
        try:
            spare.result(timeout)
        except Exception:
            return False
        return True

    def create(self, label: str = "scenario") -> ScenarioEnv:
        """A fresh database cloned from the template and an unused key prefix."""
        self.prepare_template()
        started = time.perf_counter()
        name = self._take_spare()
        if name is None:
            name = f"{NAME_STEM}_{self.token}_{next(self._counter)}"
            self._admin_execute(self._clone_statement(name))
        number = name.rsplit("_", 1)[1]
        env = ScenarioEnv(
            name=label,
            redis_url=self.redis_url,
            database_url=with_database(self.database_url, name),
            prefix=f"{NAME_STEM}-{self.token}-{number}",
        )
        self.last_setup_seconds = time.perf_counter() - started
        if self._prefetch:
            self._start_spare()
        return env

    def destroy(self, env: ScenarioEnv) -> None:
        """Drop the scenario's database (closing any connection left open) and its keys, including those of the
        temporary queues the broken app made on its default Redis (temporary-queue)."""
        database = database_name(env.database_url)
        self._admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))
        delete_prefix(self.redis_url, env.prefix)
        delete_prefix(default_redis_url(self.redis_url), env.prefix)

    def settle(self) -> None:
        """Wait for the background clone and drops in progress (each opens a connection to the server)."""
        for drop in list(self._drops):
            drop.exception()
        self.wait_prefetched()

    def destroy_later(self, env: ScenarioEnv) -> None:
        """destroy() on the background thread, so the next scenario does not wait for the drop (0.1-0.3 s);
        close() waits for every drop and raises the first that failed."""
        self._drops = [drop for drop in self._drops if not drop.done() or drop.exception() is not None]
        self._drops.append(self._background().submit(self.destroy, env))

    def close(self) -> None:
        """Drop the spare clone and the template; after this nothing of the session remains on the servers."""
        drops, self._drops = self._drops, []
        failed = [error for error in (drop.exception() for drop in drops) if error is not None]
        try:
            spare = self._take_spare()
            if spare is not None:
                self._admin_execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(spare)))
            if self._template_ready:
                self._admin_execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.template))
                )
                self._template_ready = False
        finally:
            if self._cloner is not None:
                self._cloner.shutdown(wait=True)
                self._cloner = None
            with self._conn_lock:
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
        if failed:
            raise failed[0]


def leftovers(redis_url: str, database_url: str, token: str | None = None) -> list[str]:
    """Names of harness databases and key prefixes still present (for one session token, or any)."""
    stem = f"{NAME_STEM}_{token}_" if token else f"{NAME_STEM}_"
    with _admin(database_url) as conn:
        rows = conn.execute(
            "SELECT datname FROM pg_database WHERE starts_with(datname, %s) ORDER BY 1", (stem,)
        ).fetchall()
    found = [f"database {row[0]}" for row in rows]
    key_stem = f"{NAME_STEM}-{token}-" if token else f"{NAME_STEM}-"
    for url in (redis_url, default_redis_url(redis_url)):
        client = redis.Redis.from_url(url)
        try:
            found += [f"key {key.decode()}" for key in client.scan_iter(match=f"{key_stem}*", count=1000)]
        finally:
            client.close()
    return found
