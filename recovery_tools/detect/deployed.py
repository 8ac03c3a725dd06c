"""The deployed set: the JS/TS files a deployment runs, from the app's entry points followed through its imports.

Entry points, first found wins: `--entry` files; else, per Vercel project (the root and each folder with a
`vercel.json`), `vercel.json`'s `functions` keys (globs), `crons` paths and `rewrites` destinations mapped to
files, its legacy `builds` (which turn the `api/` convention off), and Vercel's zero-config `api/` convention:
every `api/**/*.{js,mjs,ts,tsx}` whose path has no segment starting with `_` or `.`, not `.d.ts`, not in
node_modules (@vercel/fs-detectors' detect-builders; Vercel's docs: files starting with `_` or `.` and `.d.ts`
files are not turned into functions). Nested folders of `api/` are functions too. Without any of those, the root
package.json's `main`, `exports` and the files `scripts.start` runs. Without any entry point every file counts.

Imports followed: static `import`, `export ... from`, `require('x')`, `import('x')` and TypeScript's
`import x = require('x')` with a literal; relative paths with Node's extension and `index` resolution (and
TypeScript's `./x.js` -> `x.ts`), package.json `imports` (`#x`), tsconfig/jsconfig `paths` and `baseUrl`.
Bare package names are dependencies, not followed.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from recovery_tools.detect.syntax import string_value
from recovery_tools.source.js import Parsed

if TYPE_CHECKING:
    from recovery_tools.detect.app import AppSource, SourceFile

# Vercel's @vercel/node zero-config pattern: api/**/*.+(js|mjs|ts|tsx)
API_SUFFIXES = (".js", ".mjs", ".ts", ".tsx")
# Node's and TypeScript's extension lookup order for a specifier without one.
EXTENSIONS = (".js", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts", ".jsx")
_TS_FOR_JS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_CONDITIONS = ("node", "import", "require", "default")
# Where a file of a deploy config or of the convention named the entry point: ranked, config before convention.
CONFIGURED, CONVENTION = 0, 1
_LOAD = re.compile(rb"\b(?:require|import)\s*\(")
# For a file that does not parse: its specifiers read from the text.
_TEXT_SPECIFIERS = re.compile(
    r"""(?:^|[\s;])(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]"""
    r"""|(?:^|[\s;])import\s*['"]([^'"]+)['"]"""
    r"""|\b(?:require|import)\s*\(\s*['"]([^'"]+)['"]\s*\)""", re.MULTILINE)


class EntryError(Exception):
    """An `--entry` that is not a JS/TS file of the app."""


@dataclass(frozen=True)
class EntryPoint:
    rel: str
    found_by: str  # "--entry", "vercel.json functions", "api/ convention", "package.json main", ...
    rank: int = CONFIGURED


@dataclass
class DeployedSet:
    """The entry points, and for each deployed file the file that first imports it (None for an entry point)."""

    entries: list[EntryPoint]
    parent: dict[str, str | None] = field(default_factory=dict)
    order: dict[str, tuple[int, int]] = field(default_factory=dict)  # rel -> (entry's rank, imports deep)
    every_file: bool = False  # no entry point found: every JS/TS file counts as deployed
    all_files: tuple[str, ...] = ()
    resolver: Resolver | None = None  # how the app's imports resolve (for detectors that follow one)

    def __contains__(self, rel: object) -> bool:
        return self.every_file or rel in self.parent

    @property
    def deployed(self) -> list[str]:
        if self.every_file:
            return list(self.all_files)
        return sorted(self.parent, key=lambda rel: (*self.order[rel], rel))

    @property
    def not_deployed(self) -> list[str]:
        return [] if self.every_file else [rel for rel in self.all_files if rel not in self.parent]

    def import_path(self, rel: str) -> list[str]:
        """entry -> ... -> `rel`, the shortest chain of imports from the highest-ranked entry reaching it; []
        when `rel` is not deployed (or every file counts because no entry point was found)."""
        if rel not in self.parent:
            return []
        chain = [rel]
        while (previous := self.parent[chain[-1]]) is not None:
            chain.append(previous)
        return chain[::-1]

    def rank(self, rel: str) -> tuple[int, int, str]:
        """Sort key: files reached from configured entry points first, then by how many imports deep."""
        return (*self.order.get(rel, (2, 0)), rel)

    def summary(self) -> str:
        if self.every_file:
            return (f"scope: no entry point found (vercel.json, api/, package.json main/exports/start): all "
                    f"{len(self.all_files)} JS/TS files read")
        configured = [e.rel for e in self.entries if e.rank == CONFIGURED]
        named = ", ".join(configured[:4]) + (", ..." if len(configured) > 4 else "")
        by_convention = len(self.entries) - len(configured)
        given = "given with --entry" if any(e.found_by == "--entry" for e in self.entries) else "configured"
        how = (f"{len(configured)} {given} ({named})" if configured else "") + (
            f"{', ' if configured else ''}{by_convention} by the api/ convention" if by_convention else "")
        return (f"scope: {len(self.parent)} deployed JS/TS files reached from entry points {how}; "
                f"{len(self.not_deployed)} not deployed, never evidence")

    def to_dict(self) -> dict[str, object]:
        return {"entry_points": [e.rel for e in self.entries],
                "found_by": {e.rel: e.found_by for e in self.entries},
                "deployed": len(self.all_files) if self.every_file else len(self.parent),
                "not_deployed": self.not_deployed}


def entry_points(app: AppSource) -> list[Path]:
    """The app's entry points (its `--entry` files when given), as absolute paths: what a bundler should bundle."""
    return [app.root / entry.rel for entry in app.scope.entries]


