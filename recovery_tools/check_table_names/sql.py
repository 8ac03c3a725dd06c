"""Tables and columns a SQL text uses, by Postgres's own parser (pglast): statements, fragments, and prose left out.

A text is taken for SQL when it starts with a statement keyword (SELECT, INSERT, UPDATE, DELETE, WITH,
MERGE) written in upper or lower case and parses, or when it does not parse but names a table after an
upper-case FROM/JOIN/INTO/UPDATE (a fragment: `" JOIN image_review_items i ON ..."`). Prose such as
"Select from the list" is neither. Interpolations (PLACEHOLDER) become an identifier that is never
reported (or nothing, when an identifier does not parse there); `$1` parses as it is, `%s` is replaced.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from recovery_tools.source.strings import PLACEHOLDER

if TYPE_CHECKING:
    from pglast import ast

MARKER = "rh_expr__"  # the identifier a placeholder becomes; names holding it are chosen at run time
_PYFORMAT = re.compile(r"%\((\w+)\)s|%s")
_LEADING = re.compile(r"^[\s(),\x00]*(?:--[^\n]*\n[\s(),\x00]*|/\*.*?\*/[\s(),\x00]*)*([A-Za-z]+)", re.DOTALL)
STATEMENT_WORDS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "MERGE")
_KINDS = {"SelectStmt": "SELECT", "InsertStmt": "INSERT", "UpdateStmt": "UPDATE", "DeleteStmt": "DELETE",
          "MergeStmt": "MERGE"}
_TABLE_WORDS = ("FROM", "JOIN", "INTO", "UPDATE")
# A fragment starts where a clause starts (in upper case, as code writes SQL): prose does not.
_CLAUSE_STARTS = frozenset({
    *STATEMENT_WORDS, "FROM", "JOIN", "INNER", "LEFT", "RIGHT", "FULL", "CROSS", "NATURAL", "LATERAL", "WHERE", "AND",
    "OR", "ON", "ORDER", "GROUP", "HAVING", "LIMIT", "OFFSET", "SET", "VALUES", "RETURNING", "UNION", "INTO", "USING",
})
# An unquoted table named like this is an English sentence that happens to parse ("delete from the cart").
_PROSE_NAMES = frozenset({"the", "a", "an", "this", "that", "these", "those", "your", "my", "our", "their", "his",
                          "her", "its", "all", "each", "every", "some", "any"})
# Wrappers that turn a clause into a statement the parser accepts; FRAGMENT_TABLE is never reported.
FRAGMENT_TABLE = "rh_fragment__"
_WRAPPERS = ("SELECT * ", f"SELECT * FROM {FRAGMENT_TABLE} ", f"SELECT * FROM {FRAGMENT_TABLE} WHERE true ")


@dataclass(frozen=True)
class TableRef:
    """A table a statement reads or writes: as Postgres looks it up (`schema`, `name`) and as written."""

    name: str
    schema: str | None
    written: str
    offset: int  # where the name starts in the analysed text

    @property
    def quoted(self) -> bool:
        return self.written.endswith('"')

    @property
    def display(self) -> str:
        return f'"{self.schema}"."{self.name}"' if self.schema else f'"{self.name}"'


@dataclass(frozen=True)
class ColumnUse:
    """A column named in a statement and the tables it can belong to: `scopes` innermost first.

    A qualified column (`alias.col`) has one scope holding its table; an unqualified one has the
    tables of its own FROM, then those of each enclosing query. None in a scope stands for a subquery,
    function or CTE, whose columns are not known from the catalog.
    """

    name: str
    written: str
    offset: int
    scopes: tuple[tuple[TableRef | None, ...], ...]


@dataclass(frozen=True)
class Statement:
    """What one SQL text uses: its kind (SELECT/INSERT/UPDATE/DELETE/MERGE, None if unknown), tables, columns."""

    kind: str | None
    fragment: bool
    tables: tuple[TableRef, ...]
    columns: tuple[ColumnUse, ...] = ()


@cache
def _pglast() -> Any:
    import pglast  # imported on first use: the tool's --help and table checks do not pay for it

    return pglast


def leading_word(text: str) -> str | None:
    found = _LEADING.match(text)
    return found.group(1) if found else None


def starts_like_a_statement(text: str) -> bool:
    """True when the first word is a statement keyword in SQL's casing (`SELECT`/`select`, not `Select`)."""
    word = leading_word(text)
    return word is not None and word.upper() in STATEMENT_WORDS and (word.isupper() or word.islower())


