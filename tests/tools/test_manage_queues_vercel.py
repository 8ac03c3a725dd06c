"""manage-queues and monitor-deployment against a fake Vercel API on loopback, as real subprocesses on real Redis.

What the tools did on the platform is read from the fake's own log of requests (method, path, teamId, body,
whether the Bearer token was right), never from the tools' word.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from harness.isolation import ScenarioEnv
from simulator.platform.vercel_api import APP_CRON_PATH, FakeVercel
from simulator.queues.bridge import QueueBridge
from tests.tools.conftest import ToolResult, tool_path
from tests.waiting import wait_until

QUEUE = "ai-parsing"


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        yield fake


def write_config(folder: Path, *, vercel: FakeVercel | None = None, switch: bool = False) -> Path:
    """The app's recovery-harness.toml: its queues, and the platform tables asked for (none: no platform)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [f'queues = ["{QUEUE}", "database-save"]']
    if vercel is not None:
        lines += ["[vercel]", f'project = "{vercel.project_id}"', f'team = "{vercel.team_id}"']
    if switch:
        lines += ["[cron]", "switch = true"]
    config = folder / "recovery-harness.toml"
    config.write_text("\n".join(lines) + "\n")
    return config


class Tools:
    """Runs the console scripts in one folder (where the default recovery ledger lands) with the fake's URL and
    token in the environment; every run is checked for the token in its output."""

    def __init__(self, folder: Path, scenario: ScenarioEnv, token: str | None, api_url: str | None) -> None:
        self.folder, self.scenario, self.token, self.api_url = folder, scenario, token, api_url

    @property
    def ledger(self) -> Path:
        return self.folder / "recovery-ledger.json"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "VERCEL_TOKEN", "VERCEL_API_URL", "RECOVERY_HARNESS_CONFIG")}
        env.update({"NO_COLOR": "1", "COLUMNS": "200"})
        if self.token is not None:
            env["VERCEL_TOKEN"] = self.token
        if self.api_url is not None:
            env["VERCEL_API_URL"] = self.api_url
        return env

    def run(self, program: str, *args: str, timeout: float = 60) -> ToolResult:
        script = str(Path(tool_path()).parent / program)
        done = subprocess.run([script, *args], capture_output=True, text=True, env=self.env(), cwd=self.folder,
                              timeout=timeout, stdin=subprocess.DEVNULL)
        result = ToolResult(done.returncode, done.stdout, done.stderr)
        if self.token:
            assert self.token not in result.stdout + result.stderr, f"{program} printed the token"
        return result

    def mq(self, *args: str, timeout: float = 60) -> ToolResult:
        return self.run("manage-queues", *args, "--redis-url", self.scenario.redis_url, "--prefix",
                        self.scenario.prefix, "--config", str(self.folder / "recovery-harness.toml"), timeout=timeout)

    def monitor(self, *args: str) -> ToolResult:
        return self.run("monitor-deployment", *args, "--config", str(self.folder / "recovery-harness.toml"))


@pytest.fixture
def tools(tmp_path: Path, scenario: ScenarioEnv, vercel: FakeVercel) -> Tools:
    """The tools with the app on the fake Vercel: [vercel] project and team in the config, VERCEL_TOKEN set."""
    write_config(tmp_path / "app", vercel=vercel)
    return Tools(tmp_path / "app", scenario, vercel.token, vercel.base_url)


def queue_paused(result: ToolResult, name: str = QUEUE) -> bool:
    assert result.returncode in (0, 1), (result.stdout, result.stderr)
    return bool(next(q for q in result.json()["queues"] if q["name"] == name)["paused"])


def one_line(result: ToolResult) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def crons_patches(vercel: FakeVercel) -> list[Any]:
    return [r.body for r in vercel.requests_to("PATCH", "/crons")]


