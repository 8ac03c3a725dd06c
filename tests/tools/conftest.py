"""Fixtures for the tool tests: run manage-queues as a real subprocess, Python and Node BullMQ on the scenario."""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv, delete_prefix
from simulator.queues.bridge import QueueBridge
from simulator.schema import tool_config_path
from tests.waiting import wait_until

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
_spec = importlib.util.spec_from_file_location("harness_npm_cache", NODE_DIR / "npm_cache.py")
assert _spec and _spec.loader
npm_cache = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(npm_cache)


@dataclass
class ToolResult:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def tool_path() -> str:
    script = Path(sys.executable).parent / "manage-queues"
    assert script.exists(), f"console script not installed beside {sys.executable}: pip install -e ."
    return str(script)


def run_tool(*args: str, stdin: int | None = subprocess.DEVNULL, timeout: float = 60,
             cwd: Path | None = None) -> ToolResult:
    """The tool in `cwd`, else in a throwaway folder (so the default recovery ledger never lands in the repo)."""
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update({"NO_COLOR": "1", "COLUMNS": "200"})
    with tempfile.TemporaryDirectory(prefix="manage-queues-") as here:
        done = subprocess.run([tool_path(), *args], capture_output=True, text=True, env=env, stdin=stdin,
                              timeout=timeout, cwd=cwd or here)
    return ToolResult(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def mq(scenario: ScenarioEnv) -> Callable[..., ToolResult]:
    """`mq("status", "--json")` runs the console script on the scenario's Redis and prefix."""

    def run(*args: str, **kwargs: Any) -> ToolResult:
        return run_tool(*args, "--redis-url", scenario.redis_url, "--prefix", scenario.prefix, **kwargs)

    return run


@pytest.fixture
def mq_without_library(scenario: ScenarioEnv, tmp_path: Path) -> Callable[..., ToolResult]:
    """Like `mq`, with the simulated app's config minus its `library = "bull"`: the tool decides from Redis alone."""
    config = tmp_path / "no-library" / "recovery-harness.toml"
    config.parent.mkdir()
    lines = tool_config_path().read_text().splitlines()
    config.write_text("\n".join(line for line in lines if not line.startswith("library")) + "\n")

    def run(*args: str, **kwargs: Any) -> ToolResult:
        return run_tool(*args, "--config", str(config), "--redis-url", scenario.redis_url, "--prefix",
                        scenario.prefix, **kwargs)

    return run


@pytest.fixture
def bridge(scenario: ScenarioEnv) -> Iterator[QueueBridge]:
    with QueueBridge(scenario.redis_url, scenario.prefix) as owner:
        yield owner


@pytest.fixture
def raw_redis(scenario: ScenarioEnv) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(scenario.redis_url, decode_responses=True)
    yield client
    client.close()


def force_fetch_cycle(client: redis.Redis, marker_key: str, what: str) -> None:
    """Make a blocked BullMQ worker run moveToActive, and wait until that attempt is over.

    A worker waits with BZPOPMIN on the queue's marker; two markers popped one after the other
    prove the attempt after the first pop has completed (one fetch loop per worker).
    """
    for _ in range(2):
        client.zadd(marker_key, {"0": 0})
        wait_until(lambda: client.zcard(marker_key) == 0, f"{what} to take the marker")


@dataclass
class NodeWorker:
    """A Node BullMQ worker subprocess; `events` collects its JSON lines."""

    process: subprocess.Popen[str]
    events: list[dict[str, Any]] = field(default_factory=list)
    _lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def _pump(self) -> None:
        assert self.process.stdout
        for line in self.process.stdout:
            self._lines.put(line)

    def collect(self) -> list[dict[str, Any]]:
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                return self.events
            if line.strip():
                self.events.append(json.loads(line))

    def ids(self, event: str) -> list[str]:
        return [str(e["id"]) for e in self.collect() if e["event"] == event]

    def wait_for(self, predicate: Callable[[list[dict[str, Any]]], bool], what: str, timeout: float = 30) -> None:
        def check() -> bool:
            if self.process.poll() is not None and self._lines.empty():
                self.collect()
                code = self.process.returncode
                raise AssertionError(f"node worker exited ({code}) waiting for {what}: {self.events}")
            return predicate(self.collect())

        wait_until(check, what, timeout)

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@dataclass
class NodeBullMQ:
    """Runs tests/node/bullmq_cli.js with one installed bullmq major on the scenario's Redis and prefix."""

    major: int
    node_modules: Path
    scenario: ScenarioEnv
    workers: list[NodeWorker] = field(default_factory=list)
    script: str = "bullmq_cli.js"

    def _argv(self, command: str, **opts: Any) -> list[str]:
        payload = {"redis": self.scenario.redis_url, "prefix": self.scenario.prefix, **opts}
        return ["node", str(NODE_DIR / self.script), command, json.dumps(payload)]

    def _env(self) -> dict[str, str]:
        return {**os.environ, "NODE_PATH": str(self.node_modules)}

    def run(self, command: str, **opts: Any) -> dict[str, Any]:
        done = subprocess.run(self._argv(command, **opts), capture_output=True, text=True, env=self._env(), timeout=60)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout.strip().splitlines()[-1])

    def add(self, queue_name: str, count: int, *, start: int = 0, fail: tuple[int, ...] = (), **opts: Any) -> list[str]:
        found = self.run("add", queue=queue_name, count=count, start=start, fail=list(fail), **opts)
        return [str(i) for i in found["ids"]]

    def worker(self, queue_name: str, **opts: Any) -> NodeWorker:
        process = subprocess.Popen(
            self._argv("work", queue=queue_name, **opts), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True, env=self._env(),
        )
        worker = NodeWorker(process)
        threading.Thread(target=worker._pump, daemon=True).start()
        self.workers.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()


