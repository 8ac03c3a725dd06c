"""check-table-names --scan: raw SQL found by what it is in an app's JS/TS/Python/.sql, resolved on real Postgres."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys
from pathlib import Path

import pytest

from harness.isolation import ScenarioEnv
from recovery_tools.check_table_names.scan import ScanError, scan_paths
from recovery_tools.source.esbuild import VERSION as ESBUILD_VERSION

TOOLS = Path(__file__).parent
SAMPLES = TOOLS / "sql_samples"
BROKEN = "sql_samples/broken"

# Every table and column of the broken app that does not exist, with its file:line, the statement and the hint.
CLOSEST = ('no table of that name; closest: "ImageReviewSession" (model ImageReviewSession), '
           '"ImageReviewProduct" (model ImageReviewProduct), "ImageReviewProductImage" (model ImageReviewProductImage)')
SESSION = 'did you mean "ImageReviewSession" (model ImageReviewSession)?'
PO = 'did you mean "PurchaseOrder" (model PurchaseOrder)?'
BROKEN_FINDINGS = [
    f'❌ NOT FOUND - "purchase_orders" at {BROKEN}/api/routes/purchaseOrders.ts:10 (SELECT; {PO})',
    f'❌ NOT FOUND - "image_review_sessions" at {BROKEN}/api/routes/purchaseOrders.ts:17 (DELETE fragment; {SESSION})',
    f'❌ NOT FOUND - "purchaseorder" at {BROKEN}/api/routes/purchaseOrders.ts:21 (SELECT; written unquoted '
    'PurchaseOrder, which Postgres folds to lower case; "public"."PurchaseOrder" exists: quote the name)',
    f'❌ NOT FOUND - "image_review_options" at {BROKEN}/api/services/imageReviewService.js:7 (SELECT; {CLOSEST})',
    f'❌ NOT FOUND - "image_review_items" at {BROKEN}/api/services/imageReviewService.js:8 (SELECT; {CLOSEST})',
    f'❌ NOT FOUND - "image_review_sessions" at {BROKEN}/api/services/imageReviewService.js:9 (SELECT; {SESSION})',
    f'❌ NOT FOUND - "image_review_sessions" at {BROKEN}/api/services/imageReviewService.js:16 (SELECT; {SESSION})',
    f'❌ NOT FOUND - "purchase_orders" at {BROKEN}/api/services/imageReviewService.js:17 (SELECT; {PO})',
    f'❌ NOT FOUND - "image_review_options" at {BROKEN}/api/services/refinementPipelineService.mjs:8 '
    f"(fragment; {CLOSEST})",
    f'❌ NOT FOUND - "image_review_items" at {BROKEN}/api/services/refinementPipelineService.mjs:13 '
    f"(UPDATE; {CLOSEST})",
    f'❌ NOT FOUND - "image_review_options" at {BROKEN}/db/legacy_check.sql:6 (SELECT; {CLOSEST})',
    f'❌ NOT FOUND - "image_review_options" at {BROKEN}/scripts/legacy_reports.py:6 (SELECT; {CLOSEST})',
    f'❌ NOT FOUND - "public"."image_review_items" at {BROKEN}/scripts/legacy_reports.py:20 (SELECT; {CLOSEST})',
    f'❌ NOT FOUND - column "session_id" of "public"."ImageReviewProduct" at '
    f'{BROKEN}/api/services/refinementPipelineService.mjs:20 (UPDATE; did you mean "sessionId"?)',
    f"⚠️ SKIPPED - {BROKEN}/api/jobs/nightly.js: JsSyntaxError: javascript syntax error at line 2: "
    f"cannot parse 'async function nightly( {{' (esbuild {ESBUILD_VERSION}: line 3:3: Cannot use \"await\" as an "
    "identifier here)",
    f"⚠️ SKIPPED - {BROKEN}/web/vendor/charts.js: ValueError: looks minified (a line of 1773 characters, "
    "904 on average)",
]


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "recovery_tools.check_table_names", *args],
                          capture_output=True, text=True, timeout=60, cwd=TOOLS)


def test_fixture_trees_without_a_database() -> None:
    broken = scan_paths([SAMPLES / "broken"])
    fixed = scan_paths([SAMPLES / "fixed"])
    assert broken.files == 10 and fixed.files == 9, "node_modules, dist, .next and *.min.js are not read"
    for result in (broken, fixed):
        places = {Path(site.path).relative_to(SAMPLES).parts[1] for site in result.sites + result.columns}  # type: ignore[operator]
        assert places == {"api", "db", "scripts"}, "nothing from web/ (prose) nor from skipped folders"
    assert [entry.split(":")[0] for entry in broken.skipped] == [
        str(SAMPLES / "broken/api/jobs/nightly.js"), str(SAMPLES / "broken/web/vendor/charts.js")]
    tables = {site.ref.name for site in broken.sites}
    assert tables >= {"image_review_sessions", "image_review_items", "image_review_options", "purchase_orders"}
    assert not {"image_review_sessions", "image_review_items", "image_review_options", "purchase_orders"} & {
        site.ref.name for site in fixed.sites}
    assert "recent" not in tables, "CTE names are not tables"


def test_missing_scan_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ScanError, match="no such file or directory"):
        scan_paths([tmp_path / "absent"])


def test_broken_app_fails_with_every_missing_table_and_column(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", BROKEN)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    header = lines.index(f"Raw SQL in {BROKEN}: 10 files, 20 table references, 13 unresolved, "
                         "38 column references, 1 unknown")
    assert lines[header + 1:-1] == BROKEN_FINDINGS
    assert lines[-1] == ("❌ FAIL - 11/11 expected tables exist, 2/2 legacy names absent, "
                         "7/20 raw SQL table references resolve, 1 unknown raw SQL column")


def test_fixed_app_passes(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", "sql_samples/fixed")
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert ("Raw SQL in sql_samples/fixed: 9 files, 23 table references, 0 unresolved, "
            "48 column references, 0 unknown") in lines
    assert not [line for line in lines if line.startswith("❌ NOT FOUND - ") and " at " in line]
    assert lines[-1] == ("✅ PASS - 11/11 expected tables exist, 2/2 legacy names absent, "
                         "23/23 raw SQL table references resolve")


def test_json_keeps_its_shape_and_adds_statement_hint_fragment_columns(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", BROKEN, "--json")
    assert result.returncode == 1, result.stderr
    scan = json.loads(result.stdout)["scan"]
    assert (scan["files"], scan["references"], scan["column_references"]) == (10, 20, 38)
    first, fragment = scan["unresolved"][:2]
    assert first == {
        "file": f"{BROKEN}/api/routes/purchaseOrders.ts", "line": 10, "schema": None, "table": "purchase_orders",
        "written": "purchase_orders", "case_twins": [], "statement": "SELECT", "fragment": False,
        "columns": ["id", "po_number", "merchant_id", "created_at"], "hint": PO,
        "hint_tables": [{"table": "PurchaseOrder", "model": "PurchaseOrder"}], "text": BROKEN_FINDINGS[0],
    }
    assert (fragment["statement"], fragment["fragment"], fragment["hint_tables"]) == (
        "DELETE", True, [{"table": "ImageReviewSession", "model": "ImageReviewSession"}])
    folded = scan["unresolved"][2]
    assert (folded["table"], folded["written"]) == ("purchaseorder", "PurchaseOrder")
    assert folded["case_twins"] == [{"schema": "public", "name": "PurchaseOrder", "kind": "table"}]
    assert scan["unknown_columns"] == [{
        "file": f"{BROKEN}/api/services/refinementPipelineService.mjs", "line": 20, "column": "session_id",
        "written": "session_id", "table": {"schema": "public", "name": "ImageReviewProduct", "kind": "table"},
        "statement": "UPDATE", "fragment": False, "hint": 'did you mean "sessionId"?', "text": BROKEN_FINDINGS[13],
    }]
    assert len(scan["skipped"]) == 2


def test_hint_names_a_mapped_table(scenario: ScenarioEnv, tmp_path: Path) -> None:
    """With @@map, the model's table is snake_case: the PascalCase name a coder guessed points to it."""
    from tests.tools.test_check_table_names import execute

    execute(scenario.database_url, "CREATE TABLE purchase_orders (id text PRIMARY KEY, merchant_id text)")
    schema = tmp_path / "schema.prisma"
    schema.write_text('model PurchaseOrder {\n  id String @id\n  merchantId String @map("merchant_id")\n'
                      '  @@map("purchase_orders")\n}\n', encoding="utf-8")
    source = tmp_path / "orders.ts"
    source.write_text('export const q = (db: Db) => db.query(`SELECT "merchantId" FROM purchase_orders`);\n'
                      'export const r = (db: Db) => db.query(`SELECT id FROM "PurchaseOrders"`);\n')
    result = run_tool("--database-url", scenario.database_url, "--prisma-schema", str(schema), "--absent", "x",
                      "--scan", str(source))
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    # The model's mapped table first, then the scenario's own "PurchaseOrder" table, which exists too.
    assert (f'❌ NOT FOUND - "PurchaseOrders" at {source}:2 (SELECT; did you mean "purchase_orders" '
            '(model PurchaseOrder) or "PurchaseOrder"?)') in lines
    assert (f'❌ NOT FOUND - column "merchantId" of "public"."purchase_orders" at {source}:1 '
            '(SELECT; did you mean "merchant_id"?)') in lines


