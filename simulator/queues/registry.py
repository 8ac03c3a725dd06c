"""The one registry of queue names: the "shared config" of the checklist's follow-up tasks."""

from __future__ import annotations

# The cron pause switch is the tool's: `manage-queues pause` sets it and the simulated cron honours it.
from recovery_tools.manage_queues.cron_switch import cron_pause_key

__all__ = ["DEFAULT_PREFIX", "QUEUE_LIBRARY", "QUEUE_NAMES", "STAGE_QUEUES", "cron_pause_key", "is_registered"]

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

# The queue library the simulated app runs on, for the tool code it pauses with where Redis alone cannot tell.
QUEUE_LIBRARY = "bullmq"


def is_registered(name: str) -> bool:
    """True when `name` is a queue of the shared config."""
    return name in QUEUE_NAMES
