"""Run `verify` as the operator does: the installed console script as a subprocess, on the scenario's servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import redis

from harness.isolation import ScenarioEnv


@dataclass(frozen=True)
class Verified:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def document(self) -> dict[str, Any]:
        return json.loads(self.stdout)

    def verdicts(self) -> dict[str, str]:
        return {c["id"]: c["verdict"] for c in self.document["criteria"]}


def verify_argv() -> list[str]:
    script = Path(sys.executable).parent / "verify"
    return [str(script)] if script.exists() else [sys.executable, "-m", "recovery_tools.verify"]


def run_verify(env: ScenarioEnv, *args: str, stdin: str | None = None, timeout: float = 120,
               platform: Mapping[str, str] | None = None) -> Verified:
    """`verify ARGS --prefix <scenario's>` with REDIS_URL and DATABASE_URL of the scenario (and `platform`: the
    simulated app's Vercel, for the manage-queues pause of --on-fail)."""
    environ = {**os.environ, **(platform or {}), "REDIS_URL": env.redis_url, "DATABASE_URL": env.database_url,
               "NO_COLOR": "1"}
    done = subprocess.run([*verify_argv(), "--prefix", env.prefix, *args], capture_output=True, text=True,
                          env=environ, timeout=timeout, input=stdin, stdin=None if stdin is not None
                          else subprocess.DEVNULL, check=False)
    return Verified(done.returncode, done.stdout, done.stderr)


def snapshot(env: ScenarioEnv) -> tuple[dict[str, Any], dict[str, list[tuple[Any, ...]]]]:
    """Every key of the scenario's prefix with its type and value, and every row of every table."""
    keys: dict[str, Any] = {}
    client = redis.Redis.from_url(env.redis_url)
    try:
        for raw in client.scan_iter(match=f"{env.prefix}:*", count=1000):
            kind = client.type(raw).decode()
            value: Any = {
                "string": lambda k: client.get(k),
                "hash": lambda k: sorted(client.hgetall(k).items()),
                "list": lambda k: client.lrange(k, 0, -1),
                "set": lambda k: sorted(client.smembers(k)),
                "zset": lambda k: client.zrange(k, 0, -1, withscores=True),
                "stream": lambda k: client.xrange(k),
            }.get(kind, lambda k: None)(raw)
            keys[raw.decode()] = (kind, value, client.ttl(raw) > 0)
    finally:
        client.close()
    rows: dict[str, list[tuple[Any, ...]]] = {}
    with psycopg.connect(env.database_url) as conn:
        tables = [r[0] for r in conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1").fetchall()]
        for table in tables:
            rows[table] = sorted(conn.execute(f'SELECT * FROM "{table}"').fetchall(), key=repr)
    return keys, rows
