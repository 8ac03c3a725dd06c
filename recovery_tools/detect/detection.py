"""Running every detector on an app's source and naming the release it holds (unknown counts as broken), with
the load check of its entry points (does the commit load at all)."""

from __future__ import annotations

import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from recovery_tools.detect import DETECTORS
from recovery_tools.detect.app import AppSource
from recovery_tools.detect.deployed import DeployedSet, entry_points
from recovery_tools.detect.load import LoadCheck, check_load
from recovery_tools.detect.model import BROKEN, FIXED, UNKNOWN, Evidence, Verdict
from recovery_tools.detect.releases import BUG_IDS, REQUIRED_FIXES, release_name


@dataclass(frozen=True)
class Detection:
    """Each bug's verdict, the bugs assumed fixed by the operator, and the release that follows."""

    root: Path
    verdicts: dict[str, Verdict]
    assumed_fixed: frozenset[str] = field(default=frozenset())
    scope: DeployedSet | None = None  # the deployed set the detectors judged
    load: LoadCheck | None = None  # esbuild's bundle of the entry points; None when not asked for

    def counts_as_fixed(self, bug_id: str) -> bool:
        state = self.verdicts[bug_id].state
        return state == FIXED or (state == UNKNOWN and bug_id in self.assumed_fixed)

    @property
    def fixes(self) -> frozenset[str]:
        return frozenset(b for b in BUG_IDS if self.counts_as_fixed(b))

    @property
    def release(self) -> str:
        return release_name(self.fixes)

    @property
    def missing_required(self) -> tuple[str, ...]:
        """The fixes the deploy must hold that this source does not."""
        return tuple(b for b in REQUIRED_FIXES if not self.counts_as_fixed(b))

    @property
    def load_failed(self) -> bool:
        """The load check ran and did not say ok: the commit does not load, or nothing could tell (inconclusive)."""
        return self.load is not None and not self.load.ok

    @property
    def passes(self) -> bool:
        """The deploy may go: every required fix is there and the commit loads (or its check was not asked for)."""
        return not self.missing_required and not self.load_failed

    def to_dict(self) -> dict[str, object]:
        return {
            "release": self.release,
            "scope": self.scope.to_dict() if self.scope is not None else None,
            "load": self.load.to_dict() if self.load is not None else None,
            "bugs": {bug_id: {"state": verdict.state, "evidence": [e.to_dict() for e in verdict.evidence],
                              "counts_as": "fixed" if self.counts_as_fixed(bug_id) else BROKEN,
                              "assumed_fixed": bug_id in self.assumed_fixed and verdict.state == UNKNOWN}
                     for bug_id, verdict in self.verdicts.items()},
            "required_fixes": list(REQUIRED_FIXES),
            "missing_required": list(self.missing_required),
        }


def detect_release(root: Path, *, prisma_schema: Path | None = None, fallback_schema: Path | None = None,
                   config_queues: tuple[str, ...] = (), assume_fixed: frozenset[str] = frozenset(),
                   entries: Iterable[Path] = (), load_check: bool = True) -> Detection:
    """Every detector on the deployed code of the app at `root` (its entry points, or `entries`, followed through
    their imports); AppSourceError when it is not an app's source. The Prisma schema is `prisma_schema`, else
    the app's own, else `fallback_schema`. A detector that fails on code it did not expect answers `unknown`
    with the error, so one bug never hides the others. Each evidence in code carries its import path. With
    `load_check`, esbuild bundles the entry points (recovery_tools.detect.load)."""
    unknown_ids = assume_fixed - set(BUG_IDS)
    if unknown_ids:
        raise ValueError(f"unknown bug id(s) {', '.join(sorted(unknown_ids))}; known: {', '.join(BUG_IDS)}")
    app = AppSource.read(root, prisma_schema, config_queues, entries)
    if app.prisma_schema is None and fallback_schema is not None and fallback_schema.is_file():
        app.prisma_schema = fallback_schema
    verdicts: dict[str, Verdict] = {}
    for bug_id, detector in DETECTORS.items():
        try:
            verdicts[bug_id] = detector(app)
        except Exception as error:  # noqa: BLE001 - the safe side: this bug unknown, the others still judged
            where = traceback.extract_tb(error.__traceback__)[-1]
            why = f"the detector failed: {type(error).__name__}: {error} ({Path(where.filename).name}:{where.lineno})"
            verdicts[bug_id] = Verdict(UNKNOWN, (Evidence(".", 0, why),))
    for bug_id, verdict in verdicts.items():
        verdicts[bug_id] = Verdict(verdict.state, tuple(replace(e, via=tuple(app.scope.import_path(e.file)))
                                                        for e in verdict.evidence))
    load = None
    if load_check:
        entries_found = entry_points(app)
        load = check_load(app.root, entries_found) if entries_found else LoadCheck(
            (), reason="no entry point to bundle (none in vercel.json, api/ or package.json; --entry names one)")
    return Detection(app.root, verdicts, assume_fixed, app.scope, load)


def summary_lines(detection: Detection, limit: int = 0) -> list[str]:
    """The detection for people: per bug its state and evidence (at most `limit` each, 0 = all), then the
    release. An evidence reached through imports names its entry point."""
    lines = [detection.scope.summary()] if detection.scope is not None else []
    for bug_id, verdict in detection.verdicts.items():
        note = ""
        if verdict.state == UNKNOWN:
            note = " (assumed fixed: --assume-fixed)" if bug_id in detection.assumed_fixed else " (counts as broken)"
        elif verdict.state == BROKEN and bug_id in detection.assumed_fixed:
            note = " (--assume-fixed ignored: the source shows it broken)"
        lines.append(f"{bug_id}: {verdict.state}{note}")
        shown = verdict.evidence if not limit else verdict.evidence[:limit]
        lines += [f"  {e.where()}: {e.why}{_via(e)}" for e in shown]
        if len(shown) < len(verdict.evidence):
            lines.append(f"  ... and {len(verdict.evidence) - len(shown)} more")
    lines += load_lines(detection.load, limit)
    lines.append(f"release: {detection.release}")
    return lines


def load_lines(load: LoadCheck | None, limit: int = 0) -> list[str]:
    """The load check for people: one line, then each error and warning as `file:line:column: message`."""
    if load is None:
        return ["load check: not run (--no-load-check)"]
    lines = [f"does not load ({load.tool}): {len(load.errors)} error(s)" if load.errors else load.summary()]
    for label, messages in (("error", load.errors), ("warning", load.warnings)):
        shown = messages if not limit else messages[:limit]
        lines += [f"  {label}: {message}" for message in shown]
        if len(shown) < len(messages):
            lines.append(f"  ... and {len(messages) - len(shown)} more {label}s")
    return lines


def _via(evidence: Evidence) -> str:
    """` (via ENTRY, N imports)` for code reached through imports; "" for an entry point or a file not code."""
    if len(evidence.via) < 2:
        return ""
    hops = len(evidence.via) - 1
    return f" (via {evidence.via[0]}, {hops} import{'s' if hops > 1 else ''})"
