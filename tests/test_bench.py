"""`python -m bench` with tiny sizes, as a subprocess on the session's backend: every figure lands in the JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.features import KINDS, breakdown
from harness.backends import BackendConfig

ROOT = Path(__file__).resolve().parents[1]
TINY = ["--jobs", "200", "--pos", "4", "--rounds", "2", "--hours", "0.2", "--scales", "600,3600",
        "--features", "features/test_smoke.py", "--detect-files", "40"]
FIGURES = {
    "embedded_cold_start_s", "embedded_stop_s",
    "bullmq_add_per_s", "bullmq_add_bulk_per_s", "bullmq_noop_c1_per_s", "bullmq_noop_per_s",
    "bull_noop_c1_per_s", "bull_noop_per_s", "bull_host_c1_per_s", "bull_host_per_s",
    "isolation_template_s", "isolation_clone_ms", "isolation_destroy_ms", "isolation_create_tight_ms",
    "isolation_create_ms", "isolation_create_max_ms", "isolation_cycle_ms",
    *(f"workflow_p{n}_{what}" for n in (0, 1, 2)
      for what in ("pos_per_min", "jobs_per_s", "ratio_to_ceiling", "ratio_to_bullmq", "cpu_ms_per_job",
                   "cores_busy")),
    "workflow_scaling_2_vs_1", "workflow_scaling_bound",
    "floor_jobs_per_s", "floor_ratio_to_ceiling", "floor_cpu_ms_per_job",
    "compression_x600_cron_share", "compression_x3600_cron_share", "compression_hours_per_s",
    "features_n1_s", "features_n2_s", "features_speedup", *(f"features_n1_{kind}_s" for kind in KINDS),
    "scan_files_per_s", "scan_ms_per_file", "scan_tool_startup_ms", "scan_per_file_vs_startup",
    "detect_release_s", "detect_release_first_s",
}


def _bench(*args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bench", *args], cwd=ROOT, env=dict(os.environ),
                          capture_output=True, text=True, timeout=timeout, check=False)


def test_tiny_run_writes_every_figure(backend_config: BackendConfig, tmp_path: Path) -> None:
    if backend_config.name == "containers":
        pytest.skip("the bench smoke run starts its own servers; containers would start two more")
    out = tmp_path / "bench.json"
    completed = _bench("--backend", backend_config.name, "--json", str(out), *TINY)
    assert completed.returncode == 0, completed.stderr[-3000:]
    document = json.loads(out.read_text())
    assert document["backend"] == backend_config.name
    figures = document["figures"]
    assert set(figures) == FIGURES
    for key, figure in figures.items():
        assert figure["value"] >= 0, key
    # Every measurement really did work: throughput and times are positive, the POs of each run finished.
    for key in ("bullmq_add_per_s", "bullmq_noop_per_s", "bull_noop_per_s", "bull_host_per_s",
                "workflow_p0_jobs_per_s", "workflow_p2_jobs_per_s", "floor_jobs_per_s", "floor_cpu_ms_per_job",
                "workflow_p1_cores_busy", "workflow_scaling_bound",
                "scan_files_per_s", "scan_tool_startup_ms", "detect_release_s",
                "isolation_create_ms", "features_n1_s", "embedded_cold_start_s"):
        assert figures[key]["value"] > 0, key
    assert "passed" in figures["features_n1_s"]["label"], figures["features_n1_s"]["label"]
    # The serial gate's time per kind of work adds up to its wall time; the smoke scenario's steps were timed.
    kinds = {kind: figures[f"features_n1_{kind}_s"]["value"] for kind in KINDS}
    assert sum(kinds.values()) == pytest.approx(figures["features_n1_s"]["value"], rel=0.01), kinds
    assert kinds["scenario_servers"] > 0 and kinds["workflows"] > 0 and kinds["outside_tests"] > 0, kinds
    assert "Isolation.create, prefetch" in completed.stdout, "the table is printed"
    assert not list(tmp_path.glob(".*.tmp")), "no half-written JSON left behind"


def test_features_none_measures_all_but_the_gate(backend_config: BackendConfig, tmp_path: Path) -> None:
    if backend_config.name == "containers":
        pytest.skip("the bench smoke run starts its own servers; containers would start two more")
    out = tmp_path / "bench.json"
    completed = _bench("--backend", backend_config.name, "--json", str(out), "--jobs", "50", "--pos", "2",
                       "--rounds", "1", "--hours", "0.1", "--scales", "3600", "--features", "none",
                       "--detect-files", "20")
    assert completed.returncode == 0, completed.stderr[-3000:]
    figures = json.loads(out.read_text())["figures"]
    gate = {"features_n1_s", "features_n2_s", "features_speedup", *(f"features_n1_{kind}_s" for kind in KINDS)}
    assert not gate & set(figures)
    assert {"bullmq_noop_per_s", "bull_noop_per_s", "workflow_p1_jobs_per_s", "compression_hours_per_s"} <= set(figures)
    assert "gate: skipped" in completed.stderr


def test_breakdown_sorts_steps_by_kind_and_adds_up_to_the_wall_time() -> None:
    step_times = {
        "phases": {"setup": 1.0, "call": 10.0, "teardown": 2.0},
        "steps": {"run_tool_step": {"seconds": 3.0, "calls": 5}, "have_run_tool": {"seconds": 1.0, "calls": 2},
                  "run_for": {"seconds": 2.5, "calls": 3}, "a_step_of_tomorrow": {"seconds": 0.5, "calls": 1}},
    }
    kinds = breakdown(step_times, wall_seconds=15.0)
    assert set(kinds) == set(KINDS)
    assert kinds["tools"] == 4.0 and kinds["fixed_waits"] == 2.5
    # An unknown step and the call phase's time outside any step (10 - 7) are "other".
    assert kinds["other_steps"] == pytest.approx(0.5 + 3.0)
    assert kinds["setup_teardown"] == 3.0 and kinds["outside_tests"] == pytest.approx(2.0)
    assert sum(kinds.values()) == pytest.approx(15.0)


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    for args, fragment in (
        (["--backend", "nowhere"], "unknown backend 'nowhere'"),
        (["--json", str(tmp_path / "missing" / "out.json")], "does not exist"),
        (["--scales", "fast"], "--scales must be numbers"),
        (["--features", "features/nope.py"], "not found"),
    ):
        completed = _bench(*args, timeout=60)
        assert completed.returncode == 2, (args, completed.stderr)
        lines = completed.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("python -m bench: error: "), (args, completed.stderr)
        assert fragment in lines[0], (args, completed.stderr)
        assert "Traceback" not in completed.stderr
    assert not list(tmp_path.rglob("*")), "nothing written on bad input"


def test_services_backend_without_urls_fails_in_one_line() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    completed = subprocess.run([sys.executable, "-m", "bench", "--backend", "services", "--jobs", "10"], cwd=ROOT,
                               env=env, capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 2, completed.stderr
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().splitlines()[-1].startswith("python -m bench: error: "), completed.stderr


def test_the_detect_bench_app_is_app_shaped_read_whole_and_loads(tmp_path: Path) -> None:
    from bench.detect import write_app
    from recovery_tools.detect.app import AppSource
    from recovery_tools.detect.load import check_load

    lines = write_app(tmp_path, 1000)
    app = AppSource.read(tmp_path)
    assert len(app.files) == 1000 and [f.rel for f in app.files if f.error] == []
    sizes = [source.path.read_text().count("\n") for source in app.files]
    assert lines == sum(sizes) and 100 <= lines / 1000 <= 200
    assert sum(1 for size in sizes if 30 <= size <= 320) >= 990, sorted(sizes)
    suffixes = {source.path.suffix for source in app.files}
    assert {".js", ".ts", ".tsx"} <= suffixes
    repaired = [f for f in app.files if f.parsed is not None and f.parsed.status == "repaired"]
    assert len(repaired) > 100  # JSX text with a bare &
    check = check_load(tmp_path, [Path("api/src/server.js"), Path("api/process-workflows-cron.js")])
    assert check.ok, check.summary()
