"""The deployed set: entry points from vercel.json, Vercel's api/ convention, package.json or --entry, followed
through every kind of import Node and TypeScript resolve; what is not reached is never evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from recovery_tools.detect.app import AppSource, AppSourceError
from recovery_tools.detect.deployed import entry_points, glob_regex, is_vercel_function
from recovery_tools.detect.detection import detect_release
from tests.detect.conftest import write
from tests.detect.test_detect_release_cli import run


def read(root: Path, files: dict[str, str], *entries: str) -> AppSource:
    return AppSource.read(write(root, files), entries=[Path(e) for e in entries])


def test_relative_imports_resolve_like_node_and_typescript(tmp_path: Path) -> None:
    app = read(tmp_path, {
        "api/handler.ts": ("import a from './lib/a';\nexport * from '../shared';\nexport { c } from './c.cjs';\n"
                           "const d = require('./d');\nconst e = await import('./e.mjs');\n"
                           "import f from './f.js';\nimport type { T } from './types';\n"),
        "api/lib/a.ts": "export default 1;\n",            # extension added
        "shared/index.js": "module.exports = {};\n",       # a folder's index
        "api/c.cjs": "exports.c = 1;\n",
        "api/d/package.json": '{"main": "main.js"}',       # a folder's package.json main
        "api/d/main.js": "module.exports = 2;\n",
        "api/e.mjs": "export default 3;\n",
        "api/f.ts": "export default 4;\n",                 # TypeScript's `./f.js` -> f.ts
        "api/types.ts": "export type T = number;\n",       # type-only: erased, not loaded
        "unused.js": "module.exports = 5;\n",
    }, "api/handler.ts")
    scope = app.scope
    assert sorted(scope.deployed) == ["api/c.cjs", "api/d/main.js", "api/e.mjs", "api/f.ts", "api/handler.ts",
                                      "api/lib/a.ts", "shared/index.js"]
    assert scope.import_path("api/d/main.js") == ["api/handler.ts", "api/d/main.js"]
    assert set(scope.not_deployed) == {"api/types.ts", "unused.js"}
    assert entry_points(app) == [tmp_path.resolve() / "api/handler.ts"]


def test_package_imports_and_tsconfig_paths(tmp_path: Path) -> None:
    app = read(tmp_path, {
        "api/package.json": json.dumps({"type": "module", "imports": {
            "#db": "./src/db.js", "#lib/*": "./src/lib/*.js",
            "#cfg": {"node": "./src/config.node.js", "default": "./src/config.web.js"}}}),
        "api/src/server.js": "import db from '#db';\nimport { x } from '#lib/util';\nimport cfg from '#cfg';\n"
                             "import h from '@/helpers/h';\nimport b from 'lib/base';\n"
                             "import express from 'express';\n",
        "api/src/db.js": "export default {};\n",
        "api/src/lib/util.js": "export const x = 1;\n",
        "api/src/config.node.js": "export default {};\n",
        "api/src/config.web.js": "export default {};\n",
        "api/tsconfig.json": '{\n  // comments and a trailing comma, as tsconfig allows\n  "compilerOptions": {\n'
                             '    "baseUrl": "src",\n    "paths": { "@/*": ["./*"] },\n  },\n}\n',
        "api/src/helpers/h.ts": "export default 1;\n",
        "api/src/lib/base/index.ts": "export default 2;\n",
    }, "api/src/server.js")
    assert sorted(app.scope.deployed) == ["api/src/config.node.js", "api/src/db.js", "api/src/helpers/h.ts",
                                          "api/src/lib/base/index.ts", "api/src/lib/util.js", "api/src/server.js"]
    assert app.scope.not_deployed == ["api/src/config.web.js"]


VERCEL = {
    "vercel.json": json.dumps({
        "rewrites": [{"source": "/api/process-cron", "destination": "/api/process-cron"},
                     {"source": "/api/:path*", "destination": "/api/src/server.js"},
                     {"source": "/(.*)", "destination": "/index.html"}],
        "crons": [{"path": "/api/process-cron", "schedule": "*/5 * * * *"}],
        "functions": {"api/src/server.js": {"maxDuration": 30}, "api/jobs/*.ts": {"maxDuration": 60}}}),
    "api/process-cron.js": "import { run } from './src/lib/jobs.js';\nexport default run;\n",
    "api/src/server.js": "import './routes/users.js';\n",
    "api/src/routes/users.js": "import { helper } from '../_internal/helper.js';\n",
    "api/src/_internal/helper.js": "export const helper = 1;\n",   # a `_` segment: not a function, but imported
    "api/src/lib/jobs.js": "export const run = () => 1;\n",
    "api/jobs/nightly.ts": "export default 1;\n",
    "api/_unused.js": "export default 1;\n",                      # `_` file: not a function, not imported
    "api/legacy.cjs": "module.exports = 1;\n",                    # .cjs is not a zero-config function
    "api/types.d.ts": "export type X = 1;\n",
    "api/util/format.js": "export default 1;\n",                  # nested under api/: a function of its own
    "src/App.tsx": "export const App = () => <p>a & b</p>;\n",    # the front end, never imported by api/
    "test-upload.js": "const a = 1;\na = 2;\n",                  # a root-level script
}


def test_vercel_json_and_the_api_convention(tmp_path: Path) -> None:
    app = read(tmp_path, VERCEL)
    found_by = app.scope.to_dict()["found_by"]
    assert found_by == {"api/jobs/nightly.ts": "vercel.json functions",
                        "api/process-cron.js": "vercel.json crons",
                        "api/src/server.js": "vercel.json functions",
                        "api/src/lib/jobs.js": "api/ convention",
                        "api/src/routes/users.js": "api/ convention",
                        "api/util/format.js": "api/ convention"}
    assert "api/src/_internal/helper.js" in app.scope  # imported, so deployed
    assert app.scope.import_path("api/src/_internal/helper.js") == [
        "api/src/server.js", "api/src/routes/users.js", "api/src/_internal/helper.js"]
    # configured entries rank first: the cron's import is reached through it, not as a convention entry
    assert app.scope.import_path("api/src/lib/jobs.js") == ["api/process-cron.js", "api/src/lib/jobs.js"]
    assert set(app.scope.not_deployed) == {"api/_unused.js", "api/legacy.cjs", "api/types.d.ts", "src/App.tsx",
                                           "test-upload.js"}


def test_vercel_convention_rules_and_globs() -> None:
    assert is_vercel_function("api/a/b/c.ts") and is_vercel_function("web/api/x.mjs", "web")
    for rel in ("api/_x.js", "api/_lib/x.js", "api/.hidden/x.js", "api/x.d.ts", "api/x.cjs", "api/x.jsx",
                "lib/api/x.js", "api/node_modules/p/x.js"):
        assert not is_vercel_function(rel), rel
    assert glob_regex("api/**/*.js").fullmatch("api/x.js") and glob_regex("api/**/*.js").fullmatch("api/a/b.js")
    assert glob_regex("api/*.{js,ts}").fullmatch("api/x.ts") and not glob_regex("api/*.js").fullmatch("api/a/b.js")
    assert glob_regex("api/**/*.+(js|ts)").fullmatch("api/a/x.ts")


def test_package_json_when_there_is_no_vercel_entry(tmp_path: Path) -> None:
    app = read(tmp_path, {
        "package.json": json.dumps({"main": "lib/index", "exports": {".": {"import": "./esm/index.mjs"}},
                                    "scripts": {"start": "NODE_ENV=production node --enable-source-maps server.js"}}),
        "lib/index.js": "module.exports = require('./core');\n", "lib/core.js": "module.exports = 1;\n",
        "esm/index.mjs": "export default 1;\n", "server.js": "require('./lib/core');\n",
        "scripts/seed.js": "const a = 1;\n",
    })
    assert app.scope.to_dict()["found_by"] == {"esm/index.mjs": "package.json exports",
                                               "lib/index.js": "package.json main",
                                               "server.js": "package.json scripts.start"}
    assert app.scope.not_deployed == ["scripts/seed.js"]


def test_a_start_script_in_the_typescript_build_output_maps_back_to_its_source(tmp_path: Path) -> None:
    app = read(tmp_path, {
        "package.json": json.dumps({"scripts": {"start": "node dist/src/server.js", "dev": "ts-node src/dev.ts"}}),
        "tsconfig.json": json.dumps({"compilerOptions": {"rootDir": ".", "outDir": "dist"}}),
        "src/server.ts": "import { app } from './app';\n", "src/app.ts": "export const app = 1;\n",
        "src/dev.ts": "import './server';\n",
    })
    assert app.scope.to_dict()["found_by"] == {"src/server.ts": "package.json scripts.start"}
    assert app.scope.not_deployed == ["src/dev.ts"]


def test_without_any_entry_point_every_file_counts(tmp_path: Path) -> None:
    app = read(tmp_path, {"a.js": "const a = 1;\n", "b/c.js": "let c;\n"})
    assert app.scope.every_file and sorted(app.scope.deployed) == ["a.js", "b/c.js"]
    assert app.scope.to_dict()["entry_points"] == [] and app.scope.not_deployed == []
    assert "no entry point found" in app.scope.summary()


def test_entry_overrides_and_a_bad_entry_is_an_error(tmp_path: Path) -> None:
    app = read(tmp_path, VERCEL, "test-upload.js")
    assert app.scope.to_dict()["entry_points"] == ["test-upload.js"]
    assert app.scope.deployed == ["test-upload.js"]
    assert "entry points 1 given with --entry (test-upload.js)" in app.scope.summary()
    with pytest.raises(AppSourceError, match="--entry nope.js: not a JS/TS file of the app"):
        read(tmp_path, {}, "nope.js")


def test_root_scripts_and_the_front_end_are_never_evidence(tmp_path: Path) -> None:
    files = {**VERCEL,
             "test-upload.js": "const a = 1;\na = 2;\nawait db.client.user.findMany();\n",
             "src/Broken.tsx": "export const B = () => <p>{</p>;\n"}  # does not parse, not deployed
    detection = detect_release(write(tmp_path, files))
    evidence_files = {e.file for v in detection.verdicts.values() for e in v.evidence}
    assert not evidence_files & {"test-upload.js", "src/Broken.tsx", "src/App.tsx"}
    assert detection.verdicts["const-reassignment"].state == "fixed"
    # the same script as an entry point is judged
    forced = detect_release(tmp_path, entries=[Path("test-upload.js")])
    assert [(e.file, e.line) for e in forced.verdicts["const-reassignment"].evidence] == [("test-upload.js", 2)]


def test_cli_json_scope_via_and_text_line(tmp_path: Path) -> None:
    files = {**VERCEL, "api/src/_internal/helper.js": "export const helper = 1;\nhelper = 2;\n"}
    write(tmp_path, files)
    result = run(str(tmp_path), "--json")
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    scope = document["scope"]
    assert scope["deployed"] == 7 and "api/src/server.js" in scope["entry_points"]
    assert sorted(scope["not_deployed"]) == ["api/_unused.js", "api/legacy.cjs", "api/types.d.ts", "src/App.tsx",
                                             "test-upload.js"]
    evidence = document["bugs"]["const-reassignment"]["evidence"]
    assert [(e["file"], e["line"], e["via"]) for e in evidence] == [
        ("api/src/_internal/helper.js", 2,
         ["api/src/server.js", "api/src/routes/users.js", "api/src/_internal/helper.js"])]
    text = run(str(tmp_path)).stdout.splitlines()
    assert text[0].startswith("scope: 7 deployed JS/TS files") and "5 not deployed" in text[0]
    assert any("helper.js:2:" in line and line.endswith("(via api/src/server.js, 2 imports)") for line in text)
    bad = run(str(tmp_path), "--entry", "missing.js")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "--entry missing.js" in bad.stderr


def test_a_deployed_file_that_does_not_parse_is_followed_through_its_text(tmp_path: Path) -> None:
    app = read(tmp_path, {
        "api/index.js": "import { a } from './lib/a.js';\nconst b = require('./lib/b');\nfunction (\n",
        "api/lib/a.js": "export const a = 1;\n", "api/lib/b.js": "module.exports = 2;\n",
        "api/lib/c.js": "module.exports = 3;\n",  # not imported by anything
    }, "api/index.js")
    assert next(f for f in app.files if f.rel == "api/index.js").error is not None
    assert sorted(app.scope.deployed) == ["api/index.js", "api/lib/a.js", "api/lib/b.js"]