@pytest.mark.jobs_left("the queue stays paused with its job: the test is about the pause")
def test_pause_disables_the_vercel_crons_before_any_queue(
    tools: Tools, vercel: FakeVercel, bridge: QueueBridge, raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    bridge.add(QUEUE, "parse", {"n": 1})
    meta = f"{scenario.prefix}:{QUEUE}:meta"
    queue_paused_when_crons_switched: list[bool] = []
    vercel.on_crons_change(lambda _enabled: queue_paused_when_crons_switched.append(raw_redis.hexists(meta, "paused")))

    paused = tools.mq("pause", "--json")
    assert paused.returncode == 0, paused.stderr
    (patch,) = vercel.requests_to("PATCH", "/crons")
    assert patch.path == f"/v1/projects/{vercel.project_id}/crons"
    assert (patch.body, patch.auth_ok, patch.query) == ({"enabled": False}, True, {"teamId": vercel.team_id})
    assert all(r.auth_ok and r.query.get("teamId") == vercel.team_id for r in vercel.requests)
    assert not vercel.crons_enabled
    assert queue_paused_when_crons_switched == [False], "a queue was paused before the crons were disabled"
    assert raw_redis.hexists(meta, "paused")

    cron = paused.json()["cron"]
    assert (cron["managed_by"], cron["paused"], cron["key"]) == ("vercel", True, None)
    assert (cron["vercel"]["enabled"], cron["vercel"]["changed"], cron["vercel"]["project"]) == (
        False, True, vercel.project_id)
    assert [d["path"] for d in cron["vercel"]["definitions"]] == [APP_CRON_PATH]
    assert raw_redis.exists(f"{scenario.prefix}:cron-paused") == 0, "the switch is only for [cron] switch = true"
    (recovery,) = json.loads(tools.ledger.read_text())["recoveries"]
    assert recovery["cron"]["disabled_by_pause"] is True and recovery["cron"]["project"] == vercel.project_id
    assert recovery["cron"]["definitions"][0]["schedule"] == "* * * * *"


@pytest.mark.jobs_left("the queue stays paused with its job: the test is about status")
def test_status_reads_the_crons_back_and_fails_when_someone_enables_them(
    tools: Tools, vercel: FakeVercel, bridge: QueueBridge
) -> None:
    bridge.add(QUEUE, "parse", {"n": 1})
    assert tools.mq("pause").returncode == 0
    gets_before = len(vercel.requests_to("GET", "/v10/projects/"))
    held = tools.mq("status", "--expect", "paused", "--json")
    assert held.returncode == 0, held.stdout
    assert held.json()["cron"]["vercel"]["enabled"] is False
    assert len(vercel.requests_to("GET", "/v10/projects/")) == gets_before + 1, "status did not ask the API"

    vercel.set_crons_enabled(True)  # someone presses Enable Cron Jobs in the dashboard
    broken = tools.mq("status", "--expect", "paused")
    assert broken.returncode == 1
    assert f"cron {APP_CRON_PATH} (* * * * *) of Vercel project {vercel.project_id} is enabled" in broken.stdout
    document = tools.mq("status", "--expect", "paused", "--json").json()
    assert document["expectation_met"] is False and document["cron"]["paused"] is False
    assert [m for m in document["mismatches"] if APP_CRON_PATH in m], document["mismatches"]


@pytest.mark.jobs_left("the refused pause leaves the job waiting in a running queue")
@pytest.mark.parametrize("refusal", ["403", "wrong-token", "unreachable"])
def test_a_refused_or_unreachable_api_changes_nothing(
    tools: Tools, vercel: FakeVercel, bridge: QueueBridge, raw_redis: redis.Redis, scenario: ScenarioEnv,
    refusal: str
) -> None:
    bridge.add(QUEUE, "parse", {"n": 1})
    if refusal == "403":
        vercel.fail_next("PATCH", "/crons", status=403, code="forbidden",
                         message="You don't have permission to update the project.")
    elif refusal == "wrong-token":
        tools.token = "vcp_not_the_right_token_000"
    else:
        with socket.socket() as closed:  # a port nothing listens on
            closed.bind(("127.0.0.1", 0))
            tools.api_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    refused = tools.mq("pause")
    assert refused.returncode == 2
    line = one_line(refused)
    expected = {"403": "HTTP 403 forbidden: You don't have permission to update the project.",
                "wrong-token": "HTTP 403 forbidden: Not authorized", "unreachable": "unreachable"}[refusal]
    assert expected in line, line
    assert vercel.token not in refused.stdout + refused.stderr
    assert vercel.crons_enabled
    assert not raw_redis.hexists(f"{scenario.prefix}:{QUEUE}:meta", "paused"), "a queue was paused"
    assert not tools.ledger.exists(), "the ledger was written"
    assert raw_redis.exists(f"{scenario.prefix}:cron-paused") == 0


@pytest.mark.jobs_left("the job waits; resume is what is tested")
def test_resume_after_deployment_waits_for_ready_and_shows_the_build(
    tools: Tools, vercel: FakeVercel, bridge: QueueBridge, raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    bridge.add(QUEUE, "parse", {"n": 1})
    assert tools.mq("pause").returncode == 0
    deployment = vercel.create_deployment()
    seen_at_reenable: list[tuple[str, bool]] = []
    meta = f"{scenario.prefix}:{QUEUE}:meta"
    vercel.on_crons_change(lambda enabled: seen_at_reenable.append(
        (vercel.deployment(deployment.id).ready_state, raw_redis.hexists(meta, "paused"))) if enabled else None)
    done: list[ToolResult] = []
    follower = threading.Thread(target=lambda: done.append(tools.mq(
        "resume", "--after-deployment", f"https://{deployment.url}", "--poll-interval", "0.1", "--timeout", "1m")))
    follower.start()
    wait_until(lambda: vercel.requests_to("GET", "/v13/deployments/"), "resume to read the queued deployment")
    vercel.play_build(deployment.id, step=0.2)
    follower.join(timeout=60)
    (resumed,) = done
    assert resumed.returncode == 0, resumed.stderr
    assert seen_at_reenable == [("READY", True)], "the crons came back before READY, or after the queues"
    out = resumed.stdout
    for text in ("deployment: QUEUED", "deployment: BUILDING", "Generated Prisma Client (v6.16.0)",
                 "Build Completed in /vercel/output", "deployment: READY"):
        assert text in out, (text, out)
    assert out.index("deployment: BUILDING") < out.index("Build Completed") < out.index("deployment: READY")
    assert crons_patches(vercel) == [{"enabled": False}, {"enabled": True}] and vercel.crons_enabled
    assert not raw_redis.hexists(meta, "paused")
    (recovery,) = json.loads(tools.ledger.read_text())["recoveries"]
    assert recovery["closed_at"] and recovery["cron"]["reenabled_at"]
    assert recovery["deployments"][0]["id"] == deployment.id and recovery["deployments"][0]["readyState"] == "READY"


@pytest.mark.jobs_left("the failed deploy leaves the queue paused with its job")
def test_resume_after_a_failed_deployment_exits_1_and_leaves_everything_paused(
    tools: Tools, vercel: FakeVercel, bridge: QueueBridge, raw_redis: redis.Redis, scenario: ScenarioEnv
) -> None:
    bridge.add(QUEUE, "parse", {"n": 1})
    assert tools.mq("pause").returncode == 0
    deployment = vercel.create_deployment()
    vercel.play_build(deployment.id, fail=True, step=0.1)
    failed = tools.mq("resume", "--after-deployment", deployment.id, "--poll-interval", "0.1", "--json")
    assert failed.returncode == 1
    assert "is ERROR" in one_line(failed) and "nothing resumed" in failed.stderr
    document = failed.json()
    assert document["deployment"]["readyState"] == "ERROR" and document["queues"] == []
    assert any("exited with 1" in e["text"] and e["level"] == "error" for e in document["deployment"]["events"])
    assert crons_patches(vercel) == [{"enabled": False}] and not vercel.crons_enabled
    assert raw_redis.hexists(f"{scenario.prefix}:{QUEUE}:meta", "paused")
    (recovery,) = json.loads(tools.ledger.read_text())["recoveries"]
    assert recovery["closed_at"] is None and recovery["cron"]["reenabled_at"] is None

    stuck = vercel.create_deployment()  # never leaves QUEUED: the timeout
    late = tools.mq("resume", "--after-deployment", stuck.id, "--poll-interval", "0.1", "--timeout", "1s")
    assert late.returncode == 1 and "still QUEUED after" in one_line(late)
    assert not vercel.crons_enabled and raw_redis.hexists(f"{scenario.prefix}:{QUEUE}:meta", "paused")


def test_resume_leaves_crons_disabled_that_the_pause_did_not_disable(tools: Tools, vercel: FakeVercel) -> None:
    vercel.set_crons_enabled(False)  # disabled by someone else before the recovery
    paused = tools.mq("pause", "--json")
    assert paused.returncode == 0 and paused.json()["cron"]["vercel"]["changed"] is False
    assert crons_patches(vercel) == []
    resumed = tools.mq("resume")
    assert resumed.returncode == 0, resumed.stderr
    assert crons_patches(vercel) == [] and not vercel.crons_enabled
    assert "the Vercel crons stay disabled" in resumed.stdout and "the cron is still paused" in resumed.stdout


@pytest.mark.jobs_left("Bull's own pause keeps its jobs")
def test_without_a_platform_no_cron_is_claimed_and_a_bull_paused_queue_counts_as_paused(
    tmp_path: Path, scenario: ScenarioEnv, node_bull: Any, raw_redis: redis.Redis
) -> None:
    write_config(tmp_path / "app")
    tools = Tools(tmp_path / "app", scenario, None, None)
    node_bull.add(QUEUE, 2)
    assert node_bull.run("pause", queue=QUEUE)["isPaused"] is True  # the app's own script: Bull's queue.pause()

    status = tools.mq("status", "--queue", QUEUE, "--expect", "paused", "--json")
    assert status.returncode == 0, status.stdout
    cron = status.json()["cron"]
    assert (cron["managed_by"], cron["paused"], cron["vercel"], cron["key"]) == (None, None, None, None)
    assert "does not manage" in cron["note"] and "Disable Cron Jobs" in cron["note"]
    human = tools.mq("status", "--queue", QUEUE, "--expect", "paused")
    cron_lines = [line for line in human.stdout.splitlines() if line.startswith("cron:")]
    assert len(cron_lines) == 1 and "does not manage" in cron_lines[0] and "VERCEL_TOKEN" in cron_lines[0]
    assert "expect paused: OK" in human.stdout

    paused = tools.mq("pause", "--queue", "database-save")
    assert paused.returncode == 0, paused.stderr
    assert "paused 1 queue(s); the cron is not managed by this tool" in paused.stdout
    assert "and the cron" not in paused.stdout
    assert raw_redis.exists(f"{scenario.prefix}:cron-paused") == 0


def test_the_cron_switch_is_kept_only_where_the_config_says_so(tmp_path: Path, scenario: ScenarioEnv,
                                                               raw_redis: redis.Redis) -> None:
    write_config(tmp_path / "app", switch=True)
    tools = Tools(tmp_path / "app", scenario, None, None)
    paused = tools.mq("pause", "--json")
    assert paused.returncode == 0 and paused.json()["cron"]["managed_by"] == "switch"
    assert raw_redis.exists(f"{scenario.prefix}:cron-paused") == 1
    assert tools.mq("resume").returncode == 0
    assert raw_redis.exists(f"{scenario.prefix}:cron-paused") == 0


def test_the_project_comes_from_vercel_link_and_a_missing_token_is_one_line(
    tmp_path: Path, scenario: ScenarioEnv, vercel: FakeVercel
) -> None:
    folder = tmp_path / "linked"
    write_config(folder)
    (folder / ".vercel").mkdir()
    (folder / ".vercel" / "project.json").write_text(json.dumps({"projectId": vercel.project_id,
                                                                 "orgId": vercel.team_id}))
    no_token = Tools(folder, scenario, None, vercel.base_url).mq("status")
    assert no_token.returncode == 2 and "VERCEL_TOKEN is not set" in one_line(no_token)
    assert vercel.requests == []
    status = Tools(folder, scenario, vercel.token, vercel.base_url).mq("status", "--json")
    assert status.returncode == 0, status.stderr
    assert status.json()["cron"]["vercel"]["team"] == vercel.team_id
    (get,) = vercel.requests
    assert (get.path, get.query, get.auth_ok) == (f"/v10/projects/{vercel.project_id}", {"teamId": vercel.team_id},
                                                  True)


def test_monitor_deployment_follows_to_ready_error_or_timeout(tools: Tools, vercel: FakeVercel) -> None:
    good = vercel.create_deployment()
    vercel.play_build(good.id, step=0.1)
    ready = tools.monitor(good.url, "--poll-interval", "0.1")
    assert ready.returncode == 0, ready.stderr
    assert "Generated Prisma Client" in ready.stdout and ready.stdout.strip().endswith("is READY")

    bad = vercel.create_deployment()
    vercel.play_build(bad.id, fail=True, step=0.1)
    failed = tools.monitor(bad.id, "--poll-interval", "0.1", "--json")
    assert failed.returncode == 1 and "is ERROR" in one_line(failed)
    document = failed.json()["deployment"]
    assert [s["state"] for s in document["states"]][-1] == "ERROR" and document["ready"] is False
    assert document["error"] == 'Error: Command "npm run build" exited with 1'

    waiting = vercel.create_deployment()
    late = tools.monitor(waiting.id, "--poll-interval", "0.1", "--timeout", "0.5s")
    assert late.returncode == 1 and "still QUEUED after" in one_line(late)

    missing = tools.monitor("dpl_doesnotexist")
    assert missing.returncode == 2
    assert "HTTP 404 not_found: The deployment could not be found." in one_line(missing)


def test_the_token_is_never_printed_nor_recorded(tools: Tools, vercel: FakeVercel) -> None:
    """Tools.run already checks every output; here the paths that could leak it: errors, --json, the ledger."""
    outputs = [tools.mq("pause", "--json"), tools.mq("status"), tools.mq("status", "--json")]
    vercel.fail_next("GET", "/v10/projects/", status=401, code="unauthorized",
                     message=f"token {vercel.token} expired")  # an API that echoes the token back
    echoed = tools.mq("status")
    assert echoed.returncode == 2 and "***" in one_line(echoed)
    outputs += [echoed, tools.mq("resume", "--json"), tools.mq("--help"), tools.monitor("dpl_missing", "--json")]
    for result in outputs:
        assert vercel.token not in result.stdout + result.stderr
    assert tools.ledger.exists() and vercel.token not in tools.ledger.read_text()
    assert all(r.auth_ok for r in vercel.requests)


def test_every_new_option_has_help(tools: Tools) -> None:
    resume_help = tools.mq("resume", "--help").stdout
    for option in ("--after-deployment", "--timeout", "--poll-interval"):
        assert option in resume_help
    monitor_help = tools.run("monitor-deployment", "--help").stdout
    for text in ("--timeout", "--poll-interval", "--json", "VERCEL_TOKEN", "Exit codes"):
        assert text in monitor_help
