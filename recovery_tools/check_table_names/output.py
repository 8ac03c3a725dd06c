"""Rendering a report: the checklist's own lines (`✅ EXISTS - "X"`, `❌ NOT FOUND - "y"`) or JSON."""

from __future__ import annotations

from typing import Any

from recovery_tools.check_table_names.catalog import Relation
from recovery_tools.check_table_names.check import ColumnResult, ReferenceResult, Report, TableResult

FOLD_NOTE = "case differs: Postgres folds unquoted names to lower case"


def _names(relations: tuple[Relation, ...]) -> str:
    return ", ".join(relation.display for relation in relations)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" + ("" if number == 1 else "s")


def table_line(result: TableResult, search_path: tuple[str, ...]) -> str:
    """One line per name. Passing lines are exactly the checklist's; a failing line says why after `← FAIL:`."""
    expectation = result.expectation
    state = ("EXISTS - " if result.found else "NOT FOUND - ") + expectation.display
    notes = []
    if result.twins:
        notes.append(f"{_names(result.twins)} exists ({FOLD_NOTE})")
    if result.elsewhere:
        notes.append(f"{_names(result.elsewhere)} exists in a schema not searched (search_path: "
                     f"{', '.join(search_path) or 'empty'})")
    if result.ok:
        mark = "✅" if result.found else "❌"
        return f"{mark} {state}" + (f" (note: {'; '.join(notes)})" if notes else "")
    if expectation.must_exist:
        reason = "expected table is missing" + (f" (model {expectation.model})" if expectation.model else "")
    else:
        assert result.found is not None
        reason = f"must not exist, but {result.found.display} is a {result.found.kind}"
    return f"❌ {state}  ← FAIL: " + "; ".join([reason, *notes])


def _statement(kind: str | None, fragment: bool) -> str:
    return " ".join(filter(None, [kind, "fragment" if fragment else None])) or "statement"


def reference_line(result: ReferenceResult) -> str:
    ref = result.site.ref
    line = f"❌ NOT FOUND - {ref.display} at {result.site.path}:{result.site.line}"
    notes = [_statement(result.site.kind, result.site.fragment)]
    if not ref.quoted and ref.written.rpartition(".")[2] != ref.name:
        notes.append(f"written unquoted {ref.written}, which Postgres folds to lower case")
    if result.twins:
        notes.append(f"{_names(result.twins)} exists: " + ("quote the name" if not ref.quoted else "case differs"))
    if result.hint:
        notes.append(result.hint.text)
    return f"{line} ({'; '.join(notes)})"


def column_line(result: ColumnResult) -> str:
    use = result.site.use
    notes = [_statement(result.site.kind, result.site.fragment)]
    if not use.written.startswith('"') and use.written != use.name:
        notes.append(f"written unquoted {use.written}, which Postgres folds to lower case")
    if result.hint:
        notes.append(result.hint)
    return (f'❌ NOT FOUND - column "{use.name}" of {result.table.display} at {result.site.path}:'
            f"{result.site.line} ({'; '.join(notes)})")


def verdict(report: Report) -> str:
    expected = [result for result in report.tables if result.expectation.must_exist]
    absent = [result for result in report.tables if not result.expectation.must_exist]
    parts = [f"{sum(r.ok for r in expected)}/{len(expected)} expected tables exist",
             f"{sum(r.ok for r in absent)}/{len(absent)} legacy names absent"]
    if report.scan is not None:
        unresolved = len(report.scan.unresolved)
        total = len(report.scan.references)
        parts.append(f"{total - unresolved}/{total} raw SQL table references resolve")
        if report.scan.columns:
            parts.append(f"{len(report.scan.columns)} unknown raw SQL column"
                         + ("" if len(report.scan.columns) == 1 else "s"))
    return ("✅ PASS - " if report.passed else "❌ FAIL - ") + ", ".join(parts)


def render_text(report: Report) -> list[str]:
    lines = [table_line(result, report.search_path) for result in report.tables]
    if report.scan is not None:
        scan = report.scan
        lines.append(f"Raw SQL in {', '.join(scan.paths)}: {_count(scan.files, 'file')}, "
                     f"{_count(len(scan.references), 'table reference')}, {len(scan.unresolved)} unresolved, "
                     f"{_count(scan.columns_checked, 'column reference')}, {len(scan.columns)} unknown")
        lines += [reference_line(result) for result in scan.unresolved]
        lines += [column_line(result) for result in scan.columns]
        lines += [f"⚠️ SKIPPED - {reason}" for reason in scan.skipped]
    lines.append(verdict(report))
    return lines


def _relation(relation: Relation | None) -> dict[str, str] | None:
    return None if relation is None else {"schema": relation.schema, "name": relation.name, "kind": relation.kind}


def render_json(report: Report) -> dict[str, Any]:
    """The report as plain data; the shape is documented in docs/tools/check-table-names.md (--json)."""
    data: dict[str, Any] = {
        "passed": report.passed,
        "verdict": verdict(report),
        "database": report.database,
        "search_path": list(report.search_path),
        "tables": [
            {
                "name": result.expectation.name,
                "schema": result.expectation.schema,
                "model": result.expectation.model,
                "expect": "exists" if result.expectation.must_exist else "absent",
                "ok": result.ok,
                "found": _relation(result.found),
                "case_twins": [_relation(twin) for twin in result.twins],
                "other_schemas": [_relation(other) for other in result.elsewhere],
                "line": table_line(result, report.search_path),
            }
            for result in report.tables
        ],
        "scan": None,
    }
    if report.scan is not None:
        data["scan"] = {
            "paths": report.scan.paths,
            "files": report.scan.files,
            "references": len(report.scan.references),
            "unresolved": [
                {
                    "file": result.site.path,
                    "line": result.site.line,
                    "schema": result.site.ref.schema,
                    "table": result.site.ref.name,
                    "written": result.site.ref.written,
                    "case_twins": [_relation(twin) for twin in result.twins],
                    "statement": result.site.kind,
                    "fragment": result.site.fragment,
                    "columns": list(result.site.columns),
                    "hint": result.hint.text if result.hint else None,
                    "hint_tables": [{"table": c.table, "model": c.model} for c in result.hint.candidates]
                    if result.hint else [],
                    "text": reference_line(result),
                }
                for result in report.scan.unresolved
            ],
            "column_references": report.scan.columns_checked,
            "unknown_columns": [
                {
                    "file": result.site.path,
                    "line": result.site.line,
                    "column": result.site.use.name,
                    "written": result.site.use.written,
                    "table": _relation(result.table),
                    "statement": result.site.kind,
                    "fragment": result.site.fragment,
                    "hint": result.hint,
                    "text": column_line(result),
                }
                for result in report.scan.columns
            ],
            "skipped": report.scan.skipped,
        }
    return data
