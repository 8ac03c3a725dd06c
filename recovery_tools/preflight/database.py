"""Preflight's read-only view of Postgres: the app's URL split into Prisma's and libpq's parameters, then
columns, indexes, enums, `_prisma_migrations` and connection settings read inside read-only transactions."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql

from recovery_tools.check_table_names.catalog import CatalogError, connect_read_only
from recovery_tools.urls import redact

APPLICATION_NAME = "preflight"
# Query parameters Prisma reads itself and libpq refuses; the rest of the URL goes to libpq unchanged.
PRISMA_PARAMETERS = ("connection_limit", "pool_timeout", "schema", "pgbouncer", "socket_timeout",
                     "statement_cache_size", "sslaccept", "sslidentity", "sslpassword", "single_use_connections",
                     "max_connection_lifetime", "max_idle_connection_lifetime")


@dataclass(frozen=True)
class AppUrl:
    """The app's DATABASE_URL: what libpq connects with, and what Prisma takes from its query."""

    url: str
    libpq_url: str
    prisma: dict[str, str]

    @classmethod
    def parse(cls, url: str) -> AppUrl:
        parts = urlsplit(url)
        query = parse_qsl(parts.query, keep_blank_values=True)
        prisma = {key: value for key, value in query if key in PRISMA_PARAMETERS}
        rest = urlencode([(key, value) for key, value in query if key not in PRISMA_PARAMETERS])
        return cls(url, urlunsplit((parts.scheme, parts.netloc, parts.path, rest, parts.fragment)), prisma)

    @property
    def schema(self) -> str:
        """The schema Prisma uses for models without @@schema: the URL's `schema`, else public."""
        return self.prisma.get("schema") or "public"


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # format_type()
    not_null: bool


@dataclass(frozen=True)
class Index:
    name: str
    columns: tuple[str, ...]
    unique: bool
    primary: bool
    partial: bool  # a WHERE clause or an expression: it does not back a plain unique key


@dataclass
class Table:
    schema: str
    name: str
    columns: dict[str, Column] = field(default_factory=dict)
    indexes: list[Index] = field(default_factory=list)


_TABLES = """
SELECT c.oid, n.nspname, c.relname
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY(%s)
"""
_COLUMNS = """
SELECT a.attrelid, a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull
FROM pg_catalog.pg_attribute a
WHERE a.attrelid = ANY(%s) AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attrelid, a.attnum
"""
_INDEXES = """
SELECT i.indrelid, c.relname, i.indisunique, i.indisprimary,
       i.indpred IS NOT NULL OR i.indexprs IS NOT NULL,
       ARRAY(SELECT a.attname FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, position)
             JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
             ORDER BY k.position)
FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = ANY(%s) AND i.indisvalid
"""
_ENUMS = """
SELECT n.nspname, t.typname, pg_catalog.format_type(t.oid, NULL),
       ARRAY(SELECT e.enumlabel FROM pg_catalog.pg_enum e WHERE e.enumtypid = t.oid ORDER BY e.enumsortorder)
FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'e' AND n.nspname = ANY(%s)
"""
_SETTINGS = """
SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int,
       current_setting('reserved_connections', true), current_setting('server_version_num')::int
"""
_ACTIVITY = """
SELECT COALESCE(NULLIF(application_name, ''), '(none)'), count(*)
FROM pg_catalog.pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC, 1
"""


class Database:
    """One read-only connection (check-table-names' connect_read_only) and the reads preflight makes."""

    def __init__(self, app_url: AppUrl) -> None:
        self.app_url = app_url
        self.display = redact(app_url.url)
        self.connection = connect_read_only(app_url.libpq_url, APPLICATION_NAME)

    def close(self) -> None:
        self.connection.close()

    def _rows(self, query: str | sql.Composed, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        try:
            rows = self.connection.execute(query, params).fetchall()
            self.connection.rollback()
            return rows
        except psycopg.Error as error:
            self.connection.rollback()
            raise CatalogError(f"cannot read {self.display}: {' '.join(str(error).split())}") from None

    def tables(self, schemas: list[str]) -> dict[tuple[str, str], Table]:
        found: dict[int, Table] = {oid: Table(schema, name) for oid, schema, name in self._rows(_TABLES, (schemas,))}
        oids = list(found)
        for oid, name, type_text, not_null in self._rows(_COLUMNS, (oids,)):
            found[oid].columns[name] = Column(name, type_text, bool(not_null))
        for oid, name, unique, primary, partial, columns in self._rows(_INDEXES, (oids,)):
            found[oid].indexes.append(Index(name, tuple(columns), bool(unique), bool(primary), bool(partial)))
        return {(table.schema, table.name): table for table in found.values()}

    def enums(self, schemas: list[str]) -> dict[tuple[str, str], tuple[str, tuple[str, ...]]]:
        """(schema, type name) -> (format_type spelling, labels)."""
        return {(schema, name): (spelled, tuple(labels))
                for schema, name, spelled, labels in self._rows(_ENUMS, (schemas,))}

    def migrations_table(self, schema: str) -> list[dict[str, Any]] | None:
        """The rows of `schema._prisma_migrations`, or None when the table does not exist."""
        exists = self._rows("SELECT to_regclass(%s) IS NOT NULL",
                            (sql.Identifier(schema, "_prisma_migrations").as_string(self.connection),))
        if not exists[0][0]:
            return None
        query = sql.SQL("SELECT migration_name, checksum, started_at, finished_at, rolled_back_at, "
                        "applied_steps_count, logs FROM {} ORDER BY started_at").format(
            sql.Identifier(schema, "_prisma_migrations"))
        names = ("migration_name", "checksum", "started_at", "finished_at", "rolled_back_at", "applied_steps_count",
                 "logs")
        return [dict(zip(names, row, strict=True)) for row in self._rows(query)]

    def settings(self) -> tuple[int, int, int | None, int]:
        """max_connections, superuser_reserved_connections, reserved_connections (None before 16), version."""
        max_connections, superuser_reserved, reserved, version = self._rows(_SETTINGS)[0]
        return int(max_connections), int(superuser_reserved), int(reserved) if reserved else None, int(version)

    def connections_by_application(self) -> dict[str, int]:
        return {name: int(count) for name, count in self._rows(_ACTIVITY)}


def open_database(url: str) -> Database:
    try:
        return Database(AppUrl.parse(url))
    except ValueError as error:
        raise CatalogError(f"bad database URL {redact(url)}: {error}") from None
