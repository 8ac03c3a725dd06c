"""The release under test: `--release NAME`, else the release the app's own code holds (`--app-source PATH`, read
by detect-release's detectors), else this deploy. The detection shows in the terminal summary and in the
Cucumber JSON (the scenario's description and a `release:<name>` tag) of every scenario that ran it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.reporting import test_report_context_registry

from recovery_tools.config import APP_DEFAULTS, ConfigError, find_config_file, load_config
from recovery_tools.detect.app import AppSourceError
from recovery_tools.detect.detection import Detection, detect_release, summary_lines

DEFAULT_RELEASE = "deploy"
PROPERTY = "release_under_test"
EVIDENCE_PER_BUG = 3
_DETECTION = pytest.StashKey[Detection]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--assume-fixed", action="append", default=[], metavar="ID",
                     help="with --app-source: count this bug as fixed where its detector says unknown (repeatable)")


def pytest_configure(config: pytest.Config) -> None:
    """Read the app's source once, before any test, so that bad input stops the run with one line."""
    config.pluginmanager.register(ReleaseReport(config), "release-under-test-report")
    source = config.getoption("--app-source")
    if config.getoption("--release") or not source:
        return
    root = Path(source).resolve()
    try:
        # The app's own config file if its repository has one; the simulated app's config is not the app's.
        found = find_config_file(root) if root.is_dir() else None
        settings = load_config(found) if found is not None and found.parent == root else APP_DEFAULTS
        config.stash[_DETECTION] = detect_release(
            root, fallback_schema=settings.prisma_schema, config_queues=settings.queues,
            assume_fixed=frozenset(config.getoption("--assume-fixed")))
    except (AppSourceError, ConfigError, ValueError) as error:
        raise pytest.UsageError(f"--app-source: {error}") from None


def detection(config: pytest.Config) -> Detection | None:
    return config.stash.get(_DETECTION, None)


def release_under_test_name(config: pytest.Config) -> str:
    detected = detection(config)
    return str(config.getoption("--release") or (detected.release if detected else DEFAULT_RELEASE))


def describe(config: pytest.Config) -> list[str]:
    """How the release under test was chosen, with the detection's evidence."""
    detected = detection(config)
    if detected is None:
        how = "--release" if config.getoption("--release") else "the default"
        return [f"release under test: {release_under_test_name(config)} ({how})"]
    return [f"release under test: {detected.release} (detected from the app's source at "
            f"{config.getoption('--app-source')})", *summary_lines(detected, limit=EVIDENCE_PER_BUG)[:-1]]


def record(request: pytest.FixtureRequest) -> None:
    """Mark the running test as one judged on the release under test (for the reports)."""
    request.node.user_properties.append((PROPERTY, release_under_test_name(request.config)))


class ReleaseReport:
    """Shows the release under test where a person or a CI reads the results, once a test has run on it."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.used = False

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Before pytest-bdd's Cucumber JSON writer reads the scenario: its description and a tag."""
        names = [str(value) for name, value in report.user_properties if name == PROPERTY]
        if not names:
            return
        self.used = True
        context = test_report_context_registry.get(report)
        if context is None or report.when != "call":
            return
        scenario: Any = context.scenario
        scenario["description"] = "\n".join(filter(None, [scenario.get("description", ""), *describe(self.config)]))
        scenario["tags"] = [*scenario.get("tags", []), f"release:{names[0]}"]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.used:  # e.g. the live preflight, which reads --app-source for its scan only
            return
        terminalreporter.section("release under test")
        for line in describe(self.config):
            terminalreporter.line(line)
