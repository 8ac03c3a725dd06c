"""A small loopback HTTP server (stdlib ThreadingHTTPServer) with JSON answers, shared by the fake services."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit


class JsonHandler(BaseHTTPRequestHandler):
    """Base request handler: JSON bodies, parsed query, no access log on stderr."""

    protocol_version = "HTTP/1.1"
    server_version = "SimulatorHTTP/1.0"

    @property
    def path_only(self) -> str:
        return urlsplit(self.path).path

    @property
    def query(self) -> dict[str, str]:
        """Query parameters (the first value of each)."""
        return {key: values[0] for key, values in parse_qs(urlsplit(self.path).query).items()}

    def send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body, default=str).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    def _not_allowed(self) -> None:
        self.send_json(405, {"error": {"code": 405, "message": f"method {self.command} not allowed"}})

    do_POST = do_PUT = do_PATCH = do_DELETE = _not_allowed

    def log_message(self, format: str, *args: Any) -> None:
        pass


class LoopbackServer:
    """Serves `handler` on 127.0.0.1 with a port the OS picks, in a background thread."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], name: str) -> None:
        self._handler = handler
        self._name = name
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def start(self, owner: object) -> str:
        """Start serving; `owner` becomes `server.owner` for the handler. Returns the base URL."""
        if self._server is not None:
            return self.base_url
        server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler)
        server.daemon_threads = True
        server.owner = owner  # type: ignore[attr-defined]
        self._server = server
        # A short poll interval so that stop() returns promptly (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=self._name, daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError(f"{self._name} is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def running(self) -> bool:
        return self._server is not None

    def stop(self) -> None:
        """Stop accepting, close the socket and join the serving thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = None
        self._thread = None


class LoopbackService:
    """A fake service served by a LoopbackServer: start/stop, its base URL, and use as a context manager."""

    _server: LoopbackServer

    def start(self) -> str:
        """Serve on 127.0.0.1 (a free port); returns the base URL."""
        return self._server.start(self)

    def stop(self) -> None:
        self._server.stop()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
