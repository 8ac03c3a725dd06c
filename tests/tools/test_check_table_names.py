"""check-table-names against real Postgres: the checklist's output, each way the schema can be wrong, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from harness.isolation import ScenarioEnv
from recovery_tools.check_table_names.catalog import Catalog
from recovery_tools.urls import with_database

# The checklist's "Expected output" of step 3 (its markdown has trailing spaces on one line; lines are compared
# without trailing whitespace).
CHECKLIST_OUTPUT = [
    '✅ EXISTS - "ImageReviewSession"',
    '✅ EXISTS - "ImageReviewProduct"',
    '✅ EXISTS - "ImageReviewProductImage"',
    '❌ NOT FOUND - "image_review_items"',
    '❌ NOT FOUND - "image_review_options"',
]
IMAGE_REVIEW_TABLES = ["ImageReviewSession", "ImageReviewProduct", "ImageReviewProductImage"]


def run_tool(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "recovery_tools.check_table_names", *args],
        capture_output=True, text=True, timeout=60, env=env,
    )


def execute(database_url: str, *statements: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)  # type: ignore[arg-type]


def assert_clean_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("check-table-names: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_simulator_schema_passes_with_the_checklist_output(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    block = lines.index(CHECKLIST_OUTPUT[0])
    assert lines[block:block + 5] == CHECKLIST_OUTPUT, "the checklist's five lines, verbatim and in order"
    assert all(line.startswith('✅ EXISTS - "') for line in lines[:block]), "the other models exist too"
    assert lines[-1] == "✅ PASS - 11/11 expected tables exist, 2/2 legacy names absent"
    assert len(lines) == 14


def test_expect_gives_exactly_the_checklist_block(scenario: ScenarioEnv) -> None:
    args = [arg for table in IMAGE_REVIEW_TABLES for arg in ("--expect", table)]
    result = run_tool("--database-url", scenario.database_url, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = "✅ PASS - 3/3 expected tables exist, 2/2 legacy names absent"
    assert result.stdout.splitlines() == [*CHECKLIST_OUTPUT, verdict]


def test_database_url_comes_from_the_environment(scenario: ScenarioEnv) -> None:
    result = run_tool("--expect", "WorkflowExecution", env={**os.environ, "DATABASE_URL": scenario.database_url})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == '✅ EXISTS - "WorkflowExecution"'


def test_dropped_table_fails(scenario: ScenarioEnv) -> None:
    execute(scenario.database_url, 'DROP TABLE "ImageReviewProductImage"')
    result = run_tool("--database-url", scenario.database_url)
    assert result.returncode == 1, result.stdout
    assert ('❌ NOT FOUND - "ImageReviewProductImage"  ← FAIL: expected table is missing '
            "(model ImageReviewProductImage)") in result.stdout.splitlines()
    assert result.stdout.splitlines()[-1] == "❌ FAIL - 10/11 expected tables exist, 2/2 legacy names absent"


def test_lower_case_twin_is_named_on_the_line(scenario: ScenarioEnv) -> None:
    execute(scenario.database_url, 'ALTER TABLE "ImageReviewSession" RENAME TO imagereviewsession')
    result = run_tool("--database-url", scenario.database_url)
    assert result.returncode == 1
    line = next(line for line in result.stdout.splitlines() if '"ImageReviewSession"' in line)
    assert line == ('❌ NOT FOUND - "ImageReviewSession"  ← FAIL: expected table is missing '
                    '(model ImageReviewSession); "public"."imagereviewsession" exists '
                    '(case differs: Postgres folds unquoted names to lower case)')


def test_pascal_case_twin_of_a_lower_case_expectation(scenario: ScenarioEnv) -> None:
    result = run_tool("--database-url", scenario.database_url, "--expect", "imagereviewsession")
    assert result.returncode == 1
    assert result.stdout.splitlines()[0] == (
        '❌ NOT FOUND - "imagereviewsession"  ← FAIL: expected table is missing; '
        '"public"."ImageReviewSession" exists (case differs: Postgres folds unquoted names to lower case)')


def test_legacy_table_present_fails_obviously(scenario: ScenarioEnv) -> None:
    execute(scenario.database_url, "CREATE TABLE image_review_options (id text PRIMARY KEY)")
    result = run_tool("--database-url", scenario.database_url)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert '❌ NOT FOUND - "image_review_items"' in lines
    assert ('❌ EXISTS - "image_review_options"  ← FAIL: must not exist, but "public"."image_review_options" '
            "is a table") in lines
    assert lines[-1] == "❌ FAIL - 11/11 expected tables exist, 1/2 legacy names absent"


def test_table_in_another_schema(scenario: ScenarioEnv, tmp_path: Path) -> None:
    execute(scenario.database_url, "CREATE SCHEMA archive", 'ALTER TABLE "ImageReviewProduct" SET SCHEMA archive')
    result = run_tool("--database-url", scenario.database_url)
    assert result.returncode == 1
    assert ('❌ NOT FOUND - "ImageReviewProduct"  ← FAIL: expected table is missing (model ImageReviewProduct); '
            '"archive"."ImageReviewProduct" exists in a schema not searched (search_path: public)'
            ) in result.stdout.splitlines()
    # Looking in that schema finds it; so does a model that names its schema.
    in_archive = run_tool("--database-url", scenario.database_url, "--schema", "archive", "--expect",
                          "ImageReviewProduct")
    assert in_archive.returncode == 0 and in_archive.stdout.startswith('✅ EXISTS - "ImageReviewProduct"\n')
    schema_file = tmp_path / "archive.prisma"
    schema_file.write_text('model ImageReviewProduct {\n  id String @id\n  @@schema("archive")\n}\n')
    modelled = run_tool("--database-url", scenario.database_url, "--prisma-schema", str(schema_file))
    assert modelled.returncode == 0, modelled.stdout
    assert modelled.stdout.splitlines()[0] == '✅ EXISTS - "archive"."ImageReviewProduct"'


def test_empty_database_fails_on_every_expected_table(scenario: ScenarioEnv) -> None:
    execute(scenario.database_url, "DROP SCHEMA public CASCADE", "CREATE SCHEMA public")
    result = run_tool("--database-url", scenario.database_url)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert sum(line.startswith("❌ NOT FOUND - ") and "← FAIL: expected table is missing" in line
               for line in lines) == 11
    assert lines[-3:] == [*CHECKLIST_OUTPUT[3:], "❌ FAIL - 0/11 expected tables exist, 2/2 legacy names absent"]


def test_prisma_schema_with_map_schema_and_mixed_case(scenario: ScenarioEnv, tmp_path: Path) -> None:
    execute(
        scenario.database_url,
        "CREATE SCHEMA audit",
        'CREATE TABLE audit."AuditEvents" (id int PRIMARY KEY)',
        "CREATE TABLE user_profiles (id text PRIMARY KEY)",
        'CREATE TABLE "invoiceLine" (id int PRIMARY KEY)',
        'CREATE VIEW "ActiveMerchants" AS SELECT id FROM "Merchant"',
    )
    schema_file = tmp_path / "app.prisma"
    schema_file.write_text('''
datasource db {
  provider = "postgresql"
  url      = env("DATABASE_URL")
  schemas  = ["public", "audit"]
}
model userProfile {
  id String @id
  @@map(name: "user_profiles")
  @@schema("public")
}
model AuditEvent {
  id Int @id
  @@map("AuditEvents")
  @@schema("audit")
}
model invoiceLine {
  id Int @id
}
model Gone {
  id Int @id
  @@ignore
}
view ActiveMerchants {
  id String @unique
}
''', encoding="utf-8")
    result = run_tool("--database-url", scenario.database_url, "--prisma-schema", str(schema_file))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        '✅ EXISTS - "public"."user_profiles"',
        '✅ EXISTS - "audit"."AuditEvents"',
        '✅ EXISTS - "invoiceLine"',
        *CHECKLIST_OUTPUT[3:],
        "✅ PASS - 3/3 expected tables exist, 2/2 legacy names absent",
    ]


def test_json_report(scenario: ScenarioEnv) -> None:
    execute(scenario.database_url, "CREATE TABLE image_review_items (id text)")
    result = run_tool("--database-url", scenario.database_url, "--json", "--expect", "ImageReviewSession")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["search_path"] == ["public"]
    assert report["verdict"] == "❌ FAIL - 1/1 expected tables exist, 1/2 legacy names absent"
    session, items, options = report["tables"]
    assert session == {
        "name": "ImageReviewSession", "schema": None, "model": None, "expect": "exists", "ok": True,
        "found": {"schema": "public", "name": "ImageReviewSession", "kind": "table"},
        "case_twins": [], "other_schemas": [], "line": '✅ EXISTS - "ImageReviewSession"',
    }
    assert items["expect"] == "absent" and items["ok"] is False and items["found"]["name"] == "image_review_items"
    assert options["ok"] is True and options["found"] is None
    assert report["scan"] is None


def test_bad_url_is_one_line_with_the_password_redacted(scenario: ScenarioEnv) -> None:
    closed = "postgresql://harness:hunter2@127.0.0.1:1/postgres"
    result = run_tool("--database-url", closed)
    assert_clean_error(result, "cannot connect to postgresql://harness:***@127.0.0.1:1/postgres")
    assert "hunter2" not in result.stderr
    missing_db = run_tool("--database-url", with_database(scenario.database_url, "harness_no_such_db"))
    assert_clean_error(missing_db, "cannot connect to", 'database "harness_no_such_db" does not exist')
    garbage = run_tool("--database-url", "not a url")
    assert_clean_error(garbage, "cannot connect to not a url")


def test_missing_database_url_and_bad_options(scenario: ScenarioEnv) -> None:
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    assert_clean_error(run_tool(env=environment), "no database URL")
    assert_clean_error(run_tool("--database-url", scenario.database_url, "--no-such-option"),
                       "No such option: --no-such-option")


def test_unreadable_schema_file(scenario: ScenarioEnv, tmp_path: Path) -> None:
    missing = run_tool("--database-url", scenario.database_url, "--prisma-schema", str(tmp_path / "nope.prisma"))
    assert_clean_error(missing, "cannot read Prisma schema", "nope.prisma", "No such file or directory")
    directory = run_tool("--database-url", scenario.database_url, "--prisma-schema", str(tmp_path))
    assert_clean_error(directory, "cannot read Prisma schema", "Is a directory")
    binary = tmp_path / "binary.prisma"
    binary.write_bytes(b"\xff\xfe model")
    assert_clean_error(run_tool("--database-url", scenario.database_url, "--prisma-schema", str(binary)),
                       "cannot read Prisma schema")
    empty = tmp_path / "empty.prisma"
    empty.write_text("// nothing here\n")
    assert_clean_error(run_tool("--database-url", scenario.database_url, "--prisma-schema", str(empty)),
                       "defines no model")


def test_the_tool_cannot_write_in_its_own_session(scenario: ScenarioEnv) -> None:
    with Catalog.open(scenario.database_url) as catalog:
        connection = catalog.connection
        for statement in ('CREATE TABLE image_review_options (id text)',
                          'DELETE FROM "ImageReviewSession"',
                          """INSERT INTO "Merchant" (id, name, "apiToken") VALUES ('m1', 'Shop', 'token')"""):
            with pytest.raises(psycopg.errors.ReadOnlySqlTransaction) as failure:
                connection.execute(statement)  # type: ignore[arg-type]
            assert failure.value.sqlstate == "25006"
            connection.rollback()
        row = connection.execute("SHOW default_transaction_read_only").fetchone()
        assert row == ("on",)
        application = connection.execute("SELECT current_setting('application_name')").fetchone()
        assert application == ("check-table-names",)
    with psycopg.connect(scenario.database_url) as check:
        assert check.execute("SELECT to_regclass('image_review_options')").fetchone() == (None,)


def test_a_run_leaves_the_database_unchanged(scenario: ScenarioEnv) -> None:
    query = ("SELECT n.nspname, c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
             "WHERE n.nspname NOT LIKE 'pg_%' ORDER BY 1, 2")
    with psycopg.connect(scenario.database_url) as conn:
        before = conn.execute(query).fetchall()
    assert run_tool("--database-url", scenario.database_url).returncode == 0
    with psycopg.connect(scenario.database_url) as conn:
        assert conn.execute(query).fetchall() == before