def build(app: AppSource, entries: Iterable[Path] = ()) -> DeployedSet:
    """The deployed set of `app`; `entries` (absolute, or relative to the app's root) replace the found ones."""
    files = {source.rel: source for source in app.files}
    resolver = Resolver(app.root, set(files))
    given = list(entries)
    found = _given(app, given, files) if given else _configured(app, resolver, files)
    scope = DeployedSet(found, all_files=tuple(files), resolver=resolver)
    if not found:
        scope.every_file = True
        return scope
    # Breadth first, configured entries before convention ones: each file's chain starts at the best entry.
    for rank in sorted({e.rank for e in found}):
        queue: deque[str] = deque()
        for entry in found:
            if entry.rank == rank and entry.rel not in scope.parent:
                scope.parent[entry.rel], scope.order[entry.rel] = None, (rank, 0)
                queue.append(entry.rel)
        while queue:
            rel = queue.popleft()
            depth = scope.order[rel][1]
            for specifier in specifiers(files[rel]):
                target = resolver.resolve(specifier, rel)
                if target is not None and target not in scope.parent:
                    scope.parent[target], scope.order[target] = rel, (rank, depth + 1)
                    queue.append(target)
    return scope


def _given(app: AppSource, given: list[Path], files: dict[str, SourceFile]) -> list[EntryPoint]:
    found = []
    for path in given:
        full = path if path.is_absolute() else app.root / path
        if not full.is_file() and path.is_file():
            full = path.resolve()  # relative to the working directory
        rel = app.rel(full)
        if rel not in files:
            raise EntryError(f"--entry {path}: not a JS/TS file of the app under {app.root}")
        found.append(EntryPoint(rel, "--entry"))
    return list(dict.fromkeys(found))


def _configured(app: AppSource, resolver: Resolver, files: dict[str, SourceFile]) -> list[EntryPoint]:
    found: dict[str, EntryPoint] = {}

    def add(rel: str | None, found_by: str, rank: int = CONFIGURED) -> None:
        if rel is not None and rel in files and (rel not in found or found[rel].rank > rank):
            found[rel] = EntryPoint(rel, found_by, rank)

    projects = {"": None} | {_dir(app.rel(config)): config for config in app.find("vercel.json")}
    for project, config in projects.items():
        convention = True
        document = app.read_json(config)[0] if config is not None else None
        if isinstance(document, dict):
            for pattern in _keys(document.get("functions")):
                regex = glob_regex(_join(project, pattern))
                for rel in files:
                    if regex.fullmatch(rel):
                        add(rel, "vercel.json functions")
            for cron in _list(document.get("crons")):
                if isinstance(cron, dict):
                    add(resolver.route(project, cron.get("path")), "vercel.json crons")
            for rewrite in _list(document.get("rewrites")) + _list(document.get("routes")):
                if isinstance(rewrite, dict):
                    add(resolver.route(project, rewrite.get("destination", rewrite.get("dest"))),
                        "vercel.json rewrites")
            builds = _list(document.get("builds"))
            if builds:
                convention = False  # legacy `builds` replace zero-config detection
                for build_entry in builds:
                    if isinstance(build_entry, dict) and "node" in str(build_entry.get("use", "")):
                        regex = glob_regex(_join(project, str(build_entry.get("src", ""))))
                        for rel in files:
                            if regex.fullmatch(rel):
                                add(rel, "vercel.json builds")
        if convention:
            for rel in files:
                if is_vercel_function(rel, project):
                    add(rel, "api/ convention", CONVENTION)
    if not found:
        _package_entries(app, resolver, add)
    return sorted(found.values(), key=lambda e: (e.rank, e.rel))


