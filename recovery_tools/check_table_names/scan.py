"""Finding raw SQL in a source tree by what it is: every string value of JS/TS and Python code, and .sql files.

JS/TS (tree-sitter) and Python (ast) give the string values with their lines (recovery_tools.source);
Postgres's parser (pglast, check_table_names.sql) tells SQL from prose and names the tables and columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from recovery_tools.check_table_names.check import ColumnSite, Site
from recovery_tools.check_table_names.sql import Statement, TableRef, analyze
from recovery_tools.source import js
from recovery_tools.source.files import minified_reason, source_files
from recovery_tools.source.strings import SourceString, js_strings, python_strings

SOURCE_SUFFIXES = js.JS_SUFFIXES | {".py", ".sql"}
# Cheap first look: a string without any of these words cannot hold a statement or a table reference.
_SQL_WORD = re.compile(r"(?i)\b(?:select|insert|update|delete|from|join|into|with|merge)\b")


class ScanError(Exception):
    """A path given to --scan does not exist."""


@dataclass
class ScanResult:
    files: int = 0
    sites: list[Site] = field(default_factory=list)
    columns: list[ColumnSite] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    strings: int = 0  # SQL-bearing strings found


def _statements(value: SourceString) -> list[Statement]:
    """The SQL of one string value; a `+=`-extended variable whose whole text is not one statement is read
    piece by piece (its value as a statement, each extension as a fragment)."""
    if not _SQL_WORD.search(value.text):
        return []
    statements = analyze(value.text)
    if value.kind == "extended" and (not statements or any(s.fragment for s in statements)):
        return []  # the caller reads the parts
    return statements


def _sites(display: str, values: list[SourceString], result: ScanResult) -> None:
    for value in values:
        statements = _statements(value)
        if not statements and value.kind == "extended":
            _sites(display, list(value.parts), result)
            continue
        result.strings += bool(statements)
        for statement in statements:
            result.sites += [Site(display, value.line_at(ref.offset), ref, statement.kind, statement.fragment,
                                  _columns_of(statement, ref)) for ref in statement.tables]
            result.columns += [ColumnSite(display, value.line_at(use.offset), use, statement.kind,
                                          statement.fragment) for use in statement.columns]


def _columns_of(statement: Statement, ref: TableRef) -> tuple[str, ...]:
    """The columns the statement reads or writes on this table (qualified by it, or its query's only table)."""
    names = [use.name for use in statement.columns if use.scopes and use.scopes[0] == (ref,)]
    return tuple(dict.fromkeys(names))


def _sql_file(text: str) -> list[SourceString]:
    """One value per statement of a .sql file (split on Postgres's own `;` tokens), so one bad statement
    does not hide the others."""
    from pglast import parser

    whole = SourceString(text, [], 1, "literal")
    lines = [1 + text.count("\n", 0, index) for index in range(len(text))] if text else []
    whole.lines = lines
    try:
        tokens = parser.scan(text)
    except parser.ParseError:
        return [whole]
    values = []
    start = 0
    for token in tokens:
        if token.name == "ASCII_59":
            values.append(SourceString(text[start:token.start], lines[start:token.start], lines[start], "literal"))
            start = token.end + 1
    if text[start:].strip():
        values.append(SourceString(text[start:], lines[start:], lines[start], "literal"))
    return values


def scan_file(path: Path, display: str, result: ScanResult, parsed: js.Parsed | None = None) -> None:
    """Add one file's table and column references to `result` (`parsed`: the JS/TS file's tree, when the caller
    has it); a file that cannot be read or parsed raises OSError, UnicodeDecodeError, SyntaxError,
    JsSyntaxError or ValueError."""
    if parsed is not None:
        _sites(display, js_strings(parsed), result)
        return
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".sql":
        values = _sql_file(text)
    elif suffix == ".py":
        values = list(python_strings(text))
    else:
        reason = minified_reason(text)
        if reason:
            raise ValueError(reason)
        values = js_strings(js.parse(text, suffix))
    _sites(display, values, result)


def scan_paths(paths: list[Path]) -> ScanResult:
    """Every raw-SQL table and column reference under the paths; files that cannot be read or parsed are listed
    as skipped with the reason."""
    for path in paths:
        if not path.exists():
            raise ScanError(f"cannot scan {path}: no such file or directory")
    result = ScanResult()
    for root in paths:
        for path in source_files(root, SOURCE_SUFFIXES):
            result.files += 1
            try:
                scan_file(path, str(path), result)
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError, js.JsSyntaxError) as error:
                result.skipped.append(f"{path}: {type(error).__name__}: {' '.join(str(error).split())}")
    return result
