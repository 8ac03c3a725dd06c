"""The live preflight: read-only on a real stack, fails with the tool's own line, refuses write steps."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import psycopg
import pytest
import redis
from psycopg import sql

from harness.isolation import ScenarioEnv
from harness.scratch_redis import scratch_redis
from simulator.queues.bridge import QueueBridge
from steps.live_mode import read_only
from steps.live_steps import LiveWriteRefused, refuse_writes

ROOT = Path(__file__).resolve().parent.parent


def redis_state(env: ScenarioEnv) -> dict[bytes, tuple[bytes | None, int]]:
    """Every key under the prefix with its serialized value and TTL."""
    client = redis.Redis.from_url(env.redis_url)
    try:
        return {key: (client.dump(key), int(client.pttl(key)) // 1000) for key in client.scan_iter(f"{env.prefix}:*")}
    finally:
        client.close()


def postgres_state(env: ScenarioEnv) -> dict[str, str]:
    """Every table of the database with a digest of all its rows."""
    with psycopg.connect(env.database_url) as conn:
        tables = [row[0] for row in conn.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1")]
        digests = {}
        for table in tables:
            rows = conn.execute(sql.SQL("SELECT * FROM {} ORDER BY 1").format(sql.Identifier(table))).fetchall()
            digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


SAMPLE_APP = ROOT / "tests" / "tools" / "sql_samples"


def run_live(env: ScenarioEnv, *extra: str) -> subprocess.CompletedProcess[str]:
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}
    environment = {**inherited, "REDIS_URL": env.redis_url, "DATABASE_URL": env.database_url}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "features/", "-m", "live", "--backend", "services",
         "--queue-prefix", env.prefix, "-p", "no:cacheprovider", "-q", *extra],
        capture_output=True, text=True, env=environment, cwd=ROOT, timeout=300,
    )


@pytest.mark.jobs_left("the live preflight must leave the queue exactly as it found it")
def test_live_selection_fails_on_a_missing_table_and_changes_nothing(scenario: ScenarioEnv) -> None:
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute('INSERT INTO "Merchant" (id, name, "apiToken") VALUES (%s, %s, %s)', ("m1", "Acme", "t1"))
        conn.execute('DROP TABLE "ImageReviewProductImage"')
    with QueueBridge(scenario.redis_url, scenario.prefix) as bridge:
        for number in range(3):
            bridge.add("ai-parsing", "ai-parsing", {"n": number})
        bridge.call(bridge.queue("image-attachment").pause())
    keys_before, rows_before = redis_state(scenario), postgres_state(scenario)
    assert keys_before, "the queue data to protect is there"

    result = run_live(scenario)

    assert result.returncode == 1, result.stdout + result.stderr
    assert '❌ NOT FOUND - "ImageReviewProductImage"' in result.stdout
    # The schema gate, the scan (which checks too) and preflight (the table, and the test Redis's persistence).
    assert "3 failed, 1 passed" in result.stdout, result.stdout
    assert '"subject": "ImageReviewProductImage"' in result.stdout, "preflight names the model"
    assert redis_state(scenario) == keys_before
    assert postgres_state(scenario) == rows_before


@pytest.mark.jobs_left("nothing is added: the live run only reads")
def test_live_selection_passes_on_a_healthy_stack(scenario: ScenarioEnv) -> None:
    """Healthy includes a Redis that keeps queue data (the scenario's test server runs without persistence)."""
    with scratch_redis("--maxmemory-policy", "noeviction", "--appendonly", "yes", "--appendfsync", "everysec") as url:
        result = run_live(replace(scenario, redis_url=url))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_a_step_not_marked_read_only_is_refused_on_the_real_stack() -> None:
    def pause_queues() -> None:
        """A step that would write."""

    @read_only
    def look() -> None:
        """A step that only reads."""

    with pytest.raises(LiveWriteRefused, match="refuses step 'I run \"manage-queues pause\"'"):
        refuse_writes({"live"}, 'I run "manage-queues pause"', pause_queues, live=True)
    refuse_writes({"live"}, "I look", look, live=True)
    refuse_writes({"live"}, 'I run "manage-queues pause"', pause_queues, live=False)
    refuse_writes({"smoke"}, 'I run "manage-queues pause"', pause_queues, live=True)


@pytest.mark.parametrize("form", ["broken", "fixed"])
def test_raw_sql_scenario_fails_on_the_broken_app_and_passes_on_the_fixed_one(form: str,
                                                                           scenario: ScenarioEnv) -> None:
    """The scenario as a team runs it (`--app-source`): on the broken sample app it fails and its failure shows
    the tool's command and lines; on the fixed one it passes."""
    source = SAMPLE_APP / form
    run = run_live(scenario, "-k", "raw_sql_on_a_table", "--tb=short", "--app-source", str(source))
    output = run.stdout + run.stderr
    if form == "fixed":
        assert run.returncode == 0 and "1 passed" in output, output[-4000:]
        return
    assert run.returncode == 1 and "1 failed" in output, output[-4000:]
    assert f"--scan '{source}'" in output and "[exit 1]" in output, "the failure names the command it ran"
    for evidence in (
        f'❌ NOT FOUND - "image_review_sessions" at {source}/api/services/imageReviewService.js:9 (SELECT; '
        'did you mean "ImageReviewSession" (model ImageReviewSession)?)',
        f'❌ NOT FOUND - "purchase_orders" at {source}/api/services/imageReviewService.js:17',
        f'❌ NOT FOUND - column "session_id" of "public"."ImageReviewProduct" at '
        f"{source}/api/services/refinementPipelineService.mjs:20",
    ):
        assert evidence in output, output[-4000:]
