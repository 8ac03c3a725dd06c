"""Releases are sets of fixes: the three of the checklist, and one-bug-broken variants."""

from __future__ import annotations

import pytest

from simulator.bugs import BUG_IDS, CATALOGUE
from simulator.observe.logs import SIGNATURES
from simulator.release import DEPLOY, HEALTHY, INCIDENT, release_named


def test_the_checklist_releases() -> None:
    assert INCIDENT.broken() == ("const-reassignment", "image-review-table-mismatch", "connection-hygiene",
                                 "google-429", "cron-overload", "temporary-queue")
    assert INCIDENT.fixed("prisma-warmup")
    assert DEPLOY.fixes == {"const-reassignment", "image-review-table-mismatch", "prisma-warmup"}
    assert HEALTHY.broken() == ()


def test_one_bug_broken_by_name() -> None:
    release = release_named("healthy-without-google-429")
    assert release.broken() == ("google-429",)
    assert release_named(release.name) == release


@pytest.mark.parametrize("name", ["nightly", "healthy-without-nonsense", "without-google-429"])
def test_unknown_release_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown release"):
        release_named(name)


def test_unknown_bug_ids_are_refused() -> None:
    with pytest.raises(KeyError, match="unknown bug id"):
        HEALTHY.fixed("typo")


def test_catalogue_has_one_module_per_bug_with_a_known_signature() -> None:
    assert len(BUG_IDS) == 7
    for bug in CATALOGUE.values():
        assert bug.signature is None or bug.signature in SIGNATURES
        assert bug.checklist_item and bug.seam and bug.broken and bug.fixed
