"""Containers backend: testcontainers Redis 7 and Postgres 16, when a Docker engine answers."""

from __future__ import annotations

from typing import Any

from harness.backends.base import Backend, BackendError, BackendUnavailable


def docker_engine_answers() -> str | None:
    """None when a Docker engine answers a ping, else the reason it does not."""
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception as error:  # docker raises DockerException, requests errors, FileNotFoundError...
        return f"no Docker engine answers ({type(error).__name__}); the containers backend needs one"
    return None


class ContainersBackend(Backend):
    """One container per service, each with its readiness check from testcontainers."""

    name = "containers"

    def __init__(self) -> None:
        self._redis: Any = None
        self._postgres: Any = None

    def start(self) -> None:
        reason = docker_engine_answers()
        if reason:
            raise BackendUnavailable(reason)
        from testcontainers.postgres import PostgresContainer
        from testcontainers.redis import RedisContainer

        try:
            self._redis = RedisContainer("redis:7").start()
            self._postgres = PostgresContainer("postgres:16", driver=None).start()
        except Exception as error:
            self.stop()
            raise BackendError(f"containers backend failed to start: {error}") from error

    def stop(self) -> None:
        for container in (self._redis, self._postgres):
            if container is not None:
                container.stop()
        self._redis = self._postgres = None

    @property
    def redis_url(self) -> str:
        if self._redis is None:
            raise BackendError("containers backend is not started")
        host = self._redis.get_container_host_ip()
        return f"redis://{host}:{self._redis.get_exposed_port(6379)}/0"

    @property
    def database_url(self) -> str:
        if self._postgres is None:
            raise BackendError("containers backend is not started")
        return str(self._postgres.get_connection_url())
