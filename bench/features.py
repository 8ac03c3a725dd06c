"""Wall time of the checklist gate, `pytest features/`, run as a subprocess serially and with `-n 2`; the serial run
also says where its time went (bench/step_times.py), by the kind of work each step does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The step functions of steps/ by the kind of work that sets their time. A step missing here counts as "other".
STEP_KINDS: dict[str, tuple[str, ...]] = {
    # A checklist tool as a real subprocess: Python's start, the imports of redis, rich and typer, the work.
    "tools": ("have_run_tool", "run_tool_step", "schema_gate", "raw_sql_scan", "queue_status"),
    # A Simulation started: its Bull hosts (Node), servers, the deployment's workers.
    "simulation_starts": ("release_running", "release_under_test_running", "release_with_bug"),
    # Virtual time the checklist itself waits: fixed lengths, whatever the machine does meanwhile.
    "fixed_waits": ("run_for", "wait_for_deployment", "no_new_job_starts", "push_release",
                    "push_release_under_test", "revert_and_push"),
    # Waits that end when the app has done the work: the app's real processing on Node, Redis and Postgres.
    "workflows": ("run_until_finished", "new_workflow_progresses", "incident_left_failed_jobs", "job_in_flight",
                  "logs_show_within", "job_completes"),
    "uploads": ("upload_pos", "upload_pos_with_lines", "upload_new_po"),
    # A scenario's isolated database and prefix (the first one also starts the session's backend).
    "scenario_servers": ("scenario_servers",),
}
KIND_LABELS = {
    "tools": "checklist tools run as subprocesses",
    "simulation_starts": "simulations started (Bull hosts, servers, workers)",
    "fixed_waits": "virtual time the checklist waits (runs, deploys)",
    "workflows": "waits for the app's work (workflows, failures, logs)",
    "uploads": "PO uploads",
    "scenario_servers": "scenario databases and prefixes (the first also starts the backend)",
    "other_steps": "every other step",
    "setup_teardown": "fixture set-up and teardown (simulation closes, job ledger checks)",
    "outside_tests": "outside the tests (start, collection, backend stop)",
}
KINDS = tuple(KIND_LABELS)


@dataclass(frozen=True)
class GateRun:
    workers: int
    wall_seconds: float
    exit_code: int
    summary: str
    # Seconds per kind of work (KINDS), serial runs only; they add up to wall_seconds.
    breakdown: dict[str, float] = field(default_factory=dict)


def breakdown(step_times: dict[str, Any], wall_seconds: float) -> dict[str, float]:
    """Seconds per kind (KINDS) from step_times.py's JSON; outside_tests is the rest of the wall time
    (interpreter and plugin start, collection, the backend's stop)."""
    kind_of = {name: kind for kind, names in STEP_KINDS.items() for name in names}
    seconds = dict.fromkeys(KINDS, 0.0)
    for name, step in step_times["steps"].items():
        seconds[kind_of.get(name, "other_steps")] += step["seconds"]
    phases = step_times["phases"]
    steps_total = sum(step["seconds"] for step in step_times["steps"].values())
    # Steps run inside the call phase; the rest of the call phase is pytest-bdd's own work, counted as other.
    seconds["other_steps"] += max(0.0, phases.get("call", 0.0) - steps_total)
    seconds["setup_teardown"] = phases.get("setup", 0.0) + phases.get("teardown", 0.0)
    inside = sum(phases.values())
    seconds["outside_tests"] = max(0.0, wall_seconds - inside)
    return seconds


def run_gate(target: str, backend: str, workers: int, cwd: Path, timeout: float = 1800.0) -> GateRun:
    """`python -m pytest <target> --backend <backend> [-n workers]`; the last summary line is kept, and a serial
    run's time per kind of work."""
    command = [sys.executable, "-m", "pytest", target, "-q", "-p", "no:cacheprovider", "--backend", backend]
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as scratch:
        times_path = Path(scratch) / "step-times.json"
        if workers > 1:
            command += ["-n", str(workers)]
        else:
            command += ["-p", "bench.step_times", "--step-times", str(times_path)]
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, env=dict(os.environ), stdin=subprocess.DEVNULL,
                                   capture_output=True, text=True, timeout=timeout, check=False)
        wall = time.perf_counter() - started
        kinds = breakdown(json.loads(times_path.read_text()), wall) if times_path.exists() else {}
    # pytest's summary is stdout's last line; stderr only when pytest could not start.
    lines = [line for line in completed.stdout.splitlines() or completed.stderr.splitlines() if line.strip()]
    summary = lines[-1].strip("= ") if lines else ""
    return GateRun(workers, wall, completed.returncode, summary, kinds)
