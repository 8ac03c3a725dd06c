"""The success criteria judged from evidence, whatever its source: holds, fails or inconclusive, with a sentence.

A source (the simulation, the real stack) fills an Evidence; a part it could not read is None, and a criterion
that has no data is inconclusive and says what it needed. No evidence is never a pass.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from recovery_tools.criteria.facts import (
    LOG_CRITERIA,
    NO_JOB_LOST,
    POOL_LIMIT,
    REVIEW_SESSIONS_PATH,
    SUCCESS_CRITERIA,
)
from recovery_tools.criteria.signatures import matches

HOLDS, FAILS, INCONCLUSIVE = "holds", "fails", "inconclusive"
VERDICTS = (HOLDS, FAILS, INCONCLUSIVE)
DONE, FAILED, IN_PROGRESS = "done", "failed", "in progress"

# A request line on a review endpoint answered 404: "GET /api/image-review/sessions/x 404" and the like.
_REVIEW_404 = re.compile(re.escape(REVIEW_SESSIONS_PATH) + r"\S*[\s\"',:=]+(?:.*?\D)?404\b")


def virtual_time(t: float) -> str:
    """How the simulation names a moment: seconds of virtual time."""
    return f"t={t:.0f}s"


@dataclass(frozen=True)
class LogLine:
    """One log line or job error: when (`t`, in the source's clock), where from, and the text."""

    t: float
    message: str
    source: str
    status: int | None = None  # the HTTP status of a request line, when the log says it
    path: str | None = None  # the request path of a request line


@dataclass(frozen=True)
class SessionProbe:
    """What the image review API answered for one workflow's session (by workflow id, then by session id)."""

    workflow_id: str | None
    session_id: str | None
    by_workflow_status: int | None
    by_id_status: int | None


@dataclass(frozen=True)
class JobTally:
    """Jobs of the stage queues added in the window: how many, finished, failed for good, stuck."""

    added: int
    finished: int
    failed: Sequence[str] = ()  # "queue/id: reason"
    stuck: Sequence[str] = ()  # "queue/id (state, age)"


@dataclass(frozen=True)
class Evidence:
    """What a source showed for the window since..until; None marks a part the source could not read."""

    since: float
    until: float
    logs: Sequence[LogLine] | None = None
    log_sources: Sequence[str] = ()
    workflows: dict[str, str] | None = None  # workflow id -> status (done, failed, in progress, ...)
    jobs: JobTally | None = None
    sessions: dict[str, str | None] | None = None  # review session id -> workflow id, created in the window
    probes: Sequence[SessionProbe] | None = None
    connection_samples: Sequence[tuple[float, int]] | None = None
    pool_limit: int = POOL_LIMIT
    time_label: Callable[[float], str] = virtual_time


@dataclass(frozen=True)
class CriterionResult:
    """One success criterion: its verdict and the evidence in a sentence."""

    id: str
    text: str
    measure: str
    verdict: str
    evidence: str
    details: dict[str, object] = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return self.verdict == HOLDS


Judged = tuple[str, str, dict[str, object]]


def _logs(signature: str, evidence: Evidence) -> Judged:
    if evidence.logs is None:
        return INCONCLUSIVE, "no log was read: no job ran in the window and no --logs was given", {}
    hits = [line for line in evidence.logs if matches(signature, line.message)]
    if not hits:
        read = f" ({', '.join(evidence.log_sources)})" if evidence.log_sources else ""
        return HOLDS, (f"no log event shows {signature} in {evidence.time_label(evidence.since)}.."
                       f"{evidence.time_label(evidence.until)}{read}"), {}
    first = hits[0]
    text = (f"{len(hits)} log events show {signature}; first at {evidence.time_label(first.t)} "
            f"({first.source}): {first.message}")
    return FAILS, text, {"count": len(hits)}


def _status_counts(workflows: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in workflows.values():
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def _workflow_part(workflows: dict[str, str]) -> Judged:
    counts = _status_counts(workflows)
    if not workflows:
        return INCONCLUSIVE, "no PO was uploaded in the evaluated window", {"statuses": counts}
    done = counts.get(DONE, 0)
    shown = ", ".join(f"{n} {status}" for status, n in counts.items())
    text = f"{done} of {len(workflows)} workflows done ({shown})"
    if done == len(workflows):
        return HOLDS, text, {"statuses": counts}
    if done and done + counts.get(IN_PROGRESS, 0) == len(workflows):
        return HOLDS, text + ", none failed or stuck", {"statuses": counts}
    if counts.get(IN_PROGRESS, 0) == len(workflows):
        return INCONCLUSIVE, text + ": none finished yet", {"statuses": counts}
    return FAILS, text, {"statuses": counts}


def _jobs_part(jobs: JobTally) -> Judged:
    details: dict[str, object] = {"added": jobs.added, "finished": jobs.finished, "failed": len(jobs.failed),
                                  "stuck": len(jobs.stuck)}
    if jobs.failed or jobs.stuck:
        parts = []
        if jobs.failed:
            parts.append(f"{len(jobs.failed)} failed for good (first {jobs.failed[0]})")
        if jobs.stuck:
            parts.append(f"{len(jobs.stuck)} stuck (first {jobs.stuck[0]})")
        return FAILS, f"of {jobs.added} stage jobs added in the window, " + "; ".join(parts), details
    if jobs.added == 0:
        return INCONCLUSIVE, "no job was added to the stage queues in the window", details
    if jobs.finished == 0:
        return INCONCLUSIVE, f"{jobs.added} stage jobs added in the window, none finished yet", details
    return HOLDS, f"{jobs.finished} of {jobs.added} stage jobs added in the window finished, none failed or stuck", \
        details


def _combine(parts: list[Judged], missing: str) -> Judged:
    if not parts:
        return INCONCLUSIVE, missing, {}
    verdicts = [verdict for verdict, _, _ in parts]
    verdict = FAILS if FAILS in verdicts else HOLDS if HOLDS in verdicts else INCONCLUSIVE
    details: dict[str, object] = {}
    for _, _, part in parts:
        details.update(part)
    return verdict, "; ".join(text for _, text, _ in parts), details


def _uploads(evidence: Evidence) -> Judged:
    parts = []
    if evidence.workflows is not None:
        parts.append(_workflow_part(evidence.workflows))
    if evidence.jobs is not None:
        parts.append(_jobs_part(evidence.jobs))
    return _combine(parts, "neither the stage queues nor the app's workflow table could be read")


def _session_of(evidence: Evidence) -> dict[str, str | None]:
    """workflow id -> its session id, from the probes and the sessions read."""
    known: dict[str, str | None] = {}
    for session_id, workflow_id in (evidence.sessions or {}).items():
        if workflow_id is not None:
            known[workflow_id] = session_id
    for probe in evidence.probes or ():
        if probe.workflow_id is not None and (probe.session_id or probe.workflow_id not in known):
            known[probe.workflow_id] = probe.session_id
    return known


def _sessions(evidence: Evidence) -> Judged:
    done = [wid for wid, status in (evidence.workflows or {}).items() if status == DONE]
    probes = list(evidence.probes or ())
    unserved = [p for p in probes if p.session_id and p.by_id_status != 200]
    if done:
        sessions = _session_of(evidence)
        missing = [wid for wid in done if not sessions.get(wid)]
        if missing or unserved:
            parts = []
            if missing:
                parts.append(f"{len(missing)} done workflows have no session (first {missing[0]})")
            if unserved:
                first = unserved[0]
                parts.append(f"{len(unserved)} sessions not served with 200 "
                             f"(first of workflow {first.workflow_id or first.session_id})")
            return FAILS, "; ".join(parts), {"missing": len(missing), "unserved": len(unserved)}
        if evidence.probes is None:
            return INCONCLUSIVE, (f"{len(done)} done workflows each have a session; whether the API serves them "
                                  "needs --app-url"), {}
        return HOLDS, f"{len(done)} done workflows each have a session the API serves with 200", {}
    if evidence.sessions:
        if unserved:
            return FAILS, f"{len(unserved)} of {len(evidence.sessions)} sessions not served with 200 " \
                          f"(first {unserved[0].session_id})", {"unserved": len(unserved)}
        if evidence.probes is None:
            return INCONCLUSIVE, (f"{len(evidence.sessions)} sessions created in the window; whether the API "
                                  "serves them needs --app-url"), {}
        return HOLDS, f"{len(evidence.sessions)} sessions created in the window, each served with 200", {}
    if evidence.workflows is None and evidence.sessions is None:
        return INCONCLUSIVE, "neither the workflow table nor \"ImageReviewSession\" could be read", {}
    return INCONCLUSIVE, "no workflow finished, so no review session could be checked", {}


def _pool(evidence: Evidence) -> Judged:
    samples = evidence.connection_samples
    limit = evidence.pool_limit
    if not samples:
        return INCONCLUSIVE, "no connection sample in the evaluated window", {}
    t, peak = max(samples, key=lambda sample: (sample[1], -sample[0]))
    relation = "<" if peak < limit else ">="
    text = f"peak {peak} app connections at {evidence.time_label(t)} over {len(samples)} samples ({relation} {limit})"
    return (HOLDS if peak < limit else FAILS), text, {"peak": peak}


def _not_found(evidence: Evidence) -> Judged:
    probes = list(evidence.probes or ())
    logged = [line for line in evidence.logs or () if _is_review_404(line)]
    not_found = [p for p in probes if p.by_workflow_status == 404 or p.by_id_status == 404]
    if not_found or logged:
        parts = []
        if not_found:
            first = not_found[0]
            subject = f"workflow {first.workflow_id}" if first.workflow_id else f"session {first.session_id}"
            parts.append(f"{len(not_found)} of {len(probes)} review requests answered 404 (first for {subject})")
        if logged:
            parts.append(f"{len(logged)} logged review requests answered 404 (first at "
                         f"{evidence.time_label(logged[0].t)}: {logged[0].message})")
        return FAILS, "; ".join(parts), {"count": len(not_found) + len(logged)}
    if probes:
        return HOLDS, f"{len(probes)} review requests, none answered 404", {}
    if evidence.logs is not None and any(_is_review_request(line) for line in evidence.logs):
        return HOLDS, "no logged review request answered 404", {}
    if evidence.probes is None:
        return INCONCLUSIVE, "no review endpoint was asked (needs --app-url) and no review request was logged", {}
    return INCONCLUSIVE, "no workflow in scope, so no review endpoint was asked", {}


def _is_review_request(line: LogLine) -> bool:
    return REVIEW_SESSIONS_PATH in (line.path or line.message)


def _is_review_404(line: LogLine) -> bool:
    if line.status is not None:
        return line.status == 404 and _is_review_request(line)
    return _REVIEW_404.search(line.message) is not None


def judge(evidence: Evidence) -> list[CriterionResult]:
    """Every criterion of SUCCESS_CRITERIA, in the checklist's order, judged on the evidence."""
    results = []
    for criterion in SUCCESS_CRITERIA:
        if criterion.id in LOG_CRITERIA:
            verdict, text, details = _logs(LOG_CRITERIA[criterion.id], evidence)
        elif criterion.id == "po-uploads-complete":
            verdict, text, details = _uploads(evidence)
        elif criterion.id == "review-sessions":
            verdict, text, details = _sessions(evidence)
        elif criterion.id == "pool-under-25":
            verdict, text, details = _pool(evidence)
        elif criterion.id == "no-review-404":
            verdict, text, details = _not_found(evidence)
        else:
            raise KeyError(f"success criterion {criterion.id!r} has no judging in recovery_tools/criteria/judge.py")
        results.append(CriterionResult(criterion.id, criterion.text, criterion.measure, verdict, text, details))
    return results


def judge_recovery(accounts: Sequence[dict[str, object]] | None, where: str = "") -> CriterionResult:
    """No job lost across the recovery, from `manage-queues resume`'s per-queue accounts (the ledger's
    `report` of each queue); None: no recovery was compared, so inconclusive."""
    c = NO_JOB_LOST
    if accounts is None:
        return CriterionResult(c.id, c.text, c.measure, INCONCLUSIVE, "no recovery ledger was compared at a resume")
    totals: dict[str, int] = {}
    missing: list[str] = []
    for queue in accounts:
        counts = queue.get("counts")
        for name, value in (counts.items() if isinstance(counts, dict) else ()):
            totals[name] = totals.get(name, 0) + int(value)
        ids = queue.get("missing")
        missing += [f"{queue.get('name')}/{job_id}" for job_id in (ids if isinstance(ids, list) else ())]
    shown = ", ".join(f"{totals.get(k, 0)} {k.replace('_', ' ')}" for k in
                      ("at_pause", "added", "cleaned", "finished", "still_waiting", "unconfirmed", "missing"))
    text = f"{len(accounts)} queues ({shown})" + (f" in {where}" if where else "")
    if missing:
        return CriterionResult(c.id, c.text, c.measure, FAILS, f"{len(missing)} jobs missing (first {missing[0]}); "
                               + text, {"missing": missing, **totals})
    if not totals.get("at_pause"):
        return CriterionResult(c.id, c.text, c.measure, INCONCLUSIVE, "no job was queued at the pause: " + text,
                               dict(totals))
    return CriterionResult(c.id, c.text, c.measure, HOLDS, "every job of the pause accounted for: " + text,
                           dict(totals))


def overall(results: Sequence[CriterionResult]) -> str:
    """fails when one fails, else inconclusive when one is, else holds."""
    verdicts = {result.verdict for result in results}
    return FAILS if FAILS in verdicts else INCONCLUSIVE if INCONCLUSIVE in verdicts or not results else HOLDS


def failed(results: Sequence[CriterionResult]) -> list[str]:
    """The ids of the criteria that do not hold (fail or are inconclusive)."""
    return [result.id for result in results if not result.holds]
