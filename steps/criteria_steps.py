"""Steps that judge the checklist's success criteria over a run (harness.criteria does the measuring)."""

from __future__ import annotations

import pytest
from pytest_bdd import parsers, then

from harness.checklist import SUCCESS_CRITERIA
from harness.criteria import CriterionResult, evaluate
from simulator.simulation import Simulation


@pytest.fixture
def pushed_at() -> float:
    """Virtual time the judged window starts at: the last push, or the start of the run."""
    return 0.0


def _criterion_texts(datatable: list[list[str]]) -> list[str]:
    known = {criterion.text for criterion in SUCCESS_CRITERIA}
    texts = [row[0].strip() for row in datatable[1:]]
    unknown = [text for text in texts if text not in known]
    assert not unknown, f"not criteria of the checklist: {unknown}"
    return texts


def _report(results: list[CriterionResult]) -> str:
    return "\n".join(f"  [{'PASS' if r.holds else 'FAIL'}] {r.text}: {r.evidence}" for r in results)


@then(parsers.re(r"since the (?P<window>push|start) the success criteria hold:"))
def criteria_hold(sim: Simulation, pushed_at: float, window: str, datatable: list[list[str]]) -> None:
    results = evaluate(sim, since=pushed_at if window == "push" else 0.0)
    wanted = _criterion_texts(datatable)
    failing = [r for r in results if r.text in wanted and not r.holds]
    assert not failing, "success criteria that do not hold:\n" + _report(failing)


@then(parsers.re(r"since the (?P<window>push|start) exactly these success criteria fail:"))
def exactly_these_fail(sim: Simulation, pushed_at: float, window: str, datatable: list[list[str]]) -> None:
    results = evaluate(sim, since=pushed_at if window == "push" else 0.0)
    expected = set(_criterion_texts(datatable))
    failing = {r.text for r in results if not r.holds}
    assert failing == expected, (
        f"unexpected failures: {sorted(failing - expected)}; expected but holding: {sorted(expected - failing)}\n"
        + _report(results)
    )
