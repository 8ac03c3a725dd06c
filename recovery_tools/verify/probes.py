"""The image review API as evidence: GET a session by id and by workflow id, as the frontend does (read-only)."""

from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from recovery_tools.criteria.facts import REVIEW_SESSIONS_PATH
from recovery_tools.criteria.judge import SessionProbe


class ProbeError(Exception):
    """The review API does not answer at all (one line)."""


class ReviewApi:
    """GETs on `<base>/api/image-review/sessions`, with a bearer token when given; remembers what it asked."""

    def __init__(self, base_url: str, token: str | None, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self._known: dict[tuple[str | None, str | None], SessionProbe] = {}

    def status(self, path: str) -> int:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        request = urllib.request.Request(self.base_url + path, headers=headers, method="GET")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return int(error.code)
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise ProbeError(f"the review API at {self.base_url} does not answer: {reason}") from None

    def probe(self, workflow_id: str | None, session_id: str | None) -> SessionProbe:
        """The session by workflow id and by its id (each asked once per run)."""
        key = (workflow_id, session_id)
        if key not in self._known:
            quote = urllib.parse.quote
            by_workflow = (self.status(f"{REVIEW_SESSIONS_PATH}?workflowId={quote(workflow_id)}")
                           if workflow_id else None)
            by_id = self.status(f"{REVIEW_SESSIONS_PATH}/{quote(session_id)}") if session_id else None
            self._known[key] = SessionProbe(workflow_id, session_id, by_workflow, by_id)
        return self._known[key]
