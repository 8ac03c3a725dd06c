"""A pytest plugin for the bench: wall time per step definition and per test phase, written as JSON at the end.

Loaded with `-p bench.step_times --step-times PATH` (bench/features.py does it for the serial gate run). Steps are
keyed by their Python function's name, so a step text that changes keeps its figure.
"""

from __future__ import annotations

import json
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

STARTED_KEY = pytest.StashKey[float]()


class StepTimes:
    """Seconds and calls per step function, and seconds per test phase (setup, call, teardown)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.step_seconds: defaultdict[str, float] = defaultdict(float)
        self.step_calls: Counter[str] = Counter()
        self.phase_seconds: defaultdict[str, float] = defaultdict(float)

    def step_done(self, name: str, seconds: float) -> None:
        self.step_seconds[name] += seconds
        self.step_calls[name] += 1

    def as_json(self) -> dict[str, Any]:
        return {
            "phases": dict(self.phase_seconds),
            "steps": {name: {"seconds": seconds, "calls": self.step_calls[name]}
                      for name, seconds in sorted(self.step_seconds.items(), key=lambda item: -item[1])},
        }

    # -- pytest and pytest-bdd hooks ------------------------------------------------------------------

    @pytest.hookimpl
    def pytest_bdd_before_step(self, request: pytest.FixtureRequest) -> None:
        request.node.stash[STARTED_KEY] = time.perf_counter()

    @pytest.hookimpl
    def pytest_bdd_after_step(self, request: pytest.FixtureRequest, step_func: Any) -> None:
        self._end_step(request, step_func)

    @pytest.hookimpl
    def pytest_bdd_step_error(self, request: pytest.FixtureRequest, step_func: Any) -> None:
        self._end_step(request, step_func)

    def _end_step(self, request: pytest.FixtureRequest, step_func: Any) -> None:
        started = request.node.stash.get(STARTED_KEY, None)
        if started is not None:
            self.step_done(getattr(step_func, "__name__", "?"), time.perf_counter() - started)
            del request.node.stash[STARTED_KEY]

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.phase_seconds[report.when] += report.duration

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self) -> None:
        # Written at the very end, after the last teardown's report.
        self.path.write_text(json.dumps(self.as_json(), indent=2))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--step-times", metavar="PATH", default=None,
                     help="write the wall time per step function and per test phase to PATH as JSON (bench)")


def pytest_configure(config: pytest.Config) -> None:
    path = config.getoption("--step-times")
    # Meant for a serial run: under -n the steps run in the workers, and only the controller (phases) would write.
    if path and not hasattr(config, "workerinput"):
        config.pluginmanager.register(StepTimes(Path(path)), "bench-step-times")
