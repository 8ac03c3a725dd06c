"""The app's database as evidence, in a read-only session: its connections, workflows and review sessions.

Prisma stores `DateTime` as `timestamp(3)` without time zone, in UTC; a `timestamptz` column is read as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from recovery_tools.check_table_names.catalog import CatalogError, _one_line, connect_read_only
from recovery_tools.criteria.judge import DONE, FAILED, IN_PROGRESS
from recovery_tools.urls import redact

APPLICATION_NAME = "verify"
# The app's workflow table, as the real app names it and as the simulated app does, in this order.
WORKFLOW_TABLES = ("WorkflowExecution", "Workflow")
SESSION_TABLE = "ImageReviewSession"
DONE_STATUSES = {"done", "completed", "complete", "succeeded", "success", "finished"}
FAILED_STATUSES = {"failed", "error", "errored", "cancelled", "canceled"}
MAX_ROWS = 5000

_CONNECTIONS = """
SELECT count(*) FROM pg_stat_activity
WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
  AND (%(role)s::text IS NULL OR usename = %(role)s::text)
  AND (%(name)s::text IS NULL OR application_name LIKE %(name)s::text)
"""
_COLUMNS = """
SELECT c.table_schema, c.column_name, c.data_type
FROM information_schema.columns c
WHERE c.table_name = %s AND c.table_schema = ANY(current_schemas(false))
ORDER BY array_position(current_schemas(false), c.table_schema::name), c.ordinal_position
"""


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True)
class Table:
    """A table of the app found in the catalog: where, and the type of its createdAt column."""

    schema: str
    name: str
    columns: frozenset[str]
    created_has_zone: bool

    def ident(self) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(self.name))

    def created_since(self) -> sql.Composable:
        """A condition: createdAt at or after the epoch parameter %(since)s."""
        if self.created_has_zone:
            return sql.SQL('"createdAt" >= to_timestamp(%(since)s)')
        return sql.SQL("\"createdAt\" >= (to_timestamp(%(since)s) AT TIME ZONE 'UTC')")

    def created_epoch(self) -> sql.Composable:
        if self.created_has_zone:
            return sql.SQL('extract(epoch FROM "createdAt")')
        return sql.SQL("extract(epoch FROM (\"createdAt\" AT TIME ZONE 'UTC'))")


class AppDatabase:
    """One read-only session on the app's database (every statement in a READ ONLY transaction)."""

    def __init__(self, url: str, *, role: str | None = None, application_prefix: str | None = None) -> None:
        self.url = url
        self.role = role
        self.application_like = _like_prefix(application_prefix) if application_prefix else None
        try:
            self.connection = connect_read_only(url, application_name=APPLICATION_NAME)
        except CatalogError as error:
            raise DatabaseError(str(error)) from None
        self.connection.autocommit = True  # each statement its own read-only transaction: fresh snapshots
        self.workflow_table = self._first_table(WORKFLOW_TABLES, {"id", "status", "createdAt"})
        self.session_table = self._first_table((SESSION_TABLE,), {"id", "createdAt"})

    def _run(self, query: str | sql.Composable, params: dict[str, object] | tuple[object, ...] = ()) -> list[tuple]:
        try:
            return self.connection.execute(query, params).fetchall()  # type: ignore[arg-type]
        except psycopg.Error as error:
            raise DatabaseError(f"cannot read {redact(self.url)}: {_one_line(error, self.url)}") from None

    def _first_table(self, names: tuple[str, ...], needs: set[str]) -> Table | None:
        for name in names:
            rows = self._run(_COLUMNS, (name,))
            if not rows:
                continue
            schema = rows[0][0]
            columns = {column: kind for table_schema, column, kind in rows if table_schema == schema}
            if needs <= set(columns):
                return Table(schema, name, frozenset(columns), "with time zone" in columns["createdAt"])
        return None

    def describe(self) -> str:
        return redact(self.url)

    def connections(self) -> int:
        """Client connections to this database now (of the app's role / application name when given), ours aside."""
        rows = self._run(_CONNECTIONS, {"role": self.role, "name": self.application_like})
        return int(rows[0][0]) if rows else 0

    def workflows(self, since: float, now: float, stuck_after: float) -> dict[str, str] | None:
        """Workflows created since `since`: done, failed, in progress, or stuck (running longer than stuck_after)."""
        table = self.workflow_table
        if table is None:
            return None
        query = sql.SQL("SELECT id::text, status::text, {} FROM {} WHERE {} ORDER BY \"createdAt\" LIMIT {}").format(
            table.created_epoch(), table.ident(), table.created_since(), sql.Literal(MAX_ROWS))
        statuses = {}
        for workflow_id, status, created in self._run(query, {"since": since}):
            statuses[workflow_id] = _normalise(status, now - float(created), stuck_after)
        return statuses

    def sessions(self, since: float) -> dict[str, str | None] | None:
        """Review sessions created since `since`: session id -> workflow id (None when the table has none)."""
        table = self.session_table
        if table is None:
            return None
        workflow = sql.SQL('"workflowId"::text') if "workflowId" in table.columns else sql.SQL("NULL")
        query = sql.SQL("SELECT id::text, {} FROM {} WHERE {} ORDER BY \"createdAt\" LIMIT {}").format(
            workflow, table.ident(), table.created_since(), sql.Literal(MAX_ROWS))
        return {session_id: workflow_id for session_id, workflow_id in self._run(query, {"since": since})}

    def close(self) -> None:
        self.connection.close()


def _normalise(status: str, age: float, stuck_after: float) -> str:
    lowered = status.lower()
    if lowered in DONE_STATUSES:
        return DONE
    if lowered in FAILED_STATUSES:
        return FAILED
    return IN_PROGRESS if age <= stuck_after else f"stuck {lowered}"


class DatabaseError(Exception):
    """The database cannot be reached or read (one line, password redacted)."""
