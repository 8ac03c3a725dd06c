"""An app's repository as the detectors read it: its JS/TS files parsed once (or the reason they do not parse),
the deployed set among them (what detectors judge), its JSON and Prisma files, every path relative to the root."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recovery_tools.detect import deployed
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
    text: str | None = None  # kept only for a file that does not parse (its imports and what it may hold)


@dataclass
class AppSource:
    """The repository under `root`; `files` are its JS/TS sources (dependencies and build output left out)."""

    root: Path
    files: list[SourceFile] = field(default_factory=list)
    prisma_schema: Path | None = None  # the app's schema.prisma (found under the root unless given)
    config_queues: tuple[str, ...] = ()  # the tool config's queue names (when the app's own list is not found)
    scope: deployed.DeployedSet = field(default_factory=lambda: deployed.DeployedSet([]))
    _ranked: list[SourceFile] = field(default_factory=list, repr=False)

    @classmethod
    def read(cls, root: Path, prisma_schema: Path | None = None, config_queues: tuple[str, ...] = (),
             entries: Iterable[Path] = ()) -> AppSource:
        """Read the app at `root`; `entries` (absolute or relative to the root) replace the entry points found
        in its config (AppSourceError when one is not a JS/TS file of the app)."""
        if not root.exists():
            raise AppSourceError(f"{root}: no such file or directory")
        app = cls(root.resolve() if root.is_dir() else root.resolve().parent, config_queues=config_queues)
        app.prisma_schema = prisma_schema or app.default_schema()
        for path in source_files(root.resolve(), js.JS_SUFFIXES):
            app.files.append(_read(path, app.rel(path)))
        if not any(f.parsed for f in app.files):
            detail = f" ({app.files[0].rel}: {app.files[0].error})" if app.files else ""
            raise AppSourceError(f"{root}: no JavaScript or TypeScript file to read{detail}")
        try:
            app.scope = deployed.build(app, entries)
        except deployed.EntryError as error:
            raise AppSourceError(str(error)) from None
        # stable: files of one rank keep the walk's order
        app._ranked = sorted((f for f in app.files if f.rel in app.scope), key=lambda f: app.scope.rank(f.rel)[:2])
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

    def deployed(self) -> list[SourceFile]:
        """The deployed JS/TS files, ranked: reached from a configured entry point first, fewest imports deep."""
        return self._ranked if self._ranked or not self.files else self.files

    def parsed(self) -> Iterator[tuple[SourceFile, js.Parsed]]:
        """The deployed files that parse, ranked: the only code a detector judges."""
        for source in self.deployed():
            if source.parsed is not None:
                yield source, source.parsed

    def unreadable(self, could_hold: re.Pattern[str] | None = None) -> list[Evidence]:
        """What the detectors could not read of the deployed code, where its text `could_hold` the bug's evidence:
        one evidence per file that does not parse (a file never read as text counts always), and one per region
        tree-sitter skipped in a file esbuild parses (`Parsed.recovered`). A detector cannot say `fixed` over it."""
        found = []
        for source in self.deployed():
            if source.error and (could_hold is None or source.text is None or could_hold.search(source.text)):
                found.append(Evidence(source.rel, 0, f"cannot read: {source.error}"))
            elif source.parsed is not None and source.parsed.recovered:
                lines = source.parsed.source.decode("utf-8", errors="replace").splitlines()
                found += [Evidence(source.rel, region.line, f"not read: tree-sitter could not parse {region} "
                                                            f"({source.parsed.confirmed_by} parses the file)")
                          for region in source.parsed.recovered
                          if could_hold is None or could_hold.search("\n".join(lines[region.line - 1:region.end_line]))]
        return found

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
        source.error, source.text = reason, text
        return source
    try:
        source.parsed = js.parse(text, path.suffix)
    except js.JsSyntaxError as error:
        source.error, source.text = str(error), text
    return source
