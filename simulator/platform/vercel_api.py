"""A fake of Vercel's REST API on loopback: the project's crons, deployments and their build events, as Vercel answers.

Endpoints (shapes from Vercel's REST API reference and its CLI's types):

- `GET /v10/projects/{idOrName}`: the project, with `crons: {enabledAt, disabledAt, updatedAt, deploymentId,
  definitions: [{host, path, schedule}]}` (`disabledAt` null: the crons run);
- `PATCH /v1/projects/{idOrName}/crons` `{"enabled": bool}`: the project back, as Vercel answers;
- `GET /v13/deployments/{idOrUrl}`: `id`, `url`, `readyState` (QUEUED, BUILDING, INITIALIZING, READY, ERROR,
  CANCELED), ...;
- `GET /v3/deployments/{idOrUrl}/events`: the build's log events (`type`, `created`, `date`, `text`, `id`,
  `serial`, `deploymentId`, `info`, `level`); a JSON array, or with `follow=1` one JSON object a line, live, the
  stream ending once the deployment is READY, ERROR or CANCELED.

Every request needs `Authorization: Bearer <token>` (else 403 `forbidden`, as Vercel answers) and the project's
team as `teamId` (else 404 `not_found`: outside the team's scope the project does not exist). Errors are
`{"error": {"code", "message"}}`. Every request is kept in `requests` (method, path, query, whether its token was
right, status, body), and the state is driven from Python: crons switched as the dashboard would, deployments
created and moved through their states with events, the next matching request made to fail.
"""

from __future__ import annotations

import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from simulator.services.http import JsonHandler, LoopbackServer, LoopbackService

READY_STATES = ("QUEUED", "BUILDING", "INITIALIZING", "READY", "ERROR", "CANCELED")
FINAL_STATES = ("READY", "ERROR", "CANCELED")
# The app's cron as its vercel.json declares it.
APP_CRON_PATH = "/api/process-workflows-cron"
APP_CRON_SCHEDULE = "* * * * *"

CronListener = Callable[[bool], None]