def _package_entries(app: AppSource, resolver: Resolver, add: Any) -> None:
    package = app.root / "package.json"
    document = app.read_json(package)[0] if package.is_file() else None
    if not isinstance(document, dict):
        return
    if isinstance(document.get("main"), str):
        add(resolver.source_of(document["main"]), "package.json main")
    for target in _strings(document.get("exports")):
        if "*" not in target:
            add(resolver.source_of(target), "package.json exports")
    scripts = document.get("scripts")
    start = scripts.get("start") if isinstance(scripts, dict) else None
    if isinstance(start, str):
        for token in re.split(r"[\s;&|]+", start):
            if token and not token.startswith("-") and Path(token).suffix.lower() in EXTENSIONS:
                add(resolver.source_of(token), "package.json scripts.start")


def is_vercel_function(rel: str, project: str = "") -> bool:
    """Vercel's zero-config rule for a file of a project rooted at `project` ("" for the repository root)."""
    prefix = f"{project}/api/" if project else "api/"
    if not rel.startswith(prefix) or rel.endswith(".d.ts") or not rel.endswith(API_SUFFIXES):
        return False
    return not any(part.startswith(("_", ".")) or part == "node_modules" for part in rel[len(prefix):].split("/"))


def specifiers(source: SourceFile) -> list[str]:
    """The module specifiers a file loads with a literal (in source order, each once)."""
    if source.parsed is None:
        text = source.text or ""
        return list(dict.fromkeys(next(g for g in m.groups() if g) for m in _TEXT_SPECIFIERS.finditer(text)
                                  if not m.group(0).lstrip(" \t\r\n;").startswith(("import type ", "export type "))))
    return list(dict.fromkeys(_parsed_specifiers(source.parsed)))


def _parsed_specifiers(parsed: Parsed) -> Iterable[str]:
    found: list[tuple[int, str]] = []
    for statement in parsed.root.named_children:
        if statement.type in ("import_statement", "export_statement"):
            if parsed.text(statement).startswith(("import type ", "export type ")):
                continue  # TypeScript erases type-only imports
            source = statement.child_by_field_name("source")
            if source is None:
                clause = next((c for c in statement.named_children if c.type == "import_require_clause"), None)
                source = clause.child_by_field_name("source") if clause is not None else None
            value = string_value(source)
            if value is not None:
                found.append((statement.start_byte, value))
    for match in _LOAD.finditer(parsed.source):
        node = parsed.root.named_descendant_for_byte_range(match.start(), match.start() + 1)
        call = node.parent if node is not None else None
        if call is None or call.type != "call_expression" or call.child_by_field_name("function") != node:
            continue
        arguments = call.child_by_field_name("arguments")
        first = arguments.named_children[0] if arguments is not None and arguments.named_children else None
        value = string_value(first)
        if value is not None:
            found.append((call.start_byte, value))
    return (value for _, value in sorted(found))


