"""The workflow's stages in order, the registry queue of each, and the job options every stage job gets."""

from __future__ import annotations

from typing import Any

from simulator.clock import Clock
from simulator.queues.registry import STAGE_QUEUES

# Stage names as "Workflow"."currentStage" holds them; the queue of each is the registry name at the same index.
STAGES: tuple[str, ...] = (
    "parse",
    "product-drafts",
    "image-search",
    "image-attachment",
    "image-review-session",
    "refinement",
)
QUEUE_OF: dict[str, str] = dict(zip(STAGES, STAGE_QUEUES, strict=True))
STAGE_OF_QUEUE: dict[str, str] = {queue: stage for stage, queue in QUEUE_OF.items()}
DONE = "done"
# The PO upload is complete (status done) once its review session exists; refinement follows in the background
# and moves currentStage to done.
COMPLETES_WORKFLOW = "image-review-session"

# Attempts per stage job and the first retry delay (virtual seconds; doubled on each further retry).
STAGE_ATTEMPTS = 4
STAGE_BACKOFF_SECONDS = 15.0


def next_stage(stage: str) -> str | None:
    """The stage after `stage`; None after the last one."""
    index = STAGES.index(stage)
    return STAGES[index + 1] if index + 1 < len(STAGES) else None


def job_id(workflow_id: str, stage: str) -> str:
    """The job id of a workflow's stage: adding the same stage twice leaves one job."""
    return f"{workflow_id}-{stage}"


def job_options(clock: Clock, *, dedupe_id: str | None) -> dict[str, Any]:
    """BullMQ options: attempts and exponential backoff in wall milliseconds of the virtual delay."""
    opts: dict[str, Any] = {
        "attempts": STAGE_ATTEMPTS,
        "backoff": {"type": "exponential", "delay": max(1, int(clock.to_wall(STAGE_BACKOFF_SECONDS) * 1000))},
    }
    if dedupe_id is not None:
        opts["jobId"] = dedupe_id
    return opts
