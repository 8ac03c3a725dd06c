"""Bug temporary-queue: a producer used a queue name missing from the shared config, the queue helper created
a temporary queue no worker listens on; the fix takes names only from the registry and checks them."""

from __future__ import annotations

from recovery_tools.detect import temporary_queue as _detector
from simulator.bugs.bug import Bug
from simulator.observe.logs import LogSink
from simulator.queues.registry import QUEUE_NAMES, is_registered

BUG = Bug(
    id="temporary-queue",
    seam="queue definitions (producers)",
    checklist_item="Follow-Up Tasks / 1. Queue Configuration",
    broken="the refinement producer uses the old name 'image-refinement', which no worker consumes",
    fixed="producers take names only from simulator.queues.registry; every registered queue is checked",
    signature="temporary-queue",
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

# The name the old refinement producer still used.
LEGACY_REFINEMENT_QUEUE = "image-refinement"


class UnregisteredQueue(ValueError):
    """A producer asked for a queue that is not in the registry."""


def producer_queue_broken(name: str, logs: LogSink) -> str:
    """The old getQueue(name): any name goes; an unknown one becomes a temporary queue."""
    if not is_registered(name):
        logs.warning(f"Queue {name} not found in config, creating temporary queue", queue=name)
    return name


def producer_queue_fixed(name: str, logs: LogSink) -> str:
    """Only registered names."""
    if not is_registered(name):
        raise UnregisteredQueue(f"queue {name!r} is not in the registry ({', '.join(QUEUE_NAMES)})")
    return name


def refinement_queue(fixed: bool) -> str:
    """The queue name the refinement producer uses in a release."""
    return "refinement" if fixed else LEGACY_REFINEMENT_QUEUE


def missing_queues(queues_with_workers: set[str]) -> list[str]:
    """The registered queues no worker consumes: the fixed release's check at deploy."""
    return [name for name in QUEUE_NAMES if name not in queues_with_workers]
