"""Prisma's error classes, codes and message formats, as the incident's logs show them."""

from __future__ import annotations

from typing import Any

ENGINE_NOT_CONNECTED = "Engine is not yet connected."
POOL_DOCS = "http://pris.ly/d/connection-pool"


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
    """The engine could not start or is not connected ("Engine is not yet connected.")."""


def _seconds(value: float) -> str:
    """10 -> "10", 0.3 -> "0.3", 1/6 -> "0.166667": short, like Prisma's whole seconds when they are whole."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def engine_not_connected() -> PrismaClientInitializationError:
    return PrismaClientInitializationError(ENGINE_NOT_CONNECTED)


def cannot_reach(host: str, reason: str) -> PrismaClientInitializationError:
    """P1001, as Prisma words it; `host` must already be free of credentials."""
    return PrismaClientInitializationError(
        f"Can't reach database server at `{host}`. Please make sure your database server is running. ({reason})",
        code="P1001",
        meta={"database_host": host},
    )


def raw_query_failed(sqlstate: str, message: str) -> PrismaClientKnownRequestError:
    """P2010: `$queryRaw` failed in Postgres; the real SQLSTATE and message are kept."""
    return PrismaClientKnownRequestError(
        f"Raw query failed. Code: `{sqlstate}`. Message: `{message}`",
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


def pool_timeout(timeout: float, connection_limit: int) -> PrismaClientKnownRequestError:
    """P2024: no connection came free within the pool timeout."""
    return PrismaClientKnownRequestError(
        "Timed out fetching a new connection from the connection pool. "
        f"More info: {POOL_DOCS} (Current connection pool timeout: {_seconds(timeout)}, "
        f"connection limit: {connection_limit})",
        code="P2024",
        meta={"connection_limit": connection_limit, "timeout": timeout},
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
