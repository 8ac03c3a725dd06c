"""Rendering preflight's report: one line per check with its findings under it, or JSON (docs/tools/preflight.md)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from recovery_tools.preflight.report import FINDING, INCONCLUSIVE, OK, Check, exit_code, overall

MARKS = {OK: "✅ OK", FINDING: "❌ FINDING", INCONCLUSIVE: "❔ INCONCLUSIVE"}


def render_text(checks: list[Check], targets: dict[str, str | None]) -> list[str]:
    lines = ["preflight of " + ", ".join(f"{name} {value}" for name, value in targets.items() if value)]
    for check in checks:
        lines.append(f"{MARKS[check.status]:<16} {check.id}: {check.summary}")
        lines += [f"    ❌ {item.subject}: {item.message}" for item in check.findings]
        lines += [f"    note: {note}" for note in check.notes]
        if check.id == "postgres.schema":
            for key in ("extra_tables", "extra_columns"):
                if check.evidence.get(key):
                    lines.append(f"    {key.replace('_', ' ')}: {', '.join(check.evidence[key])}")
    counts = {status: sum(check.status == status for check in checks) for status in MARKS}
    lines.append(f"{MARKS[overall(checks)]} - " + ", ".join(f"{count} {status}" for status, count in counts.items()))
    return lines


def render_json(checks: list[Check], targets: dict[str, str | None]) -> dict[str, Any]:
    return {
        "tool": "preflight",
        "status": overall(checks),
        "exit_code": exit_code(checks),
        "targets": targets,
        "checks": [asdict(check) for check in checks],
    }
