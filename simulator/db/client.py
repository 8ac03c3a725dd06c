"""A Prisma-like client: an engine that must connect before use, its own pool, Prisma's errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from recovery_tools.urls import sqlalchemy_url
from simulator.db import errors
from simulator.db.errors import PrismaError
from simulator.db.translate import connect_failed, translate

_PLACEHOLDER = re.compile(r"\$(\d+)")


class EventLog(Protocol):
    """What the client needs of a log sink (simulator.observe.logs.LogSink fits)."""

    def emit(self, level: str, message: str, **fields: Any) -> None: ...


class PrismaClient:
    """One client instance = one engine with its own pool of at most `connection_limit` connections.

    Like Prisma, nothing runs before `connect()`: transaction() and query_raw() on a cold client raise
    PrismaClientInitializationError("Engine is not yet connected."). Database failures surface as
    Prisma errors (P2010 raw query failed, P2021 missing table, P2024 pool timeout, P1017 connection
    closed, ...) with the original SQLAlchemy error as __cause__; each one is also logged to `logs`.
    """

    def __init__(
        self,
        database_url: str,
        *,
        connection_limit: int = 5,
        pool_timeout: float = 10.0,
        application_name: str = "po-app",
        logs: EventLog | None = None,
    ) -> None:
        if connection_limit < 1:
            raise ValueError(f"connection_limit must be at least 1, got {connection_limit}")
        self.database_url = database_url
        self.connection_limit = connection_limit
        self.pool_timeout = pool_timeout
        self.application_name = application_name
        self.logs = logs
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._queries = 0
        self._background_connect = False

    # -- lifecycle -------------------------------------------------------------------------------

    def connect(self) -> None:
        """Start the engine: build the pool and prove the server answers (Prisma's `$connect()`)."""
        with self._lock:
            if self._engine is not None:
                return
            engine = create_engine(
                sqlalchemy_url(self.database_url),
                poolclass=QueuePool,
                pool_size=self.connection_limit,
                max_overflow=0,
                pool_timeout=self.pool_timeout,
                connect_args={"application_name": self.application_name, "connect_timeout": 5},
            )
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            except exc.DBAPIError as error:
                engine.dispose()
                raise self._fail(connect_failed(error, self.database_url)) from error
            event.listen(engine, "before_cursor_execute", self._count_statement)
            self._engine = engine

    def claim_background_connect(self) -> bool:
        """True for the first caller only: it starts the instance's one `$connect()` that nobody awaits (the
        prisma-warmup bug's cold start); every later caller finds it under way or done."""
        with self._lock:
            first, self._background_connect = not self._background_connect, True
            return first

    def disconnect(self) -> None:
        """Close every pooled connection (Prisma's `$disconnect()`); connect() may be called again."""
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()

    def __enter__(self) -> PrismaClient:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.disconnect()

    @property
    def is_connected(self) -> bool:
        return self._engine is not None

    @property
    def query_count(self) -> int:
        """SQL statements sent since the client was made (the connect probe not included)."""
        return self._queries

    @property
    def checked_out(self) -> int:
        """Connections of this client's pool in use right now."""
        engine = self._engine
        pool = engine.pool if engine is not None else None
        return pool.checkedout() if isinstance(pool, QueuePool) else 0

    # -- requests --------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """An ORM session in one transaction: committed on success, rolled back on any error."""
        engine = self._require_engine()
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                yield session
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise self._fail(self._translate(error, raw=False)) from error

    def query_raw(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Run raw SQL with Prisma's `$1, $2, ...` placeholders (`$queryRawUnsafe`); rows as dicts.

        The SQL really runs: a missing table is Postgres' own 42P01, reported as P2010.
        """
        engine = self._require_engine()
        statement, binds = _bind_prisma_placeholders(sql, params)
        try:
            with engine.begin() as connection:
                result = connection.exec_driver_sql(statement, binds)
                return [dict(row._mapping) for row in result] if result.returns_rows else []
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise self._fail(self._translate(error, raw=True)) from error

    def execute_raw(self, sql: str, *params: Any) -> int:
        """Run a raw write with `$n` placeholders (`$executeRawUnsafe`); the number of rows touched."""
        engine = self._require_engine()
        statement, binds = _bind_prisma_placeholders(sql, params)
        try:
            with engine.begin() as connection:
                return int(connection.exec_driver_sql(statement, binds).rowcount)
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise self._fail(self._translate(error, raw=True)) from error

    # -- internals -------------------------------------------------------------------------------

    def _require_engine(self) -> Engine:
        engine = self._engine
        if engine is None:
            raise self._fail(errors.engine_not_connected())
        return engine

    def _translate(self, error: BaseException, *, raw: bool) -> PrismaError:
        return translate(error, raw=raw, pool_timeout=self.pool_timeout, connection_limit=self.connection_limit)

    def _fail(self, error: PrismaError) -> PrismaError:
        if self.logs is not None:
            self.logs.emit(
                "error",
                error.message,
                code=error.code,
                error=type(error).__name__,
                application_name=self.application_name,
            )
        return error

    def _count_statement(self, *_args: Any) -> None:
        with self._count_lock:
            self._queries += 1


def _bind_prisma_placeholders(sql: str, params: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """`$1` -> `%(p1)s` for psycopg; literal `%` doubled so that it survives placeholder parsing."""
    used = {int(number) for number in _PLACEHOLDER.findall(sql)}
    if any(number < 1 or number > len(params) for number in used):
        raise ValueError(f"raw query uses placeholders {sorted(used)} but {len(params)} values were given")
    statement = _PLACEHOLDER.sub(lambda match: f"%(p{match.group(1)})s", sql.replace("%", "%%"))
    return statement, {f"p{index}": value for index, value in enumerate(params, start=1)}
