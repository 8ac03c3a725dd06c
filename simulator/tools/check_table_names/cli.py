"""The `check-table-names` command: one Typer app, exit 0 pass, 1 fail, 2 cannot connect or read input."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from simulator.prisma_schema import PrismaSchemaError, read_prisma_document
from simulator.schema import prisma_schema_path
from simulator.tools.check_table_names.catalog import Catalog, CatalogError
from simulator.tools.check_table_names.check import (
    DEFAULT_ABSENT,
    Expectation,
    Report,
    ScanSummary,
    check_tables,
    from_models,
    parse_name,
    resolve_references,
)
from simulator.tools.check_table_names.output import render_json, render_text
from simulator.tools.check_table_names.scan import ScanError, scan_paths

PROG = "check-table-names"
EXIT_PASS, EXIT_FAIL, EXIT_ERROR = 0, 1, 2

app = typer.Typer(
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Verify the database schema: expected tables exist with their exact names, legacy ones do not.",
)


class InputError(Exception):
    """Bad input: printed as one line, exit 2."""


def _expectations(prisma_schema: Path | None, expect: list[str], absent: list[str] | None) -> list[Expectation]:
    items: list[Expectation] = []
    if prisma_schema is not None or not expect:
        try:
            items += from_models(read_prisma_document(prisma_schema or prisma_schema_path()).models)
        except PrismaSchemaError as error:
            raise InputError(str(error)) from None
    items += [parse_name(name, must_exist=True) for name in expect]
    items += [parse_name(name, must_exist=False) for name in (DEFAULT_ABSENT if absent is None else absent)]
    return items


DatabaseUrl = Annotated[
    str | None, typer.Option(envvar="DATABASE_URL", show_envvar=True, metavar="URL", help="Postgres URL to check.")
]
PrismaSchemaPath = Annotated[
    Path | None,
    typer.Option(metavar="PATH", help="Prisma schema whose models' tables must exist "
                                      "(default: the simulator's schema.prisma)."),
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
    typer.Option(metavar="PATH", help="Source file or folder to scan for raw SQL whose tables must resolve "
                                      "(repeatable)."),
]
JsonOutput = Annotated[bool, typer.Option("--json", help="Print the report as JSON (shape in README.md).")]


@app.command()
def check(
    database_url: DatabaseUrl = None,
    prisma_schema: PrismaSchemaPath = None,
    expect: ExpectNames = None,
    absent: AbsentNames = None,
    schema: SchemaNames = None,
    scan: ScanPaths = None,
    json_output: JsonOutput = False,
) -> None:
    """Check table names the way the recovery checklist's step 3 does, read-only."""
    try:
        if not database_url:
            raise InputError("no database URL: pass --database-url or set DATABASE_URL")
        expectations = _expectations(prisma_schema, expect or [], absent)
        found_sql = scan_paths(scan) if scan else None
        with Catalog.open(database_url, schema) as catalog:
            report = Report(catalog.database, catalog.search_path, check_tables(catalog, expectations))
            if found_sql is not None and scan:
                report.scan = ScanSummary([str(path) for path in scan], found_sql.files,
                                          resolve_references(catalog, found_sql.sites), found_sql.skipped)
    except (InputError, CatalogError, ScanError) as error:
        typer.echo(f"{PROG}: error: {error}", err=True)
        raise typer.Exit(EXIT_ERROR) from None
    if json_output:
        typer.echo(json.dumps(render_json(report), indent=2, ensure_ascii=False))
    else:
        for line in render_text(report):
            typer.echo(line)
    raise typer.Exit(EXIT_PASS if report.passed else EXIT_FAIL)


def main() -> None:
    """Console-script entry point: usage errors are one line on stderr too (exit 2), never a traceback."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    try:
        code = app(prog_name=PROG, standalone_mode=False)
    except typer.TyperException as error:
        typer.echo(f"{PROG}: error: {error.format_message()}", err=True)
        sys.exit(EXIT_ERROR)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo(f"{PROG}: interrupted", err=True)
        sys.exit(130)
    sys.exit(code if isinstance(code, int) else EXIT_PASS)
