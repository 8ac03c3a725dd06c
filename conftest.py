"""Root conftest: backend selection, per-scenario isolation, step registration."""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator

import pytest

from harness.backends import BACKEND_NAMES, Backend, BackendConfig, BackendError, BackendUnavailable, open_backend
from harness.checklist import SECTIONS
from harness.isolation import Isolation, ScenarioEnv
from simulator.bugs import BUG_IDS
from simulator.schema import tool_config_path
from steps.live_mode import live_mode

pytest_plugins = [
    "steps.common_steps",
    "steps.smoke_steps",
    "steps.tool_steps",
    "steps.schema_steps",
    "steps.release_detection",
    "steps.simulation_steps",
    "steps.queue_steps",
    "steps.deploy_steps",
    "steps.platform_steps",
    "steps.ledger_plugin",
    "steps.remaining_issue_steps",
    "steps.follow_up_steps",
    "steps.criteria_steps",
    "steps.live_steps",
    "steps.preflight_steps",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--backend",
        choices=BACKEND_NAMES,
        default=None,
        help="where the real Redis and Postgres come from (env HARNESS_BACKEND; default: embedded)",
    )
    parser.addoption("--prisma-schema", default=None,
                     help="live preflight: the app's own schema.prisma (default: the simulator's)")
    parser.addoption("--app-source", default=None,
                     help="the app's source tree: the deploy gate judges the release its code holds (detect-release) "
                     "unless --release is given; the live preflight scans it for raw SQL "
                     "(default: the simulator's app)")
    parser.addoption("--queue-prefix", default="bull",
                     help="live preflight: the BullMQ key prefix of the app's queues (default: bull)")
    parser.addoption(
        "--release",
        default=None,
        help="the release under test in the deploy gate: deploy (default, unless --app-source), incident, healthy, "
        "then any -without-<bug id> / -with-<bug id> parts",
    )


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what the session holds for its whole life (modules, collected tests) out of the cyclic GC's reach.

    A full collection holds the GIL for every object it walks: late in a run it took 0.1-0.4 s in a test process,
    long enough for a scenario's cron tick at scale 300 to wake over the clock's tolerance (ClockFellBehind). The
    GC then walks only what the tests themselves create.
    """
    gc.collect()
    gc.freeze()


def pytest_configure(config: pytest.Config) -> None:
    """Register one marker per checklist section and per bug, so Gherkin tags pass --strict-markers.

    The real tools run in this session (as subprocesses too) read the simulated app's config file.
    """
    os.environ["RECOVERY_HARNESS_CONFIG"] = str(tool_config_path())
    for section in SECTIONS:
        config.addinivalue_line("markers", f"{section.tag}: checklist section '{section.title}'")
    for bug in BUG_IDS:
        config.addinivalue_line("markers", f"{bug}: scenarios of the {bug} bug")


@pytest.fixture(scope="session")
def backend_config(request: pytest.FixtureRequest) -> BackendConfig:
    return BackendConfig.from_env(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def backend(backend_config: BackendConfig) -> Iterator[Backend]:
    """The real servers, started once per session (per xdist worker) and stopped at the end."""
    server = open_backend(backend_config)
    try:
        server.start()
    except BackendUnavailable as reason:
        pytest.skip(f"backend '{backend_config.name}' cannot run here: {reason}")
    except BackendError as error:
        pytest.exit(str(error), returncode=2)
    yield server
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def app_node(request: pytest.FixtureRequest) -> None:
    """Node and npm `bull` 4 for the simulated app's queues, found or installed once at session start.

    Where they cannot be had (no Node, npm's registry unreachable on a first run), the run stops with that one line.
    The live preflight runs no simulated app and needs neither.
    """
    from simulator.node.runtime import NodeSetupError, ensure_bull, find_node

    if live_mode(request.config):
        return
    try:
        ensure_bull(find_node())
    except NodeSetupError as error:
        pytest.exit(str(error), returncode=2)


@pytest.fixture(scope="session")
def isolation(backend: Backend, request: pytest.FixtureRequest) -> Iterator[Isolation]:
    if live_mode(request.config):
        pytest.fail("the live preflight must not create databases or keys on the real stack", pytrace=False)
    owner = Isolation(backend.redis_url, backend.database_url)
    owner.prepare_template()
    yield owner
    owner.close()


@pytest.fixture
def scenario(isolation: Isolation, request: pytest.FixtureRequest) -> Iterator[ScenarioEnv]:
    """This test's own database (cloned from the migrated template) and BullMQ prefix, removed after."""
    env = isolation.create(request.node.name)
    yield env
    isolation.destroy_later(env)
