"""The contract every backend fulfils: start, expose two URLs, stop."""

from __future__ import annotations

import abc


class BackendError(Exception):
    """A backend is misconfigured or its server does not answer."""


class BackendUnavailable(BackendError):
    """The backend cannot run on this machine at all (e.g. no Docker engine)."""


class Backend(abc.ABC):
    """A real Redis-protocol server and a real Postgres server."""

    name: str

    @abc.abstractmethod
    def start(self) -> None:
        """Make both servers answer; raise BackendError or BackendUnavailable if they cannot."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop what start() started; leave servers the backend did not start running."""

    @property
    @abc.abstractmethod
    def redis_url(self) -> str:
        """redis:// URL of the Redis-protocol server."""

    @property
    @abc.abstractmethod
    def database_url(self) -> str:
        """postgresql:// URL of the server's maintenance database."""

    def __enter__(self) -> Backend:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