def prepared(text: str, placeholder: str) -> str:
    """The text with interpolations and %s parameters replaced by `placeholder` (same length not kept)."""
    return _PYFORMAT.sub(placeholder or " ", text.replace(PLACEHOLDER, placeholder))


def analyze(text: str) -> list[Statement]:
    """The statements (or the fragment) of one text that holds SQL; [] when it does not hold SQL."""
    pglast = _pglast()
    if starts_like_a_statement(text):
        for placeholder in (MARKER, ""):
            sql, offsets = _substituted(text, placeholder)
            try:
                parsed = pglast.parse_sql(sql)
            except pglast.parser.ParseError:
                continue
            statements = [_statement(raw.stmt, sql, offsets, fragment=False) for raw in parsed]
            return [s for s in statements if s is not None and not _prose(s, parsed)]
    word = leading_word(text)
    if word is None or not word.isupper() or word not in _CLAUSE_STARTS:
        return []
    return [s for s in _fragment(text) if not _prose(s, None)]


def _prose(statement: Statement, parsed: Any) -> bool:
    """English that parses: `select from the list` (no app selects no column), `delete from the cart`."""
    if any(not ref.quoted and ref.written.lower() in _PROSE_NAMES for ref in statement.tables):
        return True
    if parsed is None or statement.kind != "SELECT" or len(parsed) != 1:
        return False
    stmt = parsed[0].stmt
    return not getattr(stmt, "targetList", None) and stmt.op.name == "SETOP_NONE"


def _substituted(text: str, placeholder: str) -> tuple[str, list[int]]:
    """`prepared(text)` and, for each of its characters, the index of the character of `text` it came from."""
    out: list[str] = []
    offsets: list[int] = []
    index = 0
    while index < len(text):
        match = _PYFORMAT.match(text, index)
        if text[index] == PLACEHOLDER or match:
            piece = placeholder or " "
            out.append(piece)
            offsets.extend([index] * len(piece))
            index = match.end() if match else index + 1
            continue
        out.append(text[index])
        offsets.append(index)
        index += 1
    return "".join(out), offsets


def _fragment(text: str) -> list[Statement]:
    """A text that is not a statement: SQL only if it names a table after an upper-case FROM/JOIN/INTO/UPDATE."""
    pglast = _pglast()
    sql, offsets = _substituted(text, MARKER)
    try:
        tokens = pglast.parser.scan(sql)
    except pglast.parser.ParseError:
        return []
    if not _names_a_table(sql, tokens):
        return []
    words = (sql[t.start:t.end + 1].upper() for t in tokens if t.kind.endswith("KEYWORD"))
    kind = next((word for word in words if word in _KINDS.values()), None)
    for wrapper in _WRAPPERS:
        try:
            parsed = pglast.parse_sql(wrapper + sql)
        except pglast.parser.ParseError:
            continue
        shifted = [-1] * len(wrapper) + offsets
        found = [_statement(raw.stmt, wrapper + sql, shifted, fragment=True) for raw in parsed]
        return [Statement(kind, True, s.tables, s.columns) for s in found if s is not None]
    return [Statement(kind, True, tuple(_scanned_tables(sql, tokens, offsets)))]


def _names_a_table(sql: str, tokens: Any) -> bool:
    for token, after in zip(tokens, tokens[1:], strict=False):
        if token.name in _TABLE_WORDS and sql[token.start:token.end + 1].isupper() and after.name == "IDENT":
            return True
    return False


def _scanned_tables(sql: str, tokens: Any, offsets: list[int]) -> list[TableRef]:
    """Last resort for a fragment no wrapper makes parse: the names after FROM/JOIN/INTO/UPDATE, by Postgres's
    own scanner (so quoting and case folding are still Postgres's)."""
    found = []
    for index, token in enumerate(tokens[:-1]):
        if token.name not in _TABLE_WORDS or not sql[token.start:token.end + 1].isupper():
            continue
        ref = _name_at(sql, tokens, index + 1, offsets)
        if ref is not None:
            found.append(ref)
    return found


