"""The `check-table-names` command: one Typer app, exit 0 pass, 1 fail, 2 cannot connect or read input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recovery_tools.check_table_names.catalog import Catalog, CatalogError
from recovery_tools.check_table_names.check import (
    DEFAULT_ABSENT,
    Expectation,
    Report,
    ScanSummary,
    check_tables,
    from_models,
    parse_name,
    resolve_columns,
    resolve_references,
)
from recovery_tools.check_table_names.output import render_json, render_text
from recovery_tools.check_table_names.scan import ScanError, scan_paths
from recovery_tools.cli import EXIT_FAIL, EXIT_OK, ConfigPath, ToolError, run, tool_config
from recovery_tools.prisma_schema import PrismaModel, PrismaSchemaError, read_prisma_document

PROG = "check-table-names"

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Verify the database schema: expected tables exist with their exact names, legacy ones do not.\n\n"
    "Exit codes: 0 pass, 1 a check failed, 2 bad usage, unreadable input or the database unreachable.",
)


def _expectations(prisma_schema: Path | None, expect: list[str], absent: list[str] | None,
                  config: Path | None) -> tuple[list[Expectation], list[PrismaModel]]:
    """The names to check, and the Prisma models read for them (hints for the scan name their tables)."""
    items: list[Expectation] = []
    models: list[PrismaModel] = []
    if prisma_schema is not None or not expect:
        if prisma_schema is None:
            app_config = tool_config(config)
            prisma_schema = app_config.prisma_schema
            if not prisma_schema.is_file():
                raise ToolError(f"no Prisma schema at {prisma_schema} ({app_config.describe()}): pass "
                                "--prisma-schema, --expect, or set prisma_schema in recovery-harness.toml")
        try:
            models = list(read_prisma_document(prisma_schema).models)
            items += from_models(models)
        except PrismaSchemaError as error:
            raise ToolError(str(error)) from None
    items += [parse_name(name, must_exist=True) for name in expect]
    items += [parse_name(name, must_exist=False) for name in (DEFAULT_ABSENT if absent is None else absent)]
    return items, models


DatabaseUrl = Annotated[
    str | None, typer.Option(envvar="DATABASE_URL", show_envvar=True, metavar="URL", help="Postgres URL to check.")
]
PrismaSchemaPath = Annotated[
    Path | None,
    typer.Option(metavar="PATH", help="Prisma schema whose models' tables must exist "
                                      "(default: the config's prisma_schema, else prisma/schema.prisma)."),
]
ExpectNames = Annotated[
    list[str] | None,
    typer.Option(metavar="NAME", help="A table that must exist (repeatable; NAME or SCHEMA.NAME; "
                                      "replaces the schema file unless --prisma-schema is given too)."),
]
AbsentNames = Annotated[
    list[str] | None,
    typer.Option(metavar="NAME", help="A table that must NOT exist (repeatable; default: "
                                      "image_review_items, image_review_options)."),
]
SchemaNames = Annotated[
    list[str] | None,
    typer.Option(metavar="SCHEMA", help="Schema to look in for unqualified names (repeatable; "
                                        "default: the connection's search_path)."),
]
ScanPaths = Annotated[
    list[Path] | None,
    typer.Option(metavar="PATH", help="Source file or folder to scan for raw SQL (repeatable): every string, "
                                      "template literal and concatenation of JS/TS/Python code that holds SQL, and "
                                      ".sql files; each table and column it uses must exist. node_modules, dist, "
                                      "build, .next and minified files are left out."),
]
JsonOutput = Annotated[bool, typer.Option(
    "--json", help="Print the report as JSON (shape in docs/tools/check-table-names.md).")]


@app.command()
def check(
    database_url: DatabaseUrl = None,
    prisma_schema: PrismaSchemaPath = None,
    expect: ExpectNames = None,
    absent: AbsentNames = None,
    schema: SchemaNames = None,
    scan: ScanPaths = None,
    json_output: JsonOutput = False,
    config: ConfigPath = None,
) -> None:
    """Check table names the way the recovery checklist's step 3 does, read-only."""
    try:
        if not database_url:
            raise ToolError("no database URL: pass --database-url or set DATABASE_URL")
        expectations, models = _expectations(prisma_schema, expect or [], absent, config)
        found_sql = scan_paths(scan) if scan else None
        with Catalog.open(database_url, schema) as catalog:
            report = Report(catalog.database, catalog.search_path, check_tables(catalog, expectations))
            if found_sql is not None and scan:
                report.scan = ScanSummary([str(path) for path in scan], found_sql.files,
                                          resolve_references(catalog, found_sql.sites, models), found_sql.skipped,
                                          resolve_columns(catalog, found_sql.columns), len(found_sql.columns))
    except (CatalogError, ScanError) as error:
        raise ToolError(str(error)) from None
    if json_output:
        typer.echo(json.dumps(render_json(report), indent=2, ensure_ascii=False))
    else:
        for line in render_text(report):
            typer.echo(line)
    raise typer.Exit(EXIT_OK if report.passed else EXIT_FAIL)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry (the project's CLI convention, recovery_tools.cli)."""
    run(app, PROG, argv)
