"""The load check: the real npm esbuild bundles real files; every error it finds is named with file, line, column."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from recovery_tools.detect.load import LoadMessage, check_load, module_format
from recovery_tools.node import find_node
from recovery_tools.source.esbuild import VERSION
from tests.detect.conftest import APPS, line_of, write

UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused at once
TOOL = f"esbuild {VERSION}"


def test_a_name_exported_twice_is_named_with_its_file_and_line() -> None:
    app = APPS / "unloadable"
    check = check_load(app, [Path("api/health.mjs"), Path("api/cron/process-workflows.js")])
    module = "api/lib/statusReport.mjs"
    line = line_of(app / module, "export { summarize };")
    assert check.errors == (LoadMessage(module, line, 10, 'Multiple exports with the same name "summarize"'),)
    assert not check.ok and check.status == "errors" and check.tool == TOOL
    assert check.formats == {"api/health.mjs": "esm", "api/cron/process-workflows.js": "cjs"}
    assert check.to_dict() == {
        "ok": False, "tool": TOOL, "warnings": [], "inconclusive": False, "reason": None,
        "entry_points": ["api/health.mjs", "api/cron/process-workflows.js"],
        "errors": [{"file": module, "line": line, "column": 10,
                    "message": 'Multiple exports with the same name "summarize"'}]}


def test_node_itself_refuses_the_module_the_check_names() -> None:
    """The finding is Node's own verdict, not only esbuild's: importing the entry point is a SyntaxError."""
    node = find_node()
    done = subprocess.run([node.node, "--input-type=module", "-e", "await import('./api/health.mjs')"],
                          cwd=APPS / "unloadable", capture_output=True, text=True, timeout=60, env=node.env())
    assert done.returncode != 0
    assert "SyntaxError: Duplicate export of 'summarize'" in done.stderr


def test_the_healthy_app_loads() -> None:
    check = check_load(APPS / "healthy", [APPS / "healthy" / "api" / "cron" / "process-workflows.js"])
    assert check.ok and check.status == "ok" and check.errors == () and check.warnings == ()
    assert check.summary() == f"loads: 1 entry point(s) bundled by {TOOL}"


def test_every_kind_of_load_error_has_a_place(tmp_path: Path) -> None:
    """Errors in reading the files (esbuild reports them all, and stops before linking)."""
    root = write(tmp_path, {
        "package.json": '{"type": "module"}',
        "api/index.js": ("import { run } from './lib/jobs.js';\nimport './lib/missing.js';\n"
                         "import './lib/syntax.js';\nimport './lib/twice.js';\nexport default () => run(1);\n"),
        "api/lib/jobs.js": "export function run(x) {\n  const drafts = [];\n  drafts = [x];\n  return drafts;\n}\n",
        "api/lib/syntax.js": "export const a = {\n  b: 1,\n  c 2,\n};\n",
        "api/lib/twice.js": "let total = 0;\n\nconst label = 'café'; let total = 1;\nexport { label, total };\n",
    })
    check = check_load(root, [Path("api/index.js")])
    assert sorted(check.errors, key=lambda e: e.file) == [
        LoadMessage("api/index.js", 2, 8, 'Could not resolve "./lib/missing.js"'),
        LoadMessage("api/lib/jobs.js", 3, 3, 'Cannot assign to "drafts" because it is a constant'),
        LoadMessage("api/lib/syntax.js", 3, 5, 'Expected "}" but found "2"'),
        # `é` is two bytes in UTF-8: the column counts characters
        LoadMessage("api/lib/twice.js", 3, 27, 'The symbol "total" has already been declared'),
    ]


def test_a_name_imported_but_not_exported_is_a_link_error(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "api/package.json": '{"type": "module"}',
        "api/index.js": "import { gone } from './lib/names.js';\nexport default () => gone;\n",
        "api/lib/names.js": "export const here = 1;\n",
    })
    check = check_load(root, [Path("api/index.js")])
    assert check.errors == (
        LoadMessage("api/index.js", 1, 10, 'No matching export in "api/lib/names.js" for import "gone"'),)


def test_warnings_that_mean_a_bug_are_kept_and_style_notes_are_not(tmp_path: Path) -> None:
    root = write(tmp_path, {
        "server.js": ("class Jobs {\n  list() { return 1; }\n  list() { return 2; }\n}\n"
                      "const options = { retries: 3, retries: 5 };\n"
                      "function kind(x) {\n  switch (x) {\n    case 1: return 'a';\n    case 1: return 'b';\n  }\n}\n"
                      "if (typeof options === 'strng') eval('1');\n"
                      "module.exports = { Jobs, options, kind };\n"),
    })
    check = check_load(root, [root / "server.js"])
    assert check.ok, check.errors
    assert [(w.line, w.message) for w in check.warnings] == [
        (3, 'Duplicate member "list" in class body'),
        (5, 'Duplicate key "retries" in object literal'),
        (9, "This case clause will never be evaluated because it duplicates an earlier case clause"),
        (12, 'The "typeof" operator will never evaluate to "strng"'),
    ]  # direct eval (line 12 too) is a note about bundling, not a bug: left out


def test_the_format_is_the_apps_own(tmp_path: Path) -> None:
    """Top-level await loads in an ESM package and not in a CommonJS one: the check follows package.json."""
    handler = "const config = await Promise.resolve({ ok: true });\nexport default () => config;\n"
    root = write(tmp_path, {"api/package.json": '{"type": "module"}', "api/cron.js": handler,
                            "scripts/cron.js": handler, "scripts/tool.mjs": handler})
    assert module_format(root, root / "api/cron.js") == "esm"
    assert module_format(root, root / "scripts/cron.js") == "cjs"
    assert module_format(root, root / "scripts/tool.mjs") == "esm"
    check = check_load(root, [Path("api/cron.js"), Path("scripts/cron.js"), Path("scripts/tool.mjs")])
    assert [(e.file, e.line) for e in check.errors] == [("scripts/cron.js", 1)]
    assert 'Top-level await is currently not supported with the "cjs" output format' in check.errors[0].message


def test_a_missing_entry_point_is_an_error(tmp_path: Path) -> None:
    root = write(tmp_path, {"api/a.js": "module.exports = 1;\n"})
    check = check_load(root, [Path("api/a.js"), Path("api/gone.js")])
    assert check.errors == (LoadMessage("api/gone.js", 0, 0, "entry point not found"),)
    assert str(check.errors[0]) == "api/gone.js: entry point not found"


def test_without_esbuild_the_check_is_inconclusive_in_one_line(monkeypatch: pytest.MonkeyPatch,
                                                              tmp_path: Path) -> None:
    monkeypatch.setenv("HARNESS_NODE_CACHE", str(tmp_path / "cache"))  # nothing installed there
    monkeypatch.setenv("npm_config_registry", UNREACHABLE)
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))
    check = check_load(APPS / "unloadable", [Path("api/health.mjs")])
    assert check.inconclusive and not check.ok and check.status == "inconclusive" and check.tool == ""
    assert check.reason == (f"cannot install esbuild@{VERSION}: npm's registry {UNREACHABLE} cannot be reached "
                            "(ECONNREFUSED); the tools' esbuild comes from it at first use")
    assert check.summary() == f"load check inconclusive: {check.reason}"
    assert json.loads(json.dumps(check.to_dict()))["reason"] == check.reason


def test_the_apps_own_aliases_are_followed_and_packages_stay_external(tmp_path: Path) -> None:
    """tsconfig `paths` and package.json `imports` lead to the app's files (checked); npm packages, installed or
    not, and Node's builtins are not bundled."""
    root = write(tmp_path, {
        "tsconfig.json": '{\n  // comments are fine\n  "compilerOptions": {"paths": {"~/*": ["./app/*"]}},\n}\n',
        "package.json": '{"type": "module", "imports": {"#lib/*": "./app/lib/*"}}',
        "app/entry.ts": ("import fs from 'node:fs';\nimport path from 'path';\nimport express from 'express';\n"
                         "import JSONStream from 'JSONStream';\nimport { Queue } from '@scope/not-installed/sub';\n"
                         "import { a } from '~/lib/a';\nimport { b } from '#lib/b.js';\n"
                         "import { gone } from '~/lib/c';\n"
                         "export default () => [fs, path, express, JSONStream, Queue, a, b, gone];\n"),
        "app/lib/a.ts": "export const a = 1;\n",
        "app/lib/b.js": "export const b = 2;\n",
        "app/lib/c.ts": "export const c = 3;\n",
    })
    check = check_load(root, [Path("app/entry.ts")])
    missing_name = 'No matching export in "app/lib/c.ts" for import "gone"'
    assert check.errors == (LoadMessage("app/entry.ts", 8, 10, missing_name),)
    (root / "app/lib/c.ts").unlink()
    check = check_load(root, [Path("app/entry.ts")])
    assert check.errors == (LoadMessage("app/entry.ts", 8, 22, 'Could not resolve "~/lib/c"'),)
