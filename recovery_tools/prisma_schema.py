"""Reading a Prisma schema: which tables its models map to, their schemas, scalar fields, keys and enums."""

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
# A field line: name, type (Unsupported("...") kept whole), then `?` or `[]`, then its attributes.
_FIELD = re.compile(r'^\s*(\w+)\s+(Unsupported\(\s*"[^"]*"\s*\)|\w+)(\[\]|\?)?(.*)$')
_NATIVE = re.compile(r"@db\.(\w+)(?:\(([^)]*)\))?")
_FIELD_ID = re.compile(r"(?<!@)@id\b")
_FIELD_UNIQUE = re.compile(r"(?<!@)@unique\b")
_FIELD_IGNORE = re.compile(r"(?<!@)@ignore\b")
_BLOCK_KEY = re.compile(r"@@(id|unique)\(\s*(?:fields\s*:\s*)?\[([^\]]*)\]")


class PrismaSchemaError(Exception):
    """The schema file cannot be read or holds no model."""


@dataclass(frozen=True)
class PrismaField:
    """A field stored in a column: scalar, enum or a list of them (relation fields have no column)."""

    name: str
    column: str
    type: str  # a Prisma scalar, an enum's name, or Unsupported("...")
    optional: bool = False
    is_list: bool = False
    native: str | None = None  # the @db.X attribute's X
    native_args: tuple[str, ...] = ()  # its arguments, e.g. ("255",) for @db.VarChar(255)


@dataclass(frozen=True)
class PrismaEnum:
    """An `enum` block: the Postgres type it maps to (`@@map`, `@@schema`) and the values' stored names."""

    name: str
    db_name: str
    schema: str | None = None
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrismaModel:
    """One `model` block: its name, the table it maps to, its schema and its column names."""

    name: str
    table: str
    schema: str | None = None
    columns: tuple[str, ...] = field(default=())
    fields: tuple[PrismaField, ...] = field(default=())
    primary_key: tuple[str, ...] = ()  # field names of @id or @@id
    unique_sets: tuple[tuple[str, ...], ...] = ()  # field names of each @unique and @@unique

    def field_named(self, name: str) -> PrismaField | None:
        return next((item for item in self.fields if item.name == name), None)

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
    enums: tuple[PrismaEnum, ...] = ()


def _strip_comments(text: str) -> str:
    return _STRING_OR_COMMENT.sub(lambda match: match.group(1) or "", text)


def parse_prisma_document(text: str) -> PrismaDocument:
    """Models with a table, plus the names of views and `@@ignore`d models and the datasource's schemas."""
    models: list[PrismaModel] = []
    views: list[str] = []
    ignored: list[str] = []
    provider: str | None = None
    schemas: tuple[str, ...] = ()
    blocks = _BLOCK.findall(_strip_comments(text))
    enums = tuple(_enum(name, body) for kind, name, body in blocks if kind == "enum")
    enum_names = {enum.name for enum in enums}
    for kind, name, body in blocks:
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
            fields, primary_key, unique_sets = _fields(body, enum_names)
            models.append(
                PrismaModel(
                    name=name,
                    table=mapped.group(1) if mapped else name,
                    schema=schema.group(1) if schema else None,
                    columns=tuple(_columns(body)),
                    fields=fields,
                    primary_key=primary_key,
                    unique_sets=unique_sets,
                )
            )
    return PrismaDocument(tuple(models), tuple(views), tuple(ignored), provider, schemas, enums)


def _enum(name: str, body: str) -> PrismaEnum:
    mapped = _MAP.search(body)
    schema = _SCHEMA.search(body)
    values = []
    for line in body.splitlines():
        parts = line.split()
        if not parts or parts[0].startswith("@"):
            continue
        value_map = _FIELD_MAP.search(line)
        values.append(value_map.group(1) if value_map else parts[0])
    return PrismaEnum(name, mapped.group(1) if mapped else name, schema.group(1) if schema else None, tuple(values))


def _key_fields(listed: str) -> tuple[str, ...]:
    """`a, b(sort: Desc)` -> (a, b)."""
    return tuple(part.split("(")[0].strip() for part in re.split(r",(?![^(]*\))", listed) if part.strip())


def _fields(body: str, enum_names: set[str]
            ) -> tuple[tuple[PrismaField, ...], tuple[str, ...], tuple[tuple[str, ...], ...]]:
    """The model's column fields, its primary key and its unique field sets."""
    fields: list[PrismaField] = []
    primary_key: tuple[str, ...] = ()
    unique_sets: list[tuple[str, ...]] = []
    for line in body.splitlines():
        found = _FIELD.match(line)
        if found is None or line.strip().startswith("@"):
            continue
        name, type_name, modifier, attributes = found.groups()
        stored = type_name in SCALARS or type_name in enum_names or type_name.startswith("Unsupported(")
        if not stored or _FIELD_IGNORE.search(attributes):
            continue
        native = _NATIVE.search(attributes)
        mapped = _FIELD_MAP.search(attributes)
        fields.append(PrismaField(
            name=name, column=mapped.group(1) if mapped else name, type=type_name, optional=modifier == "?",
            is_list=modifier == "[]", native=native.group(1) if native else None,
            native_args=tuple(arg.strip() for arg in (native.group(2) or "").split(",") if arg.strip())
            if native else (),
        ))
        if _FIELD_ID.search(attributes):
            primary_key = (name,)
        if _FIELD_UNIQUE.search(attributes):
            unique_sets.append((name,))
    for kind, listed in _BLOCK_KEY.findall(body):
        if kind == "id":
            primary_key = _key_fields(listed)
        else:
            unique_sets.append(_key_fields(listed))
    return tuple(fields), primary_key, tuple(unique_sets)


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
