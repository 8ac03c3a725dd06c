"""check-table-names --scan: raw SQL found in JS/TS/Python/.sql sources and resolved against real Postgres."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.isolation import ScenarioEnv
from recovery_tools.check_table_names.scan import ScanError, js_raw_sql, scan_paths
from recovery_tools.check_table_names.sqlrefs import PLACEHOLDER, table_references

TOOLS = Path(__file__).parent
SAMPLES = TOOLS / "sql_samples"

BROKEN_FINDINGS = [
    '❌ NOT FOUND - "image_review_options" at sql_samples/broken/legacy_check.sql:6',
    '❌ NOT FOUND - "image_review_options" at sql_samples/broken/legacy_reports.py:6',
    '❌ NOT FOUND - "public"."image_review_items" at sql_samples/broken/legacy_reports.py:20',
    '❌ NOT FOUND - "imagereviewproductimage" at sql_samples/broken/merchantImageReviewService.ts:7 '
    '(written unquoted ImageReviewProductImage, which Postgres folds to lower case; '
    '"public"."ImageReviewProductImage" exists: quote the name)',
    '❌ NOT FOUND - "image_review_archive" at sql_samples/broken/merchantImageReviewService.ts:12',
    '❌ NOT FOUND - "image_review_options" at sql_samples/broken/refinementPipelineService.js:7',
    '❌ NOT FOUND - "image_review_items" at sql_samples/broken/refinementPipelineService.js:8',
    '❌ NOT FOUND - "image_review_items" at sql_samples/broken/refinementPipelineService.js:20',
]


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recovery_tools.check_table_names", *args],
                          capture_output=True, text=True, timeout=60, cwd=TOOLS)


def written(sql: str) -> list[str]:
    return [ref.written for ref in table_references(sql)]


@pytest.mark.parametrize(
    ("sql", "expected"),
    [
        ("SELECT * FROM image_review_options o JOIN image_review_items i ON i.id = o.item_id",
         ["image_review_options", "image_review_items"]),
        ('SELECT * FROM "ImageReviewSession" s, public."ImageReviewProduct" p, unnest(s.tags) AS t(x), Plain',
         ['"ImageReviewSession"', 'public."ImageReviewProduct"', "Plain"]),
        ("WITH approved AS (SELECT * FROM image_review_options) SELECT * FROM approved", ["image_review_options"]),
        ("SELECT extract(year FROM ts), trim(both ' ' FROM name) FROM \"Workflow\" WHERE a IS DISTINCT FROM b",
         ['"Workflow"']),
        ('INSERT INTO "Workflow" (id) VALUES ($1) ON CONFLICT (id) DO UPDATE SET status = $2', ['"Workflow"']),
        ('UPDATE ONLY "Workflow" SET x = 1 FROM "PurchaseOrder" p WHERE p.id IN (SELECT id FROM "Merchant") '
         "FOR UPDATE", ['"Workflow"', '"PurchaseOrder"', '"Merchant"']),
        (f"DELETE FROM image_review_items WHERE id = {PLACEHOLDER}", ["image_review_items"]),
        (f"SELECT * FROM {PLACEHOLDER} JOIN \"{PLACEHOLDER}\" ON true", []),
        ("SELECT coalesce((SELECT 1 FROM t1), 0) FROM generate_series(1, 3) g", ["t1"]),
        ("SELECT * FROM a LEFT JOIN LATERAL (SELECT 1 FROM b) x ON true -- FROM c\n /* JOIN d */", ["a", "b"]),
        ("SELECT 'FROM e', $$ JOIN f $$ FROM \"g\"\"h\"", ['"g"h"']),
        ('SELECT 1 FROM "Audit"."Log" JOIN Audit.Log ON true', ['"Audit"."Log"', "Audit.Log"]),
    ],
)
def test_table_references(sql: str, expected: list[str]) -> None:
    assert written(sql) == expected


def test_unquoted_names_fold_and_quoted_ones_do_not() -> None:
    quoted, unquoted = table_references('SELECT 1 FROM "Audit"."Log" JOIN Audit.Log ON true')
    assert (quoted.resolved_schema, quoted.resolved_name) == ("Audit", "Log")
    assert (unquoted.resolved_schema, unquoted.resolved_name) == ("audit", "log")


def test_js_templates_calls_and_offsets() -> None:
    source = (
        "const a = await prisma.$queryRaw<Row[]>`SELECT * FROM \"A\" WHERE id = ${ids.map((i) => `${i}`)}`;\n"
        "prisma.$executeRawUnsafe(\n  'DELETE FROM b WHERE x = \\'y\\''\n);\n"
        "queryRawSomethingElse(`SELECT * FROM not_raw`);\n"
    )
    found = [(sql, [source.count("\n", 0, offsets[ref.offset]) + 1 for ref in table_references(sql)])
             for sql, offsets in js_raw_sql(source)]
    assert [written(sql) for sql, _ in found] == [['"A"'], ["b"]]
    assert [lines for _, lines in found] == [[1], [3]]


def test_fixture_tree_without_a_database() -> None:
    result = scan_paths([SAMPLES / "broken"])
    assert result.files == 4, "node_modules is skipped; README.md is not source"
    sites = {(Path(site.path).name, site.line, site.ref.written) for site in result.sites}
    assert ("legacy_reports.py", 1, "image_review_items") not in sites, "docstrings are prose, not SQL"
    assert not any("node_modules" in site.path for site in result.sites)
    assert ("merchantImageReviewService.ts", 18, '"ImageReviewSession"') in sites, "Prisma.sql fragments count"
    assert ("legacy_reports.py", 18, '"ImageReviewSession"') in sites and not any(
        name == "recent" for _, _, name in sites), "CTE names are not tables"
    assert len(result.sites) == 14 and result.skipped == []


def test_missing_scan_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no such file or directory"):
        scan_paths([tmp_path / "absent"])


def test_broken_tree_fails_with_file_and_line(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", "sql_samples/broken")
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = lines.index("Raw SQL in sql_samples/broken: 4 files, 14 table references, 8 unresolved")
    assert lines[header + 1:-1] == BROKEN_FINDINGS
    assert lines[-1] == ("❌ FAIL - 10/10 expected tables exist, 2/2 legacy names absent, "
                         "6/14 raw SQL table references resolve")


def test_fixed_tree_passes(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", "sql_samples/fixed")
    assert result.returncode == 0, result.stdout
    assert "Raw SQL in sql_samples/fixed: 3 files, 10 table references, 0 unresolved" in result.stdout
    assert "NOT FOUND - \"image_review_items\" at" not in result.stdout


def test_scan_json_and_skipped_files(scenario: ScenarioEnv, tmp_path: Path) -> None:
    (tmp_path / "ok.sql").write_text('SELECT 1 FROM "Workflow";\nSELECT 1 FROM workflow_legacy;\n')
    (tmp_path / "broken.py").write_text("def oops(:\n")
    result = subprocess.run(
        [sys.executable, "-m", "recovery_tools.check_table_names", "--database-url", scenario.database_url,
         "--expect", "Workflow", "--scan", str(tmp_path), "--json"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stderr
    scan = json.loads(result.stdout)["scan"]
    assert scan["files"] == 2 and scan["references"] == 2
    assert scan["unresolved"] == [{"file": str(tmp_path / "ok.sql"), "line": 2, "schema": None,
                                   "table": "workflow_legacy", "written": "workflow_legacy", "case_twins": []}]
    assert len(scan["skipped"]) == 1 and scan["skipped"][0].startswith(f"{tmp_path / 'broken.py'}: SyntaxError")


def test_scan_of_a_missing_path_exits_2(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", "no/such/dir")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "check-table-names: error: cannot scan no/such/dir: no such file or directory"


def test_simulator_broken_path_is_found_and_fixed_path_is_clean(scenario: ScenarioEnv, tmp_path: Path) -> None:
    from simulator.bugs import image_review_table_mismatch as bug

    module = Path(inspect.getfile(bug))
    result = subprocess.run(
        [sys.executable, "-m", "recovery_tools.check_table_names", "--database-url", scenario.database_url,
         "--expect", "ImageReviewProductImage", "--scan", str(module), "--json"],
        capture_output=True, text=True, timeout=60)
    assert result.returncode == 1, result.stdout + result.stderr
    unresolved = json.loads(result.stdout)["scan"]["unresolved"]
    assert {item["table"] for item in unresolved} >= {"image_review_options"}
    source_lines, first = inspect.getsourcelines(bug.get_approved_images_for_item_fixed)
    fixed_range = range(first, first + len(source_lines))
    assert not [item for item in unresolved if item["line"] in fixed_range]

    fixed_only = tmp_path / "fixed_path.py"
    fixed_only.write_text(inspect.getsource(bug.get_approved_images_for_item_fixed), encoding="utf-8")
    clean = run_tool("--database-url", scenario.database_url, "--expect", "ImageReviewProductImage",
                     "--scan", str(fixed_only))
    assert clean.returncode == 0, clean.stdout
    assert "0 unresolved" in clean.stdout