def _identifier(text: str) -> str:
    """An identifier as Postgres looks it up: quoted ones unescaped, others folded (ASCII only, as Postgres)."""
    if text.startswith('"'):
        return text[1:-1].replace('""', '"')
    return text.translate(_ASCII_LOWER)


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _name_at(sql: str, tokens: Any, index: int, offsets: list[int]) -> TableRef | None:
    """The (schema-)qualified name whose first token is tokens[index], or None when there is none."""
    parts = []
    while index < len(tokens) and tokens[index].name == "IDENT" or (
            index < len(tokens) and tokens[index].kind == "UNRESERVED_KEYWORD"):
        token = tokens[index]
        parts.append((token.start, sql[token.start:token.end + 1]))
        if index + 2 < len(tokens) and tokens[index + 1].name == "ASCII_46":
            index += 2
            continue
        break
    if not parts:
        return None
    name_text = parts[-1][1]
    schema_text = parts[-2][1] if len(parts) >= 2 else None
    start = parts[-2][0] if schema_text else parts[-1][0]
    written = f"{schema_text}.{name_text}" if schema_text else name_text
    if MARKER in written or FRAGMENT_TABLE in written:
        return None
    return TableRef(_identifier(name_text), _identifier(schema_text) if schema_text else None, written,
                    offsets[start] if 0 <= start < len(offsets) else 0)


class _Tokens:
    """Postgres's tokens of one statement text, to read names back as written."""

    def __init__(self, sql: str, offsets: list[int]) -> None:
        self.sql = sql
        self.offsets = offsets
        self.tokens = _pglast().parser.scan(sql)
        self.by_start = {token.start: index for index, token in enumerate(self.tokens)}

    def name(self, location: int) -> TableRef | None:
        index = self.by_start.get(location)
        if index is None:
            return None
        if self.tokens[index].name == "ONLY":  # `UPDATE ONLY t`: the location is the keyword's
            index += 1
        return _name_at(self.sql, self.tokens, index, self.offsets)

    def offset(self, location: int) -> int:
        return self.offsets[location] if 0 <= location < len(self.offsets) else -1


def _statement(stmt: ast.Node, sql: str, offsets: list[int], *, fragment: bool) -> Statement | None:
    kind = _KINDS.get(type(stmt).__name__)
    if kind is None:
        return None  # DDL and the like (migrations create and rename tables): not a use of a table
    walker = _Walker(_Tokens(sql, offsets))
    walker.statement(stmt, ())
    tables = tuple(ref for ref in walker.tables if ref.offset >= 0)
    columns = tuple(use for use in walker.columns if use.offset >= 0)
    return Statement(kind, fragment, tables, columns)


Scope = dict[str, "TableRef | None"]


