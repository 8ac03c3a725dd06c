"""Turning SQLAlchemy and psycopg failures into the Prisma errors the app would have logged."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import exc

from recovery_tools.urls import database_name
from simulator.db import errors
from simulator.db.errors import PrismaError

_RELATION = re.compile(r'relation "([^"]+)" does not exist')
_KEY = re.compile(r"Key \((.*?)\)=")
# SQLSTATE classes of a lost or refused connection: 08 connection exception, 57P0x operator intervention.
_CONNECTION_STATES = ("08", "57P01", "57P02", "57P03")


def sqlstate_of(error: BaseException) -> str | None:
    """The Postgres SQLSTATE behind a SQLAlchemy error, when the server sent one."""
    original = getattr(error, "orig", None)
    return getattr(original, "sqlstate", None)


def server_message(error: BaseException) -> str:
    """The server's primary message (without SQLAlchemy's [SQL: ...] decoration)."""
    original = getattr(error, "orig", None) or error
    diag = getattr(original, "diag", None)
    primary = getattr(diag, "message_primary", None)
    if primary:
        return str(primary)
    return str(original).strip().splitlines()[0] if str(original).strip() else type(original).__name__


def is_connection_lost(error: BaseException) -> bool:
    if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
        return True
    state = sqlstate_of(error)
    return state is not None and state.startswith(_CONNECTION_STATES)


def translate(error: BaseException, *, call: str | None, pool_timeout: int, connection_limit: int) -> PrismaError:
    """The Prisma error for a failure of a raw query (`call`: "$queryRawUnsafe", ...) or of ORM access (None)."""
    if isinstance(error, exc.TimeoutError):
        return errors.pool_timeout(pool_timeout, connection_limit)
    if is_connection_lost(error):
        return errors.server_closed_connection()
    state = sqlstate_of(error)
    message = server_message(error)
    if call is not None:
        return errors.raw_query_failed(state or "N/A", message, call)
    if state == "42P01":
        found = _RELATION.search(message)
        return errors.table_does_not_exist(f"public.{found.group(1)}" if found else message)
    if state == "23505":
        original = getattr(error, "orig", None)
        detail = str(getattr(getattr(original, "diag", None), "message_detail", "") or "")
        key = _KEY.search(detail)
        fields = tuple(part.strip().strip('"') for part in key.group(1).split(",")) if key else ()
        return errors.unique_constraint_failed(fields)
    return errors.unknown_request(message)


def server_address(database_url: str) -> str:
    """`host:port` of a Postgres URL (a socket folder when the host is in the query); no credentials."""
    parts = urlsplit(database_url)
    host = parts.hostname or (parse_qs(parts.query).get("host") or ["localhost"])[0]
    try:
        port = parts.port or 5432
    except ValueError:
        port = 5432
    return f"{host}:{port}"


def connect_failed(error: BaseException, database_url: str) -> PrismaError:
    """The Prisma initialization error for a failed first connection (P1000, P1003 or P1001)."""
    address = server_address(database_url)
    text = str(getattr(error, "orig", None) or error)
    if "password authentication failed" in text or sqlstate_of(error) in ("28P01", "28000"):
        return errors.authentication_failed(address, urlsplit(database_url).username or "")
    if sqlstate_of(error) == "3D000" or re.search(r'database "[^"]+" does not exist', text):
        return errors.database_does_not_exist(address, database_name(database_url))
    return errors.cannot_reach(address, server_message(error))
