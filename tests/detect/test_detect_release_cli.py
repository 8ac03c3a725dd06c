"""`detect-release` on the fixture apps (incident, deploy, fully fixed), as the console script runs: states with
the right file:line, the release names the harness reads, the JSON shape, exit codes and bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from recovery_tools.source.esbuild import VERSION
from tests.detect.conftest import APPS, line_of

BIN = Path(sys.executable).parent


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "detect-release"), *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def detect_json(app: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = run(str(app), "--json", *extra)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode, json.loads(result.stdout)


def places(document: dict[str, Any], bug_id: str) -> list[tuple[str, int]]:
    return [(e["file"], e["line"]) for e in document["bugs"][bug_id]["evidence"]]


def states(document: dict[str, Any]) -> dict[str, str]:
    return {bug_id: bug["state"] for bug_id, bug in document["bugs"].items()}


def test_incident_form() -> None:
    app = APPS / "incident"
    code, document = detect_json(app)
    assert code == 1 and document["release"] == "incident"
    assert states(document) == {
        "const-reassignment": "broken", "image-review-table-mismatch": "broken", "prisma-warmup": "fixed",
        "connection-hygiene": "broken", "google-429": "broken", "cron-overload": "broken",
        "temporary-queue": "broken"}
    orchestrator = "api/services/workflowOrchestrator.js"
    assert places(document, "const-reassignment") == [
        (orchestrator, line_of(app / orchestrator, "productDrafts = draftsFromDb"))]
    service = "api/services/refinementPipelineService.ts"
    assert places(document, "image-review-table-mismatch") == [
        (service, line_of(app / service, "FROM image_review_options")),
        (service, line_of(app / service, "JOIN image_review_items"))]
    assert places(document, "connection-hygiene") == [("api/lib/db.js", line_of(app / "api/lib/db.js", "new Prisma"))]
    search = "api/services/imageSearchService.ts"
    assert places(document, "google-429") == [(search, line_of(app / search, "for (let attempt"))]
    assert places(document, "cron-overload") == [("vercel.json", line_of(app / "vercel.json", '"* * * * *"'))]
    manager = "api/lib/queueManager.js"
    assert places(document, "temporary-queue")[:2] == [
        (manager, line_of(app / manager, "queue = new Bull(name")),
        (orchestrator, line_of(app / orchestrator, "'image-refinement'"))]


def test_deploy_form() -> None:
    app = APPS / "deploy"
    code, document = detect_json(app)
    assert code == 0 and document["release"] == "deploy"
    assert [b for b, s in states(document).items() if s == "fixed"] == [
        "const-reassignment", "image-review-table-mismatch", "prisma-warmup"]
    assert places(document, "cron-overload") == [("vercel.json", line_of(app / "vercel.json", '"* * * * *"'))]


def test_fully_fixed_form() -> None:
    app = APPS / "healthy"
    code, document = detect_json(app)
    assert code == 0 and document["release"] == "healthy"
    assert set(states(document).values()) == {"fixed"}
    handler = "api/cron/process-workflows.js"
    assert (handler, line_of(app / handler, "'NX'")) in places(document, "cron-overload")
    search = "api/services/imageSearchService.ts"
    assert (search, line_of(app / search, "2 ** attempt")) in places(document, "google-429")
    assert (search, line_of(app / search, "=== 429")) in places(document, "google-429")


def test_json_shape_is_exactly_the_documented_one() -> None:
    _, document = detect_json(APPS / "incident")
    assert {"release", "scope", "load", "bugs"} <= set(document)
    assert set(document["scope"]) == {"entry_points", "found_by", "deployed", "not_deployed"}
    assert set(document["load"]) == {"ok", "tool", "errors", "warnings", "inconclusive", "reason", "entry_points"}
    assert document["load"]["entry_points"] == document["scope"]["entry_points"]
    for message in document["load"]["errors"]:
        assert set(message) == {"file", "line", "column", "message"}
    for bug in document["bugs"].values():
        assert bug["state"] in ("broken", "fixed", "unknown")
        for evidence in bug["evidence"]:
            assert set(evidence) == {"file", "line", "why", "via"}
            assert isinstance(evidence["line"], int) and not Path(evidence["file"]).is_absolute()
            # code evidence: an import path from an entry point that ends at the file; config evidence: none
            assert evidence["via"] == [] or evidence["via"][-1] == evidence["file"]
            if evidence["via"]:
                assert evidence["via"][0] in document["scope"]["entry_points"]


def test_text_output_names_state_evidence_and_release() -> None:
    result = run(str(APPS / "incident"))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "const-reassignment: broken" in lines
    assert any(line.startswith("  api/services/workflowOrchestrator.js:") and "productDrafts" in line for line in lines)
    assert "release: incident" in lines
    assert "the deploy's fixes missing: const-reassignment, image-review-table-mismatch" in lines
    # esbuild refuses the const write too: a bundler's build error, named file:line:column
    line = line_of(APPS / "incident" / "api/services/workflowOrchestrator.js", "productDrafts = draftsFromDb")
    assert (f'  error: api/services/workflowOrchestrator.js:{line}:5: Cannot assign to "productDrafts" because it '
            "is a constant") in lines


def test_unknown_counts_as_broken_unless_assumed_fixed(tmp_path: Path) -> None:
    app = tmp_path / "app"
    shutil.copytree(APPS / "deploy", app)
    # a deployed file (api/ convention) that does not parse, whose text could hold each of the deploy's bugs
    (app / "api" / "lib" / "broken.js").write_text("const rows = await prisma.$queryRaw`SELECT 1 FROM x`;\n"
                                                   "module.exports = {\n", encoding="utf-8")
    code, document = detect_json(app)
    assert code == 1
    bug = document["bugs"]["const-reassignment"]
    assert bug["state"] == "unknown" and bug["counts_as"] == "broken"
    assert {k: bug["evidence"][0][k] for k in ("file", "line")} == {"file": "api/lib/broken.js", "line": 0}
    assert "syntax error" in bug["evidence"][0]["why"]
    # every bug the file could hide is unknown, so the three fixes of the deploy count as missing
    assert document["release"] == "incident-without-prisma-warmup"
    flags = [arg for bug_id in ("const-reassignment", "image-review-table-mismatch", "prisma-warmup")
             for arg in ("--assume-fixed", bug_id)]
    code, assumed = detect_json(app, *flags)
    # the release is assumed fixed, but the file does not parse for esbuild either: the build would fail
    assert code == 1 and assumed["release"] == "deploy"
    assert [e["file"] for e in assumed["load"]["errors"]] == ["api/lib/broken.js"]
    code, assumed = detect_json(app, *flags, "--no-load-check")
    assert code == 0 and assumed["release"] == "deploy"
    assert assumed["bugs"]["const-reassignment"]["state"] == "unknown"
    assert assumed["bugs"]["const-reassignment"]["assumed_fixed"] is True
    text = run(str(app), "--assume-fixed", "const-reassignment").stdout
    assert "const-reassignment: unknown (assumed fixed: --assume-fixed)" in text


@pytest.mark.parametrize(("args", "message"), [
    (["does/not/exist"], "no such file or directory"),
    (["EMPTY"], "no JavaScript or TypeScript file to read"),
    (["APP", "--assume-fixed", "typo"], "unknown bug id(s) typo"),
    (["APP", "--prisma-schema", "nope.prisma"], "no such file"),
])
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("no code here\n", encoding="utf-8")
    resolved = [str(tmp_path / "empty") if a == "EMPTY" else str(APPS / "deploy") if a == "APP" else a for a in args]
    result = run(*resolved, cwd=tmp_path)
    assert result.returncode == 2, result.stdout
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("detect-release: error: ")
    assert message in result.stderr and "Traceback" not in result.stderr


def test_a_commit_that_does_not_load_exits_1_naming_file_line_and_column() -> None:
    """The unloadable app holds every fix (release healthy) but a module exports a name twice."""
    app = APPS / "unloadable"
    code, document = detect_json(app)
    module = "api/lib/statusReport.mjs"
    assert code == 1 and document["release"] == "healthy" and document["missing_required"] == []
    assert document["load"]["ok"] is False and document["load"]["tool"] == f"esbuild {VERSION}"
    assert document["load"]["errors"] == [{"file": module, "line": line_of(app / module, "export { summarize };"),
                                           "column": 10, "message": 'Multiple exports with the same name "summarize"'}]
    text = run(str(app))
    assert text.returncode == 1
    lines = text.stdout.splitlines()
    assert "does not load (esbuild " + VERSION + "): 1 error(s)" in lines
    assert f'  error: {module}:{line_of(app / module, "export { summarize };")}:10: Multiple exports with the same ' \
           'name "summarize"' in lines
    assert "the deployed code does not load: the deploy's build would fail" in lines
    # --no-load-check leaves the verdict to the fixes alone
    code, skipped = detect_json(app, "--no-load-check")
    assert code == 0 and skipped["load"] is None
    assert "load check: not run (--no-load-check)" in run(str(app), "--no-load-check").stdout.splitlines()


def test_an_inconclusive_load_check_is_one_line_and_fails(tmp_path: Path) -> None:
    """No esbuild to be had (an empty cache, npm's registry unreachable): the gate does not pass on silence."""
    environment = {**os.environ, "HARNESS_NODE_CACHE": str(tmp_path / "cache"),
                   "npm_config_registry": "http://127.0.0.1:9/", "npm_config_cache": str(tmp_path / "npm-cache")}
    result = subprocess.run([str(BIN / "detect-release"), str(APPS / "deploy")], capture_output=True, text=True,
                            timeout=120, env=environment)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    inconclusive = [line for line in lines if line.startswith("load check inconclusive: ")]
    assert len(inconclusive) == 1 and "cannot be reached" in inconclusive[0], lines
    assert "the load check could not run: this commit is not shown to load (--no-load-check skips it)" in lines
    assert "release: deploy" in lines and "Traceback" not in result.stderr
    document = json.loads(subprocess.run([str(BIN / "detect-release"), str(APPS / "deploy"), "--json"],
                                         capture_output=True, text=True, timeout=120, env=environment).stdout)
    assert document["load"]["ok"] is False and document["load"]["inconclusive"] is True
    assert document["load"]["errors"] == [] and "cannot be reached" in document["load"]["reason"]


def test_without_an_entry_point_the_load_check_says_so(tmp_path: Path) -> None:
    (tmp_path / "lib.js").write_text("const a = 1;\nmodule.exports = { a };\n", encoding="utf-8")
    code, document = detect_json(tmp_path)
    assert code == 1 and document["load"]["inconclusive"] is True
    assert document["load"]["reason"].startswith("no entry point to bundle")


def test_help_explains_exit_codes_and_bugs() -> None:
    result = run("--help")
    assert result.returncode == 0
    flat = " ".join(result.stdout.split())
    assert "Exit codes: 0" in flat and "temporary-queue" in flat and "--assume-fixed" in flat
    assert "the code does not load, or the load check was inconclusive" in flat and "--no-load-check" in flat
