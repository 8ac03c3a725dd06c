"""A Prisma-like client: an engine that must connect before use, its own pool, Prisma's errors."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from recovery_tools.urls import sqlalchemy_url
from simulator.clock import Clock
from simulator.db import errors
from simulator.db.errors import PrismaError
from simulator.db.translate import connect_failed, translate

_PLACEHOLDER = re.compile(r"\$(\d+)")
# The statement's verb and first table: `prisma.<model>.<action>()` is named from them.
_VERB = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
_TABLE = re.compile(r'\b(?:FROM|INTO|UPDATE)\s+(?:public\.)?"([A-Z]\w*)"', re.IGNORECASE)
_ACTIONS = {"SELECT": "findMany", "INSERT": "createMany", "UPDATE": "updateMany", "DELETE": "deleteMany"}


class EventLog(Protocol):
    """What the client needs of a log sink (simulator.observe.logs.LogSink fits)."""

    def emit(self, level: str, message: str, **fields: Any) -> None: ...


class PrismaClient:
    """One client instance = one engine with its own pool of at most `connection_limit` connections.

    Like Prisma's `request()`, a request on a cold client waits for `$connect()` (and starts it). A statement
    that reaches an engine `disconnect()` took down under it (a transaction open across a `$disconnect()` or a
    reconnect of a shared client) fails with PrismaClientUnknownRequestError "... Engine is not yet connected."
    Database failures surface as Prisma errors (P2010 raw query failed, P2021 missing table, P2024 pool
    timeout, P1017 connection closed, ...) with the original SQLAlchemy error as __cause__; each one is also
    logged to `logs` as a Node app's `console.error` starts it.

    `pool_timeout` is Prisma's setting, whole seconds of the app's time: with a `clock` the pool really waits
    `clock.to_wall(pool_timeout)`, while P2024's message shows the setting as the app would.
    """

    def __init__(
        self,
        database_url: str,
        *,
        connection_limit: int = 5,
        pool_timeout: int = 10,
        application_name: str = "po-app",
        logs: EventLog | None = None,
        clock: Clock | None = None,
    ) -> None:
        if connection_limit < 1:
            raise ValueError(f"connection_limit must be at least 1, got {connection_limit}")
        if pool_timeout < 0 or int(pool_timeout) != pool_timeout:
            raise ValueError(f"pool_timeout is whole seconds, as Prisma's setting, got {pool_timeout!r}")
        self.database_url = database_url
        self.connection_limit = connection_limit
        self.pool_timeout = int(pool_timeout)
        self._pool_wait = clock.to_wall(pool_timeout) if clock is not None else float(pool_timeout)
        self.application_name = application_name
        self.logs = logs
        self._engine: Engine | None = None
        self._lock = threading.Lock()
        self._count_lock = threading.Lock()
        self._queries = 0
        # The serverless instance this client lives in (the prisma-warmup seam reads and sets them): the virtual
        # time of its first DB operation, and whether its query engine library is loaded (no longer cold).
        self.instance_started_at: float | None = None
        self.engine_loaded = False
        self.instance_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------------

    def connect(self, startup: Callable[[], None] | None = None) -> None:
        """Start the engine: build the pool and prove the server answers (Prisma's `$connect()`). `startup`, when
        given, runs first under the connect lock: the time a cold instance takes to load the engine, during which
        requests wait."""
        with self._lock:
            if self._engine is not None:
                return
            if startup is not None:
                startup()
            engine = create_engine(
                sqlalchemy_url(self.database_url),
                poolclass=QueuePool,
                pool_size=self.connection_limit,
                max_overflow=0,
                pool_timeout=self._pool_wait,
                connect_args={"application_name": self.application_name, "connect_timeout": 5},
            )
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("SELECT 1")
            except exc.DBAPIError as error:
                engine.dispose()
                raise self._fail(connect_failed(error, self.database_url)) from error
            event.listen(engine, "before_cursor_execute", self._before_statement)
            self._engine = engine

    def disconnect(self) -> None:
        """Take the engine down and close its idle connections (Prisma's `$disconnect()`); a statement of a
        request already under way then fails, a later request connects again. Checked-out connections close
        when their request ends."""
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
        engine = self._start()
        try:
            with Session(engine, expire_on_commit=False) as session, session.begin():
                yield session
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise self._fail(self._translate(error)) from error
        finally:
            self._drop_if_stale(engine)

    def query_raw(self, sql: str, *params: Any) -> list[dict[str, Any]]:
        """Run raw SQL with Prisma's `$1, $2, ...` placeholders (`$queryRawUnsafe`); rows as dicts.

        The SQL really runs: a missing table is Postgres' own 42P01, reported as P2010.
        """
        statement, binds = _bind_prisma_placeholders(sql, params)
        engine = self._start()
        try:
            with engine.begin() as connection:
                result = connection.execution_options(prisma_call="$queryRawUnsafe").exec_driver_sql(statement, binds)
                return [dict(row._mapping) for row in result] if result.returns_rows else []
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise self._fail(self._translate(error, call="$queryRawUnsafe")) from error
        finally:
            self._drop_if_stale(engine)

    def execute_raw(self, sql: str, *params: Any) -> int:
        """Run a raw write with `$n` placeholders (`$executeRawUnsafe`); the number of rows touched."""
        statement, binds = _bind_prisma_placeholders(sql, params)
        engine = self._start()
        try:
            with engine.begin() as connection:
                options = connection.execution_options(prisma_call="$executeRawUnsafe")
                return int(options.exec_driver_sql(statement, binds).rowcount)
        except (exc.DBAPIError, exc.TimeoutError) as error:
            raise self._fail(self._translate(error, call="$executeRawUnsafe")) from error
        finally:
            self._drop_if_stale(engine)

    # -- internals -------------------------------------------------------------------------------

    def _start(self) -> Engine:
        """The engine a request runs on, connecting first when there is none (Prisma's request() awaits
        `$connect()`); a connect under way in another thread is waited for, not repeated."""
        engine = self._engine
        if engine is None:
            self.connect()
            engine = self._engine
        if engine is None:  # a disconnect() between our connect and here: the race, reported as Prisma does
            raise self._fail(errors.engine_not_connected("$connect"))
        return engine

    def _before_statement(self, connection: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        """Each statement: refused when its engine was taken down under the request, else counted."""
        if connection.engine is not self._engine:
            call = connection.get_execution_options().get("prisma_call") or prisma_call(statement)
            raise self._fail(errors.engine_not_connected(call))
        with self._count_lock:
            self._queries += 1

    def _drop_if_stale(self, engine: Engine) -> None:
        # A request on an engine that was disconnected under it may have opened a connection from the disposed
        # engine's fresh pool; close it now instead of leaving it idle on the server.
        if engine is not self._engine:
            engine.dispose()

    def _translate(self, error: BaseException, *, call: str | None = None) -> PrismaError:
        return translate(error, call=call, pool_timeout=self.pool_timeout, connection_limit=self.connection_limit)

    def _fail(self, error: PrismaError) -> PrismaError:
        if self.logs is not None:
            self.logs.emit(
                "error",
                errors.logged(error),
                code=error.code,
                error=type(error).__name__,
                application_name=self.application_name,
            )
        return error


def prisma_call(statement: str) -> str:
    """The Prisma client call a SQL statement stands for: `workflowExecution.findMany` for a SELECT on the
    model's table (Prisma names the table after the model), `$queryRawUnsafe` for anything else."""
    verb, table = _VERB.match(statement), _TABLE.search(statement)
    if verb is None or table is None:
        return "$queryRawUnsafe"
    model = table.group(1)
    return f"{model[0].lower()}{model[1:]}.{_ACTIONS[verb.group(1).upper()]}"


def _bind_prisma_placeholders(sql: str, params: tuple[Any, ...]) -> tuple[str, dict[str, Any]]:
    """`$1` -> `%(p1)s` for psycopg; literal `%` doubled so that it survives placeholder parsing."""
    used = {int(number) for number in _PLACEHOLDER.findall(sql)}
    if any(number < 1 or number > len(params) for number in used):
        raise ValueError(f"raw query uses placeholders {sorted(used)} but {len(params)} values were given")
    statement = _PLACEHOLDER.sub(lambda match: f"%(p{match.group(1)})s", sql.replace("%", "%%"))
    return statement, {f"p{index}": value for index, value in enumerate(params, start=1)}
