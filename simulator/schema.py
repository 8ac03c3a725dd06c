"""Applying the app schema (schema.prisma, mirrored by models.py) to a database."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def prisma_schema_path() -> Path:
    """Where the simulator's schema.prisma lives (inside the installed package)."""
    return Path(str(resources.files("simulator") / "schema.prisma"))


def tool_config_path() -> Path:
    """The simulated app's recovery-harness.toml: its queues, prefix and schema, for the real tools."""
    return Path(str(resources.files("simulator") / "recovery-harness.toml"))


def apply_schema(database_url: str) -> None:
    """Create every table of the app schema in the database (like `prisma db push`)."""
    # Imported here: check-table-names needs only prisma_schema_path() and starts ~0.5 s sooner without SQLAlchemy.
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from recovery_tools.urls import sqlalchemy_url
    from simulator.models import Base

    engine = create_engine(sqlalchemy_url(database_url), poolclass=NullPool)
    try:
        Base.metadata.create_all(engine)
    finally:
        engine.dispose()
