"""Steps that change a scenario's schema on purpose, to show what the schema gate catches."""

from __future__ import annotations

import psycopg
from psycopg import sql
from pytest_bdd import given, parsers

from harness.isolation import ScenarioEnv


@given(parsers.parse('the table "{table}" has been dropped'))
def drop_table(env: ScenarioEnv, table: str) -> None:
    with psycopg.connect(env.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP TABLE {} CASCADE").format(sql.Identifier(table)))


@given(parsers.parse('a legacy table "{table}" exists'))
def create_legacy_table(env: ScenarioEnv, table: str) -> None:
    with psycopg.connect(env.database_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE TABLE {} (id text PRIMARY KEY)").format(sql.Identifier(table)))
