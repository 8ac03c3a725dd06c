"""A preflight check's verdict (ok, finding, inconclusive) with its evidence, and the run's exit code."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from recovery_tools.cli import EXIT_FAIL, EXIT_OK

OK = "ok"
FINDING = "finding"
INCONCLUSIVE = "inconclusive"
EXIT_INCONCLUSIVE = 3  # a check could not run and none found anything


@dataclass(frozen=True)
class Item:
    """One thing wrong, named: `Model.field`, a migration's name, a Redis setting."""

    subject: str
    message: str


@dataclass
class Check:
    """One check: its id (e.g. `redis.eviction`), verdict, one-line summary, what it saw and what it found."""

    id: str
    title: str
    status: str = OK
    summary: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    findings: list[Item] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def find(self, subject: str, message: str) -> None:
        self.findings.append(Item(subject, message))
        self.status = FINDING

    def cannot_tell(self, why: str) -> None:
        """Inconclusive, unless a finding already stands."""
        if self.status != FINDING:
            self.status = INCONCLUSIVE
        self.notes.append(why)


def overall(checks: list[Check]) -> str:
    statuses = {check.status for check in checks}
    if FINDING in statuses:
        return FINDING
    return INCONCLUSIVE if INCONCLUSIVE in statuses else OK


def exit_code(checks: list[Check]) -> int:
    return {OK: EXIT_OK, FINDING: EXIT_FAIL, INCONCLUSIVE: EXIT_INCONCLUSIVE}[overall(checks)]
