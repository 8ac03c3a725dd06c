"""The checks themselves: expected tables exist with exact case, absent names are absent, raw SQL resolves."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from recovery_tools.check_table_names.catalog import Catalog, Relation
from recovery_tools.check_table_names.sqlrefs import TableRef
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
    """A table reference in raw SQL at a place in the source tree."""

    path: str
    line: int
    ref: TableRef


@dataclass(frozen=True)
class ReferenceResult:
    site: Site
    found: Relation | None
    twins: tuple[Relation, ...] = ()


def resolve_references(catalog: Catalog, sites: Iterable[Site]) -> list[ReferenceResult]:
    results = []
    for site in sites:
        ref = site.ref
        found = catalog.find(ref.resolved_name, ref.resolved_schema)
        twins = () if found else tuple(catalog.case_twins(ref.resolved_name, ref.resolved_schema))
        results.append(ReferenceResult(site, found, twins))
    return results


@dataclass
class ScanSummary:
    """What --scan looked at and what it found."""

    paths: list[str]
    files: int
    references: list[ReferenceResult]
    skipped: list[str] = field(default_factory=list)

    @property
    def unresolved(self) -> list[ReferenceResult]:
        return [result for result in self.references if result.found is None]


@dataclass
class Report:
    """The whole run: where, which names, what was found; `passed` decides the exit code."""

    database: str
    search_path: tuple[str, ...]
    tables: list[TableResult]
    scan: ScanSummary | None = None

    @property
    def passed(self) -> bool:
        return all(result.ok for result in self.tables) and not (self.scan and self.scan.unresolved)
