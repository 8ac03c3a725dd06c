"""Steps that drive the simulated PO-upload app: releases, uploads, virtual time, logs and the review API."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

from harness.isolation import ScenarioEnv
from simulator.po.upload import UploadResult
from simulator.release import HEALTHY, Release, release_named
from simulator.simulation import Simulation
from steps.release_detection import record, release_under_test_name

# Virtual seconds per wall second in the features: 30 virtual minutes take at most 6 wall seconds.
TIME_SCALE = 300.0


@pytest.fixture
def sim_options() -> dict[str, Any]:
    """Simulation settings that Given steps may change before the release starts."""
    return {}


@pytest.fixture
def simulations() -> Iterator[list[Simulation]]:
    """Every simulation a scenario starts; closed (workers finish their jobs) when it ends."""
    started: list[Simulation] = []
    yield started
    for sim in reversed(started):
        sim.close()


def start_simulation(env: ScenarioEnv, release: Release, simulations: list[Simulation],
                     options: dict[str, Any]) -> Simulation:
    sim = Simulation(env, release=release, **{"seed": 1, "time_scale": TIME_SCALE, **options})
    simulations.append(sim)
    return sim


@given(parsers.parse("the app runs at {scale:d} virtual seconds per wall second, sampled every virtual second"))
def slower_clock(sim_options: dict[str, Any], scale: int) -> None:
    """For scenarios judged on a short peak: Prisma's pool timeout and the sampler both follow the clock."""
    sim_options["time_scale"] = float(scale)
    sim_options["sample_every_seconds"] = 1.0


@given(parsers.parse("the image search allows {quota:d} requests per virtual minute"))
def search_quota(sim_options: dict[str, Any], quota: int) -> None:
    sim_options["search_quota_per_minute"] = quota


@given(parsers.parse("the {name} release is running"), target_fixture="sim")
def release_running(env: ScenarioEnv, name: str, simulations: list[Simulation],
                    sim_options: dict[str, Any]) -> Simulation:
    return start_simulation(env, release_named(name), simulations, sim_options)


@pytest.fixture
def release_under_test(request: pytest.FixtureRequest) -> Release:
    """The release the deploy gate judges: --release, else what --app-source's code holds, else this deploy."""
    name = release_under_test_name(request.config)
    try:
        release = release_named(name)
    except ValueError as error:
        raise pytest.UsageError(f"--release: {error}") from None
    record(request)
    return release


@given("the release under test is running", target_fixture="sim")
def release_under_test_running(env: ScenarioEnv, release_under_test: Release, simulations: list[Simulation],
                               sim_options: dict[str, Any]) -> Simulation:
    return start_simulation(env, release_under_test, simulations, sim_options)


@given(parsers.re(r"a release where (?P<bug_id>[a-z0-9-]+) is (?P<form>broken|fixed)"), target_fixture="sim")
def release_with_bug(env: ScenarioEnv, bug_id: str, form: str, simulations: list[Simulation],
                     sim_options: dict[str, Any]) -> Simulation:
    release = HEALTHY if form == "fixed" else HEALTHY.with_broken(bug_id)
    return start_simulation(env, release, simulations, sim_options)


@given(parsers.parse("{count:d} POs have been uploaded"), target_fixture="uploads")
@when(parsers.parse("{count:d} POs are uploaded"), target_fixture="uploads")
def upload_pos(sim: Simulation, count: int) -> list[UploadResult]:
    return sim.upload_fake_pos(count)


@given(parsers.parse("{count:d} POs of {lines:d} lines each have been uploaded"), target_fixture="uploads")
@when(parsers.parse("{count:d} POs of {lines:d} lines each are uploaded"), target_fixture="uploads")
def upload_pos_with_lines(sim: Simulation, count: int, lines: int) -> list[UploadResult]:
    return sim.upload_fake_pos(count, lines=lines)


@given(parsers.parse("the workflows have run for {minutes:d} virtual minutes"))
@when(parsers.parse("the workflows run for {minutes:d} virtual minutes"))
def run_for(sim: Simulation, minutes: int) -> None:
    sim.run_for(minutes)


@given(parsers.parse("the workflows have run for up to {minutes:d} virtual minutes"))
@when(parsers.parse("the workflows run for up to {minutes:d} virtual minutes"))
def run_until_finished(sim: Simulation, minutes: int) -> None:
    sim.run_until(sim.all_finished, within_virtual_minutes=minutes)


def _log_messages(sim: Simulation) -> list[str]:
    return [event.message for event in sim.logs.events()]


@then(parsers.re(r"""the logs (?P<presence>show|do not show) (?P<quote>['"])(?P<text>.+)(?P=quote)$"""))
def logs_presence(sim: Simulation, presence: str, text: str) -> None:
    hits = [message for message in _log_messages(sim) if text in message]
    if presence == "show":
        assert hits, f"no log line contains {text!r}"
    else:
        assert not hits, f"{len(hits)} log lines contain {text!r}, e.g. {hits[0]!r}"


@then(parsers.re(r"(?P<share>all|none|not all) of the workflows are done"))
def share_done(sim: Simulation, share: str) -> None:
    counts = sim.workflows()
    total, done = sum(counts.values()), counts.get("done", 0)
    assert total > 0, "no workflow was uploaded"
    expected = {"all": done == total, "none": done == 0, "not all": done < total}[share]
    assert expected, f"expected {share} of {total} workflows done, got {counts}"


def session_status(sim: Simulation, workflow_id: str) -> int:
    """What the frontend gets for a workflow's review session: the API's HTTP status."""
    status, _ = sim.api_get(f"/api/image-review/sessions?workflowId={workflow_id}")
    return status


@then(parsers.parse("the image review API answers {status:d} for every workflow's session"))
def review_api_answers(sim: Simulation, uploads: list[UploadResult], status: int) -> None:
    answers = {upload.workflow_id: session_status(sim, upload.workflow_id) for upload in uploads}
    wrong = {workflow: code for workflow, code in answers.items() if code != status}
    assert not wrong, f"expected {status} for every session, got {wrong}"


@then(parsers.re(r"""within (?P<minutes>\d+) virtual minutes the logs show (?P<quote>['"])(?P<text>.+)(?P=quote)$"""))
def logs_show_within(sim: Simulation, minutes: str, text: str) -> None:
    seen = sim.run_until(lambda: any(text in message for message in _log_messages(sim)), int(minutes))
    assert seen, f"no log line contains {text!r} within {minutes} virtual minutes"
