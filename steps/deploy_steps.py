"""Steps of the deploy itself and of watching the app after it: releases, new uploads, log signatures."""

from __future__ import annotations

import psycopg
from pytest_bdd import given, parsers, then, when

from simulator.po.upload import UploadResult
from simulator.release import Release, release_named
from simulator.simulation import Simulation
from steps.simulation_steps import session_status


@given(parsers.parse("the {name} release has been pushed"), target_fixture="pushed_at")
@when(parsers.parse("the {name} release is pushed"), target_fixture="pushed_at")
def push_release(sim: Simulation, name: str) -> float:
    """`git push`: the deploy runs (build, client generation, live); returns the virtual time it began."""
    began = sim.clock.now()
    sim.deploy(release_named(name))
    return began


@given("the release under test has been pushed", target_fixture="pushed_at")
@when("the release under test is pushed", target_fixture="pushed_at")
def push_release_under_test(sim: Simulation, release_under_test: Release) -> float:
    """The deploy of the release the gate judges."""
    began = sim.clock.now()
    sim.deploy(release_under_test)
    return began


@then("the release under test is live")
def release_under_test_live(sim: Simulation, release_under_test: Release) -> None:
    assert sim.release == release_under_test, f"live release is {sim.release.name!r}"


@when(parsers.parse("I wait {minutes:d} virtual minutes for the deployment to complete"))
def wait_for_deployment(sim: Simulation, minutes: int) -> None:
    sim.run_for(minutes)


@when("the previous commit is reverted and pushed", target_fixture="pushed_at")
def revert_and_push(sim: Simulation) -> float:
    """`git revert HEAD && git push`, as Vercel's Instant Rollback: the previous deployment is production again at
    once (its code and its cron definitions), without waiting for a new build."""
    began = sim.clock.now()
    sim.rollback()
    return began


@then(parsers.parse("the {name} release is live"))
def release_is_live(sim: Simulation, name: str) -> None:
    assert sim.release.name == name, f"live release is {sim.release.name!r}, not {name!r}"


@then("the deployment logs show, in order:")
def deployment_logs_in_order(sim: Simulation, pushed_at: float, datatable: list[list[str]]) -> None:
    messages = [event.message for event in sim.logs.events() if event.t >= pushed_at]
    position = 0
    for (expected,) in datatable[1:]:
        found = next((i for i in range(position, len(messages)) if expected in messages[i]), None)
        assert found is not None, f"after the push, no log line {expected!r} follows the previous one: {messages}"
        position = found + 1


@when("a new PO file is uploaded", target_fixture="new_uploads")
def upload_new_po(sim: Simulation) -> list[UploadResult]:
    return sim.upload_fake_pos(1)


@then(parsers.parse("within {minutes:d} virtual minutes the new workflow progresses through every stage:"))
def new_workflow_progresses(sim: Simulation, new_uploads: list[UploadResult], minutes: int,
                            datatable: list[list[str]]) -> None:
    ids = [upload.workflow_id for upload in new_uploads]
    stages = [row[0] for row in datatable[1:]]

    def stages_done() -> dict[str, set[str]]:
        with psycopg.connect(sim.env.database_url) as conn:
            rows = conn.execute('SELECT "workflowId", stage FROM "WorkflowStageExecution" '
                                "WHERE status = 'done' AND \"workflowId\" = ANY(%s)", (ids,)).fetchall()
        done: dict[str, set[str]] = {workflow: set() for workflow in ids}
        for workflow, stage in rows:
            done[workflow].add(stage)
        return done

    sim.run_until(lambda: all(set(stages) <= done for done in stages_done().values()), minutes)
    missing = {workflow: sorted(set(stages) - done) for workflow, done in stages_done().items() if set(stages) - done}
    assert not missing, f"stages not done within {minutes} virtual minutes: {missing}"


def hits_since(sim: Simulation, since: float, signature: str) -> list[str]:
    """Log lines at or after virtual time `since` that carry `signature`."""
    return [event.message for event in sim.logs.events() if event.t >= since and event.matches(signature)]


@then("since the push the logs show none of these signatures:")
def no_signatures_since_push(sim: Simulation, pushed_at: float, datatable: list[list[str]]) -> None:
    found = {signature: hits[0] for (signature,) in datatable[1:] if (hits := hits_since(sim, pushed_at, signature))}
    assert not found, f"signatures seen since the push: {found}"


@then("since the push the logs show each remaining issue:")
def remaining_signatures_since_push(sim: Simulation, pushed_at: float, datatable: list[list[str]]) -> None:
    header = datatable[0]
    column = header.index("signature")
    quiet = [row[column] for row in datatable[1:] if not hits_since(sim, pushed_at, row[column])]
    assert not quiet, f"remaining issues the monitor did not see since the push: {quiet}"


@then(parsers.parse("the image review endpoint answers {status:d} for the new workflow"))
def endpoint_answers_for_new(sim: Simulation, new_uploads: list[UploadResult], status: int) -> None:
    answers = {upload.workflow_id: session_status(sim, upload.workflow_id) for upload in new_uploads}
    assert set(answers.values()) == {status}, f"expected {status}, got {answers}"
