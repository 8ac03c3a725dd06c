"""Reading a Prisma schema: which tables its models map to, their schemas and scalar fields."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_BLOCK = re.compile(
    r"^[ \t]*(model|view|enum|type|datasource|generator)\s+(\w+)\s*\{(.*?)^[ \t]*\}", re.MULTILINE | re.DOTALL
)
_MAP = re.compile(r'@@map\(\s*(?:name\s*:\s*)?"([^"]+)"\s*\)')
_SCHEMA = re.compile(r'@@schema\(\s*"([^"]+)"\s*\)')
_IGNORE = re.compile(r"@@ignore\b")
_FIELD_MAP = re.compile(r'@map\(\s*(?:name\s*:\s*)?"([^"]+)"\s*\)')
_SCHEMAS_LIST = re.compile(r"^\s*schemas\s*=\s*\[(.*?)\]", re.MULTILINE | re.DOTALL)
_PROVIDER = re.compile(r'^\s*provider\s*=\s*"([^"]+)"', re.MULTILINE)
_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
# A string literal is kept whole so that "postgresql://..." is not mistaken for a comment.
_STRING_OR_COMMENT = re.compile(r'("(?:[^"\\\n]|\\.)*")|//[^\n]*')
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

    @property
    def qualified_table(self) -> str:
        """`schema.table` when the model names a schema, else the table alone (for messages)."""
        return f"{self.schema}.{self.table}" if self.schema else self.table


@dataclass(frozen=True)
class PrismaDocument:
    """Everything the tools need from a schema file: tables of models, and what was left out and why."""

    models: tuple[PrismaModel, ...]
    views: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    datasource_provider: str | None = None
    datasource_schemas: tuple[str, ...] = ()


def _strip_comments(text: str) -> str:
    return _STRING_OR_COMMENT.sub(lambda match: match.group(1) or "", text)


def parse_prisma_document(text: str) -> PrismaDocument:
    """Models with a table, plus the names of views and `@@ignore`d models and the datasource's schemas."""
    models: list[PrismaModel] = []
    views: list[str] = []
    ignored: list[str] = []
    provider: str | None = None
    schemas: tuple[str, ...] = ()
    for kind, name, body in _BLOCK.findall(_strip_comments(text)):
        if kind == "datasource":
            found_provider = _PROVIDER.search(body)
            provider = found_provider.group(1) if found_provider else None
            listed = _SCHEMAS_LIST.search(body)
            schemas = tuple(_STRING.findall(listed.group(1))) if listed else ()
        elif kind == "view":
            views.append(name)
        elif kind == "model" and _IGNORE.search(body):
            ignored.append(name)
        elif kind == "model":
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
    return PrismaDocument(tuple(models), tuple(views), tuple(ignored), provider, schemas)


def parse_prisma_schema(text: str) -> list[PrismaModel]:
    """Models that have a table: `view`s, enums and `@@ignore`d models are left out."""
    return list(parse_prisma_document(text).models)


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


def read_prisma_document(path: Path) -> PrismaDocument:
    """Parse a schema file; PrismaSchemaError names the file when it is unreadable or has no model."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        raise PrismaSchemaError(f"cannot read Prisma schema {path}: {reason}") from error
    document = parse_prisma_document(text)
    if not document.models:
        raise PrismaSchemaError(f"Prisma schema {path} defines no model")
    return document


def read_prisma_schema(path: Path) -> list[PrismaModel]:
    """Parse a schema file; PrismaSchemaError names the file when it is unreadable or empty."""
    return list(read_prisma_document(path).models)
