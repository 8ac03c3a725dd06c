"""Finding raw SQL in a source tree: Prisma raw queries in JS/TS, SQL string literals in Python, .sql files."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from recovery_tools.check_table_names.check import Site
from recovery_tools.check_table_names.sqlrefs import PLACEHOLDER, table_references

JS_SUFFIXES = {".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"}
SOURCE_SUFFIXES = JS_SUFFIXES | {".py", ".sql"}
SKIPPED_DIRS = {"node_modules", "__pycache__", ".git", ".venv", "venv", ".tox", ".mypy_cache", ".ruff_cache"}

# Prisma's raw-query entry points: tagged templates or calls whose first argument is the SQL.
_JS_RAW = re.compile(r"(?<![\w$])(?:\$(?:queryRaw|executeRaw)(?:Unsafe)?|Prisma\.(?:sql|raw))\b")
# A Python string is taken for SQL when it starts with a statement verb, or names a table after an
# upper-case FROM/JOIN/INTO/UPDATE (prose says "from", SQL in code mostly says "FROM").
_PY_SQL = re.compile(
    r"^\s*\(?\s*(?i:SELECT|INSERT|UPDATE|DELETE|WITH|MERGE)\b|\b(?:FROM|JOIN|INTO|UPDATE)\s+[\"A-Za-z_]"
)


_JS_ESCAPES = {"n": "\n", "r": "\r", "t": "\t"}


class ScanError(Exception):
    """A path given to --scan does not exist."""


@dataclass
class ScanResult:
    files: int = 0
    sites: list[Site] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _line_at(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _js_unescape(raw: str, base: int) -> tuple[str, list[int]]:
    """The literal's text with backslash escapes resolved, and the file offset of each of its characters."""
    chars: list[str] = []
    offsets: list[int] = []
    index = 0
    while index < len(raw):
        if raw[index] == "\\" and index + 1 < len(raw):
            chars.append(_JS_ESCAPES.get(raw[index + 1], raw[index + 1]))
            offsets.append(base + index)
            index += 2
            continue
        chars.append(raw[index])
        offsets.append(base + index)
        index += 1
    return "".join(chars), offsets


def _js_literal(text: str, start: int) -> tuple[int, str, list[int]] | None:
    """The literal opening at `start` (`...`, '...' or "..."): its end, its SQL (`${}` as a placeholder)
    and the file offset of each SQL character."""
    quote = text[start]
    index = piece_start = start + 1
    sql: list[str] = []
    offsets: list[int] = []

    def take(piece_end: int) -> None:
        piece, piece_offsets = _js_unescape(text[piece_start:piece_end], piece_start)
        sql.append(piece)
        offsets.extend(piece_offsets)

    while index < len(text):
        char = text[index]
        if char == "\\":
            index += 2
            continue
        if char == quote:
            take(index)
            return index, "".join(sql), offsets
        if quote == "`" and text.startswith("${", index):
            take(index)
            sql.append(PLACEHOLDER)
            offsets.append(index)
            index = piece_start = _js_expression_end(text, index + 2)
            continue
        if quote != "`" and char == "\n":
            return None
        index += 1
    return None


def _js_expression_end(text: str, index: int) -> int:
    """Index just after the `}` closing a template's `${` expression (nested braces and strings skipped)."""
    depth = 1
    while index < len(text) and depth:
        char = text[index]
        if char in "'\"`":
            literal = _js_literal(text, index)
            index = literal[0] + 1 if literal else index + 1
            continue
        depth += (char == "{") - (char == "}")
        index += 1
    return index


def _skip_space(text: str, index: int) -> int:
    while index < len(text) and text[index].isspace():
        index += 1
    return index


def js_raw_sql(text: str) -> Iterator[tuple[str, list[int]]]:
    """(SQL, file offset of each SQL character) for each Prisma raw query (`$queryRaw\\`...\\``, calls, ...)."""
    for match in _JS_RAW.finditer(text):
        index = _skip_space(text, match.end())
        if text.startswith("<", index):  # a TypeScript type argument: $queryRaw<Row[]>`...`
            depth = 0
            while index < len(text):
                depth += (text[index] == "<") - (text[index] == ">")
                index += 1
                if depth == 0:
                    break
            index = _skip_space(text, index)
        if text.startswith("(", index):
            index = _skip_space(text, index + 1)
        if index < len(text) and text[index] in "`'\"":
            literal = _js_literal(text, index)
            if literal:
                yield literal[1], literal[2]


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def python_sql_strings(text: str) -> Iterator[tuple[ast.expr, str]]:
    """(node, value) for each string literal that looks like SQL; f-string fields become placeholders."""
    tree = ast.parse(text)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for part in ast.walk(node):
                skip.add(id(part))
            value = "".join(p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else PLACEHOLDER
                            for p in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            value = node.value
        else:
            continue
        if _PY_SQL.search(value):
            yield node, value


def _python_sites(path: str, text: str) -> Iterator[Site]:
    for node, value in python_sql_strings(text):
        segment = ast.get_source_segment(text, node) or ""
        cursor = 0
        for ref in table_references(value):
            # The value lost the source's quotes and escapes: find the name in the source segment instead.
            found = re.compile(rf"(?<![\w$]){re.escape(ref.name)}(?![\w$])").search(segment, cursor)
            line = node.lineno + (segment.count("\n", 0, found.start()) if found else 0)
            cursor = found.end() if found else cursor
            yield Site(path, line, ref)


def scan_file(path: Path, display: str) -> list[Site]:
    """Table references of raw SQL in one file; UnicodeDecodeError/SyntaxError/OSError propagate."""
    text = path.read_text(encoding="utf-8")
    suffix = path.suffix.lower()
    if suffix == ".sql":
        return [Site(display, _line_at(text, ref.offset), ref) for ref in table_references(text)]
    if suffix == ".py":
        return list(_python_sites(display, text))
    return [Site(display, _line_at(text, offsets[ref.offset]), ref)
            for sql, offsets in js_raw_sql(text) for ref in table_references(sql)]


def source_files(root: Path) -> Iterator[Path]:
    """Source files under `root` in a stable order (dependency, cache and hidden folders skipped)."""
    if root.is_file():
        yield root
        return
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for name in sorted(files):
            if Path(name).suffix.lower() in SOURCE_SUFFIXES:
                yield Path(folder) / name


def scan_paths(paths: list[Path]) -> ScanResult:
    """Every raw-SQL table reference under the paths; unreadable or unparsable files are listed as skipped."""
    for path in paths:
        if not path.exists():
            raise ScanError(f"cannot scan {path}: no such file or directory")
    result = ScanResult()
    for root in paths:
        for path in source_files(root):
            result.files += 1
            try:
                result.sites.extend(scan_file(path, str(path)))
            except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as error:
                result.skipped.append(f"{path}: {type(error).__name__}: {' '.join(str(error).split())}")
    return result
