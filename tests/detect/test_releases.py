"""Release names: every set of fixes detect-release can name is a release the harness's --release accepts, and
the catalogue, the detectors and the simulator's bug modules agree."""

from __future__ import annotations

import importlib
from itertools import combinations

import pytest

from recovery_tools.detect import DETECTORS
from recovery_tools.detect.releases import BASES, BUG_IDS, REQUIRED_FIXES, release_fixes, release_name
from simulator import bugs
from simulator.release import DEPLOY, HEALTHY, INCIDENT, release_named

SUBSETS = [frozenset(c) for size in range(len(BUG_IDS) + 1) for c in combinations(BUG_IDS, size)]


@pytest.mark.parametrize("fixes", SUBSETS, ids=lambda fixes: release_name(fixes))
def test_every_name_detect_release_prints_is_a_release_the_harness_runs(fixes: frozenset[str]) -> None:
    name = release_name(fixes)
    assert release_fixes(name) == fixes
    assert release_named(name).fixes == fixes


def test_the_named_releases() -> None:
    assert release_name(INCIDENT.fixes) == "incident"
    assert release_name(DEPLOY.fixes) == "deploy"
    assert release_name(HEALTHY.fixes) == "healthy"
    assert release_name(DEPLOY.fixes - {"const-reassignment"}) == "deploy-without-const-reassignment"
    assert release_name(DEPLOY.fixes | {"google-429"}) == "deploy-with-google-429"
    assert set(REQUIRED_FIXES) == DEPLOY.fixes and BASES["incident"] == INCIDENT.fixes


def test_catalogue_detectors_and_bug_modules_agree() -> None:
    assert bugs.BUG_IDS == BUG_IDS == tuple(DETECTORS)
    for bug_id in BUG_IDS:
        module = importlib.import_module(f"simulator.bugs.{bug_id.replace('-', '_')}")
        assert module.BUG.id == bug_id
        assert module.detect is DETECTORS[bug_id]


@pytest.mark.parametrize("name", ["nightly", "deploy-with-typo", "deploy-without-", "without-google-429"])
def test_other_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="unknown release"):
        release_fixes(name)
