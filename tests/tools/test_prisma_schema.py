"""The Prisma schema reader: @@map, @@schema, @@ignore, views, mixed case and datasource schemas."""

from __future__ import annotations

from pathlib import Path

import pytest

from recovery_tools.prisma_schema import (
    PrismaSchemaError,
    parse_prisma_document,
    parse_prisma_schema,
    read_prisma_document,
    read_prisma_schema,
)
from simulator.schema import prisma_schema_path

MULTI_SCHEMA = '''
// A schema in the style of a real multi-schema app: comments, // in strings, mixed case.
datasource db {
  provider = "postgresql"
  url      = "postgresql://app:secret@db.internal:5432/app" // not a comment inside the string
  schemas  = ["public", "audit",
              "Billing"]
}

generator client {
  provider        = "prisma-client-js"
  previewFeatures = ["multiSchema"]
}

/// The review session of a workflow.
model ImageReviewSession {
  id     String @id
  status String @default("pending_review") @map("review_status")
  @@schema("public")
}

model userProfile {
  id        String @id
  firstName String @map(name: "first_name")
  tags      String[]
  @@map(name: "user_profiles")
  @@schema("public")
}

model AuditEvent {
  id   Int    @id
  kind String
  @@map("AuditEvents")
  @@schema("audit")
}

model invoiceLine {
  id Int @id
  @@schema("Billing")
}

model LegacyThing {
  id Int @id
  @@ignore
  @@map("legacy_things")
}

// model Commented { id Int @id }

view ActiveMerchants {
  id String @unique
}

enum Status {
  pending
  done
}
'''


def test_map_schema_and_mixed_case_are_read() -> None:
    document = parse_prisma_document(MULTI_SCHEMA)
    tables = [(model.name, model.schema, model.table) for model in document.models]
    assert tables == [
        ("ImageReviewSession", "public", "ImageReviewSession"),
        ("userProfile", "public", "user_profiles"),
        ("AuditEvent", "audit", "AuditEvents"),
        ("invoiceLine", "Billing", "invoiceLine"),
    ]
    assert document.models[2].qualified_table == "audit.AuditEvents"


def test_views_ignored_models_and_comments_are_left_out() -> None:
    document = parse_prisma_document(MULTI_SCHEMA)
    names = {model.name for model in document.models}
    assert "ActiveMerchants" not in names and document.views == ("ActiveMerchants",)
    assert "LegacyThing" not in names and document.ignored == ("LegacyThing",)
    assert "Commented" not in names and "Status" not in names


def test_datasource_schemas_and_provider() -> None:
    document = parse_prisma_document(MULTI_SCHEMA)
    assert document.datasource_provider == "postgresql"
    assert document.datasource_schemas == ("public", "audit", "Billing")


def test_field_maps_and_lists() -> None:
    models = {model.name: model for model in parse_prisma_schema(MULTI_SCHEMA)}
    assert models["ImageReviewSession"].columns == ("id", "review_status")
    assert models["userProfile"].columns == ("id", "first_name"), "scalar lists are not columns of their own here"


def test_simulator_schema_has_the_checklist_tables() -> None:
    models = read_prisma_schema(prisma_schema_path())
    tables = [model.table for model in models]
    assert tables[-3:] == ["ImageReviewSession", "ImageReviewProduct", "ImageReviewProductImage"]
    assert all(model.schema is None for model in models)
    assert "image_review_items" not in tables and "image_review_options" not in tables


def test_unreadable_file_names_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.prisma"
    with pytest.raises(PrismaSchemaError, match=r"cannot read Prisma schema .*nope\.prisma"):
        read_prisma_document(missing)
    binary = tmp_path / "binary.prisma"
    binary.write_bytes(b"\xff\xfe\x00model")
    with pytest.raises(PrismaSchemaError, match="cannot read Prisma schema"):
        read_prisma_schema(binary)


def test_file_without_models_is_an_error(tmp_path: Path) -> None:
    only_views = tmp_path / "views.prisma"
    only_views.write_text("view V {\n  id Int @unique\n}\n", encoding="utf-8")
    with pytest.raises(PrismaSchemaError, match="defines no model"):
        read_prisma_schema(only_views)
