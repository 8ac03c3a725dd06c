"""The `preflight` command: exit 0 every check holds, 1 a finding, 2 bad usage or unreachable, 3 inconclusive."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recovery_tools.check_table_names.catalog import CatalogError
from recovery_tools.cli import ConfigPath, ToolError, run, tool_config
from recovery_tools.preflight.connections import check_connections
from recovery_tools.preflight.database import open_database
from recovery_tools.preflight.migrations import MigrationsError, check_migrations
from recovery_tools.preflight.output import render_json, render_text
from recovery_tools.preflight.redis_checks import RedisUnreachable, check_redis
from recovery_tools.preflight.report import Check, exit_code
from recovery_tools.preflight.schema_check import check_schema
from recovery_tools.prisma_schema import PrismaDocument, PrismaSchemaError, read_prisma_document
from recovery_tools.urls import redact

PROG = "preflight"

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Is the stack safe to recover on? Read-only checks of Redis (eviction policy, persistence, memory, "
    "version for Bull 4), of Postgres against the Prisma schema column by column, of the migrations folder "
    "against _prisma_migrations, and of the connection budget. Each check is ok, finding or inconclusive, "
    "with its evidence.\n\n"
    "Exit codes: 0 every check holds, 1 a finding, 2 bad usage or a server unreachable, "
    "3 inconclusive (a check could not run and none found anything).",
)

RedisUrl = Annotated[str | None, typer.Option(envvar="REDIS_URL", show_envvar=True, metavar="URL",
                                              help="The Redis of the app's queues (INFO and CONFIG GET only).")]
DatabaseUrl = Annotated[str | None, typer.Option(
    envvar="DATABASE_URL", show_envvar=True, metavar="URL",
    help="The app's Postgres URL as Prisma gets it (connection_limit and schema in its query are used).")]
PrismaSchemaPath = Annotated[Path | None, typer.Option(
    metavar="PATH", help="The app's schema.prisma; its migrations/ folder beside it is checked too "
                         "(default: the config's prisma_schema, else prisma/schema.prisma).")]
JsonOutput = Annotated[bool, typer.Option(
    "--json", help="Print the report as JSON (shape in docs/tools/preflight.md).")]


def _document(prisma_schema: Path | None, config: Path | None) -> tuple[Path, PrismaDocument]:
    app_config = tool_config(config)
    path = prisma_schema or app_config.prisma_schema
    if prisma_schema is None and not path.is_file():
        raise ToolError(f"no Prisma schema at {path} ({app_config.describe()}): pass --prisma-schema or set "
                        "prisma_schema in recovery-harness.toml")
    try:
        document = read_prisma_document(path)
    except PrismaSchemaError as error:
        raise ToolError(str(error)) from None
    if document.datasource_provider not in (None, "postgresql", "postgres"):
        raise ToolError(f"{path}: datasource provider {document.datasource_provider!r}: preflight checks PostgreSQL")
    return path, document


def _not_given(ids: list[str], what: str) -> list[Check]:
    checks = []
    for check_id in ids:
        check = Check(check_id, check_id, summary=f"not checked: no {what} given")
        check.cannot_tell(f"pass --{what.lower().replace(' ', '-')} or set its environment variable")
        checks.append(check)
    return checks


@app.command()
def preflight(
    redis_url: RedisUrl = None,
    database_url: DatabaseUrl = None,
    prisma_schema: PrismaSchemaPath = None,
    config: ConfigPath = None,
    json_output: JsonOutput = False,
) -> None:
    """Check, read-only, that the stack keeps queue data and matches the app's Prisma schema and migrations."""
    if not redis_url and not database_url:
        raise ToolError("nothing to check: pass --redis-url and --database-url (or set REDIS_URL, DATABASE_URL)")
    app_config = tool_config(config)
    schema_path, document = _document(prisma_schema, config) if database_url else (None, None)
    checks: list[Check] = []
    try:
        checks += check_redis(redis_url) if redis_url else _not_given(
            ["redis.eviction", "redis.persistence", "redis.memory", "redis.version"], "Redis URL")
        if database_url and document is not None and schema_path is not None:
            database = open_database(database_url)
            try:
                checks.append(check_schema(document, database))
                checks.append(check_migrations(schema_path.parent / "migrations", database))
                checks.append(check_connections(database, instances=app_config.expected_instances,
                                                app_cpus=app_config.app_cpus))
            finally:
                database.close()
        else:
            checks += _not_given(["postgres.schema", "postgres.migrations", "postgres.connections"], "database URL")
    except (RedisUnreachable, CatalogError, MigrationsError) as error:
        raise ToolError(str(error)) from None
    targets = {"redis": redact(redis_url) if redis_url else None,
               "database": redact(database_url) if database_url else None,
               "prisma_schema": str(schema_path) if schema_path else None}
    if json_output:
        typer.echo(json.dumps(render_json(checks, targets), indent=2, ensure_ascii=False, default=str))
    else:
        for line in render_text(checks, targets):
            typer.echo(line)
    raise typer.Exit(exit_code(checks))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry (the project's CLI convention, recovery_tools.cli)."""
    run(app, PROG, argv)
