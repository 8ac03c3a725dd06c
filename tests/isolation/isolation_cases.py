"""Two scenarios that write the same keys and rows; run by test_isolation.py under `-n 2`."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import psycopg
import pytest
import redis

from harness.isolation import Isolation, ScenarioEnv


@pytest.mark.parametrize("owner", ["alpha", "beta"])
def test_same_names_do_not_collide(scenario: ScenarioEnv, isolation: Isolation, owner: str) -> None:
    client = redis.Redis.from_url(scenario.redis_url, decode_responses=True)
    key = f"{scenario.prefix}:ai-parsing:shared"
    started = time.time()
    client.set(key, owner)
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute(
            'INSERT INTO "Merchant" (id, name, "apiToken") VALUES (%s, %s, %s)', ("same-id", owner, "same-token")
        )
        time.sleep(1.0)  # overlap with the other case, which runs on the other xdist worker
        rows = conn.execute('SELECT name FROM "Merchant"').fetchall()
    assert rows == [(owner,)]
    assert client.get(key) == owner
    client.close()
    report = Path(os.environ["ISOLATION_REPORT_DIR"]) / f"{owner}.json"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    report.write_text(json.dumps({"worker": worker, "started": started, "ended": time.time(),
                                  "session_token": isolation.token}))
