"""Reading a Prisma schema: which tables its models map to, and their scalar fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_BLOCK = re.compile(r"^\s*(model|view|enum|type)\s+(\w+)\s*\{(.*?)^\s*\}", re.MULTILINE | re.DOTALL)
_MAP = re.compile(r'@@map\(\s*(?:name\s*:\s*)?"([^"]+)"\s*\)')
_SCHEMA = re.compile(r'@@schema\(\s*"([^"]+)"\s*\)')
_FIELD_MAP = re.compile(r'@map\(\s*(?:name\s*:\s*)?"([^"]+)"\s*\)')
_COMMENT = re.compile(r"//.*$", re.MULTILINE)
SCALARS = {"String", "Int", "BigInt", "Float", "Decimal", "Boolean", "DateTime", "Json", "Bytes"}


class PrismaSchemaError(Exception):
    """The schema file cannot be read or holds no model."""


@dataclass(frozen=True)
class PrismaModel:
    """One `model` block: its name, the table it maps to, its schema and its column names."""

    name: str
    table: str
    schema: str | None = None
    columns: tuple[str, ...] = field(default=())


def parse_prisma_schema(text: str) -> list[PrismaModel]:
    """Models that have a table: `view`s, enums and `@@ignore`d models are left out."""
    models = []
    for kind, name, body in _BLOCK.findall(_COMMENT.sub("", text)):
        if kind != "model" or "@@ignore" in body:
            continue
        mapped = _MAP.search(body)
        schema = _SCHEMA.search(body)
        models.append(
            PrismaModel(
                name=name,
                table=mapped.group(1) if mapped else name,
                schema=schema.group(1) if schema else None,
                columns=tuple(_columns(body)),
            )
        )
    return models


def _columns(body: str) -> list[str]:
    columns = []
    for line in body.splitlines():
        parts = line.split()
        if len(parts) < 2 or parts[0].startswith("@"):
            continue
        base_type = parts[1].rstrip("?[]")
        if base_type not in SCALARS or parts[1].endswith("[]") or "@ignore" in line:
            continue
        mapped = _FIELD_MAP.search(line)
        columns.append(mapped.group(1) if mapped else parts[0])
    return columns


def read_prisma_schema(path: Path) -> list[PrismaModel]:
    """Parse a schema file; PrismaSchemaError names the file when it is unreadable or empty."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PrismaSchemaError(f"cannot read Prisma schema {path}: {reason}") from error
    models = parse_prisma_schema(text)
    if not models:
        raise PrismaSchemaError(f"Prisma schema {path} defines no model")
    return models
