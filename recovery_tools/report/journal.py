"""The JSON journal of a rehearsal or a verify run: every step with times, outcome and evidence; seed, versions.

Determinism contract: two runs with the same options and seed give the same canonical() journal. What a run
measured with values that depend on thread timing (counts, tool output with counts, metric series, the
throwaway database and prefix) lives under keys named "measured"; wall-clock times under keys starting
with "wall". canonical() drops exactly those.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

FORMAT = "rehearsal-journal/1"
OUTCOMES = ("ok", "failed")
_PACKAGES = ("recovery-harness", "bullmq", "redis", "psycopg", "sqlalchemy", "typer", "rich")


def wall_iso(epoch: float) -> str:
    """An epoch time as ISO 8601 UTC with milliseconds."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="milliseconds")


def package_versions() -> dict[str, str]:
    """Versions of Python and of the Python packages a rehearsal runs on.

    The caller adds what runs outside Python: the servers' versions and, for the simulated app, the Node and npm
    `bull` versions its queue host reports (keys "node" and "bull").
    """
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


@dataclass
class Step:
    """One step of a rehearsal, in the checklist's words."""

    n: int
    id: str
    title: str
    section: str
    virtual_at: float  # planned virtual second of the step's start (deterministic)
    wall_started: float
    release: str
    outcome: str = "ok"
    evidence: dict[str, Any] = field(default_factory=dict)
    measured: dict[str, Any] = field(default_factory=dict)
    wall_finished: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "id": self.id,
            "title": self.title,
            "section": self.section,
            "release": self.release,
            "virtual_at": round(self.virtual_at, 3),
            "outcome": self.outcome,
            "evidence": self.evidence,
            "measured": self.measured,
            "wall_started": wall_iso(self.wall_started),
            "wall_finished": wall_iso(self.wall_finished),
            "wall_seconds": round(self.wall_finished - self.wall_started, 3),
        }


class Journal:
    """Collects the steps, deploys, criteria and series of one rehearsal and writes them as one JSON file."""

    def __init__(self, scenario: str, options: dict[str, Any]) -> None:
        self.scenario = scenario
        self.options = dict(options)
        self.wall_started = time.time()
        self.wall_finished = 0.0
        self.steps: list[Step] = []
        self.deploys: list[dict[str, Any]] = []
        self.criteria: list[dict[str, Any]] = []
        self.verdict: dict[str, Any] = {"holds": False, "failed_criteria": [], "failed_steps": []}
        self.versions = package_versions()
        self.measured: dict[str, Any] = {}

    def begin(self, step_id: str, title: str, section: str, virtual_at: float, release: str) -> Step:
        """Open a step (it is recorded at once, so a crash still shows where the run stopped)."""
        step = Step(len(self.steps) + 1, step_id, title, section, virtual_at, time.time(), release)
        self.steps.append(step)
        return step

    def finish(self, step: Step, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"step outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
        step.outcome = outcome
        step.wall_finished = time.time()

    def deployed(self, release: str, fixes: list[str], virtual_at: float, measured_at: float, kind: str) -> None:
        """Record a release going live (kind: initial, deploy or rollback)."""
        self.deploys.append({"release": release, "fixes": sorted(fixes), "kind": kind,
                             "virtual_at": round(virtual_at, 3), "measured": {"virtual_at": round(measured_at, 3)}})

    def conclude(self, criteria: list[dict[str, Any]]) -> None:
        """Set the final criteria and the verdict: holds when every criterion holds and every step is ok."""
        self.criteria = criteria
        failed_criteria = [c["id"] for c in criteria if not c["holds"]]
        failed_steps = [s.id for s in self.steps if s.outcome != "ok"]
        self.verdict = {"holds": not failed_criteria and not failed_steps and bool(criteria),
                        "failed_criteria": failed_criteria, "failed_steps": failed_steps}
        self.wall_finished = time.time()

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "scenario": self.scenario,
            "options": self.options,
            "versions": self.versions,
            "wall_started": wall_iso(self.wall_started),
            "wall_finished": wall_iso(self.wall_finished or time.time()),
            "wall_seconds": round((self.wall_finished or time.time()) - self.wall_started, 3),
            "steps": [step.to_dict() for step in self.steps],
            "deploys": self.deploys,
            "criteria": self.criteria,
            "verdict": self.verdict,
            "measured": self.measured,
        }

    def write(self, path: Path) -> None:
        """Write the journal (to a temporary file, then renamed: never half-written)."""
        write_json(path, self.to_dict())


def write_json(path: Path, document: dict[str, Any]) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(document, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    os.replace(partial, path)


def canonical(document: Any) -> Any:
    """The journal without its wall times and timing-dependent measurements: equal for equal seeds."""
    if isinstance(document, dict):
        return {key: canonical(value) for key, value in document.items()
                if key != "measured" and not key.startswith("wall")}
    if isinstance(document, list):
        return [canonical(item) for item in document]
    return document
