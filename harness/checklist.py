"""CHECKLIST.md as data: its sections, their items, the success criteria and the fixes of the deploy.

The feature files are held against this (tests/test_checklist_coverage.py): every section has its
feature, every item a scenario, every success criterion a row. The rehearsal evaluates the criteria.
"""

from __future__ import annotations

from dataclasses import dataclass

# The success criteria and the fixes are facts the real tools share: one source, in recovery_tools.
from recovery_tools.criteria.facts import DEPLOY_FIXES, PREVIOUS_FIXES, SUCCESS_CRITERIA, Criterion

__all__ = ["DEPLOY_FIXES", "PREVIOUS_FIXES", "SECTIONS", "SUCCESS_CRITERIA", "Criterion", "Section"]


@dataclass(frozen=True)
class Section:
    """A section of CHECKLIST.md: its heading, the tag of its feature, the titles of its items."""

    title: str
    tag: str
    items: tuple[str, ...]


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
