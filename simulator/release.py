"""Releases: a release is the set of bug fixes it contains; the three the checklist talks about."""

from __future__ import annotations

from dataclasses import dataclass

from recovery_tools.detect.releases import BASES, release_fixes
from simulator.bugs import BUG_IDS, bug


@dataclass(frozen=True)
class Release:
    """A build of the app, named, holding the fixes of `fixes` (bug ids of simulator.bugs)."""

    name: str
    fixes: frozenset[str]

    def __post_init__(self) -> None:
        for bug_id in self.fixes:
            bug(bug_id)  # KeyError for an unknown id

    def fixed(self, bug_id: str) -> bool:
        """True when this release holds the fix of `bug_id`."""
        bug(bug_id)
        return bug_id in self.fixes

    def broken(self) -> tuple[str, ...]:
        """The bug ids this release still has, in catalogue order."""
        return tuple(bug_id for bug_id in BUG_IDS if bug_id not in self.fixes)

    def with_broken(self, *bug_ids: str, name: str | None = None) -> Release:
        """This release with the fixes of `bug_ids` taken out (for a test of one bug broken)."""
        for bug_id in bug_ids:
            bug(bug_id)
        return Release(name or f"{self.name}-without-{'-'.join(bug_ids)}", self.fixes - set(bug_ids))

    def with_fixed(self, *bug_ids: str, name: str | None = None) -> Release:
        """This release with the fixes of `bug_ids` added."""
        return Release(name or f"{self.name}-with-{'-'.join(bug_ids)}", self.fixes | set(bug_ids))


# The named releases and their fixes are recovery_tools' (detect-release prints names this module reads).
# In production before this deploy: only the earlier warmup fix.
INCIDENT = Release("incident", BASES["incident"])
# This deploy: fixes 1-3 of the checklist; the remaining issues are still there.
DEPLOY = Release("deploy", BASES["deploy"])
# Every fix, follow-up tasks included.
HEALTHY = Release("healthy", frozenset(BUG_IDS))

RELEASES: dict[str, Release] = {release.name: release for release in (INCIDENT, DEPLOY, HEALTHY)}


def release_named(name: str) -> Release:
    """A release by name: incident, deploy, healthy, then any `-without-<bug id>` and `-with-<bug id>` parts
    (the names detect-release prints); ValueError for anything else."""
    if name in RELEASES:
        return RELEASES[name]
    return Release(name, release_fixes(name))
