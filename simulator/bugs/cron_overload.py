"""Bug cron-overload: the cron ran every minute, unbatched and without a lock, so runs overlapped and picked
the same workflows twice, and a run with many pending workflows hit Vercel's 300 s limit; the fix runs every
2-5 minutes, under a lock, claiming a batch in one statement."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from recovery_tools.detect import cron_overload as _detector
from simulator.bugs.bug import Bug
from simulator.clock import Clock
from simulator.cron import RunLimit
from simulator.models import WorkflowExecution

BUG = Bug(
    id="cron-overload",
    seam="cron (workflow pickup)",
    checklist_item="Post-Deployment Verification / 4. Check for Remaining Issues / Cron Job Overload; "
    "Follow-Up Tasks / 5. Cron Optimization",
    broken="every 1 minute, runs overlap, each pending workflow loaded and enqueued one by one (a long run is cut "
    "off at 300 s)",
    fixed="every 3 minutes, one run at a time (a Redis lock), a batch claimed in one statement",
    signature=None,  # it shows as duplicate stage runs and growing queues, not as a log line
)

# The detector of this bug: does an app's source hold its broken or its fixed form (detect-release)?
detect = _detector.detect

BATCH_SIZE = 10
# Virtual seconds the unbatched tick spends per workflow: its separate round trips from a cold function.
PER_WORKFLOW_SECONDS = 8.0

Run = Callable[[Callable[[Session], object]], object]
Enqueue = Callable[[str, bool], None]  # (workflow id, deduplicate by job id)


@dataclass(frozen=True)
class CronSettings:
    """How a release schedules its cron."""

    interval_minutes: float
    use_lock: bool


BROKEN_SETTINGS = CronSettings(interval_minutes=1.0, use_lock=False)
FIXED_SETTINGS = CronSettings(interval_minutes=3.0, use_lock=True)


def settings(fixed: bool) -> CronSettings:
    return FIXED_SETTINGS if fixed else BROKEN_SETTINGS


def schedule(fixed: bool) -> str:
    """The release's cron expression as its vercel.json declares it (Vercel's scheduler reads it)."""
    minutes = settings(fixed).interval_minutes
    return "* * * * *" if minutes == 1 else f"*/{minutes:g} * * * *"


_WORKFLOW = WorkflowExecution
_PENDING = select(_WORKFLOW.id).where(_WORKFLOW.status == "pending").order_by(_WORKFLOW.createdAt, _WORKFLOW.id)


def _pending_ids(session: Session) -> list[str]:
    return list(session.scalars(_PENDING))


def tick_broken(run: Run, enqueue: Enqueue, clock: Clock, limit: RunLimit) -> int:
    """Every pending workflow, one at a time; marked queued only after its job went out. Past the time limit the
    run is stopped between two workflows (the rest wait for a later run)."""
    ids: list[str] = list(run(_pending_ids))  # type: ignore[call-overload]
    for workflow_id in ids:
        limit.check()
        run(_loader(workflow_id))
        clock.sleep(PER_WORKFLOW_SECONDS)
        enqueue(workflow_id, False)
        run(_marker(workflow_id))
    return len(ids)


def _loader(workflow_id: str) -> Callable[[Session], object]:
    return lambda session: session.get(_WORKFLOW, workflow_id)


def _marker(workflow_id: str) -> Callable[[Session], object]:
    statement = update(_WORKFLOW).where(_WORKFLOW.id == workflow_id, _WORKFLOW.status == "pending")
    statement = statement.values(status="queued")
    return lambda session: session.execute(statement)


_CLAIM = text(
    'UPDATE "WorkflowExecution" SET status = \'queued\', "updatedAt" = now() WHERE id IN ('
    'SELECT id FROM "WorkflowExecution" WHERE status = \'pending\' ORDER BY "createdAt", id LIMIT :batch '
    "FOR UPDATE SKIP LOCKED) RETURNING id"
)


def tick_fixed(run: Run, enqueue: Enqueue, clock: Clock, limit: RunLimit) -> int:
    """Claim up to BATCH_SIZE pending workflows in one statement, then enqueue each once (job id dedupes); a batch
    takes seconds, far inside the limit."""
    claimed = run(lambda session: list(session.execute(_CLAIM, {"batch": BATCH_SIZE}).scalars()))
    ids = sorted(claimed)  # type: ignore[call-overload]
    for workflow_id in ids:
        enqueue(workflow_id, True)
    return len(ids)


def tick(fixed: bool) -> Callable[[Run, Enqueue, Clock, RunLimit], int]:
    """The implementation a release runs."""
    return tick_fixed if fixed else tick_broken
