"""The checks themselves: expected tables exist with exact case, absent names are absent, raw SQL resolves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from recovery_tools.check_table_names.catalog import Catalog, Relation
from recovery_tools.check_table_names.hints import Hint, candidates, column_hint, table_hint
from recovery_tools.check_table_names.sql import ColumnUse, TableRef
from recovery_tools.prisma_schema import PrismaModel

DEFAULT_ABSENT = ("image_review_items", "image_review_options")


@dataclass(frozen=True)
class Expectation:
    """One name to check: it must exist (a model's table, an --expect) or must not (an --absent)."""

    name: str
    must_exist: bool
    schema: str | None = None
    model: str | None = None

    @property
    def display(self) -> str:
        return f'"{self.schema}"."{self.name}"' if self.schema else f'"{self.name}"'


def parse_name(text: str, *, must_exist: bool) -> Expectation:
    """`Name` or `schema.Name` as given on the command line (names are exact: no case folding)."""
    schema, dot, name = text.partition(".")
    return Expectation(name, must_exist, schema) if dot and schema and name else Expectation(text, must_exist)


def from_models(models: Iterable[PrismaModel]) -> list[Expectation]:
    return [Expectation(model.table, True, model.schema, model.name) for model in models]


@dataclass(frozen=True)
class TableResult:
    """What the database holds for one expectation: the relation, case twins, same name in other schemas."""

    expectation: Expectation
    found: Relation | None
    twins: tuple[Relation, ...] = ()
    elsewhere: tuple[Relation, ...] = ()

    @property
    def ok(self) -> bool:
        return (self.found is not None) == self.expectation.must_exist


def check_tables(catalog: Catalog, expectations: Sequence[Expectation]) -> list[TableResult]:
    results = []
    for item in expectations:
        found = catalog.find(item.name, item.schema)
        twins = () if found else tuple(catalog.case_twins(item.name, item.schema))
        elsewhere = () if found else tuple(catalog.elsewhere(item.name, item.schema))
        results.append(TableResult(item, found, twins, elsewhere))
    return results


@dataclass(frozen=True)
class Site:
    """A table reference in raw SQL at a place in the source tree, with its statement's kind."""

    path: str
    line: int
    ref: TableRef
    kind: str | None = None
    fragment: bool = False
    columns: tuple[str, ...] = ()  # what the statement uses of this table


@dataclass(frozen=True)
class ColumnSite:
    """A column named in raw SQL at a place in the source tree."""

    path: str
    line: int
    use: ColumnUse
    kind: str | None = None
    fragment: bool = False


@dataclass(frozen=True)
class ReferenceResult:
    site: Site
    found: Relation | None
    twins: tuple[Relation, ...] = ()
    hint: Hint | None = None


@dataclass(frozen=True)
class ColumnResult:
    """A column no table in its scope has: the table it was looked up in and the column it most likely meant."""

    site: ColumnSite
    table: Relation
    hint: str | None = None


def resolve_references(catalog: Catalog, sites: Iterable[Site],
                       models: Sequence[PrismaModel] = ()) -> list[ReferenceResult]:
    pool = candidates(models, [r for r in catalog.relations if r.schema in catalog.searched(None)])
    results = []
    for site in sites:
        ref = site.ref
        found = catalog.find(ref.name, ref.schema)
        twins = () if found else tuple(catalog.case_twins(ref.name, ref.schema))
        hint = None if found or twins else table_hint(ref.name, pool)
        results.append(ReferenceResult(site, found, twins, hint))
    return results


def _missing_in(catalog: Catalog, scopes: tuple[tuple[TableRef | None, ...], ...],
                name: str) -> Relation | None:
    """The table a column is missing from, or None when it resolves (or cannot be judged from the catalog).

    Scopes are searched innermost first, as Postgres does; a subquery, function or unknown table in a
    scope makes the column unjudgeable. A missing unqualified column is only reported when its own
    query reads one table (with several, which one was meant is a guess).
    """
    for scope in scopes:
        relations = [None if ref is None else catalog.find(ref.name, ref.schema) for ref in scope]
        if any(relation is None for relation in relations):
            return None
        if any(name in catalog.columns(relation) for relation in relations if relation is not None):
            return None
    first = scopes[0] if scopes else ()
    return catalog.find(first[0].name, first[0].schema) if len(first) == 1 and first[0] is not None else None


def resolve_columns(catalog: Catalog, sites: Iterable[ColumnSite]) -> list[ColumnResult]:
    """Columns that the table they are read from or written to does not have (the next 42703)."""
    results = []
    for site in sites:
        table = _missing_in(catalog, site.use.scopes, site.use.name)
        if table is not None:
            results.append(ColumnResult(site, table, column_hint(site.use.name, catalog.columns(table))))
    return results


@dataclass
class ScanSummary:
    """What --scan looked at and what it found."""

    paths: list[str]
    files: int
    references: list[ReferenceResult]
    skipped: list[str] = field(default_factory=list)
    columns: list[ColumnResult] = field(default_factory=list)
    columns_checked: int = 0

    @property
    def unresolved(self) -> list[ReferenceResult]:
        return [result for result in self.references if result.found is None]

    @property
    def failed(self) -> bool:
        return bool(self.unresolved or self.columns)


@dataclass
class Report:
    """The whole run: where, which names, what was found; `passed` decides the exit code."""

    database: str
    search_path: tuple[str, ...]
    tables: list[TableResult]
    scan: ScanSummary | None = None

    @property
    def passed(self) -> bool:
        return all(result.ok for result in self.tables) and not (self.scan and self.scan.failed)
