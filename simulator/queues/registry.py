"""The one registry of queue names: the "shared config" of the checklist's follow-up tasks."""

from __future__ import annotations

# Workflow stages, in order; each stage is processed from the queue of the same name.
STAGE_QUEUES: tuple[str, ...] = (
    "po-parse",
    "product-drafts",
    "image-search",
    "image-attachment",
    "image-review-session",
    "refinement",
)

# Every queue the app may use. Producers take names only from here.
QUEUE_NAMES: tuple[str, ...] = STAGE_QUEUES

DEFAULT_PREFIX = "bull"


def cron_pause_key(prefix: str = DEFAULT_PREFIX) -> str:
    """The Redis key of the cron pause switch that `manage-queues pause` sets and the cron honours."""
    return f"{prefix}:cron:paused"


def is_registered(name: str) -> bool:
    """True when `name` is a queue of the shared config."""
    return name in QUEUE_NAMES
