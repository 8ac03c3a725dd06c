"""CHECKLIST.md as data: its sections, their items, the success criteria and the fixes of the deploy.

The feature files are held against this (tests/test_checklist_coverage.py): every section has its
feature, every item a scenario, every success criterion a row. The rehearsal evaluates the criteria.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Section:
    """A section of CHECKLIST.md: its heading, the tag of its feature, the titles of its items."""

    title: str
    tag: str
    items: tuple[str, ...]


@dataclass(frozen=True)
class Criterion:
    """A success criterion in the checklist's words, with how the harness measures it."""

    id: str
    text: str
    measure: str


SECTIONS: tuple[Section, ...] = (
    Section(
        "Pre-Deployment Steps",
        "pre-deployment",
        ("Pause Cron & Queues", "Clean Failed Jobs", "Verify Database Schema"),
    ),
    Section(
        "Deployment",
        "deployment",
        ("Const Reassignment Bug", "Image Review Table Mismatch", "Prisma Warmup"),
    ),
    Section(
        "Post-Deployment Verification",
        "post-deployment",
        ("Monitor Deployment", "Resume Queues", "Test PO Upload Flow", "Check for Remaining Issues"),
    ),
    Section(
        "Remaining Issues",
        "remaining-issues",
        ("Connection Pool", "Google API 429", "Cron Job Overload"),
    ),
    Section(
        "Rollback Plan",
        "rollback",
        ("If deployment fails",),
    ),
    Section(
        "Success Criteria",
        "success-criteria",
        ("Success criteria hold on the deploy release", "Success criteria fail on the incident release"),
    ),
    Section(
        "Follow-Up Tasks",
        "follow-ups",
        ("Queue Configuration", "Rate Limiting", "Legacy Code Cleanup", "Connection Hygiene", "Cron Optimization"),
    ),
)

SUCCESS_CRITERIA: tuple[Criterion, ...] = (
    Criterion("no-p2010", 'No P2010 "relation does not exist" errors in logs', "log signature relation-does-not-exist"),
    Criterion("no-engine-not-connected", 'No "Engine is not yet connected" errors in logs',
              "log signature engine-not-connected"),
    Criterion("no-const-assignment", 'No "Assignment to constant variable" errors', "log signature const-assignment"),
    Criterion("po-uploads-complete", "PO uploads complete successfully end-to-end", "every uploaded workflow is done"),
    Criterion("review-sessions", "Image review sessions created and accessible",
              "every done workflow has a session the API serves with 200"),
    Criterion("pool-under-25", "Connection pool stays under 25 connections",
              "peak app connections in pg_stat_activity < 25"),
    Criterion("no-review-404", "No 404 errors on image review API endpoints",
              "no 404 answered for a workflow's session"),
)

# The fixes this deploy ships (bug ids of simulator/bugs), and the one that came before it.
DEPLOY_FIXES: tuple[str, ...] = ("const-reassignment", "image-review-table-mismatch")
PREVIOUS_FIXES: tuple[str, ...] = ("prisma-warmup",)
