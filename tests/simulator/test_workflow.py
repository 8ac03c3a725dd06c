"""Workflow stages: order and queues from the registry, scaled backoff, idempotent stage writes, worker CLI errors."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import psycopg

from harness.isolation import ScenarioEnv
from recovery_tools.config import APP_QUEUES
from simulator.clock import ScaledClock
from simulator.db.client import PrismaClient
from simulator.db.operation import prisma_operation
from simulator.observe.logs import LogSink
from simulator.po.fake import fake_po
from simulator.po.upload import ensure_merchant, upload_po
from simulator.queues.registry import QUEUE_NAMES, STAGE_QUEUES
from simulator.release import HEALTHY
from simulator.schema import tool_config_path
from simulator.services.image_search import FakeImageSearch
from simulator.workflow.context import App, AppConfig
from simulator.workflow.processors import BODIES, run_stage
from simulator.workflow.stages import (
    COMPLETES_WORKFLOW,
    QUEUE_OF,
    REFINEMENT,
    STAGES,
    WORKFLOW_STAGES,
    job_options,
    next_stage,
)

TABLES = ("ProductDraft", "ProductImage", "ImageReviewSession", "ImageReviewProduct", "ImageReviewProductImage")


def test_stages_in_order_on_registry_queues() -> None:
    assert WORKFLOW_STAGES == STAGE_QUEUES == (
        "ai-parsing", "database-save", "product-draft-creation", "image-attachment", "shopify-sync", "status-update")
    assert (*WORKFLOW_STAGES, REFINEMENT) == STAGES and WORKFLOW_STAGES[-1] == COMPLETES_WORKFLOW
    assert all(QUEUE_OF[stage] in QUEUE_NAMES for stage in STAGES)
    assert [next_stage(stage) for stage in STAGES] == [*STAGES[1:], None]
    assert tuple(BODIES) == STAGES, "a body per stage, in stage order"


def test_the_registry_is_the_apps_shared_config_and_the_tools_config() -> None:
    """registry.py, the simulated app's recovery-harness.toml and the tools' built-in app defaults: the same ten."""
    from_toml = tomllib.loads(tool_config_path().read_text(encoding="utf-8"))["queues"]
    assert tuple(from_toml) == QUEUE_NAMES == APP_QUEUES
    assert len(set(QUEUE_NAMES)) == 10 and set(STAGE_QUEUES) < set(QUEUE_NAMES)


def test_backoff_is_virtual_time_scaled_to_wall_milliseconds() -> None:
    opts = job_options(ScaledClock(60.0), dedupe_id="wf-1-parse")
    assert opts["backoff"] == {"type": "exponential", "delay": 250}
    assert opts["jobId"] == "wf-1-parse" and opts["attempts"] >= 2
    assert "jobId" not in job_options(ScaledClock(60.0), dedupe_id=None)


def _row_counts(database_url: str) -> dict[str, int]:
    with psycopg.connect(database_url) as conn:
        return {table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in TABLES}  # type: ignore[index]


def test_every_stage_run_twice_writes_each_row_once(scenario: ScenarioEnv) -> None:
    clock = ScaledClock(60.0)
    filename, content = fake_po(5, lines=4)
    with PrismaClient(scenario.database_url) as api:
        prisma_operation(api, lambda s: ensure_merchant(s, "m-1", "Merchant", "token-1"))
        upload = prisma_operation(api, lambda s: upload_po(s, "m-1", filename, content))
    with FakeImageSearch(clock) as search, LogSink(scenario.redis_url, scenario.prefix, clock) as logs:
        app = App(AppConfig(scenario.redis_url, scenario.prefix, scenario.database_url, search.base_url, HEALTHY),
                  clock, logs)
        try:
            data: dict[str, object] | None = {"workflowId": upload.workflow_id}
            counts: list[dict[str, int]] = []
            for stage in STAGES:
                assert data is not None
                first = run_stage(app, stage, dict(data), attempt=1, final=False)
                once = _row_counts(scenario.database_url)
                run_stage(app, stage, dict(data), attempt=2, final=False)  # a retried or duplicated job
                assert _row_counts(scenario.database_url) == once, f"stage {stage} wrote rows twice"
                counts.append(once)
                data = first
        finally:
            app.close()
        assert sum(logs.counts_by_signature().values()) == 0
    assert counts[-1] == {"ProductDraft": 4, "ProductImage": 12, "ImageReviewSession": 1,
                          "ImageReviewProduct": 4, "ImageReviewProductImage": 12}


def _worker(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "simulator", "worker", "--redis-url", "redis://127.0.0.1:1/0", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_worker_cli_bad_input_is_one_line_and_exit_2() -> None:
    cases = [
        ("--queue", "ai-parsing", "--processor", "nope"),
        ("--queue", "ai-parsing", "--processor", "stages"),
        ("--queue", "nope", "--processor", "stages", "--database-url", "postgresql://x/y", "--search-url", "http://x"),
        ("--queue", "ai-parsing", "--processor", "stages", "--database-url", "postgresql://x/y", "--search-url",
         "http://x", "--release", "nightly"),
    ]
    for args in cases:
        result = _worker(*args)
        assert result.returncode == 2, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("python -m simulator: error: "), (args, result.stderr)
        assert "Traceback" not in result.stderr
