"""Prisma's error classes, codes and message formats, as the incident's logs show them."""

from __future__ import annotations

from typing import Any

ENGINE_NOT_CONNECTED = "Engine is not yet connected."
POOL_DOCS = "http://pris.ly/d/connection-pool"
# The Rust backtrace the query engine attaches to a non-panic user-facing error (frames as a Linux build of
# Prisma's library engine reports them; the addresses are left out).
ENGINE_BACKTRACE = (
    "Backtrace:\n"
    "   0: user_facing_errors::Error::new_non_panic_with_current_backtrace\n"
    "   1: query_engine::error::<impl core::convert::From<query_engine::error::ApiError> for "
    "napi::error::Error>::from\n"
    "   2: <core::future::from_generator::GenFuture<T> as core::future::future::Future>::poll\n"
    "   3: tokio::runtime::task::core::CoreStage<T>::poll\n"
    "   4: tokio::runtime::task::harness::Harness<T,S>::poll\n"
    "   5: tokio::runtime::scheduler::multi_thread::worker::Context::run_task\n"
    "   6: std::sys::unix::thread::Thread::new::thread_start"
)


class PrismaError(Exception):
    """Any error the Prisma-like client raises: a message, Prisma's code (P2010, ...) and meta."""

    def __init__(self, message: str, code: str | None = None, meta: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.meta: dict[str, Any] = dict(meta or {})


class PrismaClientKnownRequestError(PrismaError):
    """A request failed with a known Prisma code (P2002, P2010, P2021, P2024, P1017, ...)."""


class PrismaClientUnknownRequestError(PrismaError):
    """A request failed for a reason Prisma has no code for."""


class PrismaClientInitializationError(PrismaError):
    """The engine could not start: the server unreachable (P1001), bad credentials (P1000), no database (P1003)."""


def invocation(call: str, text: str) -> str:
    """A request error's message as Prisma builds it for a client call (`call`: "$queryRawUnsafe",
    "workflowExecution.findMany"): a leading newline, the call, two blank lines, then the engine's text."""
    return f"\nInvalid `prisma.{call}()` invocation:\n\n\n{text}"


def logged(error: PrismaError) -> str:
    """The error as a Node app's `console.error(error)` starts it: the class name, then the message."""
    return f"{type(error).__name__}: {error.message}"


def engine_not_connected(call: str) -> PrismaClientUnknownRequestError:
    """A request reached the engine after `$disconnect()` took it down under the request (Prisma's `request()`
    waits for `$connect()`, so only a request racing a disconnect or a reconnect gets this)."""
    return PrismaClientUnknownRequestError(invocation(call, f"{ENGINE_NOT_CONNECTED}\n{ENGINE_BACKTRACE}"))


def cannot_reach(host: str, reason: str) -> PrismaClientInitializationError:
    """P1001, as Prisma words it; `host` must already be free of credentials."""
    return PrismaClientInitializationError(
        f"Can't reach database server at `{host}`. Please make sure your database server is running. ({reason})",
        code="P1001",
        meta={"database_host": host},
    )


def raw_query_failed(sqlstate: str, message: str, call: str = "$queryRawUnsafe") -> PrismaClientKnownRequestError:
    """P2010: a raw query failed in Postgres; the real SQLSTATE and message are kept."""
    return PrismaClientKnownRequestError(
        invocation(call, f"Raw query failed. Code: `{sqlstate}`. Message: `{message}`"),
        code="P2010",
        meta={"code": sqlstate, "message": message},
    )


def table_does_not_exist(table: str) -> PrismaClientKnownRequestError:
    """P2021: a model's table is missing from the database."""
    return PrismaClientKnownRequestError(
        f"The table `{table}` does not exist in the current database.", code="P2021", meta={"table": table}
    )


def unique_constraint_failed(fields: tuple[str, ...]) -> PrismaClientKnownRequestError:
    """P2002: a unique constraint rejected the write."""
    shown = ",".join(f"`{name}`" for name in fields)
    return PrismaClientKnownRequestError(
        f"Unique constraint failed on the fields: ({shown})", code="P2002", meta={"target": list(fields)}
    )


def pool_timeout(timeout_seconds: int, connection_limit: int) -> PrismaClientKnownRequestError:
    """P2024: no connection came free within the pool timeout (Prisma's setting: whole seconds, shown as set)."""
    return PrismaClientKnownRequestError(
        "Timed out fetching a new connection from the connection pool. "
        f"More info: {POOL_DOCS} (Current connection pool timeout: {int(timeout_seconds)}, "
        f"connection limit: {connection_limit})",
        code="P2024",
        meta={"connection_limit": connection_limit, "timeout": int(timeout_seconds)},
    )


def server_closed_connection() -> PrismaClientKnownRequestError:
    """P1017: the server closed the connection (for example pg_terminate_backend)."""
    return PrismaClientKnownRequestError("Server has closed the connection.", code="P1017")


def unknown_request(message: str) -> PrismaClientUnknownRequestError:
    return PrismaClientUnknownRequestError(message)


def authentication_failed(host: str, user: str) -> PrismaClientInitializationError:
    """P1000: the server refused the credentials (which are never shown)."""
    return PrismaClientInitializationError(
        f"Authentication failed against database server at `{host}`, "
        f"the provided database credentials for `{user}` are not valid.",
        code="P1000",
        meta={"database_host": host, "database_user": user},
    )


def database_does_not_exist(host: str, database: str) -> PrismaClientInitializationError:
    """P1003: the URL names a database the server does not have."""
    return PrismaClientInitializationError(
        f"Database `{database}` does not exist on the database server at `{host}`.",
        code="P1003",
        meta={"database_name": database, "database_host": host},
    )
