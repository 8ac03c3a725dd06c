"""`rehearse incident --app-source PATH` deploys the release the app's code holds, and keeps the detection in its
journal: the incident form's code, deployed as the fix, fails the criteria its bugs break."""

from __future__ import annotations

from pathlib import Path

from harness.backends import Backend
from tests.detect.conftest import APPS
from tests.rehearsal.conftest import run_rehearse


def test_rehearsal_deploys_the_release_the_source_holds(backend: Backend, tmp_path: Path) -> None:
    run = run_rehearse(backend, tmp_path, "incident", "--app-source", str(APPS / "incident"), "--duration", "10m")
    assert run.exit_code == 1, run.stderr
    journal = run.journal
    assert journal["options"]["detected_release"] == "incident"
    assert journal["deploys"][-1]["release"] == "incident"
    assert {"no-const-assignment", "no-p2010", "po-uploads-complete"} <= set(journal["verdict"]["failed_criteria"])
    deploy = next(step for step in journal["steps"] if step["id"] == "deploy")
    detected = deploy["evidence"]["detected_from_source"]
    assert detected["release"] == "incident" and detected["app_source"] == str(APPS / "incident")
    assert detected["bugs"]["const-reassignment"]["evidence"][0]["file"] == "api/services/workflowOrchestrator.js"
    assert "detected_release=incident" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_app_source_is_refused_beside_a_withheld_fix(backend: Backend, tmp_path: Path) -> None:
    run = run_rehearse(backend, tmp_path, "incident", "--app-source", str(APPS / "deploy"), "--withhold-fix", "all")
    assert run.exit_code == 2
    assert "--app-source" in run.stderr and "Traceback" not in run.stderr
