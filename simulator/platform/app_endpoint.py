"""The simulated app's cron path over HTTP (`GET /api/process-workflows-cron`), as Vercel's scheduler calls it: a
wrong or missing `Authorization: Bearer <CRON_SECRET>` gets 401; otherwise the live deployment's handler runs and its
answer is the function's (200, 500, or 504 past maxDuration, as Vercel answers a timed-out function)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import Any

from simulator.cron import RunResult
from simulator.platform.vercel_api import APP_CRON_PATH
from simulator.services.http import JsonHandler, LoopbackServer, LoopbackService


class CronEndpoint(LoopbackService):
    """Serves the cron path on loopback; `serve()` runs one invocation on the live deployment."""

    def __init__(self, secret: str, serve: Callable[[], RunResult], path: str = APP_CRON_PATH) -> None:
        self.secret = secret
        self.serve = serve
        self.path = path
        self.rejected = 0  # calls refused for their secret
        self._server = LoopbackServer(_Handler, "app-cron-endpoint")


class _Handler(JsonHandler):
    def do_GET(self) -> None:
        endpoint: CronEndpoint = self.server.owner  # type: ignore[attr-defined]
        if self.path_only != endpoint.path:
            self.send_json(404, {"error": "Not found"})
            return
        given = self.headers.get("Authorization") or ""
        if not hmac.compare_digest(given.encode(), f"Bearer {endpoint.secret}".encode()):
            endpoint.rejected += 1
            self.send_json(401, {"error": "Unauthorized"})
            return
        result = endpoint.serve()
        body: dict[str, Any]
        if result.status == 504:
            body = {"error": {"code": "504", "message": "An error occurred with your deployment",
                              "type": "FUNCTION_INVOCATION_TIMEOUT", "detail": result.error}}
        elif result.status != 200:
            body = {"success": False, "error": result.error}
        else:
            body = {"success": True, "picked": result.picked, "skipped": result.skipped}
        self.send_json(result.status, body)
