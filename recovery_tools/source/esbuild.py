"""esbuild from npm (one pinned version, installed at first use into the harness cache) as the tools call it."""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from recovery_tools.node import NodePackage, NodeRuntime, NodeSetupError, cache_root, ensure_package, find_node

VERSION = "0.28.2"
PACKAGE = NodePackage(folder=f"esbuild-{VERSION}", name="esbuild", specs=(f"esbuild@{VERSION}",),
                      version_prefix=VERSION, purpose="the tools' esbuild comes from it at first use")
HOST = Path(__file__).with_name("esbuild_host.cjs")
TIMEOUT = 300.0
# esbuild's loader for each suffix the tools read; .js may hold JSX (tree-sitter's JavaScript grammar reads it too).
LOADERS = {".js": "jsx", ".mjs": "jsx", ".cjs": "jsx", ".jsx": "jsx", ".ts": "ts", ".mts": "ts", ".cts": "ts",
           ".tsx": "tsx"}
_CLI_ERROR = re.compile(r"\[ERROR\] (?P<text>.*)")
_CLI_WHERE = re.compile(r"<stdin>:(?P<line>\d+):(?P<column>\d+):")


class EsbuildUnavailable(Exception):
    """esbuild cannot be had here (no Node or npm, the registry unreachable); the message is one line."""


class EsbuildFailed(Exception):
    """esbuild ran but did not answer as expected (it crashed or timed out); the message is one line."""


@dataclass(frozen=True)
class Esbuild:
    """An installed esbuild: its native binary and the node_modules folder its JS API is loaded from."""

    runtime: NodeRuntime
    node_modules: Path

    @property
    def version(self) -> str:
        return VERSION

    @property
    def tool(self) -> str:
        return f"esbuild {VERSION}"

    @property
    def binary(self) -> Path:
        return self.node_modules / "esbuild" / "bin" / "esbuild"

    def syntax_error(self, text: str, loader: str) -> str | None:
        """None when `text` parses with `loader`, else esbuild's first error as `line L:C: message`."""
        argv = [str(self.binary), f"--loader={loader}", "--log-level=error", "--log-limit=1", "--color=false"]
        try:
            done = subprocess.run(argv, input=text.encode("utf-8"), capture_output=True, timeout=60,
                                  env=self.runtime.env())
        except (OSError, subprocess.TimeoutExpired) as error:
            raise EsbuildFailed(f"{self.tool} did not run: {error}") from None
        if done.returncode == 0:
            return None
        out = done.stderr.decode("utf-8", errors="replace")
        what, where = _CLI_ERROR.search(out), _CLI_WHERE.search(out)
        if what is None:
            raise EsbuildFailed(f"{self.tool} exited {done.returncode} without an error message")
        at = f"line {where['line']}:{int(where['column']) + 1}: " if where else ""
        return at + what["text"].strip().rstrip(":")

    def host(self, mode: str, request: dict[str, Any]) -> dict[str, Any]:
        """Run esbuild_host.cjs in `mode` ("build" or "transform") on one JSON request."""
        argv = [self.runtime.node, str(HOST), str(self.node_modules), mode]
        try:
            done = subprocess.run(argv, input=json.dumps(request), capture_output=True, text=True, timeout=TIMEOUT,
                                  env=self.runtime.env())
        except subprocess.TimeoutExpired:
            raise EsbuildFailed(f"{self.tool} did not finish in {TIMEOUT:.0f}s") from None
        if done.returncode != 0:
            last = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
            raise EsbuildFailed(f"{self.tool} failed: {last}")
        answer: dict[str, Any] = json.loads(done.stdout)
        return answer

    def transform_files(self, files: list[Path], loaders: dict[str, str] | None = None) -> dict[Path, str | None]:
        """For each file, None when it parses in esbuild with its suffix's loader (LOADERS unless given), else
        the first error; one Node process for all of them."""
        table = LOADERS if loaders is None else loaders
        request = {"files": [{"path": str(path), "loader": table.get(path.suffix.lower(), "js")} for path in files]}
        answer = self.host("transform", request)
        return {Path(item["path"]): item["error"] for item in answer["results"]}


@cache
def _installed(cache: Path, path: str) -> Esbuild:
    """Found once per cache folder and PATH (a failure is not remembered: the next call tries again)."""
    runtime = find_node()
    return Esbuild(runtime, ensure_package(PACKAGE, runtime))


def esbuild() -> Esbuild:
    """The pinned esbuild, installed by npm at first use; EsbuildUnavailable (one line) when it cannot be had."""
    try:
        return _installed(cache_root(), os.environ.get("PATH", ""))
    except NodeSetupError as error:
        raise EsbuildUnavailable(str(error)) from None


def loader_for(suffix: str) -> str:
    return LOADERS.get(suffix.lower(), "jsx")
