"""What a detector answers: a state (broken, fixed, unknown) with evidence, each a file, a line and why."""

from __future__ import annotations

from dataclasses import dataclass, field

BROKEN, FIXED, UNKNOWN = "broken", "fixed", "unknown"
STATES = (BROKEN, FIXED, UNKNOWN)


@dataclass(frozen=True)
class Evidence:
    """One finding: `file` relative to the app's root (posix), `line` 1-based (0: the file as a whole); `via` the
    imports from an entry point that reach `file` (entry, ..., file; empty for a file that is not code)."""

    file: str
    line: int
    why: str
    via: tuple[str, ...] = ()

    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    def to_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "why": self.why, "via": list(self.via)}


@dataclass(frozen=True)
class Verdict:
    """A detector's answer for one bug."""

    state: str
    evidence: tuple[Evidence, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"unknown state {self.state!r}")


def broken(*evidence: Evidence) -> Verdict:
    return Verdict(BROKEN, evidence)


def fixed(*evidence: Evidence) -> Verdict:
    return Verdict(FIXED, evidence)


def unknown(*evidence: Evidence) -> Verdict:
    return Verdict(UNKNOWN, evidence)