class _Walker:
    """Walks one statement's parse tree: every table (CTE names excepted) and every column with its scopes."""

    def __init__(self, tokens: _Tokens) -> None:
        self.tokens = tokens
        self.tables: list[TableRef] = []
        self.columns: list[ColumnUse] = []
        self.ctes: set[str] = set()

    # statements ---------------------------------------------------------------------------------------

    def statement(self, node: Any, outer: tuple[Scope, ...]) -> None:
        name = type(node).__name__
        with_clause = getattr(node, "withClause", None)
        if with_clause is not None:
            for cte in with_clause.ctes or ():
                self.ctes.add(cte.ctename)
                self.statement(cte.ctequery, outer)
        if name == "SelectStmt":
            self.select(node, outer)
        elif name in ("InsertStmt", "UpdateStmt", "DeleteStmt"):
            self.modify(node, outer)
        else:
            self.expression(node, outer)

    def select(self, node: Any, outer: tuple[Scope, ...]) -> None:
        if node.op.name != "SETOP_NONE":
            self.statement(node.larg, outer)
            self.statement(node.rarg, outer)
            return
        scope: Scope = {}
        for item in node.fromClause or ():
            self.from_item(item, scope, outer)
        inner = (scope, *outer)
        outputs = {target.name for target in node.targetList or () if getattr(target, "name", None)}
        for part in (node.targetList, node.whereClause, node.havingClause, node.valuesLists, node.limitCount,
                     node.limitOffset, node.windowClause):
            self.expression(part, inner)
        for part in (node.groupClause, node.sortClause, node.distinctClause):
            self.expression(part, inner, outputs)

    def modify(self, node: Any, outer: tuple[Scope, ...]) -> None:
        target = self.table(node.relation)
        scope: Scope = {}
        if target is not None:
            scope[node.relation.alias.aliasname if node.relation.alias else target.name] = target
        for item in (getattr(node, "fromClause", None) or getattr(node, "usingClause", None) or ()):
            self.from_item(item, scope, outer)
        inner = (scope, *outer)
        set_columns = list(getattr(node, "cols", None) or ())
        if type(node).__name__ == "UpdateStmt":
            set_columns += list(node.targetList or ())
        conflict = getattr(node, "onConflictClause", None)
        if conflict is not None:
            set_columns += list(conflict.targetList or ())
            self.expression(conflict.infer, inner)
            excluded: Scope = {"excluded": target} if target is not None else {}
            self.expression(conflict.whereClause, ({**scope, **excluded}, *outer))
            for item in conflict.targetList or ():
                self.expression(item.val, ({**scope, **excluded}, *outer))
        for column in set_columns:
            if target is not None and column.name:
                self.column(column.name, column.location, ((target,),))
            if type(node).__name__ == "UpdateStmt" and conflict is None:
                self.expression(column.val, inner)
        select = getattr(node, "selectStmt", None)
        if select is not None:
            self.statement(select, outer)
        self.expression(getattr(node, "whereClause", None), inner)
        self.expression(getattr(node, "returningList", None), inner)

    def from_item(self, item: Any, scope: Scope, outer: tuple[Scope, ...]) -> None:
        name = type(item).__name__
        if name == "RangeVar":
            ref = self.table(item)
            scope[item.alias.aliasname if item.alias else item.relname] = ref
        elif name == "JoinExpr":
            self.from_item(item.larg, scope, outer)
            self.from_item(item.rarg, scope, outer)
            self.expression(item.quals, (scope, *outer))
        elif name == "RangeSubselect":
            self.statement(item.subquery, (scope, *outer) if item.lateral else outer)
            if item.alias:
                scope[item.alias.aliasname] = None
        else:  # a function, a table sample, XMLTABLE: its arguments may hold subqueries
            self.expression(item, (scope, *outer))
            alias = getattr(item, "alias", None)
            if alias is not None:
                scope[alias.aliasname] = None

    def table(self, node: Any) -> TableRef | None:
        """The table a RangeVar names, recorded; None for a CTE name or a name chosen at run time."""
        if node.schemaname is None and node.relname in self.ctes:
            return None
        ref = self.tokens.name(node.location)
        if ref is None or MARKER in node.relname or FRAGMENT_TABLE in node.relname:
            return None
        ref = TableRef(node.relname, node.schemaname, ref.written, ref.offset)
        self.tables.append(ref)
        return ref

    # expressions --------------------------------------------------------------------------------------

    def expression(self, node: Any, scopes: tuple[Scope, ...], outputs: set[str] | None = None) -> None:
        if node is None:
            return
        if isinstance(node, tuple | list):
            for item in node:
                self.expression(item, scopes, outputs)
            return
        name = type(node).__name__
        if name in ("SelectStmt", "InsertStmt", "UpdateStmt", "DeleteStmt"):
            self.statement(node, scopes)
            return
        if name == "ColumnRef":
            self.column_ref(node, scopes, outputs or set())
            return
        slots = getattr(type(node), "__slots__", None)
        if not isinstance(slots, dict):
            return
        for attribute in slots:
            value = getattr(node, attribute, None)
            if value is not None and not isinstance(value, str | int | float | bool):
                self.expression(value, scopes, outputs)

    def column_ref(self, node: Any, scopes: tuple[Scope, ...], outputs: set[str]) -> None:
        raw = [getattr(field, "sval", None) for field in node.fields]
        if not raw or not all(isinstance(f, str) and MARKER not in f for f in raw) or not scopes:
            return  # `*`, `t.*`, or a name chosen at run time
        fields = [str(f) for f in raw]
        if len(fields) == 1:
            if fields[0] in outputs:
                return
            self.column(fields[0], node.location, tuple(tuple(scope.values()) for scope in scopes))
        elif len(fields) == 2:
            for scope in scopes:
                if fields[0] in scope:
                    table = scope[fields[0]]
                    if table is not None:
                        self.column(fields[1], node.location, ((table,),))
                    return

    def column(self, name: str, location: int, scopes: tuple[tuple[TableRef | None, ...], ...]) -> None:
        index = self.tokens.by_start.get(location)
        written = name
        if index is not None:
            # A qualified column's location is its first part: the column is the last name of the chain.
            while index + 2 < len(self.tokens.tokens) and self.tokens.tokens[index + 1].name == "ASCII_46":
                index += 2
            token = self.tokens.tokens[index]
            written = self.tokens.sql[token.start:token.end + 1]
            location = token.start
        self.columns.append(ColumnUse(name, written, self.tokens.offset(location), scopes))
