"""The job ledger checked after every test or scenario that used a scenario environment: lost = 0.

Whenever a fixture yields a ScenarioEnv (`scenario`, or any other fixture that hands one out), a check is
registered on that fixture: it runs when the fixture is torn down, after everything that used it (simulations,
workers) has closed and before its keys are deleted. A lost job fails the test, naming it. Jobs left in a
queue (waiting, paused, delayed, active...) fail it too, unless the test says it leaves them on purpose:
`@pytest.mark.jobs_left("why")` or `job_ledger.leave("why")`. Duplicates and recovered stalls are counted,
attached to the report (user properties `job_ledger`, the summary line, and `job_ledger_counts`, its numbers) and
summed up at the end of the run from the numbers.
"""

from __future__ import annotations

import functools
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

import pytest

from harness.isolation import ScenarioEnv
from harness.ledger import Ledger, take_ledger

PROPERTY = "job_ledger"
COUNTS = "job_ledger_counts"  # the numbers the end-of-run summary adds up
SUMMED = ("added", "lost", "duplicates", "stalls_recovered")
SHOWN = 10  # jobs named in a failure message


@dataclass
class LedgerPolicy:
    """What the test declares about its jobs; the autouse `job_ledger` fixture hands it to the test."""

    left_on_purpose: str | None = None
    checked: int = 0

    def leave(self, reason: str) -> None:
        """Jobs still in a queue at the end are there on purpose (`reason` is shown in the report)."""
        self.left_on_purpose = reason


_POLICY = pytest.StashKey[LedgerPolicy]()
_PREFIXES = pytest.StashKey[set[str]]()


def _policy(item: pytest.Item) -> LedgerPolicy:
    if _POLICY not in item.stash:
        item.stash[_POLICY] = LedgerPolicy()
        marker = item.get_closest_marker("jobs_left")
        if marker is not None:
            item.stash[_POLICY].left_on_purpose = str(marker.args[0]) if marker.args else "marked jobs_left"
    return item.stash[_POLICY]


@pytest.fixture(autouse=True)
def job_ledger(request: pytest.FixtureRequest) -> LedgerPolicy:
    """The ledger policy of this test; `job_ledger.leave("why")` accepts jobs left in a queue."""
    return _policy(request.node)


def verdict(ledger: Ledger, policy: LedgerPolicy) -> str | None:
    """Why the ledger fails the test, or None when it passes."""
    def named(jobs: list[Any]) -> str:
        more = f" and {len(jobs) - SHOWN} more" if len(jobs) > SHOWN else ""
        return "; ".join(job.label() for job in jobs[:SHOWN]) + more

    if ledger.lost:
        return f"job ledger of {ledger.prefix}: {len(ledger.lost)} job(s) lost: {named(ledger.lost)}"
    if ledger.unfinished and policy.left_on_purpose is None:
        return (f"job ledger of {ledger.prefix}: {len(ledger.unfinished)} job(s) never finished: "
                f"{named(ledger.unfinished)} (mark the test jobs_left('why') if that is on purpose)")
    if not ledger.complete and policy.left_on_purpose is None:
        return f"job ledger of {ledger.prefix}: {ledger.summary()}; lost jobs cannot be ruled out"
    return None


def ledger_numbers(ledger: Ledger) -> dict[str, int]:
    """The ledger's figures the run summary adds up (plain ints: they travel in reports across xdist workers)."""
    return {"added": len(ledger.jobs), "lost": len(ledger.lost), "duplicates": ledger.duplicates,
            "stalls_recovered": sum(ledger.stalls.values())}


def _check(item: pytest.Item, env: ScenarioEnv) -> None:
    policy = _policy(item)
    try:
        ledger = take_ledger(env.redis_url, env.prefix)
    except Exception as error:  # Redis gone (e.g. a fault test stopped it): say so, do not mask the test's outcome
        item.user_properties.append((PROPERTY, f"{env.prefix}: not read ({type(error).__name__}: {error})"))
        return
    policy.checked += 1
    note = f" (left on purpose: {policy.left_on_purpose})" if policy.left_on_purpose else ""
    item.user_properties.append((PROPERTY, f"{env.prefix}: {ledger.summary()}{note}"))
    item.user_properties.append((COUNTS, {"prefix": env.prefix, **ledger_numbers(ledger)}))
    failure = verdict(ledger, policy)
    if failure:
        pytest.fail(failure, pytrace=False)


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: pytest.FixtureDef[Any], request: pytest.FixtureRequest) -> Generator[
        None, Any, Any]:
    result = yield
    if isinstance(result, ScenarioEnv) and fixturedef.scope == "function":
        checked = request.node.stash.setdefault(_PREFIXES, set())
        if result.prefix in checked:  # the same env handed on by another fixture (e.g. a step's target_fixture)
            return result
        checked.add(result.prefix)
        # Added after the fixture's own teardown, so it runs before it (finalizers run last-in, first-out).
        fixturedef.addfinalizer(functools.partial(_check, request.node, result))
    return result


# (test id, {"prefix": ..., figures}) of every teardown report; under xdist the controller receives the workers'.
_collected: list[tuple[str, dict[str, Any]]] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        _collected.extend((report.nodeid, value) for name, value in report.user_properties
                          if name == COUNTS and isinstance(value, dict))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _collected:
        return
    totals = dict.fromkeys(SUMMED, 0)
    notable: list[str] = []
    for nodeid, numbers in _collected:
        for key in SUMMED:
            totals[key] += int(numbers.get(key, 0))
        if any(numbers.get(key, 0) for key in ("lost", "duplicates", "stalls_recovered")):
            figures = " ".join(f"{key}={numbers.get(key, 0)}" for key in SUMMED)
            notable.append(f"{nodeid}: {numbers.get('prefix', '?')}: {figures}")
    terminalreporter.section("job ledger")
    terminalreporter.line(f"{len(_collected)} ledgers checked: {totals['added']} jobs added, {totals['lost']} lost, "
                          f"{totals['duplicates']} duplicates, {totals['stalls_recovered']} stalls recovered")
    for line in notable:
        terminalreporter.line(line)
