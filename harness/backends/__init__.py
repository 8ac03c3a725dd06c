"""Where the real Redis and Postgres come from: embedded, services or containers."""

from harness.backends.base import Backend, BackendError, BackendUnavailable
from harness.backends.config import BACKEND_NAMES, BackendConfig


def open_backend(config: BackendConfig) -> Backend:
    """Build (but do not start) the backend that `config` names."""
    if config.name == "embedded":
        from harness.backends.embedded import EmbeddedBackend

        return EmbeddedBackend()
    if config.name == "services":
        from harness.backends.services import ServicesBackend

        return ServicesBackend(config.redis_url, config.database_url)
    if config.name == "containers":
        from harness.backends.containers import ContainersBackend

        return ContainersBackend()
    raise BackendError(f"unknown backend {config.name!r}: choose one of {', '.join(BACKEND_NAMES)}")


__all__ = ["BACKEND_NAMES", "Backend", "BackendConfig", "BackendError", "BackendUnavailable", "open_backend"]
