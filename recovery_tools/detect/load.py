"""Does the commit load? esbuild bundles the entry points (packages left external) and every error is a finding.

A name exported twice, an import of a file or a name that is not there, a syntax error: Node refuses to load
such a module, so the deployed function never starts. An assignment to a `const` loads in Node (a TypeError
when it runs) but no bundler builds it. esbuild says all of these at build time with file, line and column;
its warnings that mean a bug at run time (a duplicate class member, object key or `case`, ...) are kept.

The format is the app's own: an entry point is ESM when the nearest package.json (up to the root) says
`"type": "module"` or its suffix is .mjs/.mts, else CommonJS; entry points of each format are bundled together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recovery_tools.source.esbuild import EsbuildFailed, EsbuildUnavailable, esbuild

# esbuild's warning ids that mean the code misbehaves when it runs (the rest are style or bundling notes).
CHOSEN_WARNINGS = frozenset({
    "ambiguous-reexport", "assign-to-constant", "assign-to-define", "assign-to-import", "call-import-namespace",
    "class-name-will-throw", "commonjs-variable-in-esm", "delete-super-property", "different-path-case",
    "duplicate-case", "duplicate-class-member", "duplicate-object-key", "equals-nan", "equals-negative-zero",
    "equals-new-object", "impossible-typeof", "import-is-undefined", "private-name-will-throw",
    "semicolon-after-return", "suspicious-boolean-not", "suspicious-logical-operator",
    "suspicious-nullish-coalescing",
})
_ESM_SUFFIXES = frozenset({".mjs", ".mts"})
_CJS_SUFFIXES = frozenset({".cjs", ".cts"})


@dataclass(frozen=True)
class LoadMessage:
    """One esbuild message: `file` relative to the root, 1-based `line` and `column` (0 when esbuild names no
    place), esbuild's own text."""

    file: str
    line: int
    column: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "column": self.column, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else (self.file or "(no file)")
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class LoadCheck:
    """The verdict: ok (it loads), errors (it does not), or inconclusive (`reason`: esbuild could not run)."""

    entry_points: tuple[str, ...]
    tool: str = ""
    errors: tuple[LoadMessage, ...] = ()
    warnings: tuple[LoadMessage, ...] = ()
    reason: str | None = None
    formats: dict[str, str] = field(default_factory=dict)  # entry point -> "esm" or "cjs"

    @property
    def inconclusive(self) -> bool:
        return self.reason is not None

    @property
    def ok(self) -> bool:
        return not self.inconclusive and not self.errors

    @property
    def status(self) -> str:
        return "inconclusive" if self.inconclusive else "ok" if self.ok else "errors"

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "tool": self.tool, "errors": [e.to_dict() for e in self.errors],
                "warnings": [w.to_dict() for w in self.warnings], "inconclusive": self.inconclusive,
                "reason": self.reason, "entry_points": list(self.entry_points)}

    def summary(self) -> str:
        """One line: what was bundled and the verdict."""
        if self.inconclusive:
            return f"load check inconclusive: {self.reason}"
        if self.ok:
            extra = f", {len(self.warnings)} warning(s)" if self.warnings else ""
            return f"loads: {len(self.entry_points)} entry point(s) bundled by {self.tool}{extra}"
        return f"does not load: {len(self.errors)} error(s) from {self.tool}, first {self.errors[0]}"


def check_load(root: Path, entry_points: Sequence[Path]) -> LoadCheck:
    """Bundle `entry_points` (absolute, or relative to `root`) with esbuild and report what stops them loading."""
    root = root.resolve()
    entries = [(path if path.is_absolute() else root / path).resolve() for path in entry_points]
    names = tuple(_rel(root, path) for path in entries)
    missing = [LoadMessage(name, 0, 0, "entry point not found") for name, path in zip(names, entries, strict=True)
               if not path.is_file()]
    formats = {name: module_format(root, path) for name, path in zip(names, entries, strict=True)}
    present = [path for path in entries if path.is_file()]
    if not entries:
        return LoadCheck(names, reason="no entry point to bundle", formats=formats)
    try:
        tool = esbuild()
        answers = [tool.host("build", {"entryPoints": [str(p) for p in group], "absWorkingDir": str(root),
                                       "format": fmt})
                   for fmt, group in _by_format(root, present).items()]
    except (EsbuildUnavailable, EsbuildFailed) as error:
        return LoadCheck(names, reason=str(error), formats=formats)
    errors = [*missing, *(_message(root, m) for a in answers for m in a["errors"])]
    warnings = [_message(root, m) for a in answers for m in a["warnings"] if m["id"] in CHOSEN_WARNINGS]
    return LoadCheck(names, tool.tool, _unique(errors), _unique(warnings), formats=formats)


def module_format(root: Path, entry: Path) -> str:
    """"esm" or "cjs": the suffix (.mjs/.cjs and the TS forms), else the nearest package.json's `type`."""
    suffix = entry.suffix.lower()
    if suffix in _ESM_SUFFIXES or suffix in _CJS_SUFFIXES:
        return "esm" if suffix in _ESM_SUFFIXES else "cjs"
    folder = entry.parent
    while True:
        manifest = folder / "package.json"
        if manifest.is_file():
            try:
                kind = json.loads(manifest.read_text(encoding="utf-8")).get("type")
            except (OSError, UnicodeDecodeError, ValueError, AttributeError):
                kind = None
            return "esm" if kind == "module" else "cjs"
        if folder == root or folder.parent == folder:
            return "cjs"
        folder = folder.parent


def _by_format(root: Path, entries: Iterable[Path]) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for path in entries:
        groups.setdefault(module_format(root, path), []).append(path)
    return groups


def _message(root: Path, raw: dict[str, Any]) -> LoadMessage:
    """esbuild's message with its 0-based byte column turned into a 1-based character column."""
    place = raw.get("location")
    if not place:
        return LoadMessage("", 0, 0, raw["text"])
    text = str(place.get("lineText") or "")
    column = len(text.encode("utf-8")[:int(place["column"])].decode("utf-8", errors="ignore")) + 1
    file = str(place["file"])
    return LoadMessage(_rel(root, root / file), int(place["line"]), column, raw["text"])


def _unique(messages: Iterable[LoadMessage]) -> tuple[LoadMessage, ...]:
    return tuple(dict.fromkeys(messages))


def _rel(root: Path, path: Path) -> str:
    try:
        return path.resolve().relative_to(root).as_posix()
    except ValueError:
        return path.as_posix()
