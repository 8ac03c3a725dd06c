"""Whole rehearsals on the session's real Redis and Postgres: verdicts, journal, determinism, report in Chromium."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from harness.backends import Backend
from harness.isolation import leftovers
from recovery_tools.report.journal import canonical
from tests.rehearsal.conftest import Run, run_rehearse

REPORTS = Path(__file__).resolve().parents[2] / "reports"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
INCIDENT_STEPS = ["incident-live", "incident-under-load", "pause", "verify-paused", "clean", "verify-schema", "deploy",
                  "monitor-deployment", "resume", "verify-running", "test-po-upload", "remaining-issues",
                  "success-criteria"]


def test_incident_recovers_and_writes_journal_and_report(incident_run: Run, backend: Backend) -> None:
    assert incident_run.exit_code == 0, incident_run.stderr
    journal = incident_run.journal
    assert journal["verdict"] == {"holds": True, "failed_criteria": [], "failed_steps": []}
    assert [step["id"] for step in journal["steps"]] == INCIDENT_STEPS
    assert [(d["kind"], d["release"]) for d in journal["deploys"]] == [("initial", "incident"), ("deploy", "deploy")]
    steps = {step["id"]: step for step in journal["steps"]}
    outage = steps["incident-under-load"]
    assert outage["evidence"]["outage_shown"] is True
    shown = set(outage["measured"]["outage_signatures_seen"])
    assert shown and shown <= {"const-assignment", "relation-does-not-exist"}
    schema = steps["verify-schema"]["evidence"]["output"]
    assert '✅ EXISTS - "ImageReviewProductImage"' in schema and '❌ NOT FOUND - "image_review_options"' in schema
    assert steps["clean"]["evidence"]["failed_jobs_left"] == 0
    assert all(cmd["exit_code"] == 0 for step in journal["steps"] for cmd in step["evidence"].get("commands", []))
    starts = [step["virtual_at"] for step in journal["steps"]]
    assert starts == sorted(starts) and starts[2] == 1200.0  # the checklist starts when the 20m outage ends
    assert all(step["wall_finished"] >= step["wall_started"] for step in journal["steps"])
    assert {"seed": 5, "pos": 3, "duration_seconds": 1200.0}.items() <= journal["options"].items()
    assert "bullmq" in journal["versions"] and "postgres server" in journal["versions"]
    # The app's queues run on Node's npm bull 4 (what the Bull host reported), not on the Python bullmq package.
    assert journal["versions"]["bull"].startswith("4.") and journal["versions"]["node"].startswith("v")
    assert len(journal["criteria"]) == 8 and all(c["holds"] for c in journal["criteria"])
    assert journal["criteria"][-1]["id"] == "no-job-lost", "the harness's own line follows the checklist's seven"
    assert steps["resume"]["evidence"]["no_job_lost"] == "holds"
    series = journal["measured"]["series"]
    assert {"pg_connections", "workflows_finished", "queue_depth:ai-parsing", "errors:const-assignment"} <= set(series)
    assert (incident_run.report_dir / "report.html").stat().st_size > 0
    environment = journal["measured"]["environment"]
    left = [name for name in leftovers(backend.redis_url, backend.database_url)
            if environment["prefix"] in name or environment["database"].rsplit("/", 1)[-1] in name]
    assert left == [], "the throwaway database and prefix are removed"


def test_same_seed_gives_the_same_journal(incident_run: Run, backend: Backend, tmp_path: Path) -> None:
    again = run_rehearse(backend, tmp_path, "incident", "--seed", "5", "--duration", "20m")
    assert again.exit_code == incident_run.exit_code, again.stderr
    first, second = incident_run.journal, again.journal
    assert first["wall_started"] != second["wall_started"]
    assert canonical(first) == canonical(second)


def test_withheld_fix_fails_and_names_the_criteria(backend: Backend, tmp_path: Path) -> None:
    run = run_rehearse(backend, tmp_path, "incident", "--withhold-fix", "const-reassignment", "--duration", "10m")
    assert run.exit_code == 1, run.stderr
    failed = run.journal["verdict"]["failed_criteria"]
    assert "no-const-assignment" in failed
    # The broken form throws only when a search found images; the deploy release keeps the 429 bug, so a workflow
    # whose searches all got 429 completes (a retry can too). Whether an upload fails is timing, not a given:
    # the criterion must agree with the uploads the step followed, and nothing else the bug cannot touch fails.
    assert set(failed) <= {"no-const-assignment", "po-uploads-complete", "review-sessions", "no-review-404"}
    uploads = {step["id"]: step for step in run.journal["steps"]}["test-po-upload"]["measured"]["workflows"]
    assert ("po-uploads-complete" in failed) == (uploads.get("done", 0) < sum(uploads.values())), uploads
    assert re.search(r"FAILED criteria: .*no-const-assignment", run.stderr)
    assert run.journal["deploys"][-1]["release"] == "deploy-without-const-reassignment"


def test_rollback_restores_a_stable_state(backend: Backend, tmp_path: Path) -> None:
    run = run_rehearse(backend, tmp_path, "rollback", "--duration", "10m")
    assert run.exit_code == 0, run.stderr
    steps = {step["id"]: step for step in run.journal["steps"]}
    assert "no-p2010" in steps["bad-detected"]["evidence"]["failed"], "the bad deploy fails the criteria"
    assert [(d["kind"], d["release"]) for d in run.journal["deploys"]] == [
        ("initial", "deploy"), ("deploy", "deploy-regressed-image-review-table-mismatch"), ("rollback", "deploy")]
    assert all(c["holds"] for c in run.journal["criteria"])
    assert run.journal["criteria"][-1]["id"] == "no-job-lost" and steps["resume"]["evidence"]["no_job_lost"] == "holds"
    assert steps["pause"]["evidence"]["commands"] == [{"command": "manage-queues pause --wait-idle 2m", "exit_code": 0}]


def _chromium() -> str:
    found = shutil.which("chromium")
    if found:
        return found
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("chromium is not installed and the tests do not run as root to apt-get install it")
    installed = subprocess.run("apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium",
                               shell=True, capture_output=True, text=True, timeout=1200, check=False)
    found = shutil.which("chromium")
    if not found:
        pytest.skip(f"apt-get could not install chromium: {installed.stderr.strip().splitlines()[-1:]}")
    return found


def test_report_charts_are_drawn_in_headless_chromium(incident_run: Run) -> None:
    chromium = _chromium()
    report = (incident_run.report_dir / "report.html").resolve()
    REPORTS.mkdir(exist_ok=True)
    screenshot = REPORTS / "rehearsal-report.png"
    screenshot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/dom", "--dump-dom",
                              report.as_uri()], capture_output=True, text=True, timeout=120, check=False)
        shot = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}/shot", "--window-size=1300,2600",
                               f"--screenshot={screenshot}", report.as_uri()],
                              capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-500:]
    assert 'data-charts-drawn="5"' in dom.stdout, "four charts and the timeline drawn by the inline script"
    for chart in ("queues", "errors", "connections", "workflows"):
        figure = re.search(rf'<figure class="chart" id="chart-{chart}".*?</figure>', dom.stdout, re.S)
        assert figure is not None and '<path d="M' in figure.group(0), f"chart {chart} has drawn series"
    assert re.search(r'class="limit"', dom.stdout), "the 25-connection limit line"
    assert dom.stdout.count('class="step"') == len(INCIDENT_STEPS)
    assert shot.returncode == 0, shot.stderr[-500:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    shutil.copyfile(report, REPORTS / "rehearsal-report.html")
