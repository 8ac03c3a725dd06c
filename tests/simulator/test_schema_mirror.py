"""schema.prisma, the SQLAlchemy models and the applied database agree on every table and column."""

from __future__ import annotations

import psycopg
from sqlalchemy import Column, MetaData, String

from harness.isolation import ScenarioEnv
from recovery_tools.prisma_schema import parse_prisma_schema
from simulator.models import Base
from simulator.schema import prisma_schema_path

Shape = dict[str, set[str]]


def prisma_shape(text: str) -> Shape:
    return {model.table: set(model.columns) for model in parse_prisma_schema(text)}


def metadata_shape(metadata: MetaData) -> Shape:
    return {table.name: {column.name for column in table.columns} for table in metadata.tables.values()}


def differences(prisma: Shape, other: Shape, other_name: str = "models.py") -> list[str]:
    """Human-readable disagreements; empty when the two describe the same tables and columns."""
    found = [f'table "{name}" only in schema.prisma' for name in sorted(prisma.keys() - other.keys())]
    found += [f'table "{name}" only in {other_name}' for name in sorted(other.keys() - prisma.keys())]
    for name in sorted(prisma.keys() & other.keys()):
        found += [f'column "{name}"."{column}" only in schema.prisma' for column in sorted(prisma[name] - other[name])]
        found += [f'column "{name}"."{column}" only in {other_name}' for column in sorted(other[name] - prisma[name])]
    return found


def schema_text() -> str:
    return prisma_schema_path().read_text(encoding="utf-8")


def test_models_mirror_schema_prisma() -> None:
    assert differences(prisma_shape(schema_text()), metadata_shape(Base.metadata)) == []


def test_the_checklist_tables_exist_with_exact_case_and_legacy_ones_do_not() -> None:
    tables = prisma_shape(schema_text())
    assert {"ImageReviewSession", "ImageReviewProduct", "ImageReviewProductImage"} <= tables.keys()
    assert not {"image_review_items", "image_review_options"} & tables.keys()


def test_a_field_added_to_schema_prisma_only_is_reported() -> None:
    text = schema_text().replace("model ImageReviewProduct {", "model ImageReviewProduct {\n  colour String", 1)
    assert differences(prisma_shape(text), metadata_shape(Base.metadata)) == [
        'column "ImageReviewProduct"."colour" only in schema.prisma'
    ]


def test_a_renamed_table_and_a_model_column_are_reported() -> None:
    text = schema_text().replace("model WorkflowStageExecution {",
                                 'model WorkflowStageExecution {\n  @@map("workflow_stages")', 1)
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    metadata.tables["Merchant"].append_column(Column("legacyCode", String))
    assert differences(prisma_shape(text), metadata_shape(metadata)) == [
        'table "workflow_stages" only in schema.prisma',
        'table "WorkflowStageExecution" only in models.py',
        'column "Merchant"."legacyCode" only in models.py',
    ]


def test_the_applied_database_has_exactly_the_schema(scenario: ScenarioEnv) -> None:
    with psycopg.connect(scenario.database_url) as conn:
        rows = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public'"
        ).fetchall()
    database: Shape = {}
    for table, column in rows:
        database.setdefault(table, set()).add(column)
    assert differences(prisma_shape(schema_text()), database, "the database") == []
