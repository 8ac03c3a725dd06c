"""Test support for preflight: the test app migrated as `prisma migrate deploy` does, the tool as a subprocess,
and snapshots of Redis and Postgres to prove a run changed nothing."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis
from psycopg import sql

APP = Path(__file__).resolve().parent / "preflight_app"
APP_SCHEMA = "app"  # the Postgres schema the test app lives in (DATABASE_URL's ?schema=)

# The table `prisma migrate deploy` creates before the first migration (its own DDL for PostgreSQL).
PRISMA_MIGRATIONS_DDL = """
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)
"""


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> dict[str, Any]:
        return dict(json.loads(self.stdout))

    def check(self, check_id: str) -> dict[str, Any]:
        return next(check for check in self.json()["checks"] if check["id"] == check_id)

    def describe(self) -> str:
        return f"[exit {self.returncode}]\n{self.stdout}{self.stderr}"


def preflight(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """The installed console script (else the module), without REDIS_URL/DATABASE_URL from this process."""
    script = Path(sys.executable).parent / "preflight"
    argv = [str(script)] if script.exists() else [sys.executable, "-m", "recovery_tools.preflight"]
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    environment.update({"NO_COLOR": "1", "COLUMNS": "200", **(env or {})})
    done = subprocess.run([*argv, *args], capture_output=True, text=True, env=environment, timeout=60, cwd=cwd)
    return Result(done.returncode, done.stdout, done.stderr)


def with_query(url: str, **params: str) -> str:
    extra = "&".join(f"{key}={value}" for key, value in params.items())
    return url + ("&" if "?" in url else "?") + extra


def copy_app(folder: Path) -> Path:
    """A copy of the test app (its schema.prisma and migrations/) that a test may edit; returns the schema."""
    target = folder / "app"
    shutil.copytree(APP, target)
    return target / "schema.prisma"


def migrate_deploy(database_url: str, schema_file: Path, *, schema: str = APP_SCHEMA) -> None:
    """Apply every migration of the folder beside `schema_file` and record it, as `prisma migrate deploy` does:
    a row started, the script run, the row finished with its step count."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        conn.execute(PRISMA_MIGRATIONS_DDL)
        for folder in sorted(path for path in (schema_file.parent / "migrations").iterdir() if path.is_dir()):
            script = (folder / "migration.sql").read_bytes()
            row_id = str(uuid.uuid4())
            conn.execute('INSERT INTO "_prisma_migrations" (id, checksum, migration_name) VALUES (%s, %s, %s)',
                         (row_id, sha256(script), folder.name))
            conn.execute(script.decode())  # type: ignore[call-overload]
            conn.execute('UPDATE "_prisma_migrations" SET finished_at = now(), applied_steps_count = 1 '
                         "WHERE id = %s", (row_id,))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def execute(database_url: str, *statements: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(APP_SCHEMA)))
        for statement in statements:
            conn.execute(statement)  # type: ignore[call-overload]


def database_snapshot(database_url: str) -> dict[str, Any]:
    """Catalog (relations, columns, indexes, types) and every row of the app's schema, as text."""
    with psycopg.connect(database_url) as conn:
        catalog = conn.execute(
            "SELECT n.nspname, c.relname, c.relkind, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' ORDER BY 1, 2, 4").fetchall()
        types = conn.execute("SELECT typname, typnamespace::regnamespace::text FROM pg_type "
                             "WHERE typnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema') "
                             "ORDER BY 1, 2").fetchall()
        tables = [name for (name,) in conn.execute(
            "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
            "WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1").fetchall()]
        rows = {table: sorted(str(row) for row in conn.execute(f"SELECT t::text FROM {table} t").fetchall())
                for table in tables}
    return {"catalog": catalog, "types": types, "rows": rows}


def redis_snapshot(url: str) -> dict[str, Any]:
    """Every key with its type, TTL and DUMP value."""
    client = redis.Redis.from_url(url)
    try:
        keys = sorted(client.scan_iter(count=1000))
        return {"dbsize": client.dbsize(),
                "keys": {key: (client.type(key), client.pttl(key), client.dump(key)) for key in keys}}
    finally:
        client.close()


def command_calls(client: redis.Redis) -> dict[str, int]:
    """INFO commandstats: calls per command since the server started (pass one connected client for both
    readings, so that its own connection handshake is not counted between them)."""
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}