def test_scan_json_and_skipped_files(scenario: ScenarioEnv, tmp_path: Path) -> None:
    (tmp_path / "ok.sql").write_text('SELECT 1 FROM "WorkflowExecution";\nSELECT 1 FROM workflow_executions;\n'
                                     'CREATE TABLE not_checked (id int);\n')
    (tmp_path / "broken.py").write_text("def oops(:\n")
    result = run_tool("--database-url", scenario.database_url, "--expect", "WorkflowExecution",
                      "--scan", str(tmp_path), "--json")
    assert result.returncode == 1, result.stderr
    scan = json.loads(result.stdout)["scan"]
    assert scan["files"] == 2 and scan["references"] == 2, "DDL (a migration's CREATE TABLE) is not a use"
    [entry] = scan["unresolved"]
    assert {key: entry[key] for key in ("file", "line", "schema", "table", "written", "case_twins")} == {
        "file": str(tmp_path / "ok.sql"), "line": 2, "schema": None, "table": "workflow_executions",
        "written": "workflow_executions", "case_twins": []}
    assert entry["hint"] == 'did you mean "WorkflowExecution"?'
    assert len(scan["skipped"]) == 1 and scan["skipped"][0].startswith(f"{tmp_path / 'broken.py'}: SyntaxError")


def test_scan_of_a_missing_path_exits_2(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--scan", "no/such/dir")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "check-table-names: error: cannot scan no/such/dir: no such file or directory"


def test_simulator_broken_path_is_found_and_fixed_path_is_clean(scenario: ScenarioEnv, tmp_path: Path) -> None:
    from simulator.bugs import image_review_table_mismatch as bug

    module = Path(inspect.getfile(bug))
    result = run_tool("--database-url", scenario.database_url, "--expect", "ImageReviewProductImage",
                      "--scan", str(module), "--json")
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
