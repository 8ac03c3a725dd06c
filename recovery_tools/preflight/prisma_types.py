"""Prisma's PostgreSQL type mapping: the column type a field expects, and whether the database's type will do.

Defaults (what `prisma migrate` creates): String text, Int integer, BigInt bigint, Float double precision,
Decimal numeric(65,30), DateTime timestamp(3), Boolean boolean, Json jsonb, Bytes bytea, an enum its own type,
a list the element type's array; `@db.X(args)` names the native type instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from recovery_tools.prisma_schema import PrismaField

DEFAULTS = {
    "String": "text", "Int": "integer", "BigInt": "bigint", "Float": "double precision",
    "Decimal": "numeric(65,30)", "DateTime": "timestamp(3) without time zone", "Boolean": "boolean",
    "Json": "jsonb", "Bytes": "bytea",
}
# @db.X -> format_type()'s spelling; {0}, {1} are the attribute's arguments.
NATIVE = {
    "Text": "text", "VarChar": "character varying({0})", "Char": "character({0})", "Uuid": "uuid", "Xml": "xml",
    "Inet": "inet", "Citext": "citext", "Bit": "bit({0})", "VarBit": "bit varying({0})",
    "Integer": "integer", "SmallInt": "smallint", "Oid": "oid", "BigInt": "bigint",
    "DoublePrecision": "double precision", "Real": "real", "Decimal": "numeric({0},{1})", "Money": "money",
    "Timestamp": "timestamp({0}) without time zone", "Timestamptz": "timestamp({0}) with time zone",
    "Date": "date", "Time": "time({0}) without time zone", "Timetz": "time({0}) with time zone",
    "Json": "json", "JsonB": "jsonb", "ByteA": "bytea", "Boolean": "boolean",
}
_NO_ARGS = {"character varying()": "character varying", "character()": "character(1)", "bit()": "bit(1)",
            "bit varying()": "bit varying"}
_TIME = re.compile(r"^(timestamp|time)(?:\((\d+)\))? (with|without) time zone$")
_NUMERIC = re.compile(r"^numeric(?:\((\d+),(\d+)\))?$")
_VARCHAR = re.compile(r"^character varying(?:\((\d+)\))?$")


@dataclass(frozen=True)
class TypeVerdict:
    """`same`: the type Prisma would create; else `compatible` says whether Prisma reads and writes every value."""

    same: bool
    compatible: bool
    why: str = ""


def expected_type(field: PrismaField, enum_types: dict[str, str]) -> str | None:
    """format_type()'s spelling of the column type the field expects (None: Unsupported, not checked)."""
    if field.type in enum_types:
        base = enum_types[field.type]
    elif field.native and field.native in NATIVE:
        base = NATIVE[field.native].format(*field.native_args, "", "")
        base = _NO_ARGS.get(base, base).replace("()", "")
    elif field.type in DEFAULTS:
        base = DEFAULTS[field.type]
    else:
        return None
    return base + ("[]" if field.is_list else "")


def normalize(type_text: str) -> str:
    """format_type() output in one spelling: default precisions made explicit, `numeric` args unspaced."""
    text = type_text.strip().replace(", ", ",")
    time = _TIME.match(text)
    if time:
        kind, precision, zone = time.groups()
        return f"{kind}({precision or 6}) {zone} time zone"
    return text


def _array(text: str) -> tuple[str, bool]:
    return (text[:-2], True) if text.endswith("[]") else (text, False)


def compare(expected: str, found: str) -> TypeVerdict:
    """Whether the database's column type is Prisma's, or one Prisma reads and writes without losing values."""
    want, found_text = normalize(expected), normalize(found)
    if want == found_text:
        return TypeVerdict(True, True)
    want_base, want_list = _array(want)
    found_base, found_list = _array(found_text)
    if want_list != found_list:
        return TypeVerdict(False, False, "an array where Prisma has a scalar" if found_list
                           else "a scalar where Prisma has a list")
    return _compatible(want_base, found_base)


def _compatible(want: str, found: str) -> TypeVerdict:
    want_time, found_time = _TIME.match(want), _TIME.match(found)
    if want_time and found_time:
        if want_time.group(1) != found_time.group(1) or want_time.group(3) != found_time.group(3):
            return TypeVerdict(False, False, "time zone handling or date part differs")
        if int(found_time.group(2)) < int(want_time.group(2)):
            return TypeVerdict(False, False, "less fractional-second precision: values are rounded")
        return TypeVerdict(False, True, "more fractional-second precision than Prisma's; every value fits")
    want_varchar, found_varchar = _VARCHAR.match(want), _VARCHAR.match(found)
    if want in ("text", "citext") or want_varchar:
        limit = int(want_varchar.group(1)) if want_varchar and want_varchar.group(1) else None
        if found == "text" or (found_varchar and not found_varchar.group(1)):
            return TypeVerdict(False, True, "unbounded text; every value Prisma writes fits")
        if found_varchar and limit is not None and int(found_varchar.group(1)) >= limit:
            return TypeVerdict(False, True, "a longer varchar; every value fits")
        if found_varchar:
            return TypeVerdict(False, False, "a bounded varchar: longer strings are refused")
    want_numeric, found_numeric = _NUMERIC.match(want), _NUMERIC.match(found)
    if want_numeric and found_numeric:
        if not found_numeric.group(1):
            return TypeVerdict(False, True, "unconstrained numeric; every value fits")
        if want_numeric.group(1):
            want_p, want_s = int(want_numeric.group(1)), int(want_numeric.group(2))
            found_p, found_s = int(found_numeric.group(1)), int(found_numeric.group(2))
            if found_s >= want_s and found_p - found_s >= want_p - want_s:
                return TypeVerdict(False, True, "a wider numeric; every value fits")
        return TypeVerdict(False, False, "a narrower numeric: values are rounded or refused")
    if (want, found) == ("integer", "bigint"):
        return TypeVerdict(False, True, "bigint: Prisma's Int reads it while values stay in 32 bits")
    if (want, found) == ("jsonb", "json"):
        return TypeVerdict(False, True, "json: Prisma reads and writes it (keys keep their order and duplicates)")
    return TypeVerdict(False, False, "a different type")
