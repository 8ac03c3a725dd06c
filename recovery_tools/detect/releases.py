"""Release names: a release is the set of bug fixes it holds; its name is the nearest named release plus the
differences (`deploy`, `incident-with-google-429`, `healthy-without-cron-overload`, ...).

The harness's `--release` reads the same names (simulator/release.py builds on this module).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from recovery_tools.criteria.facts import DEPLOY_FIXES, PREVIOUS_FIXES

# The bug catalogue, in the checklist's order: the fixes of this deploy, the earlier fix, the remaining issues.
BUG_IDS: tuple[str, ...] = (
    "const-reassignment",
    "image-review-table-mismatch",
    "prisma-warmup",
    "connection-hygiene",
    "google-429",
    "cron-overload",
    "temporary-queue",
)
# The named releases, nearest first when two are as near: the deploy the gate is about, then the others.
BASES: dict[str, frozenset[str]] = {
    "deploy": frozenset(PREVIOUS_FIXES + DEPLOY_FIXES),
    "incident": frozenset(PREVIOUS_FIXES),
    "healthy": frozenset(BUG_IDS),
}
# The fixes the deploy must hold: this deploy's and the earlier one it must keep.
REQUIRED_FIXES: tuple[str, ...] = tuple(b for b in BUG_IDS if b in BASES["deploy"])
_PART = re.compile(r"-(with|without)-")


def release_name(fixes: Iterable[str]) -> str:
    """The name of the release holding exactly `fixes`: the nearest base, then `-without-ID`s and `-with-ID`s."""
    held = frozenset(fixes)
    unknown = held - set(BUG_IDS)
    if unknown:
        raise ValueError(f"unknown bug id(s) {', '.join(sorted(unknown))}; known: {', '.join(BUG_IDS)}")
    base = min(BASES, key=lambda name: len(BASES[name] ^ held))  # min keeps the first of equals: BASES' order
    without = [b for b in BUG_IDS if b in BASES[base] and b not in held]
    with_ = [b for b in BUG_IDS if b in held and b not in BASES[base]]
    return base + "".join(f"-without-{b}" for b in without) + "".join(f"-with-{b}" for b in with_)


def release_fixes(name: str) -> frozenset[str]:
    """The fixes a release name stands for; ValueError naming the known forms for any other name."""
    pieces = _PART.split(name)
    base, rest = pieces[0], pieces[1:]
    if base not in BASES or any(bug not in BUG_IDS for bug in rest[1::2]):
        raise ValueError(f"unknown release {name!r}; known: {', '.join(BASES)}, optionally followed by "
                         "-without-<bug id> and -with-<bug id> parts")
    fixes = set(BASES[base])
    for how, bug in zip(rest[::2], rest[1::2], strict=True):
        if how == "without":
            fixes.discard(bug)
        else:
            fixes.add(bug)
    return frozenset(fixes)