class Resolver:
    """Node's and TypeScript's module resolution over the app's own files (paths relative to the root, posix)."""

    def __init__(self, root: Path, files: set[str]) -> None:
        self.root = root
        self.files = files
        self._json: dict[str, Any] = {}
        self._cache: dict[tuple[str, str], str | None] = {}

    def resolve(self, specifier: str, importer: str) -> str | None:
        key = (_dir(importer), specifier)
        if key not in self._cache:
            self._cache[key] = self._resolve(specifier, key[0])
        return self._cache[key]

    def _resolve(self, specifier: str, folder: str) -> str | None:
        specifier = specifier.split("?", 1)[0]
        if specifier.startswith(("./", "../")) or specifier in (".", ".."):
            return self.file(_join(folder, specifier))
        if specifier.startswith("/"):
            return self.file(specifier.lstrip("/"))
        if specifier.startswith("#"):
            return self._package_import(specifier, folder)
        if specifier.startswith("node:"):
            return None
        return self._ts_paths(specifier, folder)

    def file(self, candidate: str) -> str | None:
        """The file a path names: itself, with an extension added, TypeScript's source of a `.js`, or its
        folder's package.json `main` / `index`."""
        candidate = posixpath.normpath(candidate)
        if candidate.startswith("../") or candidate == "..":
            return None
        candidate = "" if candidate == "." else candidate
        if candidate in self.files:
            return candidate
        stem, suffix = posixpath.splitext(candidate)
        for ts in _TS_FOR_JS.get(suffix, ()):
            if stem + ts in self.files:
                return stem + ts
        for extension in EXTENSIONS:
            if candidate + extension in self.files:
                return candidate + extension
        package = self._read(_join(candidate, "package.json"))
        if isinstance(package, dict) and isinstance(package.get("main"), str):
            main = _join(candidate, package["main"])
            if posixpath.normpath(main) != candidate:
                found = self.file(main)
                if found is not None:
                    return found
        for extension in EXTENSIONS:
            index = _join(candidate, "index" + extension)
            if index in self.files:
                return index
        return None

    def source_of(self, path: str) -> str | None:
        """The app's file a package.json path names; a path in the TypeScript build output (tsconfig `outDir`,
        e.g. `dist/src/server.js`) maps back to its source under `rootDir` (`src/server.ts`)."""
        found = self.file(posixpath.normpath(path))
        options = self._compiler_options("tsconfig.json") if found is None else None
        out = options.get("outDir") if options else None
        if isinstance(out, str):
            out, path = posixpath.normpath(out), posixpath.normpath(path)
            if path.startswith(out + "/"):
                found = self.file(_join(str(options.get("rootDir", ".") if options else "."), path[len(out) + 1:]))
        return found

    def route(self, project: str, url: object) -> str | None:
        """The file a Vercel route path serves (`/api/x` -> api/x.js), or None (a URL, a pattern, a page)."""
        if not isinstance(url, str) or not url.startswith("/") or re.search(r"[:$()*\[]", url):
            return None
        path = url.split("?", 1)[0].split("#", 1)[0].strip("/")
        return self.file(_join(project, path)) if path else None

    def _package_import(self, specifier: str, folder: str) -> str | None:
        for directory in _up(folder):
            package = self._read(_join(directory, "package.json"))
            if not isinstance(package, dict):
                continue
            imports = package.get("imports")
            target = _pattern_target(imports, specifier) if isinstance(imports, dict) else None
            return self.file(_join(directory, target)) if target else None  # the nearest package.json decides
        return None

    def _ts_paths(self, specifier: str, folder: str) -> str | None:
        for directory in _up(folder):
            for name in ("tsconfig.json", "jsconfig.json"):
                options = self._compiler_options(_join(directory, name))
                if options is None:
                    continue
                base = _join(directory, str(options.get("baseUrl", ".")))
                paths = options.get("paths")
                for pattern, targets in (paths.items() if isinstance(paths, dict) else ()):
                    star = _match(pattern, specifier)
                    if star is None:
                        continue
                    for target in targets if isinstance(targets, list) else [targets]:
                        if isinstance(target, str):
                            found = self.file(_join(base, target.replace("*", star, 1)))
                            if found is not None:
                                return found
                if "baseUrl" in options:
                    return self.file(_join(base, specifier))
                return None  # the nearest config decides
        return None

    def _compiler_options(self, rel: str) -> dict[str, Any] | None:
        document = self._read(rel)
        if not isinstance(document, dict):
            return None
        options = document.get("compilerOptions")
        options = dict(options) if isinstance(options, dict) else {}
        parent = document.get("extends")
        if isinstance(parent, str) and parent.startswith("."):  # a local base config (one level)
            base_rel = _join(_dir(rel), parent if parent.endswith(".json") else parent + ".json")
            base = self._read(base_rel)
            inherited = base.get("compilerOptions") if isinstance(base, dict) else None
            if isinstance(inherited, dict):
                if "baseUrl" in inherited and "baseUrl" not in options:
                    options["baseUrl"] = _join(posixpath.relpath(_dir(base_rel) or ".", _dir(rel) or "."),
                                               inherited["baseUrl"])
                options = {**inherited, **options}
        return options

    def _read(self, rel: str) -> Any:
        if rel not in self._json:
            path = self.root / rel
            self._json[rel] = _lenient_json(path.read_text(encoding="utf-8")) if path.is_file() else None
        return self._json[rel]


