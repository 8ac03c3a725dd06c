"""The bug catalogue: one module per production bug, each with its broken and fixed code side by side."""

from __future__ import annotations

from simulator.bugs import (
    connection_hygiene,
    const_reassignment,
    cron_overload,
    google_429,
    image_review_table_mismatch,
    prisma_warmup,
    temporary_queue,
)
from simulator.bugs.bug import Bug

# In the checklist's order: the two fixes of this deploy, the earlier fix, then the remaining issues.
CATALOGUE: dict[str, Bug] = {
    module.BUG.id: module.BUG
    for module in (
        const_reassignment,
        image_review_table_mismatch,
        prisma_warmup,
        connection_hygiene,
        google_429,
        cron_overload,
        temporary_queue,
    )
}

BUG_IDS: tuple[str, ...] = tuple(CATALOGUE)


def bug(bug_id: str) -> Bug:
    """The catalogue entry; KeyError naming the known ids for an unknown one."""
    try:
        return CATALOGUE[bug_id]
    except KeyError:
        raise KeyError(f"unknown bug id {bug_id!r}; known: {', '.join(BUG_IDS)}") from None


__all__ = ["BUG_IDS", "CATALOGUE", "Bug", "bug"]
