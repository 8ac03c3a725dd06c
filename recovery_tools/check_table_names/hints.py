"""Which existing table or column a wrong name most likely meant: plural/singular, snake/Pascal case, @@map names."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from recovery_tools.check_table_names.catalog import Relation
from recovery_tools.prisma_schema import PrismaModel

_HUMPS = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z0-9]+|[A-Z]+")


def words(name: str) -> list[str]:
    """`image_review_sessions`, `ImageReviewSession`, `imageReviewSessions` -> their words in lower case."""
    return [word.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for word in _HUMPS.findall(part)]


def singular(word: str) -> str:
    for plural, one in (("ies", "y"), ("sses", "ss"), ("xes", "x"), ("ches", "ch"), ("shes", "sh")):
        if word.endswith(plural) and len(word) > len(plural) + 1:
            return word[: -len(plural)] + one
    if word.endswith(("ss", "us", "is")) or len(word) <= 2:
        return word
    return word[:-1] if word.endswith("s") else word


def _stems(name: str) -> set[str]:
    return {singular(word) for word in words(name)}


def key(name: str) -> str:
    """The same key for a table's snake_case plural and its model's PascalCase singular."""
    parts = words(name)
    if not parts:
        return name.lower()
    return "".join(parts[:-1]) + singular(parts[-1])


@dataclass(frozen=True)
class Candidate:
    """A table that exists (or a model's table): its display name, and the model it belongs to if known."""

    display: str
    table: str
    model: str | None

    def describe(self) -> str:
        return self.display + (f" (model {self.model})" if self.model else "")


@dataclass(frozen=True)
class Hint:
    text: str
    candidates: tuple[Candidate, ...]


def candidates(models: Iterable[PrismaModel], relations: Iterable[Relation]) -> list[Candidate]:
    """Prisma models' tables first (with their model), then every other relation that exists."""
    found: list[Candidate] = []
    seen: set[tuple[str | None, str]] = set()
    for model in models:
        display = f'"{model.schema}"."{model.table}"' if model.schema else f'"{model.table}"'
        found.append(Candidate(display, model.table, model.name))
        seen.add((model.schema, model.table))
        seen.add((None, model.table))
    for relation in relations:
        if (relation.schema, relation.name) not in seen and (None, relation.name) not in seen:
            found.append(Candidate(f'"{relation.name}"', relation.name, None))
    return found


def table_hint(name: str, pool: list[Candidate]) -> Hint | None:
    """The tables `name` most likely meant: same key (singular/plural, case, underscores, a model's name or its
    @@map table), else the tables sharing most of its words (at least two of them)."""
    wanted = key(name)
    same = [c for c in pool if c.table != name and (key(c.table) == wanted or (c.model and key(c.model) == wanted))]
    if same:
        return Hint("did you mean " + " or ".join(c.describe() for c in same) + "?", tuple(same))
    mine = _stems(name)
    scored = [(len(mine & (_stems(c.table) | _stems(c.model or ""))), c) for c in pool]
    best = max((score for score, _ in scored), default=0)
    if best < 2:
        return None
    close = tuple(c for score, c in scored if score == best)
    return Hint("no table of that name; closest: " + ", ".join(c.describe() for c in close), close)


def column_hint(name: str, columns: Iterable[str]) -> str | None:
    """`session_id` -> `"sessionId"`, `sessionid` (an unquoted sessionId) -> `"sessionId"`."""
    wanted = key(name)
    same = sorted(column for column in columns if column != name and key(column) == wanted)
    if not same:
        return None
    return "did you mean " + " or ".join(f'"{column}"' for column in same) + "?"
