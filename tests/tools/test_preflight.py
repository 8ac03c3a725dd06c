"""preflight as a real subprocess on stacks it has not seen: Redis servers started here with chosen settings,
the test app's database migrated as `prisma migrate deploy` does, and what each misconfiguration reports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from harness.isolation import ScenarioEnv
from harness.scratch_redis import redis_binary, scratch_redis
from recovery_tools.check_table_names.catalog import connect_read_only
from recovery_tools.prisma_schema import read_prisma_document
from simulator.schema import prisma_schema_path
from tests.tools.preflight_support import (
    APP_SCHEMA,
    command_calls,
    copy_app,
    database_snapshot,
    execute,
    migrate_deploy,
    preflight,
    redis_snapshot,
    sha256,
    with_query,
)

SAFE_REDIS = ("--maxmemory-policy", "noeviction", "--appendonly", "yes", "--appendfsync", "everysec")
REDIS_CHECKS = ("redis.eviction", "redis.persistence", "redis.memory", "redis.version")
READ_COMMANDS = {"info", "config|get", "config"}


@pytest.fixture(scope="module")
def safe_redis() -> Iterator[str]:
    with scratch_redis(*SAFE_REDIS) as url:
        yield url


@dataclass(frozen=True)
class App:
    """The test app: its schema file (a copy a test may edit), its DATABASE_URL as Prisma gets it (schema `app`
    of the scenario's database, connection_limit=5), and the plain URL the test itself connects with."""

    schema: Path
    url: str
    plain_url: str


@pytest.fixture
def app(scenario: ScenarioEnv, tmp_path: Path) -> App:
    """The test app migrated as `prisma migrate deploy` does, holding a few rows."""
    schema = copy_app(tmp_path)
    migrate_deploy(scenario.database_url, schema)
    execute(scenario.database_url,
            "INSERT INTO customers (email, name) VALUES ('a@example.com', 'A')",
            """INSERT INTO "Order" (id, "customerId", total, price, tags) VALUES (1, 1, 10.5, 10.5, '{x,y}')""")
    return App(schema, with_query(scenario.database_url, schema=APP_SCHEMA, connection_limit="5"),
               scenario.database_url)


def run(redis_url: str, app: App, *args: str) -> tuple[str, ...]:
    return ("--redis-url", redis_url, "--database-url", app.url, "--prisma-schema", str(app.schema), *args)


def test_noeviction_with_aof_and_a_migrated_database_hold(safe_redis: str, app: App) -> None:
    result = preflight(*run(safe_redis, app, "--json"))
    assert result.returncode == 0, result.describe()
    report = result.json()
    assert report["status"] == "ok" and report["exit_code"] == 0
    assert [check["status"] for check in report["checks"]] == ["ok"] * 7
    schema = result.check("postgres.schema")["evidence"]
    assert schema["columns_checked"] == 18 and schema["compatible_types"] == []
    assert schema["extra_tables"] == [] and schema["extra_columns"] == []
    migrations = result.check("postgres.migrations")["evidence"]
    assert migrations["applied"] == ["20250101000000_init", "20250201000000_customer_note"]
    persistence = result.check("redis.persistence")["evidence"]
    assert persistence["aof_enabled"] is True and persistence["appendfsync"] == "everysec"
    text = preflight(*run(safe_redis, app))
    assert text.returncode == 0 and text.stdout.splitlines()[-1] == "✅ OK - 7 ok, 0 finding, 0 inconclusive"


def test_an_evicting_redis_is_a_finding_naming_the_policy(app: App) -> None:
    with scratch_redis("--maxmemory-policy", "allkeys-lru", "--appendonly", "yes") as url:
        result = preflight(*run(url, app))
        as_json = preflight(*run(url, app, "--json"))
    assert result.returncode == 1, result.describe()
    assert any("FINDING" in line and "maxmemory-policy is allkeys-lru" in line for line in result.stdout.splitlines())
    eviction = as_json.check("redis.eviction")
    assert eviction["status"] == "finding" and eviction["evidence"] == {"maxmemory_policy": "allkeys-lru"}
    assert eviction["findings"][0]["subject"] == "maxmemory-policy"
    assert [check["id"] for check in as_json.json()["checks"] if check["status"] != "ok"] == ["redis.eviction"]


def test_a_dropped_column_is_named_model_dot_field(safe_redis: str, app: App) -> None:
    execute(app.plain_url, 'ALTER TABLE "Order" DROP COLUMN "weight"')
    result = preflight(*run(safe_redis, app))
    assert result.returncode == 1, result.describe()
    assert '    ❌ Order.weight: column "weight" does not exist in "app"."Order"' in result.stdout.splitlines()
    schema = preflight(*run(safe_redis, app, "--json")).check("postgres.schema")
    assert [item["subject"] for item in schema["findings"]] == ["Order.weight"]


def test_types_nullability_and_keys_are_named_with_what_the_database_has(safe_redis: str,
                                                                        app: App) -> None:
    execute(app.plain_url,
            'ALTER TABLE customers ALTER COLUMN name SET NOT NULL',
            'ALTER TABLE "Order" ALTER COLUMN paid DROP NOT NULL',
            'ALTER TABLE "Order" ALTER COLUMN price TYPE numeric(6,2)',
            'ALTER TABLE "Order" ALTER COLUMN weight TYPE real',
            'DROP INDEX customers_email_key',
            'ALTER TABLE "LineTag" DROP CONSTRAINT "LineTag_pkey"',
            'ALTER TABLE customers ADD COLUMN legacy_flag boolean',
            'CREATE TABLE audit_log (id int)',
            'ALTER TABLE customers ALTER COLUMN note TYPE varchar(4000)',  # text bounded: a finding
            # Wider than Prisma's own: compatible, listed, not failed.
            'ALTER TABLE customers ALTER COLUMN name TYPE varchar',
            'ALTER TABLE customers ALTER COLUMN created_at TYPE timestamp(6)')
    result = preflight(*run(safe_redis, app, "--json"))
    assert result.returncode == 1, result.describe()
    schema = result.check("postgres.schema")
    found = {item["subject"]: item["message"] for item in schema["findings"]}
    assert set(found) == {"Customer.name", "Order.paid", "Order.price", "Order.weight", "Customer.email",
                          "LineTag@@id(orderId, tag)", "Customer.note"}, found
    assert "NOT NULL where Prisma's field is optional" in found["Customer.name"]
    assert "allows NULL where Prisma's field is required" in found["Order.paid"]
    assert found["Order.price"].startswith("the database has numeric(6,2) where Prisma expects numeric(12,2)")
    assert found["Order.weight"].startswith("the database has real where Prisma expects double precision")
    assert "no unique index on (email)" in found["Customer.email"]
    assert "character varying(4000) where Prisma expects text (a bounded varchar" in found["Customer.note"]
    assert "no primary key or unique index on (orderId, tag)" in found["LineTag@@id(orderId, tag)"]
    evidence = schema["evidence"]
    assert evidence["extra_tables"] == ["app.audit_log"] and evidence["extra_columns"] == ["Customer.legacy_flag"]
    assert sorted(evidence["compatible_types"]) == [
        "Customer.createdAt is timestamp(6) without time zone, Prisma's is timestamp(3) without time zone",
        "Customer.name is character varying, Prisma's is text"]


def test_a_migration_started_and_never_finished_is_named(safe_redis: str, app: App) -> None:
    schema = app.schema
    failed = schema.parent / "migrations" / "20250301000000_order_discount"
    failed.mkdir()
    (failed / "migration.sql").write_text('ALTER TABLE "Order" ADD COLUMN "discount" INTEGER NOT NULL;\n')
    # What `prisma migrate deploy` leaves when the script fails: a row started, never finished, not rolled back.
    execute(app.plain_url,
            "INSERT INTO _prisma_migrations (id, checksum, migration_name, logs) VALUES ('f1', "
            f"'{sha256((failed / 'migration.sql').read_bytes())}', '{failed.name}', 'column contains null values')")
    result = preflight(*run(safe_redis, app))
    assert result.returncode == 1, result.describe()
    line = next(line for line in result.stdout.splitlines() if failed.name in line)
    assert "never finished, not rolled back" in line
    migrations = preflight(*run(safe_redis, app, "--json")).check("postgres.migrations")
    assert [item["name"] for item in migrations["evidence"]["failed"]] == [failed.name]
    assert migrations["evidence"]["not_applied"] == [], "named once, as failed"
    assert [item["subject"] for item in migrations["findings"]] == [failed.name]


def test_not_applied_missing_from_folder_and_checksum_differing(safe_redis: str, app: App) -> None:
    schema = app.schema
    folder = schema.parent / "migrations"
    (folder / "20250201000000_customer_note" / "migration.sql").write_text(
        'ALTER TABLE "customers" ADD COLUMN "note" VARCHAR(10);\n')
    (folder / "20250401000000_new").mkdir()
    (folder / "20250401000000_new" / "migration.sql").write_text("SELECT 1;\n")
    execute(app.plain_url,
            "INSERT INTO _prisma_migrations (id, checksum, migration_name, finished_at, applied_steps_count) "
            "VALUES ('gone', 'abc', '20241201000000_hotfix', now(), 1)")
    migrations = preflight(*run(safe_redis, app, "--json")).check("postgres.migrations")
    evidence = migrations["evidence"]
    assert evidence["not_applied"] == ["20250401000000_new"]
    assert evidence["missing_from_folder"] == ["20241201000000_hotfix"]
    assert evidence["checksum_differs"] == ["20250201000000_customer_note"]
    assert migrations["status"] == "finding" and len(migrations["findings"]) == 3


def test_crlf_line_endings_keep_the_checksum(safe_redis: str, app: App) -> None:
    script = app.schema.parent / "migrations" / "20250101000000_init" / "migration.sql"
    script.write_bytes(script.read_bytes().replace(b"\n", b"\r\n"))
    assert preflight(*run(safe_redis, app, "--json")).check("postgres.migrations")["status"] == "ok"


def test_a_db_push_database_has_no_migrations_to_check(safe_redis: str, scenario: ScenarioEnv) -> None:
    """The simulator's database is created like `prisma db push`: no folder, no table; the schema check holds."""
    result = preflight("--redis-url", safe_redis, "--database-url", scenario.database_url, "--json")
    assert result.returncode == 0, result.describe()
    migrations = result.check("postgres.migrations")
    assert migrations["status"] == "ok" and "db push" in migrations["summary"]
    schema = result.check("postgres.schema")
    columns = sum(len(model.fields) for model in read_prisma_document(prisma_schema_path()).models)
    assert schema["status"] == "ok" and schema["evidence"]["columns_checked"] == columns
    budget = result.check("postgres.connections")["evidence"]
    assert (budget["expected_instances"], budget["pool_per_instance"]) == (10, 5), "the simulated app's config"


def test_a_dropped_column_of_the_simulated_app(safe_redis: str, scenario: ScenarioEnv) -> None:
    with psycopg.connect(scenario.database_url, autocommit=True) as conn:
        conn.execute('ALTER TABLE "Upload" DROP COLUMN "mimeType"')
    result = preflight("--redis-url", safe_redis, "--database-url", scenario.database_url)
    assert result.returncode == 1
    assert any(line.strip().startswith("❌ Upload.mimeType:") for line in result.stdout.splitlines()), result.stdout


def test_connection_budget_counts_instances_from_the_config(safe_redis: str, app: App,
                                                            tmp_path: Path) -> None:
    config = tmp_path / "recovery-harness.toml"
    config.write_text('prisma_schema = "app/schema.prisma"\nexpected_instances = 1000\n')
    result = preflight(*run(safe_redis, app, "--json", "--config", str(config)))
    assert result.returncode == 1, result.describe()
    budget = result.check("postgres.connections")
    evidence = budget["evidence"]
    assert evidence["pool_per_instance"] == 5 and evidence["expected_instances"] == 1000
    assert evidence["demand"] == 5000 and evidence["available"] < 5000
    assert evidence["connections_now"].get("preflight") == 1
    assert budget["findings"][0]["subject"] == "connection_limit"
    config.write_text('prisma_schema = "app/schema.prisma"\nexpected_instances = 2\napp_cpus = 4\n')
    default_pool = preflight("--redis-url", safe_redis, "--database-url", app.plain_url,
                             "--prisma-schema", str(app.schema), "--json", "--config", str(config))
    evidence = default_pool.check("postgres.connections")["evidence"]
    assert evidence["pool_per_instance"] == 9 and evidence["demand"] == 18, "Prisma's default 4*2+1"


def test_config_refused_leaves_the_fsync_inconclusive(app: App) -> None:
    with scratch_redis("--appendonly", "yes", "--rename-command", "CONFIG", "") as url:
        result = preflight(*run(url, app, "--json"))
    assert result.returncode == 3, result.describe()
    persistence = result.check("redis.persistence")
    assert persistence["status"] == "inconclusive" and persistence["evidence"]["config_readable"] is False
    assert result.check("redis.eviction")["status"] == "ok", "the policy comes from INFO, not CONFIG"


def test_no_persistence_and_a_full_memory_are_findings(app: App) -> None:
    with scratch_redis() as url:
        client = redis.Redis.from_url(url)
        for number in range(20):  # small writes: no big query buffer that is freed after
            client.set(f"filler:{number}", b"x" * 50_000)
        client.config_set("maxmemory", int(client.info("memory")["used_memory"] * 1.02))  # 98 % full
        client.close()
        result = preflight(*run(url, app, "--json"))
    assert result.returncode == 1
    assert result.check("redis.persistence")["findings"][0]["subject"] == "persistence"
    assert result.check("redis.memory")["status"] == "finding", result.check("redis.memory")


@pytest.mark.parametrize("server", ["valkey", "redis"])
def test_the_server_and_its_version_for_bull4(server: str, app: App) -> None:
    binary = redis_binary() if server == "redis" else None
    if server == "redis" and binary is None:
        pytest.skip("no redis-server on the PATH (Valkey is checked either way)")
    with scratch_redis(*SAFE_REDIS, binary=binary) as url:
        version = preflight(*run(url, app, "--json")).check("redis.version")
    assert version["status"] == "ok" and version["evidence"]["server"] == server
    assert version["evidence"]["bull4_minimum"] == "2.8.18"
    if server == "valkey":
        assert version["evidence"]["redis_version"] != version["evidence"]["version"], version["evidence"]


def test_a_run_changes_nothing_in_redis_or_the_database(app: App) -> None:
    with scratch_redis("--maxmemory-policy", "allkeys-lru", "--appendonly", "yes") as url:
        client = redis.Redis.from_url(url)
        client.hset("bull:ai-parsing:1", mapping={"data": "{}", "attemptsMade": "0"})
        client.lpush("bull:ai-parsing:wait", "1")
        client.set("cron:paused", "1", px=600_000)
        client.close()
        data_before, db_before = redis_snapshot(url), database_snapshot(app.plain_url)
        stats = redis.Redis.from_url(url, decode_responses=True)
        calls_before = command_calls(stats)  # its own INFO is the only call this test adds in between
        assert preflight(*run(url, app)).returncode == 1
        assert preflight(*run(url, app, "--json")).returncode == 1
        calls_after = command_calls(stats)
        stats.close()
        data_after, db_after = redis_snapshot(url), database_snapshot(app.plain_url)
    changed = {name for name, calls in calls_after.items() if calls != calls_before.get(name)}
    assert changed <= READ_COMMANDS, f"commands other than reads: {changed - READ_COMMANDS}"
    assert data_after["dbsize"] == data_before["dbsize"] == 3
    assert [key for key in data_after["keys"]] == [key for key in data_before["keys"]]
    assert all(after[0] == before[0] and after[2] == before[2] and abs(after[1] - before[1]) < 60_000
               for after, before in zip(data_after["keys"].values(), data_before["keys"].values(), strict=True))
    assert db_after == db_before


def test_its_session_cannot_write(app: App) -> None:
    connection = connect_read_only(app.plain_url, "preflight")
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            connection.execute("CREATE TABLE app.x (id int)")
    finally:
        connection.close()


def test_bad_usage_and_unreachable_servers_are_one_line(app: App, safe_redis: str,
                                                        tmp_path: Path) -> None:
    mysql = tmp_path / "mysql.prisma"
    mysql.write_text('datasource db {\n  provider = "mysql"\n  url = env("DATABASE_URL")\n}\n'
                     "model A {\n  id Int @id\n}\n")
    cases = [
        (preflight(), "nothing to check"),
        (preflight("--redis-url", "redis://:hunter2@127.0.0.1:1/0"), "redis://:***@127.0.0.1:1/0"),
        (preflight(*run(safe_redis, app)[:2], "--database-url", "postgresql://u:hunter2@127.0.0.1:1/db",
                   "--prisma-schema", str(app.schema)), "cannot connect to postgresql://u:***@127.0.0.1:1/db"),
        (preflight("--redis-url", safe_redis, "--database-url", app.url, "--prisma-schema",
                   str(tmp_path / "none.prisma")), "cannot read Prisma schema"),
        (preflight("--redis-url", safe_redis, "--no-such-option"), "No such option"),
        (preflight("--redis-url", safe_redis, "--database-url", app.url, "--prisma-schema", str(mysql)),
         "datasource provider 'mysql': preflight checks PostgreSQL"),
    ]
    for result, fragment in cases:
        assert result.returncode == 2, result.describe()
        assert result.stdout == "" and len(result.stderr.splitlines()) == 1, result.describe()
        assert result.stderr.startswith("preflight: error: ") and fragment in result.stderr, result.stderr
        assert "hunter2" not in result.stderr and "Traceback" not in result.stderr


def test_only_redis_given_leaves_the_database_checks_inconclusive(safe_redis: str) -> None:
    result = preflight("--redis-url", safe_redis, "--json")
    assert result.returncode == 3, result.describe()
    statuses = {check["id"]: check["status"] for check in result.json()["checks"]}
    assert [statuses[name] for name in REDIS_CHECKS] == ["ok"] * 4
    assert statuses["postgres.schema"] == "inconclusive"
