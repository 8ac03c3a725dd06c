"""esbuild parses it => we read it, on real-world code: the sources real npm packages ship, fetched at test time.

The packages (exact versions) are fetched once with `npm pack` into ~/.cache/recovery-harness/parse-corpus/ and
never committed. Each JS/TS file the tools would read (source_files: no node_modules, dist or build folders,
no *.min.*; generated files by minified_reason are counted apart) is given to esbuild (one Node process, the
transform API) and to js.parse (in process, as AppSource reads it). Not one file esbuild parses may be lost.
"""

from __future__ import annotations

import fcntl
import hashlib
import tarfile
from collections import Counter
from pathlib import Path

import pytest

from recovery_tools.node import NodeSetupError, find_node
from recovery_tools.source import js
from recovery_tools.source.esbuild import LOADERS, EsbuildUnavailable, esbuild
from recovery_tools.source.files import minified_reason, source_files

# Packages that ship their sources: TypeScript (.ts, .d.ts, .cts), TSX, JSX in .jsx and in .js, plain JS.
PACKAGES = (
    "rxjs@7.8.2", "zod@4.6.7", "effect@4.1.5", "mobx@7.1.3", "@trpc/server@11.25.2",
    "@tanstack/query-core@5.108.4", "@tanstack/react-query@5.108.4", "@tanstack/router-core@1.171.39",
    "@tanstack/react-router@1.170.46", "react-native-gesture-handler@3.5.0", "react-native-screens@4.30.1",
    "@react-navigation/native@7.5.1", "@react-navigation/stack@7.12.1", "@docusaurus/theme-classic@3.10.2",
    "lodash-es@4.18.1", "preact@11.2.0", "create-vite@9.3.0", "create-redwood-app@8.9.0",
)
MINIMUM = 2000
# esbuild's own loader for each suffix (.js without JSX); LOADERS (ours) adds JSX to .js. A file either parses counts.
DEFAULT_LOADERS = {".js": "js", ".mjs": "js", ".cjs": "js", ".jsx": "jsx", ".ts": "ts", ".mts": "ts", ".cts": "ts",
                   ".tsx": "tsx"}


def corpus_dir() -> Path:
    """The unpacked packages, fetched by npm at first use; a failure fails the test with npm's reason."""
    key = hashlib.sha256("\n".join(PACKAGES).encode()).hexdigest()[:12]
    folder = Path.home() / ".cache" / "recovery-harness" / "parse-corpus" / key
    done = folder / ".complete"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            _fetch(folder)
            done.write_text("\n".join(PACKAGES) + "\n")
    return folder


def _fetch(folder: Path) -> None:
    import subprocess

    try:
        runtime = find_node()
    except NodeSetupError as error:
        pytest.fail(f"the parse corpus needs npm: {error}")
    tarballs = folder / "tarballs"
    tarballs.mkdir(exist_ok=True)
    done = subprocess.run([*runtime.npm, "pack", "--loglevel=error", "--fetch-retries=1", "--pack-destination",
                           str(tarballs), *PACKAGES], capture_output=True, text=True, timeout=600, env=runtime.env())
    if done.returncode != 0:
        # npm's first message line, not its code/errno/syscall lines, stack frames or the log's path
        said = (line.removeprefix("npm error ") for line in done.stderr.splitlines() if line.startswith("npm error "))
        noise = ("code ", "syscall ", "errno ", "A complete log", " ")
        why = next((line for line in said if line and not line.startswith(noise)), "no reason given")
        pytest.fail(f"npm pack could not fetch the parse corpus (exit {done.returncode}): {why}")
    names = done.stdout.split()
    assert len(names) == len(PACKAGES), done.stdout
    for spec, name in zip(PACKAGES, names, strict=True):
        target = folder / "packages" / spec.replace("/", "+")
        with tarfile.open(tarballs / name) as archive:
            archive.extractall(target, filter="data")
        (tarballs / name).unlink()


def test_every_file_esbuild_parses_is_read(capsys: pytest.CaptureFixture[str]) -> None:
    root = corpus_dir() / "packages"
    files, generated = [], 0
    for package in sorted(root.iterdir()):
        for path in source_files(package, js.JS_SUFFIXES):
            if minified_reason(path.read_text(encoding="utf-8", errors="replace")):
                generated += 1  # the tools leave generated code out on purpose (AppSource says so)
            else:
                files.append(path)
    try:
        tool = esbuild()
    except EsbuildUnavailable as error:
        pytest.fail(f"the differential test needs esbuild: {error}")
    by_default, by_ours = tool.transform_files(files, DEFAULT_LOADERS), tool.transform_files(files, LOADERS)
    parses = [path for path in files if by_default[path] is None or by_ours[path] is None]
    jsx_in_js = sum(1 for p in parses if p.suffix in (".js", ".mjs", ".cjs") and by_default[p] is not None)
    assert len(parses) >= MINIMUM, f"only {len(parses)} files esbuild parses: the corpus is too small"

    status: Counter[str] = Counter()
    lost: list[str] = []
    recovered_lines = lines_of_recovered = 0
    for path in parses:
        text = path.read_text(encoding="utf-8")
        try:
            parsed = js.parse(text, path.suffix)
        except js.JsSyntaxError as error:
            lost.append(f"{path.relative_to(root)}: {error}")
            continue
        status[parsed.status] += 1
        if parsed.recovered:
            recovered_lines += sum(r.end_line - r.line + 1 for r in parsed.recovered)
            lines_of_recovered += text.count("\n") + 1
    kinds = Counter(p.suffix for p in parses)
    read = len(parses) - len(lost)
    figure = (f"every valid file read: {read}/{len(parses)} files esbuild {tool.version} parses "
              f"({100 * read / len(parses):.1f} %), {len(lost)} lost; tree-sitter clean {status['clean']}, "
              f"bare & in JSX text read as text {status['repaired']}, read with recovered regions "
              f"{status['recovered']} ({recovered_lines} of their {lines_of_recovered} lines); "
              f"suffixes {dict(sorted(kinds.items()))}, JSX in .js {jsx_in_js}; esbuild rejects "
              f"{len(files) - len(parses)}; generated, not read {generated}; {len(PACKAGES)} npm packages")
    with capsys.disabled():
        print(f"\n{figure}")
    assert lost == [], "\n".join(lost[:20])
    assert {".ts", ".tsx", ".js", ".jsx"} <= set(kinds) and jsx_in_js > 0