@pytest.fixture(params=[5, 6], ids=["bullmq5", "bullmq6"])
def node_bullmq(request: pytest.FixtureRequest, scenario: ScenarioEnv) -> Iterator[NodeBullMQ]:
    """The real npm `bullmq` of each major (cached outside the repo); skips only when node or npm is absent."""
    reason = npm_cache.missing_tools()
    if reason:
        pytest.skip(f"Node interop needs node and npm: {reason}")
    owner = NodeBullMQ(request.param, npm_cache.ensure_bullmq(request.param), scenario)
    yield owner
    owner.close()


@pytest.fixture
def node_bull(scenario: ScenarioEnv) -> Iterator[NodeBullMQ]:
    """The real npm `bull` 4 (the app's queue library) through tests/node/bull_cli.js; skips only without node/npm."""
    reason = npm_cache.missing_tools()
    if reason:
        pytest.skip(f"Node interop needs node and npm: {reason}")
    owner = NodeBullMQ(4, npm_cache.ensure_bull(), scenario, script="bull_cli.js")
    yield owner
    owner.close()


@dataclass
class Outside:
    """A prefix outside the job ledger (whose clean removes unfinished jobs on purpose): Node driver and tool."""

    env: ScenarioEnv
    node: NodeBullMQ

    def mq(self, *args: str) -> ToolResult:
        return run_tool(*args, "--redis-url", self.env.redis_url, "--prefix", self.env.prefix)


def outside_ledger(scenario: ScenarioEnv, node: NodeBullMQ) -> Iterator[Outside]:
    """The same Node library on `<prefix>-clean`, every key of which is removed afterwards."""
    env = replace(scenario, prefix=f"{scenario.prefix}-clean")
    other = NodeBullMQ(node.major, node.node_modules, env, script=node.script)
    try:
        yield Outside(env, other)
    finally:
        other.close()
        delete_prefix(env.redis_url, env.prefix)


@pytest.fixture
def bull_outside(node_bull: NodeBullMQ, scenario: ScenarioEnv) -> Iterator[Outside]:
    yield from outside_ledger(scenario, node_bull)


@pytest.fixture
def bullmq_outside(node_bullmq: NodeBullMQ, scenario: ScenarioEnv) -> Iterator[Outside]:
    yield from outside_ledger(scenario, node_bullmq)


@pytest.fixture
def poll() -> Callable[..., Any]:
    """wait_until(predicate, what, timeout=30): poll with a deadline."""
    return wait_until


@pytest.fixture
def fetch_cycle(raw_redis: redis.Redis, scenario: ScenarioEnv) -> Callable[[str], None]:
    """fetch_cycle(queue): make that queue's blocked workers try to take a job, and wait until they tried."""

    def run(queue_name: str) -> None:
        force_fetch_cycle(raw_redis, f"{scenario.prefix}:{queue_name}:marker", f"a worker of {queue_name}")

    return run
