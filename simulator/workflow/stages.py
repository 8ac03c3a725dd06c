"""The workflow's stages in order, the registry queue of each, and the job options every stage job gets."""

from __future__ import annotations

from typing import Any

from simulator.clock import Clock
from simulator.queues.registry import QUEUE_NAMES, STAGE_QUEUES

# The app's workflow stages in order, named as their queues ("WorkflowExecution"."currentStage" holds them):
# ai-parsing -> database-save -> product-draft-creation -> image-attachment (image search, attachment, review
# session) -> shopify-sync -> status-update.
WORKFLOW_STAGES: tuple[str, ...] = STAGE_QUEUES
# The PO upload is complete end to end (status done) when status-update has run: the PO is parsed and saved, its
# drafts have their images and review session, they are synced and the PO is marked completed.
COMPLETES_WORKFLOW = "status-update"
# Then, in the background, the drafts are refined from their approved images (processImageAttachment's background
# image processing, on the registered ai-enrichment queue) and currentStage becomes done.
REFINEMENT = "ai-enrichment"
STAGES: tuple[str, ...] = (*WORKFLOW_STAGES, REFINEMENT)
FIRST_STAGE = STAGES[0]
QUEUE_OF: dict[str, str] = {stage: stage for stage in STAGES}
STAGE_OF_QUEUE: dict[str, str] = {queue: stage for stage, queue in QUEUE_OF.items()}
# Every queue of the shared config has workers, as the app registers a processor on each.
WORKER_QUEUES: tuple[str, ...] = QUEUE_NAMES
DONE = "done"

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
    """Queue job options: attempts and exponential backoff in wall milliseconds of the virtual delay."""
    opts: dict[str, Any] = {
        "attempts": STAGE_ATTEMPTS,
        "backoff": {"type": "exponential", "delay": max(1, int(clock.to_wall(STAGE_BACKOFF_SECONDS) * 1000))},
    }
    if dedupe_id is not None:
        opts["jobId"] = dedupe_id
    return opts
