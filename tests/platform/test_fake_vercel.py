"""The fake Vercel API answers as Vercel's reference says: auth, team scope, crons, deployments, build events."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from simulator.platform.vercel_api import FakeVercel


@pytest.fixture
def vercel() -> Iterator[FakeVercel]:
    with FakeVercel() as fake:
        yield fake


def call(vercel: FakeVercel, method: str, path: str, body: Any = None, token: str | None = "right") -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {vercel.token if token == 'right' else token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(vercel.base_url + path, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_project_shows_its_crons_and_a_patch_disables_them(vercel: FakeVercel) -> None:
    changes: list[bool] = []
    vercel.on_crons_change(changes.append)
    status, project = call(vercel, "GET", f"/v10/projects/{vercel.project_id}?teamId={vercel.team_id}")
    assert status == 200 and project["crons"]["disabledAt"] is None
    assert project["crons"]["definitions"] == [
        {"host": "po-upload.vercel.app", "path": "/api/process-workflows-cron", "schedule": "* * * * *"}]
    status, project = call(vercel, "PATCH", f"/v1/projects/{vercel.project_id}/crons?teamId={vercel.team_id}",
                           {"enabled": False})
    assert status == 200 and isinstance(project["crons"]["disabledAt"], int)
    assert not vercel.crons_enabled and changes == [False]
    (patch,) = vercel.requests_to("PATCH", "/crons")
    assert patch.auth_ok and patch.body == {"enabled": False} and patch.query == {"teamId": vercel.team_id}


def test_errors_are_vercels(vercel: FakeVercel) -> None:
    project = f"/v10/projects/{vercel.project_id}"
    assert call(vercel, "GET", project, token=None)[0] == 403
    status, body = call(vercel, "GET", f"{project}?teamId={vercel.team_id}", token="vcp_wrong")
    assert (status, body["error"]["code"], body["error"]["invalidToken"]) == (403, "forbidden", True)
    assert call(vercel, "GET", project)[1] == {"error": {"code": "not_found", "message": "Project not found"}}
    vercel.fail_next("PATCH", "/crons", status=403)
    status, body = call(vercel, "PATCH", f"/v1/projects/{vercel.project_id}/crons?teamId={vercel.team_id}",
                        {"enabled": False})
    assert (status, body["error"]["code"]) == (403, "forbidden") and vercel.crons_enabled
    assert call(vercel, "PATCH", f"/v1/projects/{vercel.project_id}/crons?teamId={vercel.team_id}",
                {"enabled": "no"})[0] == 400


def test_a_deployment_moves_through_its_states_with_its_build_events(vercel: FakeVercel) -> None:
    deployment = vercel.create_deployment()
    vercel.play_build(deployment.id, step=0.01).join(timeout=10)
    status, body = call(vercel, "GET", f"/v13/deployments/{deployment.url}?teamId={vercel.team_id}")
    assert status == 200 and body["readyState"] == "READY" and body["id"] == deployment.id
    assert vercel.production_deployment_id == deployment.id
    _, events = call(vercel, "GET", f"/v3/deployments/{deployment.id}/events?teamId={vercel.team_id}")
    texts = [e["text"] for e in events if e["type"] == "stdout"]
    assert any("Generated Prisma Client" in t for t in texts) and "Build Completed in /vercel/output [41s]" in texts
    states = [e["info"]["readyState"] for e in events if e["type"] == "deployment-state"]
    assert states == ["QUEUED", "BUILDING", "INITIALIZING", "READY"]


def test_follow_streams_events_until_the_deployment_ends(vercel: FakeVercel) -> None:
    deployment = vercel.create_deployment()
    vercel.play_build(deployment.id, fail=True, step=0.05)
    request = urllib.request.Request(
        f"{vercel.base_url}/v3/deployments/{deployment.id}/events?follow=1&teamId={vercel.team_id}",
        headers={"Authorization": f"Bearer {vercel.token}"})
    with urllib.request.urlopen(request, timeout=10) as stream:
        events = [json.loads(line) for line in stream]
    assert events[-1]["info"]["readyState"] == "ERROR"
    assert any(e.get("level") == "error" for e in events)
