"""Vercel's REST API, the few endpoints the tools use: the project's crons and a deployment with its build events.

Base URL https://api.vercel.com (`VERCEL_API_URL` overrides it); the token comes from `VERCEL_TOKEN` and is never
printed (any error text that would hold it is masked); `teamId` goes on every request when the project has a team.
The project is the config's `[vercel] project`/`team`, else `.vercel/project.json` (`projectId`, `orgId`, as
`vercel link` writes it) beside the config file or in the current folder.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from recovery_tools.cli import ToolError
from recovery_tools.config import ToolConfig
from recovery_tools.urls import redact

API_URL = "https://api.vercel.com"
TOKEN_ENV = "VERCEL_TOKEN"
URL_ENV = "VERCEL_API_URL"
LINK_FILE = Path(".vercel") / "project.json"
DEFAULT_TIMEOUT = 10.0  # seconds for one API request


class VercelError(ToolError):
    """The API refused or could not be reached: one line naming the request, the HTTP status and Vercel's error."""

    def __init__(self, message: str, status: int | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code = status, code


@dataclass(frozen=True)
class VercelLink:
    """Which project (and team) the tools act on, and where that came from."""

    project: str
    team: str | None
    source: str


def find_link(config: ToolConfig, cwd: Path | None = None) -> VercelLink | None:
    """The config's `[vercel]` table, else `.vercel/project.json` beside the config file or in `cwd`; else None."""
    if config.vercel_project:
        return VercelLink(config.vercel_project, config.vercel_team, f"{config.describe()} [vercel]")
    folders = [config.source.parent] if config.source else []
    folders.append(cwd or Path.cwd())
    for folder in dict.fromkeys(p.resolve() for p in folders):
        linked = folder / LINK_FILE
        if linked.is_file():
            return _read_link(linked)
    return None


def _read_link(path: Path) -> VercelLink:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ToolError(f"cannot read {path}: {error}") from None
    project = data.get("projectId") if isinstance(data, dict) else None
    if not isinstance(project, str) or not project:
        raise ToolError(f"{path} has no projectId (run `vercel link` again, or set [vercel] project in the config)")
    team = data.get("orgId")
    # A personal account's orgId is its user id: no teamId then (Vercel scopes the request to the token's user).
    team = team if isinstance(team, str) and team.startswith("team_") else None
    return VercelLink(project, team, str(path))


def iso(ms: int | None) -> str | None:
    """Vercel's millisecond timestamps as ISO 8601 (UTC)."""
    return None if ms is None else datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ProjectCrons:
    """The project's crons as `GET /v10/projects/{id}` shows them: enabled while `disabledAt` is null."""

    project: str
    enabled: bool
    disabled_at: int | None
    updated_at: int | None
    deployment_id: str | None
    definitions: tuple[dict[str, str], ...]

    @classmethod
    def from_project(cls, project: dict[str, Any], asked: str) -> ProjectCrons:
        crons = project.get("crons") or {}
        definitions = tuple({k: str(d.get(k, "")) for k in ("host", "path", "schedule")}
                            for d in crons.get("definitions") or [] if isinstance(d, dict))
        return cls(str(project.get("id") or asked), crons.get("disabledAt") is None, crons.get("disabledAt"),
                   crons.get("updatedAt"), crons.get("deploymentId"), definitions)

    def names(self) -> str:
        """The crons as people know them: `/api/process-workflows-cron (* * * * *)`."""
        return ", ".join(f"{d['path']} ({d['schedule']})" for d in self.definitions) or "(no cron defined)"


class VercelClient:
    """A few calls of Vercel's REST API with a Bearer token (stdlib urllib: nothing more to install)."""

    def __init__(self, token: str, team: str | None = None, base_url: str | None = None,
                 timeout: float = DEFAULT_TIMEOUT) -> None:
        self._token = token
        self.team = team
        self.base_url = (base_url or API_URL).rstrip("/")
        self.timeout = timeout

    @property
    def shown(self) -> str:
        """The API's base URL, safe to print."""
        return redact(self.base_url)

    def project_crons(self, project: str) -> ProjectCrons:
        return ProjectCrons.from_project(self._call("GET", f"/v10/projects/{quote(project, safe='')}"), project)

    def set_crons(self, project: str, enabled: bool) -> ProjectCrons:
        """`PATCH /v1/projects/{id}/crons {"enabled": ...}`; Vercel answers with the project."""
        answer = self._call("PATCH", f"/v1/projects/{quote(project, safe='')}/crons", {"enabled": enabled})
        return ProjectCrons.from_project(answer, project)

    def deployment(self, id_or_url: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v13/deployments/{quote(_bare(id_or_url), safe='')}"))

    def events(self, id_or_url: str, since: int | None = None) -> list[dict[str, Any]]:
        """The deployment's build log events so far (oldest first), from `since` (ms) on."""
        query: dict[str, str] = {"direction": "forward", "limit": "-1"}
        if since is not None:
            query["since"] = str(since)
        answer = self._call("GET", f"/v3/deployments/{quote(_bare(id_or_url), safe='')}/events", query=query)
        return [e for e in answer if isinstance(e, dict)] if isinstance(answer, list) else []

    def _call(self, method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Any:
        params = dict(query or {})
        if self.team:
            params["teamId"] = self.team
        url = f"{self.base_url}{path}" + (f"?{urlencode(params)}" if params else "")
        request = urllib.request.Request(
            url, method=method, data=json.dumps(body).encode() if body is not None else None,
            headers={"Authorization": f"Bearer {self._token}", "Content-Type": "application/json",
                     "Accept": "application/json", "User-Agent": "recovery-tools"})
        what = f"Vercel API {method} {path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                raw = answer.read()
        except urllib.error.HTTPError as error:
            code, message = _error_body(error.read())
            text = f"{what}: HTTP {error.code}" + (f" {code}" if code else "") + (f": {message}" if message else "")
            raise VercelError(self._mask(text), error.code, code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", None) or error
            raise VercelError(self._mask(f"{what}: {self.shown} unreachable: {reason}")) from None
        try:
            return json.loads(raw) if raw else None
        except ValueError:
            raise VercelError(f"{what}: the answer is not JSON") from None

    def _mask(self, text: str) -> str:
        text = text.splitlines()[0] if text else text
        return text.replace(self._token, "***") if self._token else text


def _bare(id_or_url: str) -> str:
    """A deployment's id, or its URL without scheme and trailing slash (the API takes the hostname)."""
    return id_or_url.strip().removeprefix("https://").removeprefix("http://").split("/")[0]


def _error_body(raw: bytes) -> tuple[str | None, str | None]:
    """Vercel's `{"error": {"code", "message"}}`."""
    try:
        error = json.loads(raw).get("error")
    except (ValueError, AttributeError):
        return None, raw.decode(errors="replace").strip()[:200] or None
    if not isinstance(error, dict):
        return None, None
    return (str(error["code"]) if error.get("code") is not None else None,
            str(error["message"]) if error.get("message") is not None else None)


def client_for(link: VercelLink | None) -> VercelClient:
    """A client from the environment (`VERCEL_TOKEN`, `VERCEL_API_URL`) for `link`'s team."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if not token:
        where = f" (project {link.project} from {link.source})" if link else ""
        raise ToolError(f"{TOKEN_ENV} is not set: the Vercel API needs a token{where}; create one under "
                        "Account Settings → Tokens and export it")
    return VercelClient(token, link.team if link else None, os.environ.get(URL_ENV) or None)
