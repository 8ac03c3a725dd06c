"""Prisma's PostgreSQL mapping as preflight reads it: fields, keys and enums of a schema, expected column types,
and which database types Prisma still reads and writes in full."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from recovery_tools.config import APP_DEFAULTS, ConfigError, load_config
from recovery_tools.preflight.database import AppUrl
from recovery_tools.preflight.migrations import checksums
from recovery_tools.preflight.prisma_types import compare, expected_type
from recovery_tools.prisma_schema import PrismaField, parse_prisma_document

SCHEMA = '''
enum Role {
  USER   @map("user")
  ADMIN
  @@map("role_t")
  @@schema("auth")
}

model Account {
  id       Int      @default(autoincrement())
  handle   String   @map("handle_name") @unique @db.VarChar(40)
  roles    Role[]
  shape    Unsupported("circle")?
  tenantId Int
  owner    User     @relation(fields: [tenantId], references: [id])
  skipped  String   @ignore
  @@id([id, tenantId(sort: Desc)])
  @@unique(fields: [handle, tenantId], name: "handle_tenant")
  @@map("accounts")
  @@schema("auth")
}
'''


def test_fields_keys_and_enums() -> None:
    document = parse_prisma_document(SCHEMA)
    (model,) = document.models
    assert [field.name for field in model.fields] == ["id", "handle", "roles", "shape", "tenantId"]
    handle = model.field_named("handle")
    assert handle == PrismaField("handle", "handle_name", "String", native="VarChar", native_args=("40",))
    roles = model.field_named("roles")
    assert roles is not None and roles.is_list and roles.type == "Role"
    assert model.primary_key == ("id", "tenantId")
    assert model.unique_sets == (("handle",), ("handle", "tenantId"))
    (role,) = document.enums
    assert (role.db_name, role.schema, role.values) == ("role_t", "auth", ("user", "ADMIN"))
    assert model.columns == ("id", "handle_name", "tenantId"), "check-table-names' columns are unchanged"


@pytest.mark.parametrize(("prisma", "native", "args", "is_list", "expected"), [
    ("String", None, (), False, "text"),
    ("String", "VarChar", ("255",), False, "character varying(255)"),
    ("String", "Char", ("2",), False, "character(2)"),
    ("String", "Uuid", (), True, "uuid[]"),
    ("Int", None, (), False, "integer"),
    ("Int", "SmallInt", (), False, "smallint"),
    ("BigInt", None, (), False, "bigint"),
    ("Float", None, (), False, "double precision"),
    ("Float", "Real", (), False, "real"),
    ("Decimal", None, (), False, "numeric(65,30)"),
    ("Decimal", "Decimal", ("12", "2"), False, "numeric(12,2)"),
    ("DateTime", None, (), False, "timestamp(3) without time zone"),
    ("DateTime", "Timestamptz", ("6",), False, "timestamp(6) with time zone"),
    ("DateTime", "Date", (), False, "date"),
    ("Boolean", None, (), False, "boolean"),
    ("Json", None, (), False, "jsonb"),
    ("Json", "Json", (), False, "json"),
    ("Bytes", None, (), False, "bytea"),
    ("String", None, (), True, "text[]"),
])
def test_expected_types_follow_prismas_mapping(prisma: str, native: str | None, args: tuple[str, ...],
                                               is_list: bool, expected: str) -> None:
    field = PrismaField("f", "f", prisma, is_list=is_list, native=native, native_args=args)
    assert expected_type(field, {}) == expected
    assert compare(expected, expected).same


def test_enum_types_come_from_the_database_spelling() -> None:
    field = PrismaField("f", "f", "Role", is_list=True)
    assert expected_type(field, {"Role": "auth.role_t"}) == "auth.role_t[]"
    assert expected_type(PrismaField("g", "g", 'Unsupported("circle")'), {}) is None


@pytest.mark.parametrize(("expected", "found", "compatible"), [
    ("timestamp(3) without time zone", "timestamp without time zone", True),  # precision 6
    ("timestamp(3) without time zone", "timestamp(0) without time zone", False),
    ("timestamp(3) without time zone", "timestamp(3) with time zone", False),
    ("text", "character varying", True),
    ("text", "character varying(100)", False),
    ("character varying(40)", "character varying(80)", True),
    ("character varying(40)", "character varying(20)", False),
    ("character varying(40)", "text", True),
    ("numeric(65,30)", "numeric", True),
    ("numeric(12,2)", "numeric(14,4)", True),
    ("numeric(12,2)", "numeric(12,4)", False),
    ("integer", "bigint", True),
    ("integer", "smallint", False),
    ("jsonb", "json", True),
    ("text[]", "text", False),
    ("text", "text[]", False),
    ("boolean", "integer", False),
])
def test_compatible_types(expected: str, found: str, compatible: bool) -> None:
    verdict = compare(expected, found)
    assert not verdict.same and verdict.compatible is compatible, verdict


def test_prisma_parameters_leave_the_url_libpq_gets() -> None:
    url = AppUrl.parse("postgresql://u:p@db:5432/app?schema=tenant&connection_limit=3&sslmode=require&pgbouncer=true")
    assert url.libpq_url == "postgresql://u:p@db:5432/app?sslmode=require"
    assert url.schema == "tenant" and url.prisma["connection_limit"] == "3"
    assert AppUrl.parse("postgresql://db/app").schema == "public"


def test_checksum_is_sha256_of_migration_sql_with_either_line_ending() -> None:
    script = b"CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n"
    windows = script.replace(b"\n", b"\r\n")
    assert hashlib.sha256(script).hexdigest() in checksums(windows)
    assert hashlib.sha256(windows).hexdigest() in checksums(script)
    assert hashlib.sha256(b"other").hexdigest() not in checksums(script)


@pytest.mark.parametrize(("line", "error"), [
    ("expected_instances = 0", "expected_instances must be a whole number of at least 1"),
    ("app_cpus = true", "app_cpus must be a whole number of at least 1"),
    ("app_cpus = 2.5", "app_cpus must be a whole number of at least 1"),
    ("instances = 3", "unknown key(s) instances"),
])
def test_budget_keys_of_the_config(tmp_path: Path, line: str, error: str) -> None:
    config = tmp_path / "recovery-harness.toml"
    config.write_text(f"{line}\n")
    with pytest.raises(ConfigError, match=re.escape(error)):
        load_config(config)
    config.write_text("expected_instances = 12\napp_cpus = 4\n")
    loaded = load_config(config)
    assert (loaded.expected_instances, loaded.app_cpus) == (12, 4)
    assert (APP_DEFAULTS.expected_instances, APP_DEFAULTS.app_cpus) == (1, None)
