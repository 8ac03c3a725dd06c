"""The one registry of queue names: the app's shared queue config, as the checklist's follow-up tasks name it."""

from __future__ import annotations

# The cron pause switch is the tool's: `manage-queues pause` sets it and the simulated cron honours it.
from recovery_tools.manage_queues.cron_switch import cron_pause_key

__all__ = ["DEFAULT_PREFIX", "QUEUE_NAMES", "STAGE_QUEUES", "cron_pause_key", "is_registered"]

# The workflow's queues, in the order a workflow moves through them (the app's WORKFLOW_STAGES).
STAGE_QUEUES: tuple[str, ...] = (
    "ai-parsing",
    "database-save",
    "product-draft-creation",
    "image-attachment",
    "shopify-sync",
    "status-update",
)

# Every queue of the app's shared config, as its own manage-queues lists them. Producers take names only from here;
# the four after the stage queues have workers too (ai-enrichment takes the background refinement of images).
QUEUE_NAMES: tuple[str, ...] = (
    *STAGE_QUEUES,
    "data-normalization",
    "merchant-config",
    "ai-enrichment",
    "shopify-payload",
)

DEFAULT_PREFIX = "bull"


def is_registered(name: str) -> bool:
    """True when `name` is a queue of the shared config."""
    return name in QUEUE_NAMES
