"""Cucumber JSON that survives pytest-rerunfailures: a rerun attempt's report is left out, the final one counts.

pytest-bdd's Cucumber JSON writer knows passed, failed and skipped only; the "rerun" outcome of an attempt that
`--reruns` repeats stopped the whole run with an INTERNALERROR. pytest-bdd builds its writer in a (historic,
trylast) pytest_configure from the module's `LogBDDCucumberJSON`; this plugin is loaded before that runs and puts
its subclass there.
"""

from __future__ import annotations

import pytest
from pytest_bdd import cucumber_json

RERUN = "rerun"


class FinalAttemptCucumberJSON(cucumber_json.LogBDDCucumberJSON):
    """pytest-bdd's writer, fed only the reports of a test's final attempt."""

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.outcome != RERUN:
            super().pytest_runtest_logreport(report)


cucumber_json.LogBDDCucumberJSON = FinalAttemptCucumberJSON  # type: ignore[misc]
