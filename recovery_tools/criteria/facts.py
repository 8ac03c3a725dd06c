"""CHECKLIST.md's success criteria as data, one place for each fact: names, log signatures, the pool limit.

The simulation (harness, simulator) and the real-stack `verify` both read these; nothing here knows where
evidence comes from.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Criterion:
    """A success criterion in the checklist's words, with how it is measured."""

    id: str
    text: str
    measure: str
    origin: str = "checklist"  # "checklist": CHECKLIST.md's own line; "harness": one this project adds


@dataclass(frozen=True)
class Signature:
    """A log signature the checklist monitors: a regex searched in a message; errors break a criterion."""

    id: str
    pattern: str
    severity: str  # "error" (a success criterion) or "warning" (a remaining issue)
    label: str  # how a person names it


# The checklist's limit: "Connection pool stays under 25 connections".
POOL_LIMIT = 25

SUCCESS_CRITERIA: tuple[Criterion, ...] = (
    Criterion("no-p2010", 'No P2010 "relation does not exist" errors in logs', "log signature relation-does-not-exist"),
    Criterion("no-engine-not-connected", 'No "Engine is not yet connected" errors in logs',
              "log signature engine-not-connected"),
    Criterion("no-const-assignment", 'No "Assignment to constant variable" errors', "log signature const-assignment"),
    Criterion("po-uploads-complete", "PO uploads complete successfully end-to-end", "every uploaded workflow is done"),
    Criterion("review-sessions", "Image review sessions created and accessible",
              "every done workflow has a session the API serves with 200"),
    Criterion("pool-under-25", f"Connection pool stays under {POOL_LIMIT} connections",
              f"peak app connections in pg_stat_activity < {POOL_LIMIT}"),
    Criterion("no-review-404", "No 404 errors on image review API endpoints",
              "no 404 answered for a workflow's session"),
)

# Criteria the checklist does not list but a recovery must meet, judged only where their evidence exists
# (not by `verify`, which sees no pause): kept apart from SUCCESS_CRITERIA, whose lines are the checklist's.
NO_JOB_LOST = Criterion("no-job-lost", "No job lost across the recovery",
                        "manage-queues resume against the recovery ledger: 0 jobs missing", origin="harness")
HARNESS_CRITERIA: tuple[Criterion, ...] = (NO_JOB_LOST,)

SIGNATURE_LIST: tuple[Signature, ...] = (
    Signature("relation-does-not-exist", r'relation "[^"]+" does not exist', "error",
              'P2010 "relation does not exist"'),
    Signature("engine-not-connected", r"Engine is not yet connected\.", "error", '"Engine is not yet connected"'),
    Signature("const-assignment", r"TypeError: Assignment to constant variable\.", "error",
              '"Assignment to constant variable"'),
    # Prisma's P2024: the message a Node app logs, or the bare code in a structured log.
    Signature("pool-timeout", r"Timed out fetching a new connection from the connection pool|\bP2024\b", "warning",
              "P2024 connection pool timeout"),
    # \b so that ids and numbers that merely contain the digits (a UUID's "...f4291...") do not count.
    Signature("google-429", r"\b429\b|RESOURCE_EXHAUSTED", "warning", "Google API 429"),
    Signature("temporary-queue", r"creating temporary queue", "warning", "temporary queue"),
)

# Signature id -> regex, for code that only needs the patterns.
SIGNATURES: dict[str, str] = {signature.id: signature.pattern for signature in SIGNATURE_LIST}
WARNING_SIGNATURES: tuple[str, ...] = tuple(s.id for s in SIGNATURE_LIST if s.severity == "warning")

# The log signature each log criterion looks for.
LOG_CRITERIA: dict[str, str] = {
    "no-p2010": "relation-does-not-exist",
    "no-engine-not-connected": "engine-not-connected",
    "no-const-assignment": "const-assignment",
}

# The image review API's endpoints (a request line on one of them answered 404 breaks no-review-404).
REVIEW_SESSIONS_PATH = "/api/image-review/sessions"

# The checklist's rollback plan, in its order: what to run when a criterion fails after a deploy.
ROLLBACK_PLAN: tuple[str, ...] = (
    "manage-queues pause",
    "git revert HEAD && git push",
    "wait for the deployment (~2 minutes)",
    "manage-queues resume",
)

# The fixes this deploy ships (bug ids of simulator/bugs), and the one that came before it.
DEPLOY_FIXES: tuple[str, ...] = ("const-reassignment", "image-review-table-mismatch")
PREVIOUS_FIXES: tuple[str, ...] = ("prisma-warmup",)
