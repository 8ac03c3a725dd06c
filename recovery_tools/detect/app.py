"""An app's repository as the detectors read it: its JS/TS files parsed once (or the reason they do not parse),
its JSON and Prisma files, every path shown relative to the root."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recovery_tools.detect.model import Evidence
from recovery_tools.source import js
from recovery_tools.source.files import minified_reason, source_files


class AppSourceError(Exception):
    """The path is not an app's source tree: it does not exist, or no JS/TS file in it parses."""


@dataclass
class SourceFile:
    """A JS/TS file: `parsed` when it parses, else `error` says why not."""

    path: Path
    rel: str
    parsed: js.Parsed | None = None
    error: str | None = None


@dataclass
class AppSource:
    """The repository under `root`; `files` are its JS/TS sources (dependencies and build output left out)."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    prisma_schema: Path | None = None  # the app's schema.prisma (found under the root unless given)
    config_queues: tuple[str, ...] = ()  # the tool config's queue names (when the app's own list is not found)

    @classmethod
    def read(cls, root: Path, prisma_schema: Path | None = None, config_queues: tuple[str, ...] = ()) -> AppSource:
        if not root.exists():
            raise AppSourceError(f"{root}: no such file or directory")
        app = cls(root.resolve() if root.is_dir() else root.resolve().parent, config_queues=config_queues)
        app.prisma_schema = prisma_schema or app.default_schema()
        for path in source_files(root.resolve(), js.JS_SUFFIXES):
            app.files.append(_read(path, app.rel(path)))
        if not any(f.parsed for f in app.files):
            detail = f" ({app.files[0].rel}: {app.files[0].error})" if app.files else ""
            raise AppSourceError(f"{root}: no JavaScript or TypeScript file to read{detail}")
        return app

    def default_schema(self) -> Path | None:
        """Prisma's own default place (`prisma/schema.prisma`), else the first `schema.prisma` under the root."""
        if (self.root / "prisma" / "schema.prisma").is_file():
            return self.root / "prisma" / "schema.prisma"
        found = self.find("schema.prisma")
        return found[0] if found else None

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.as_posix()

    def parsed(self) -> Iterator[tuple[SourceFile, js.Parsed]]:
        for source in self.files:
            if source.parsed is not None:
                yield source, source.parsed

    def unreadable(self) -> list[Evidence]:
        """One evidence per file that does not parse: a detector that could not read it cannot say `fixed`."""
        return [Evidence(f.rel, 0, f"cannot read: {f.error}") for f in self.files if f.error]

    def find(self, *names: str) -> list[Path]:
        """Files under the root with one of these names (dependencies and build output left out), sorted."""
        suffixes = frozenset(Path(name).suffix.lower() for name in names)
        return [path for path in source_files(self.root, suffixes) if path.name in names]

    def read_json(self, path: Path) -> tuple[Any, str | None]:
        """(document, None), or (None, why it cannot be read)."""
        try:
            return json.loads(path.read_text(encoding="utf-8")), None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            return None, f"{type(error).__name__}: {error}"


def _read(path: Path, rel: str) -> SourceFile:
    source = SourceFile(path, rel)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        source.error = f"{type(error).__name__}: {error}"
        return source
    reason = minified_reason(text)
    if reason:
        source.error = reason
        return source
    try:
        source.parsed = js.parse(text, path.suffix)
    except js.JsSyntaxError as error:
        source.error = str(error)
    return source