def _lenient_json(text: str) -> Any:
    """JSON with comments and trailing commas (tsconfig.json's dialect); None when it still does not parse."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    stripped = re.sub(r'("(?:\\.|[^"\\])*")|//[^\n]*|/\*.*?\*/', lambda m: m.group(1) or "", text, flags=re.S)
    stripped = re.sub(r",(\s*[}\]])", r"\1", stripped)
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        return None


def _pattern_target(mapping: dict[str, Any], specifier: str) -> str | None:
    """package.json `imports`: an exact key, else the longest `prefix*suffix` key; conditions picked in Node's
    order for a server (node, import, require, default)."""
    if specifier in mapping:
        return _condition(mapping[specifier])
    best: tuple[int, str, str] | None = None
    for key in mapping:
        star = _match(key, specifier) if "*" in key else None
        if star is not None and (best is None or len(key) > best[0]):
            best = (len(key), key, star)
    if best is None:
        return None
    target = _condition(mapping[best[1]])
    return target.replace("*", best[2]) if target else None


def _condition(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return next((t for t in map(_condition, value) if t), None)
    if isinstance(value, dict):
        return next((t for key in _CONDITIONS if key in value if (t := _condition(value[key]))), None)
    return None


def _match(pattern: str, specifier: str) -> str | None:
    """What `*` stands for when `specifier` matches `prefix*suffix` ("" for an exact match), else None."""
    if "*" not in pattern:
        return "" if pattern == specifier else None
    prefix, suffix = pattern.split("*", 1)
    if specifier.startswith(prefix) and specifier.endswith(suffix) and len(specifier) >= len(prefix) + len(suffix):
        return specifier[len(prefix):len(specifier) - len(suffix)]
    return None


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A Vercel `functions`/`builds` glob (`**`, `*`, `?`, `{a,b}`, `+(a|b)`) as a regex over posix paths."""
    out, i = [], 0
    pattern = pattern.lstrip("/")
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if pattern.startswith("**", i):
            out.append(".*")
            i += 2
            continue
        if char in "+@?*!" and pattern.startswith("(", i + 1):
            end = pattern.find(")", i)
            if end > 0:
                inner = "|".join(re.escape(p) for p in pattern[i + 2:end].split("|"))
                out.append(f"(?:{inner})" + {"+": "+", "*": "*", "?": "?"}.get(char, ""))
                i = end + 1
                continue
        if char == "*":
            out.append("[^/]*")
        elif char == "?":
            out.append("[^/]")
        elif char == "{" and "}" in pattern[i:]:
            end = pattern.index("}", i)
            out.append("(?:" + "|".join(re.escape(p) for p in pattern[i + 1:end].split(",")) + ")")
            i = end
        else:
            out.append(re.escape(char))
        i += 1
    return re.compile("".join(out))


def _strings(value: Any) -> list[str]:
    """Every string target of package.json `exports` (nested conditions included)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    return []


def _keys(value: Any) -> list[str]:
    return [str(key) for key in value] if isinstance(value, dict) else []


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _dir(rel: str) -> str:
    return posixpath.dirname(rel)


def _join(folder: str, path: str) -> str:
    return posixpath.normpath(posixpath.join(folder, path)) if folder else posixpath.normpath(path)


def _up(folder: str) -> Iterable[str]:
    """`folder` and each folder above it, up to the root ("")."""
    while True:
        yield folder
        if not folder:
            return
        folder = _dir(folder)
