"""Postgres against the Prisma schema, column by column: tables, columns, types, nullability, keys, enums."""

from __future__ import annotations

from recovery_tools.preflight.database import Database, Table
from recovery_tools.preflight.prisma_types import compare, expected_type
from recovery_tools.preflight.report import Check
from recovery_tools.prisma_schema import PrismaDocument, PrismaModel

MIGRATIONS_TABLE = "_prisma_migrations"


def check_schema(document: PrismaDocument, database: Database) -> Check:
    check = Check("postgres.schema", "The database matches the Prisma schema column by column")
    default = database.app_url.schema
    schemas = sorted({model.schema or default for model in document.models}
                     | {enum.schema or default for enum in document.enums})
    tables = database.tables(schemas)
    db_enums = database.enums(schemas)
    enum_types: dict[str, str] = {}
    for enum in document.enums:
        found = db_enums.get((enum.schema or default, enum.db_name))
        if found is None:
            check.find(enum.name, f'enum type "{enum.schema or default}"."{enum.db_name}" does not exist')
            continue
        spelled, labels = found
        enum_types[enum.name] = spelled
        missing = [value for value in enum.values if value not in labels]
        if missing:
            check.find(enum.name, f"enum type lacks value(s) {', '.join(missing)} (has {', '.join(labels)})")
    compatible: list[str] = []
    seen: set[tuple[str, str]] = set()
    checked_columns = 0
    for model in document.models:
        key = (model.schema or default, model.table)
        table = tables.get(key)
        if table is None:
            check.find(model.name, f'table "{key[0]}"."{key[1]}" does not exist')
            continue
        seen.add(key)
        checked_columns += _check_columns(check, model, table, enum_types, compatible)
        _check_keys(check, model, table)
    extra_tables = sorted(f"{schema}.{name}" for schema, name in tables
                          if (schema, name) not in seen and name != MIGRATIONS_TABLE)
    extra_columns = sorted(_extra_columns(document, tables, default))
    check.evidence = {"schemas": schemas, "models": len(document.models), "columns_checked": checked_columns,
                      "compatible_types": compatible, "extra_tables": extra_tables, "extra_columns": extra_columns}
    if compatible:
        check.notes.append(f"{len(compatible)} column(s) of a type other than Prisma's own that Prisma reads and "
                           "writes in full (a `prisma migrate diff` would still list them): "
                           + "; ".join(compatible[:5]) + (" ..." if len(compatible) > 5 else ""))
    if extra_tables or extra_columns:
        check.notes.append(f"not in the Prisma schema (listed, not failed): {len(extra_tables)} table(s), "
                           f"{len(extra_columns)} column(s)")
    wrong = len(check.findings)
    check.summary = (f"{len(document.models)} models, {checked_columns} columns: "
                     + (f"{wrong} difference(s)" if wrong else "all present with compatible types and keys"))
    return check


def _check_columns(check: Check, model: PrismaModel, table: Table, enum_types: dict[str, str],
                   compatible: list[str]) -> int:
    count = 0
    for field in model.fields:
        subject = f"{model.name}.{field.name}"
        column = table.columns.get(field.column)
        if column is None:
            check.find(subject, f'column "{field.column}" does not exist in "{table.schema}"."{table.name}"')
            continue
        count += 1
        expected = expected_type(field, enum_types)
        if expected is not None:
            verdict = compare(expected, column.type)
            if not verdict.compatible:
                check.find(subject, f"the database has {column.type} where Prisma expects {expected} "
                                    f"({verdict.why})")
            elif not verdict.same:
                compatible.append(f"{subject} is {column.type}, Prisma's is {expected}")
        if field.is_list:
            continue  # Prisma creates list columns without NOT NULL and never writes NULL to them
        if field.optional and column.not_null:
            check.find(subject, "the database has NOT NULL where Prisma's field is optional: writing null fails")
        elif not field.optional and not column.not_null:
            check.find(subject, "the database allows NULL where Prisma's field is required: reading a null fails")
    return count


def _columns_of(model: PrismaModel, names: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(found.column if (found := model.field_named(name)) else name for name in names)


def _check_keys(check: Check, model: PrismaModel, table: Table) -> None:
    whole = [index for index in table.indexes if index.unique and not index.partial]
    if model.primary_key:
        columns = set(_columns_of(model, model.primary_key))
        subject = f"{model.name}.{model.primary_key[0]}" if len(model.primary_key) == 1 else \
            f"{model.name}@@id({', '.join(model.primary_key)})"
        if not any(index.primary and set(index.columns) == columns for index in whole):
            backing = [index.name for index in whole if set(index.columns) == columns]
            if backing:
                check.notes.append(f"{subject}: no primary key, but unique index {backing[0]} holds the key")
            else:
                check.find(subject, f"no primary key or unique index on ({', '.join(sorted(columns))}); the table "
                                    f"has {_describe(table)}")
    for names in model.unique_sets:
        columns = set(_columns_of(model, names))
        if not any(set(index.columns) == columns for index in whole):
            subject = f"{model.name}.{names[0]}" if len(names) == 1 else f"{model.name}@@unique({', '.join(names)})"
            check.find(subject, f"no unique index on ({', '.join(sorted(columns))}); the table has "
                                f"{_describe(table)}")


def _describe(table: Table) -> str:
    unique = [f"{index.name} ({', '.join(index.columns)})" for index in table.indexes if index.unique]
    return "unique indexes " + "; ".join(unique) if unique else "no unique index"


def _extra_columns(document: PrismaDocument, tables: dict[tuple[str, str], Table], default: str) -> list[str]:
    extra = []
    for model in document.models:
        table = tables.get((model.schema or default, model.table))
        if table is None:
            continue
        known = {field.column for field in model.fields}
        extra += [f"{model.name}.{name}" for name in table.columns if name not in known]
    return extra
