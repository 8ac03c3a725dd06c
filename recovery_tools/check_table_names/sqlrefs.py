"""Table references in one SQL text: the names after FROM, JOIN, INSERT/MERGE INTO and UPDATE.

A small tokenizer rather than a full parser: raw SQL in application code is often a fragment with
placeholders (`${id}`, `%s`, `$1`) that a parser rejects, and we only need names and their offsets.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACEHOLDER = "\x00"  # stands for an interpolated expression (`${...}`, an f-string field)

_TOKEN = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--[^\n]*|/\*.*?(?:\*/|\Z))
    | (?P<string>[EeBbXxNnUu]?'(?:[^']|'')*(?:'|\Z))
    | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*|)\$.*?\$(?P=tag)\$)
    | (?P<qident>"(?:[^"]|"")*(?:"|\Z))
    | (?P<placeholder>\x00)
    | (?P<word>[A-Za-z_\x80-\uffff][\w$]*)
    | (?P<number>\d+(?:\.\d+)?)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)

# Words after which "(" opens a subquery or a list, not a function call's arguments.
_NOT_CALLS = {
    "IN", "EXISTS", "ANY", "ALL", "SOME", "AS", "FROM", "JOIN", "ON", "WHERE", "AND", "OR", "NOT", "SELECT",
    "LATERAL", "VALUES", "USING", "WITH", "UNION", "INTERSECT", "EXCEPT", "FILTER", "OVER", "RETURNING",
    "THEN", "ELSE", "WHEN", "CASE", "IS", "BY", "HAVING", "MATERIALIZED", "ARRAY", "SET", "ONLY", "RECURSIVE",
    "DISTINCT", "LIMIT", "OFFSET", "INTO", "TABLE", "UPDATE", "DELETE", "INSERT", "DO",
}
# Words that end a FROM item: never an alias.
_CLAUSE_WORDS = {
    "WHERE", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "ON", "USING", "GROUP", "ORDER",
    "LIMIT", "OFFSET", "HAVING", "WINDOW", "UNION", "INTERSECT", "EXCEPT", "RETURNING", "SET", "FOR", "FETCH",
    "VALUES", "SELECT", "DEFAULT", "TABLESAMPLE", "LATERAL", "AS", "WITH", "DO", "OVERRIDING", "WHEN", "THEN",
    "AND", "OR", "NOT", "OUTER", "ONLY", "INTO", "FROM", "QUERY", "END",
}
_UPDATE_NOT_A_STATEMENT = {"DO", "FOR", "KEY", "ON", "BEFORE", "AFTER", "OR", "OF", ",", "GRANT", "REVOKE"}


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    offset: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""


@dataclass(frozen=True)
class TableRef:
    """A table name as written (`schema`/`name` raw, quoted or not) and where it starts in the SQL text."""

    name: str
    offset: int
    schema: str | None = None
    quoted: bool = False
    schema_quoted: bool = False

    @property
    def resolved_name(self) -> str:
        """The name Postgres looks up: unquoted identifiers fold to lower case."""
        return self.name if self.quoted else self.name.lower()

    @property
    def resolved_schema(self) -> str | None:
        if self.schema is None:
            return None
        return self.schema if self.schema_quoted else self.schema.lower()

    @property
    def written(self) -> str:
        """How the reference appears in the source."""
        name = f'"{self.name}"' if self.quoted else self.name
        if self.schema is None:
            return name
        return (f'"{self.schema}"' if self.schema_quoted else self.schema) + "." + name


_NONE = Token("end", "", -1)


def tokenize(sql: str) -> list[Token]:
    """Significant tokens: identifiers (quoted ones unescaped), strings, numbers, punctuation, placeholders."""
    tokens = []
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup or "punct"
        if kind == "tag":
            kind = "dollar"
        if kind in ("space", "comment"):
            continue
        text = match.group(kind)
        if kind == "qident" and PLACEHOLDER in text:  # "${table}": a name chosen at run time
            kind = "placeholder"
        elif kind == "qident":
            text = text[1:-1].replace('""', '"') if text.endswith('"') and len(text) > 1 else text[1:]
        tokens.append(Token(kind, text, match.start()))
    return tokens


def _is_name(token: Token | None) -> bool:
    return token is not None and (token.kind == "qident" or (token.kind == "word" and token.upper not in _CLAUSE_WORDS))


class _Reader:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens

    def at(self, index: int) -> Token | None:
        return self.tokens[index] if 0 <= index < len(self.tokens) else None

    def skip_group(self, index: int) -> int:
        """Index after the parenthesised group that opens at `index`."""
        depth = 0
        while index < len(self.tokens):
            text = self.tokens[index].text if self.tokens[index].kind == "punct" else ""
            depth += (text == "(") - (text == ")")
            index += 1
            if depth == 0:
                break
        return index

    def qualified_name(self, index: int) -> tuple[list[Token], int]:
        parts = [self.tokens[index]]
        index += 1
        while self._punct(index, ".") and (self.at(index + 1) or _NONE).kind in ("word", "qident"):
            parts.append(self.tokens[index + 1])
            index += 2
        return parts, index

    def _punct(self, index: int, text: str) -> bool:
        token = self.at(index)
        return token is not None and token.kind == "punct" and token.text == text

    def from_item(self, index: int, *, target: bool = False) -> tuple[TableRef | None, int]:
        """One FROM/JOIN item at `index`: a table ref, or None for a subquery, function or placeholder.

        `target` is for INSERT INTO / UPDATE, where a "(" after the name is a column list, not a call.
        """
        token = self.at(index)
        while token is not None and token.upper in ("ONLY", "LATERAL"):
            index += 1
            token = self.at(index)
        if token is None:
            return None, index
        if self._punct(index, "("):
            return None, self.skip_group(index)
        if not _is_name(token):
            return None, index + (token.kind == "placeholder")
        parts, after = self.qualified_name(index)
        if self._punct(after, "(") and not target:  # a set-returning function such as unnest(...)
            return None, self.skip_group(after)
        name = parts[-1]
        schema = parts[-2] if len(parts) >= 2 else None
        ref = TableRef(
            name=name.text, offset=name.offset, schema=schema.text if schema else None,
            quoted=name.kind == "qident", schema_quoted=schema is not None and schema.kind == "qident",
        )
        return ref, after

    def skip_alias(self, index: int) -> int:
        if (self.at(index) or _NONE).upper == "AS":
            index += 1
        if _is_name(self.at(index)):
            index += 1
            if self._punct(index, "("):
                index = self.skip_group(index)
        return index


def cte_names(tokens: list[Token]) -> set[str]:
    """Names defined by WITH (`name AS (`, `name (cols) AS (`, with [NOT] MATERIALIZED), case-folded."""
    reader = _Reader(tokens)
    names = set()
    for index, token in enumerate(tokens):
        if not _is_name(token):
            continue
        after = index + 1
        if reader._punct(after, "("):
            after = reader.skip_group(after)
        if (reader.at(after) or _NONE).upper != "AS":
            continue
        after += 1
        while (reader.at(after) or _NONE).upper in ("NOT", "MATERIALIZED"):
            after += 1
        if reader._punct(after, "("):
            names.add(token.text if token.kind == "qident" else token.text.lower())
    return names


def table_references(sql: str) -> list[TableRef]:
    """Every table the SQL text names after FROM, JOIN, INSERT/MERGE INTO or UPDATE, in order."""
    tokens = tokenize(sql)
    reader = _Reader(tokens)
    local = cte_names(tokens)
    calls: list[bool] = []  # one entry per open "(": True when it holds a function call's arguments
    refs: list[TableRef] = []
    for index, token in enumerate(tokens):
        previous = reader.at(index - 1)
        if token.kind == "punct" and token.text == "(":
            calls.append(previous is not None and (
                previous.kind == "qident" or (previous.kind == "word" and previous.upper not in _NOT_CALLS)))
            continue
        if token.kind == "punct" and token.text == ")":
            if calls:
                calls.pop()
            continue
        if token.kind != "word" or (calls and calls[-1]):
            continue
        keyword = token.upper
        before = previous.upper if previous is not None and previous.kind == "word" else (
            previous.text if previous is not None else "")
        found: list[TableRef | None] = []
        if keyword == "FROM" and before != "DISTINCT":  # IS [NOT] DISTINCT FROM
            ref, after = reader.from_item(index + 1)
            found.append(ref)
            after = reader.skip_alias(after)
            while reader._punct(after, ","):
                ref, after = reader.from_item(after + 1)
                found.append(ref)
                after = reader.skip_alias(after)
        elif keyword == "JOIN" or (keyword == "INTO" and before in ("INSERT", "MERGE")) or (
            keyword == "UPDATE" and before not in _UPDATE_NOT_A_STATEMENT
        ):
            found.append(reader.from_item(index + 1, target=keyword != "JOIN")[0])
        for ref in found:
            if ref is not None and not (ref.schema is None and ref.resolved_name in local):
                refs.append(ref)
    return refs