@dataclass(frozen=True)
class CronDefinition:
    path: str = APP_CRON_PATH
    schedule: str = APP_CRON_SCHEDULE

    def to_json(self, host: str) -> dict[str, str]:
        return {"host": host, "path": self.path, "schedule": self.schedule}


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake saw it: `auth_ok` says whether it carried the right Bearer token."""

    method: str
    path: str
    query: dict[str, str]
    auth_ok: bool
    status: int
    body: Any
    at: float


@dataclass
class _Failure:
    method: str
    path_contains: str
    status: int
    code: str
    message: str


@dataclass
class Deployment:
    id: str
    url: str
    name: str
    target: str | None
    created_at: int
    crons: tuple[CronDefinition, ...]
    ready_state: str = "QUEUED"
    building_at: int | None = None
    ready: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, project_id: str, team_id: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id, "url": self.url, "name": self.name, "projectId": project_id, "ownerId": team_id,
            "readyState": self.ready_state, "status": self.ready_state, "target": self.target, "type": "LAMBDAS",
            "createdAt": self.created_at, "buildingAt": self.building_at, "ready": self.ready,
            "inspectorUrl": f"https://vercel.com/{team_id or 'personal'}/{self.name}/{self.id[4:]}",
            "aliasAssigned": self.ready_state == "READY" and self.target == "production",
            "readySubstate": "PROMOTED" if self.ready_state == "READY" and self.target == "production" else None,
            "crons": [d.to_json(self.url) for d in self.crons],
        }
        if self.ready_state == "ERROR":
            body["errorCode"] = self.error_code or "BUILD_FAILED"
            body["errorMessage"] = self.error_message or "Command \"npm run build\" exited with 1"
        return body


def build_lines(*, fail: bool = False) -> list[tuple[str, str | None]]:
    """The lines a Vercel build of the app logs, `(text, level)`: a Node build whose postinstall generates the
    Prisma client; a failing one stops at the build command."""
    lines: list[tuple[str, str | None]] = [
        ("Running build in Washington, D.C., USA (East) – iad1", None),
        ("Cloning completed: 812.000ms", None),
        ("Running \"vercel build\"", None),
        ("Installing dependencies...", None),
        ("> prisma generate", None),
        ("✔ Generated Prisma Client (v6.16.0) to ./node_modules/@prisma/client in 187ms", None),
    ]
    if fail:
        return [*lines, ("Error: Command \"npm run build\" exited with 1", "error")]
    return [*lines, ("Build Completed in /vercel/output [41s]", None), ("Deploying outputs...", None),
            ("Deployment completed", None)]


class FakeVercel(LoopbackService):
    """The fake API and its state. `with FakeVercel() as vercel:` serves it; `vercel.base_url` is its address."""

    def __init__(
        self,
        *,
        token: str | None = None,
        team_id: str | None = "team_recoveryharness0001",
        project_id: str = "prj_poupload000000000000000001",
        project_name: str = "po-upload",
        crons: Sequence[CronDefinition] = (CronDefinition(),),
        now_ms: Callable[[], int] | None = None,
    ) -> None:
        self.token = token if token is not None else "vcp_" + secrets.token_hex(12)
        self.team_id = team_id
        self.project_id = project_id
        self.project_name = project_name
        self.host = f"{project_name}.vercel.app"
        self._now = now_ms or (lambda: int(time.time() * 1000))
        self._lock = threading.Condition()
        created = self._now()
        self._created_at = created
        self._crons_enabled_at: int = created
        self._crons_disabled_at: int | None = None
        self._crons_updated_at: int = created
        self._crons_deployment_id: str | None = None
        self._cron_definitions: tuple[CronDefinition, ...] = tuple(crons)
        self._deployments: dict[str, Deployment] = {}
        self._production: str | None = None
        self._failures: list[_Failure] = []
        self._listeners: list[CronListener] = []
        self._requests: list[RecordedRequest] = []
        self._serial = itertools.count(1)
        self._server = LoopbackServer(_Handler, "fake-vercel")

    # --- serving -------------------------------------------------------------------------------------------
    def stop(self) -> None:
        with self._lock:
            self._lock.notify_all()
        self._server.stop()

    # --- the crons -----------------------------------------------------------------------------------------
    @property
    def crons_enabled(self) -> bool:
        with self._lock:
            return self._crons_disabled_at is None

    @property
    def cron_definitions(self) -> tuple[CronDefinition, ...]:
        with self._lock:
            return self._cron_definitions

    def on_crons_change(self, listener: CronListener) -> None:
        """Call `listener(enabled)` after every change of the crons' switch (through the API or from Python)."""
        with self._lock:
            self._listeners.append(listener)

    def set_crons_enabled(self, enabled: bool) -> None:
        """Switch the crons as someone would in the dashboard (Settings → Cron Jobs)."""
        self._switch_crons(enabled)

    def _switch_crons(self, enabled: bool) -> bool:
        with self._lock:
            was = self._crons_disabled_at is None
            now = self._now()
            self._crons_updated_at = now
            if enabled and not was:
                self._crons_enabled_at, self._crons_disabled_at = now, None
            elif not enabled and was:
                self._crons_disabled_at = now
            listeners = list(self._listeners) if was != enabled else []
        for listener in listeners:
            listener(enabled)
        return was != enabled

    def _crons_json(self) -> dict[str, Any]:
        return {
            "enabledAt": self._crons_enabled_at, "disabledAt": self._crons_disabled_at,
            "updatedAt": self._crons_updated_at, "deploymentId": self._crons_deployment_id,
            "definitions": [d.to_json(self.host) for d in self._cron_definitions],
        }

    def project_json(self) -> dict[str, Any]:
        with self._lock:
            production = self._deployments.get(self._production) if self._production else None
            return {
                "id": self.project_id, "name": self.project_name, "accountId": self.team_id,
                "framework": None, "nodeVersion": "20.x", "createdAt": self._created_at,
                "updatedAt": self._crons_updated_at, "crons": self._crons_json(),
                "targets": {"production": production.to_json(self.project_id, self.team_id)} if production else {},
            }

    # --- deployments ---------------------------------------------------------------------------------------
    def create_deployment(self, *, target: str | None = "production",
                          crons: Sequence[CronDefinition] | None = None) -> Deployment:
        """A new deployment, QUEUED (as a `git push` makes one); its crons default to the project's."""
        with self._lock:
            suffix = secrets.token_hex(5)
            deployment = Deployment(
                id="dpl_" + secrets.token_hex(12), url=f"{self.project_name}-{suffix}.vercel.app",
                name=self.project_name, target=target, created_at=self._now(),
                crons=tuple(crons) if crons is not None else self._cron_definitions)
            self._deployments[deployment.id] = deployment
            self._add_state_event(deployment)
            self._lock.notify_all()
            return deployment

    def deployment(self, id_or_url: str) -> Deployment | None:
        with self._lock:
            return self._find(id_or_url)

    @property
    def production_deployment_id(self) -> str | None:
        with self._lock:
            return self._production

    def set_ready_state(self, deployment_id: str, state: str, *, error_message: str | None = None) -> None:
        """Move a deployment to `state`; a production deployment that turns READY becomes the live one and its
        cron definitions the project's (the crons' switch is kept, as on Vercel)."""
        if state not in READY_STATES:
            raise ValueError(f"unknown readyState {state!r} (known: {', '.join(READY_STATES)})")
        with self._lock:
            deployment = self._deployments[deployment_id]
            now = self._now()
            deployment.ready_state = state
            if state == "BUILDING" and deployment.building_at is None:
                deployment.building_at = now
            if state == "READY":
                deployment.ready = now
                if deployment.target == "production":
                    self._promote(deployment)
            if state == "ERROR":
                deployment.error_message = error_message
            self._add_state_event(deployment)
            self._lock.notify_all()

    def rollback_to(self, deployment_id: str) -> None:
        """An Instant Rollback: the READY deployment is live again, with its cron definitions."""
        with self._lock:
            deployment = self._deployments[deployment_id]
            if deployment.ready_state != "READY":
                raise ValueError(f"{deployment_id} is {deployment.ready_state}, not READY")
            self._promote(deployment)

    def _promote(self, deployment: Deployment) -> None:
        self._production = deployment.id
        self._cron_definitions = deployment.crons
        self._crons_deployment_id = deployment.id
        self._crons_updated_at = self._now()

    def add_event(self, deployment_id: str, text: str, *, type: str = "stdout", level: str | None = None) -> None:
        """One line of the deployment's build log."""
        with self._lock:
            deployment = self._deployments[deployment_id]
            event = self._event(deployment, type, text)
            if level:
                event["level"] = level
            deployment.events.append(event)
            self._lock.notify_all()

    def play_build(self, deployment_id: str, *, fail: bool = False, step: float = 0.1,
                   lines: Iterable[tuple[str, str | None]] | None = None) -> threading.Thread:
        """Run a build in a background thread, `step` wall seconds between its lines: BUILDING, the log lines,
        then INITIALIZING and READY, or ERROR for a failing build. Returns the thread (join it to wait)."""
        script = list(lines) if lines is not None else build_lines(fail=fail)

        def run() -> None:
            time.sleep(step)
            self.set_ready_state(deployment_id, "BUILDING")
            for text, level in script:
                time.sleep(step)
                self.add_event(deployment_id, text, type="stderr" if level == "error" else "stdout", level=level)
            time.sleep(step)
            if fail:
                self.set_ready_state(deployment_id, "ERROR", error_message=script[-1][0])
                return
            self.set_ready_state(deployment_id, "INITIALIZING")
            time.sleep(step)
            self.set_ready_state(deployment_id, "READY")

        thread = threading.Thread(target=run, name=f"fake-vercel-build-{deployment_id}", daemon=True)
        thread.start()
        return thread

    def _event(self, deployment: Deployment, type: str, text: str, **info: Any) -> dict[str, Any]:
        now = self._now()
        serial = next(self._serial)
        return {
            "type": type, "created": now, "date": now, "deploymentId": deployment.id,
            "id": f"{now}{serial:06d}", "serial": f"{now}{serial:06d}", "text": text,
            "info": {"type": "build", "name": "bld_" + deployment.id[4:16], "entrypoint": ".", **info},
        }

    def _add_state_event(self, deployment: Deployment) -> None:
        deployment.events.append(self._event(deployment, "deployment-state", "",
                                             readyState=deployment.ready_state))

    def _find(self, id_or_url: str) -> Deployment | None:
        key = id_or_url.removeprefix("https://").removeprefix("http://").rstrip("/")
        if key in self._deployments:
            return self._deployments[key]
        return next((d for d in self._deployments.values() if d.url == key), None)

    # --- failures and the request log -----------------------------------------------------------------------
    def fail_next(self, method: str, path_contains: str = "", *, status: int = 403, code: str = "forbidden",
                  message: str = "You don't have permission to update the project.") -> None:
        """Make the next request whose method and path match answer with this error (once)."""
        with self._lock:
            self._failures.append(_Failure(method.upper(), path_contains, status, code, message))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, method: str, path_contains: str = "") -> list[RecordedRequest]:
        return [r for r in self.requests if r.method == method.upper() and path_contains in r.path]

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _take_failure(self, method: str, path: str) -> _Failure | None:
        with self._lock:
            for failure in self._failures:
                if failure.method == method and failure.path_contains in path:
                    self._failures.remove(failure)
                    return failure
        return None

    # --- serving the endpoints (called by the handler) -------------------------------------------------------
    def _answer(self, method: str, path: str, query: dict[str, str], authorization: str | None,
                body: Any) -> tuple[int, Any]:
        if not authorization:
            return 403, _error("forbidden", "The request is missing an authentication token", missingToken=True)
        if authorization != f"Bearer {self.token}":
            return 403, _error("forbidden", "Not authorized", invalidToken=True)
        failure = self._take_failure(method, path)
        if failure is not None:
            return failure.status, _error(failure.code, failure.message)
        parts = [unquote(p) for p in path.strip("/").split("/")]
        in_team = self.team_id is None or query.get("teamId") == self.team_id
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v10", "projects"]:
            if not (in_team and parts[2] in (self.project_id, self.project_name)):
                return 404, _error("not_found", "Project not found")
            return 200, self.project_json()
        if method == "PATCH" and len(parts) == 4 and parts[:2] == ["v1", "projects"] and parts[3] == "crons":
            if not (in_team and parts[2] in (self.project_id, self.project_name)):
                return 404, _error("not_found", "Project not found")
            if not isinstance(body, dict) or not isinstance(body.get("enabled"), bool):
                return 400, _error("bad_request", "Invalid request: `enabled` should be boolean.")
            self._switch_crons(body["enabled"])
            return 200, self.project_json()
        if method == "GET" and len(parts) == 3 and parts[:2] == ["v13", "deployments"]:
            with self._lock:
                deployment = self._find(parts[2]) if in_team else None
                if deployment is None:
                    return 404, _error("not_found", "The deployment could not be found.")
                return 200, deployment.to_json(self.project_id, self.team_id)
        if method == "GET" and len(parts) == 4 and parts[:2] == ["v3", "deployments"] and parts[3] == "events":
            with self._lock:
                deployment = self._find(parts[2]) if in_team else None
                if deployment is None:
                    return 404, _error("not_found", "The deployment could not be found.")
                return 200, _select(deployment.events, query)
        return 404, _error("not_found", "The requested path was not found.")

    def _follow(self, id_or_url: str, query: dict[str, str]) -> Iterable[dict[str, Any]]:
        """The deployment's events as they come, until it is READY, ERROR or CANCELED (or the server stops)."""
        sent = 0
        since = _int(query.get("since"))
        while self._server.running:
            with self._lock:
                deployment = self._find(id_or_url)
                if deployment is None:
                    return
                fresh = deployment.events[sent:]
                sent = len(deployment.events)
                done = deployment.ready_state in FINAL_STATES
                if not fresh and not done:
                    self._lock.wait(timeout=0.5)
            for event in fresh:
                if since is None or event["created"] >= since:
                    yield event
            if done and not fresh:
                return


