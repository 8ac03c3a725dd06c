"""Read-only catalog lookup: which relations exist, in which schema, under which exact name."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from recovery_tools.urls import redact

# Both in the startup packet and as the session default: no statement of this tool can write.
READ_ONLY_OPTIONS = "-c default_transaction_read_only=on -c statement_timeout=30000"
APPLICATION_NAME = "check-table-names"
KINDS = {"r": "table", "p": "partitioned table", "v": "view", "m": "materialized view", "f": "foreign table"}
SYSTEM_SCHEMAS = ("pg_catalog", "information_schema")

_RELATIONS = """
SELECT n.nspname, c.relname, c.relkind
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""

_COLUMNS = """
SELECT n.nspname, c.relname, a.attname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE NOT a.attisdropped AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp\\_%'
"""


class CatalogError(Exception):
    """The database cannot be reached or read; the message is one line with the password redacted."""


@dataclass(frozen=True)
class Relation:
    """A relation a query can select from: its schema, exact name and kind (table, view, ...)."""

    schema: str
    name: str
    kind: str

    @property
    def display(self) -> str:
        return f'"{self.schema}"."{self.name}"'


def _one_line(error: BaseException, url: str) -> str:
    text = (" ".join(str(error).split()) or type(error).__name__).replace(url, redact(url))
    password = conninfo_password(url)
    return text.replace(password, "***") if password else text


def conninfo_password(url: str) -> str | None:
    try:
        password = conninfo_to_dict(url).get("password")
        return str(password) if password else None
    except psycopg.Error:
        return None


def connect_read_only(url: str, application_name: str = APPLICATION_NAME) -> psycopg.Connection:
    """A connection whose every transaction is READ ONLY (startup option and session characteristics)."""
    if url.startswith("postgresql+psycopg://"):
        url = "postgresql://" + url[len("postgresql+psycopg://"):]
    try:
        params = conninfo_to_dict(url)
        conninfo = make_conninfo(
            url,
            options=" ".join(filter(None, [str(params.get("options") or ""), READ_ONLY_OPTIONS])),
            application_name=str(params.get("application_name") or application_name),
            connect_timeout=str(params.get("connect_timeout") or 5),
        )
        connection = psycopg.connect(conninfo)
    except psycopg.Error as error:
        raise CatalogError(f"cannot connect to {redact(url)}: {_one_line(error, url)}") from None
    connection.read_only = True
    connection.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    connection.commit()
    return connection


class Catalog:
    """The relations of one database, loaded once inside a read-only session, and name resolution on them."""

    def __init__(self, connection: psycopg.Connection, url: str, schemas: Sequence[str] | None = None) -> None:
        self.connection = connection
        self.database = redact(url)
        try:
            row = connection.execute("SELECT current_schemas(false)").fetchone()
            self.search_path: tuple[str, ...] = tuple(schemas) if schemas else tuple(row[0] if row else ())
            rows = connection.execute(_RELATIONS).fetchall()
            connection.rollback()
        except psycopg.Error as error:
            raise CatalogError(f"cannot read the catalog of {self.database}: {_one_line(error, url)}") from None
        self.relations = [Relation(schema, name, KINDS[kind]) for schema, name, kind in rows]
        self.url = url
        self._columns: dict[tuple[str, str], frozenset[str]] | None = None

    @classmethod
    def open(cls, url: str, schemas: Sequence[str] | None = None) -> Catalog:
        connection = connect_read_only(url)
        try:
            return cls(connection, url, schemas)
        except CatalogError:
            connection.close()
            raise

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def searched(self, schema: str | None) -> tuple[str, ...]:
        """Schemas looked at for a name: its own schema, else pg_catalog (implicit, as in Postgres) and the path."""
        if schema is not None:
            return (schema,)
        implicit = () if "pg_catalog" in self.search_path else ("pg_catalog",)
        return implicit + self.search_path

    def find(self, name: str, schema: str | None = None) -> Relation | None:
        """The relation an exact (already case-folded) name resolves to, first in search order."""
        for candidate_schema in self.searched(schema):
            for relation in self.relations:
                if relation.schema == candidate_schema and relation.name == name:
                    return relation
        return None

    def columns(self, relation: Relation) -> frozenset[str]:
        """The relation's column names, system columns (ctid, xmin, ...) included; read once, on first use."""
        if self._columns is None:
            try:
                rows = self.connection.execute(_COLUMNS).fetchall()
                self.connection.rollback()
            except psycopg.Error as error:
                raise CatalogError(f"cannot read the columns of {self.database}: {_one_line(error, self.url)}"
                                   ) from None
            found: dict[tuple[str, str], set[str]] = {}
            for schema, name, column in rows:
                found.setdefault((schema, name), set()).add(column)
            self._columns = {key: frozenset(names) for key, names in found.items()}
        return self._columns.get((relation.schema, relation.name), frozenset())

    def case_twins(self, name: str, schema: str | None = None) -> list[Relation]:
        """Relations in the searched schemas whose name differs from `name` only in letter case."""
        schemas = self.searched(schema)
        return [r for r in self.relations
                if r.schema in schemas and r.name != name and r.name.lower() == name.lower()]

    def elsewhere(self, name: str, schema: str | None = None) -> list[Relation]:
        """Relations with exactly this name in schemas that are not searched (system schemas left out)."""
        schemas = self.searched(schema)
        return [r for r in self.relations
                if r.name == name and r.schema not in schemas and r.schema not in SYSTEM_SCHEMAS]
