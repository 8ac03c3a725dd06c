"""`verify --logs`: a JSON-lines export (as `vercel logs --json` prints it) and a plain-text one, each a signature."""

from __future__ import annotations

import json
import time
from pathlib import Path

from harness.isolation import ScenarioEnv
from recovery_tools.criteria.judge import FAILS, HOLDS, INCONCLUSIVE, Evidence, LogLine, judge
from recovery_tools.verify.durations import parse_duration
from recovery_tools.verify.logfile import parse_line
from tests.verify.helpers import run_verify

P2010 = ("Invalid `prisma.$queryRawUnsafe()` invocation: Raw query failed. Code: `42P01`. "
         'Message: `relation "image_review_options" does not exist`')


def test_json_lines_export_with_p2010_fails_that_criterion(scenario: ScenarioEnv, tmp_path: Path) -> None:
    now_ms = int(time.time() * 1000)
    export = tmp_path / "vercel.jsonl"
    export.write_text("\n".join(json.dumps(line) for line in [
        {"level": "info", "message": "workflow started", "timestampInMs": now_ms - 5000, "source": "lambda"},
        {"level": "error", "message": P2010, "timestampInMs": now_ms - 4000, "source": "lambda",
         "requestMethod": "POST", "requestPath": "/api/process-workflows", "responseStatusCode": 500},
        {"level": "info", "message": "", "timestampInMs": now_ms - 3000, "requestMethod": "GET",
         "requestPath": "/api/image-review/sessions/s-1", "responseStatusCode": 404},
        {"level": "error", "message": "too old: Engine is not yet connected.", "timestampInMs": now_ms - 3_600_000},
    ]) + "\n", encoding="utf-8")
    run = run_verify(scenario, "--window", "0s", "--since", "10m", "--logs", str(export), "--json")
    assert run.exit_code == 1, run.stdout + run.stderr
    verdicts = run.verdicts()
    assert verdicts["no-p2010"] == FAILS and verdicts["no-review-404"] == FAILS
    assert verdicts["no-engine-not-connected"] == HOLDS, "a line before --since is outside the window"
    evidence = {c["id"]: c["evidence"] for c in run.document["criteria"]}
    assert "vercel.jsonl:2" in evidence["no-p2010"] and 'relation "image_review_options"' in evidence["no-p2010"]
    assert "GET /api/image-review/sessions/s-1 404" in evidence["no-review-404"]


def test_plain_text_export_on_stdin_with_const_assignment(scenario: ScenarioEnv) -> None:
    text = ("2026-01-01T10:00:00Z queue drained\n"
            "workflow stage image-attachment failed: TypeError: Assignment to constant variable.\n"
            "Google Search API error: 429 Too Many Requests\n")
    run = run_verify(scenario, "--window", "0s", "--logs", "-", stdin=text)
    assert run.exit_code == 1, run.stdout + run.stderr
    assert '[fails] No "Assignment to constant variable" errors: 1 log events show const-assignment' in run.stdout
    assert "(stdin:2)" in run.stdout
    assert "warning: 1 log lines show Google API 429" in run.stdout
    assert "[holds] No P2010" in run.stdout


def test_missing_log_file_and_bad_duration_are_usage_errors(scenario: ScenarioEnv, tmp_path: Path) -> None:
    missing = run_verify(scenario, "--window", "0s", "--logs", str(tmp_path / "nope.log"))
    assert missing.exit_code == 2 and missing.stderr.startswith("verify: error: log file") and "Traceback" not in \
        missing.stderr
    bad = run_verify(scenario, "--window", "ten minutes")
    assert bad.exit_code == 2 and "--window: not a duration" in bad.stderr
    unreachable = run_verify(scenario, "--window", "0s", "--redis-url", "redis://:s3cret@127.0.0.1:1/0")
    assert unreachable.exit_code == 2 and "s3cret" not in unreachable.stderr and "***" in unreachable.stderr


def test_parsing_and_judging_without_servers() -> None:
    assert parse_duration("10m") == 600 and parse_duration("1h30m") == 5400 and parse_duration("45") == 45
    line = parse_line('{"message": "x", "timestamp": "2026-01-01T00:00:00Z"}', "f:1", 0.0)
    assert line is not None and line.t == 1767225600.0
    plain = parse_line("[2026-01-01 00:00:01] GET /api/image-review/sessions/abc 404", "f:2", 0.0)
    assert plain is not None and plain.t == 1767225601.0
    results = {r.id: r for r in judge(Evidence(0.0, 10.0, logs=[plain]))}
    assert results["no-review-404"].verdict == FAILS
    assert results["pool-under-25"].verdict == INCONCLUSIVE  # no sample is no evidence
    assert results["po-uploads-complete"].verdict == INCONCLUSIVE
    only_ok = judge(Evidence(0.0, 10.0, logs=[LogLine(1.0, "GET /api/image-review/sessions/abc 200", "f:3")]))
    assert {r.id: r.verdict for r in only_ok}["no-review-404"] == HOLDS
