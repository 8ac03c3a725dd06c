"""Detector image-review-table-mismatch: raw SQL on a table the app's Prisma schema does not have.

It is check-table-names' scan (tree-sitter for the JS/TS, Postgres's parser for the SQL) judged against the
schema file instead of a database, so it needs no connection: the tables that exist are the models' tables.
"""

from __future__ import annotations

import re

from recovery_tools.check_table_names.hints import candidates, table_hint
from recovery_tools.check_table_names.scan import ScanResult, scan_file
from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.prisma_schema import PrismaSchemaError, read_prisma_document
from recovery_tools.source import js

BUG_ID = "image-review-table-mismatch"
SQL_TEXT = re.compile(r"\b(?:select|insert|update|delete|from|join)\b", re.IGNORECASE)  # SQL it may hold
# Postgres's own catalogs and Prisma's bookkeeping: they exist without a model.
_SYSTEM_SCHEMAS = frozenset({"pg_catalog", "information_schema"})


def _system(schema: str | None, name: str) -> bool:
    return schema in _SYSTEM_SCHEMAS or name.startswith("pg_") or name == "_prisma_migrations"


def detect(app: AppSource) -> Verdict:
    if app.prisma_schema is None:
        return unknown(Evidence(".", 0, "no Prisma schema found (prisma/schema.prisma or any schema.prisma); "
                                        "pass --prisma-schema"))
    schema_rel = app.rel(app.prisma_schema)
    try:
        document = read_prisma_document(app.prisma_schema)
    except PrismaSchemaError as error:
        return unknown(Evidence(schema_rel, 0, str(error)))
    tables = {model.table for model in document.models} | set(document.views)
    pool = candidates(document.models, [])
    result = ScanResult()
    unreadable = app.unreadable(SQL_TEXT)
    for source, _ in app.parsed():
        try:
            scan_file(source.path, source.rel, result, source.parsed)  # the tree AppSource already has
        except (OSError, UnicodeDecodeError, ValueError, js.JsSyntaxError) as error:
            unreadable.append(Evidence(source.rel, 0, f"cannot scan: {error}"))
    found = []
    for site in result.sites:
        ref = site.ref
        if ref.name in tables or _system(ref.schema, ref.name):
            continue
        hint = table_hint(ref.name, pool)
        found.append(Evidence(site.path, site.line, f"raw SQL on table {ref.display}, which the Prisma schema "
                                                    f"({schema_rel}) does not have (P2010 / 42P01)"
                                                    + (f": {hint.text}" if hint else "")))
    if found:
        return broken(*found, *unreadable)
    if unreadable:
        return unknown(*unreadable)
    if not result.sites:
        return fixed(Evidence(schema_rel, 0, f"no raw SQL names a table; the schema has {len(tables)} tables"))
    return fixed(Evidence(schema_rel, 0, f"all {len(result.sites)} tables named in raw SQL ({result.strings} "
                                         "strings) are tables of the Prisma schema"))