def _select(events: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    since, until, limit = _int(query.get("since")), _int(query.get("until")), _int(query.get("limit"))
    chosen = [e for e in events
              if (since is None or e["created"] >= since) and (until is None or e["created"] <= until)]
    if query.get("direction") == "backward":
        chosen.reverse()
    if limit is not None and limit >= 0:
        chosen = chosen[:limit]
    return chosen


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _error(code: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, **extra}}


class _Handler(JsonHandler):
    server_version = "Vercel"

    @property
    def fake(self) -> FakeVercel:
        return self.server.owner  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw.decode(errors="replace")
        authorization = self.headers.get("Authorization")
        path, query = self.path_only, self.query
        status, answer = self.fake._answer(method, path, query, authorization, body)
        self.fake._record(RecordedRequest(method, path, query, authorization == f"Bearer {self.fake.token}",
                                          status, body, time.time()))
        follow = path.endswith("/events") and query.get("follow") == "1"
        if status != 200 or not follow:
            self.send_json(status, answer)
            return
        # Live events: one JSON object a line, flushed as each comes; the stream ends with the deployment.
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/stream+json; charset=utf-8")
        self.send_header("Connection", "close")
        self.end_headers()
        try:
            for event in self.fake._follow(unquote(path.strip("/").split("/")[2]), query):
                self.wfile.write(json.dumps(event).encode() + b"\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            pass
