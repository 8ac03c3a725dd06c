"""Backend configuration in one dataclass, filled from options or the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass

BACKEND_NAMES = ("embedded", "services", "containers")
DEFAULT_BACKEND = "embedded"


@dataclass(frozen=True)
class BackendConfig:
    """Which backend to use and, for `services`, where the servers are."""

    name: str = DEFAULT_BACKEND
    redis_url: str | None = None
    database_url: str | None = None

    @classmethod
    def from_env(cls, name: str | None = None) -> BackendConfig:
        """Fill from HARNESS_BACKEND, REDIS_URL and DATABASE_URL; an explicit name wins."""
        return cls(
            name=name or os.environ.get("HARNESS_BACKEND") or DEFAULT_BACKEND,
            redis_url=os.environ.get("REDIS_URL") or None,
            database_url=os.environ.get("DATABASE_URL") or None,
        )
