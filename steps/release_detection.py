"""The release under test: `--release NAME`, else the release the app's own code holds (`--app-source PATH`, read
by detect-release's detectors), else this deploy. The detection shows in the terminal summary and in the
Cucumber JSON (the scenario's description and a `release:<name>` tag) of every scenario that ran it.

"Build success" before the push: the scenario "the deployed code loads" bundles with esbuild what the release
under test deploys: the app's entry points with --app-source (read with the detection, once), else the simulated
app's own Node code (its Bull host: the simulated releases differ in Python, not in JavaScript)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import then, when
from pytest_bdd.reporting import test_report_context_registry

from recovery_tools.config import APP_DEFAULTS, ConfigError, find_config_file, load_config
from recovery_tools.detect.app import AppSource, AppSourceError
from recovery_tools.detect.deployed import entry_points
from recovery_tools.detect.detection import Detection, detect_release, load_lines, summary_lines
from recovery_tools.detect.load import LoadCheck, check_load
from steps.runner import PROJECT_ROOT

DEFAULT_RELEASE = "deploy"
PROPERTY = "release_under_test"
LOAD_PROPERTY = "load_check"
# Without --app-source the deployed Node code is the simulated app's: the host of its Bull queues and workers.
SIMULATED_APP_NODE_CODE = PROJECT_ROOT / "simulator" / "queues" / "bull_host" / "host.js"
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
        loads = [str(value) for name, value in report.user_properties if name == LOAD_PROPERTY]
        if not names and not loads:
            return
        self.used = self.used or bool(names)
        context = test_report_context_registry.get(report)
        if context is None or report.when != "call":
            return
        scenario: Any = context.scenario
        lines = [*(describe(self.config) if names else []), *loads]
        scenario["description"] = "\n".join(filter(None, [scenario.get("description", ""), *lines]))
        if not names:
            return
        scenario["tags"] = [*scenario.get("tags", []), f"release:{names[0]}"]

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.used:  # e.g. the live preflight, which reads --app-source for its scan only
            return
        terminalreporter.section("release under test")
        for line in describe(self.config):
            terminalreporter.line(line)


@dataclass(frozen=True)
class BundledCode:
    """What the load check bundled (for people) and esbuild's verdict."""

    what: str
    check: LoadCheck

    def lines(self) -> list[str]:
        return [f"load check of {self.what}:", *load_lines(self.check)]


_BUNDLED = pytest.StashKey[BundledCode]()


def bundled_code(config: pytest.Config) -> BundledCode:
    """The load check of the code the release under test deploys, made once per session: the detection's with
    --app-source; with --release as well, the app's entry points bundled here; else the simulated app's."""
    if _BUNDLED in config.stash:
        return config.stash[_BUNDLED]
    detected, source = detection(config), config.getoption("--app-source")
    if detected is not None and detected.load is not None:
        bundled = BundledCode(f"the app's source at {source}", detected.load)
    elif source:
        try:
            app = AppSource.read(Path(source).resolve())
        except AppSourceError as error:
            pytest.fail(f"--app-source: {error}", pytrace=False)
        found = entry_points(app)
        check = check_load(app.root, found) if found else LoadCheck((), reason="no entry point to bundle")
        bundled = BundledCode(f"the app's source at {source}", check)
    else:
        rel = SIMULATED_APP_NODE_CODE.relative_to(PROJECT_ROOT).as_posix()
        bundled = BundledCode(f"the simulated app's Node code, {rel} (no --app-source: the simulated releases differ "
                              "in Python only)", check_load(PROJECT_ROOT, [SIMULATED_APP_NODE_CODE]))
    config.stash[_BUNDLED] = bundled
    return bundled


@when("the code the release under test deploys is bundled with esbuild", target_fixture="bundled")
def bundle_the_deployed_code(request: pytest.FixtureRequest) -> BundledCode:
    bundled = bundled_code(request.config)
    if detection(request.config) is not None:
        record(request)
    request.node.user_properties.append((LOAD_PROPERTY, "\n".join(bundled.lines())))
    return bundled


@then("the deployed code loads")
def the_deployed_code_loads(bundled: BundledCode) -> None:
    """Fails naming each error as file:line:column with esbuild's message; an inconclusive check fails too."""
    check = bundled.check
    if check.inconclusive:
        pytest.fail(f"{bundled.what} is not shown to load: the load check could not run: {check.reason}",
                    pytrace=False)
    if not check.ok:
        pytest.fail("\n".join([f"{bundled.what} does not load ({check.tool}):",
                               *(f"  {error}" for error in check.errors)]), pytrace=False)
