"""Services backend: servers the user already runs, named by REDIS_URL and DATABASE_URL."""

from __future__ import annotations

import psycopg
import redis

from harness.backends.base import Backend, BackendError
from recovery_tools.urls import redact


class ServicesBackend(Backend):
    """Checks that both servers answer; starts and stops nothing."""

    name = "services"

    def __init__(self, redis_url: str | None, database_url: str | None) -> None:
        self._redis_url = redis_url
        self._database_url = database_url

    def start(self) -> None:
        if not self._redis_url:
            raise BackendError("backend 'services' needs REDIS_URL (e.g. redis://127.0.0.1:6379/0); it is not set")
        if not self._database_url:
            raise BackendError(
                "backend 'services' needs DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/postgres); "
                "it is not set"
            )
        try:
            client = redis.Redis.from_url(self._redis_url, socket_connect_timeout=3)
            client.ping()
            client.close()
        except (redis.RedisError, ValueError) as error:
            raise BackendError(f"REDIS_URL {redact(self._redis_url)} does not answer: {error}") from error
        try:
            psycopg.connect(self._database_url, connect_timeout=3, autocommit=True).close()
        except (psycopg.Error, ValueError) as error:
            reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise BackendError(f"DATABASE_URL {redact(self._database_url)} does not answer: {reason}") from error

    def stop(self) -> None:
        """Nothing to stop: the servers belong to the user."""

    @property
    def redis_url(self) -> str:
        assert self._redis_url is not None
        return self._redis_url

    @property
    def database_url(self) -> str:
        assert self._database_url is not None
        return self._database_url
