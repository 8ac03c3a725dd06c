"""Whether this run is a live preflight (`-m live` on the services backend), and the read-only step mark."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from harness.backends import BackendConfig


def live_mode(config: pytest.Config) -> bool:
    """True for `-m live` on the services backend: the @live scenarios then run against the real stack."""
    name = BackendConfig.from_env(config.getoption("--backend")).name
    return str(config.getoption("markexpr") or "").strip() == "live" and name == "services"


F = TypeVar("F", bound=Callable[..., Any])
READ_ONLY = "__read_only_step__"


def read_only(func: F) -> F:
    """Marks a step as safe on a real stack: it reads and never writes."""
    setattr(func, READ_ONLY, True)
    return func
