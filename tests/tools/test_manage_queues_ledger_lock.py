"""The recovery ledger's lock: two runs of manage-queues never interleave their reads and writes of one ledger."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as aioredis

from harness.isolation import ScenarioEnv
from recovery_tools.manage_queues import ledger, ledger_lock
from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.manage_queues.ledger_lock import LedgerLock
from tests.tools.conftest import tool_path


def test_a_pause_waits_for_the_run_holding_the_ledger_then_records(mq: Callable[..., Any], scenario: ScenarioEnv,
                                                                   tmp_path: Path) -> None:
    ledger_file = tmp_path / "recovery-ledger.json"
    holder = os.open(tmp_path / "recovery-ledger.json.lock", os.O_RDWR | os.O_CREAT)
    fcntl.flock(holder, fcntl.LOCK_EX)
    pause = subprocess.Popen(
        [tool_path(), "pause", "--queue", "ai-parsing", "--ledger", str(ledger_file), "--json",
         "--redis-url", scenario.redis_url, "--prefix", scenario.prefix],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        assert pause.poll() is None, f"the pause did not wait for the lock: {pause.communicate()}"
        waiting = mq("status", "--queue", "ai-parsing", "--json").json()
        assert waiting["queues"][0]["paused"] is False and not ledger_file.exists(), "it changed something first"
    finally:
        os.close(holder)  # the other run ends
    out, err = pause.communicate(timeout=30)
    assert pause.returncode == 0, err
    assert json.loads(out)["ledger"]["action"] == "opened"
    assert mq("status", "--queue", "ai-parsing", "--expect", "paused").returncode == 0


@pytest.mark.parametrize("where", ["file", "redis"])
def test_a_lock_held_past_the_wait_is_refused_naming_the_holder_and_released_after(
        where: str, scenario: ScenarioEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_lock, "LOCK_WAIT_SECONDS", 0.3)
    store = ledger.store_for(str(tmp_path / "ledger.json") if where == "file" else "redis", scenario.prefix)
    assert store is not None

    async def scenario_of_two_runs() -> None:
        client = aioredis.Redis.from_url(scenario.redis_url)
        try:
            first, second = LedgerLock(store, client), LedgerLock(store, client)
            await first.acquire()
            with pytest.raises(ToolError, match=r"is in use by another manage-queues run \(.+ pid \d+"):
                await second.acquire()
            await first.release()
            await second.acquire()  # free again once the first run released it
            await second.release()
            if where == "redis":
                assert await client.exists(f"{ledger.ledger_key(scenario.prefix)}:lock") == 0
            else:
                assert list(tmp_path.iterdir()) == [], "the lock file is removed with the lock"
        finally:
            await client.aclose()

    asyncio.run(scenario_of_two_runs())
