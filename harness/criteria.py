"""The checklist's success criteria evaluated over a Simulation run: one result per criterion, with evidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import psycopg

from harness.checklist import SUCCESS_CRITERIA
from simulator.observe.logs import LogEvent

if TYPE_CHECKING:
    from simulator.simulation import Simulation

# The checklist's limit: "Connection pool stays under 25 connections".
POOL_LIMIT = 25

# The log signature each log criterion looks for (ids of simulator.observe.logs.SIGNATURES).
LOG_CRITERIA: dict[str, str] = {
    "no-p2010": "relation-does-not-exist",
    "no-engine-not-connected": "engine-not-connected",
    "no-const-assignment": "const-assignment",
}

_WORKFLOWS_SQL = 'SELECT id, status FROM "Workflow" ORDER BY "createdAt", id'


@dataclass(frozen=True)
class SessionProbe:
    """What the image review API answered for one workflow's session (by workflow id, then by session id)."""

    workflow_id: str
    session_id: str | None
    by_workflow_status: int
    by_id_status: int | None


@dataclass(frozen=True)
class Observation:
    """What a run showed inside the evaluated window; judge() needs nothing else."""

    since: float
    until: float
    events: Sequence[LogEvent]
    workflows: dict[str, str]  # workflow id -> status, for the workflows in scope
    probes: Sequence[SessionProbe]
    connection_samples: Sequence[tuple[float, int]]  # (virtual time, app connections)


@dataclass(frozen=True)
class CriterionResult:
    """One success criterion: holds or not, and the evidence in a sentence."""

    id: str
    text: str
    measure: str
    holds: bool
    evidence: str
    details: dict[str, object] = field(default_factory=dict)


def _log_result(signature: str, observation: Observation) -> tuple[bool, str, dict[str, object]]:
    hits = [event for event in observation.events if event.matches(signature)]
    if not hits:
        return True, f"no log event shows {signature} in t={observation.since:.0f}s..{observation.until:.0f}s", {}
    first = hits[0]
    evidence = f"{len(hits)} log events show {signature}; first at t={first.t:.0f}s ({first.source}): {first.message}"
    return False, evidence, {"count": len(hits)}


def _status_counts(workflows: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in workflows.values():
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def _uploads_result(observation: Observation) -> tuple[bool, str, dict[str, object]]:
    counts = _status_counts(observation.workflows)
    if not observation.workflows:
        return False, "no PO was uploaded in the evaluated window", {"statuses": counts}
    done = counts.get("done", 0)
    shown = ", ".join(f"{n} {status}" for status, n in counts.items())
    return done == len(observation.workflows), f"{done} of {len(observation.workflows)} workflows done ({shown})", {
        "statuses": counts
    }


def _sessions_result(observation: Observation) -> tuple[bool, str, dict[str, object]]:
    done = [wid for wid, status in observation.workflows.items() if status == "done"]
    if not done:
        return False, "no workflow finished, so no review session could be checked", {}
    probes = {probe.workflow_id: probe for probe in observation.probes}
    missing = [wid for wid in done if wid not in probes or probes[wid].session_id is None]
    unserved = [wid for wid in done if wid in probes and probes[wid].session_id and probes[wid].by_id_status != 200]
    if missing or unserved:
        parts = []
        if missing:
            parts.append(f"{len(missing)} done workflows have no session (first {missing[0]})")
        if unserved:
            parts.append(f"{len(unserved)} sessions not served with 200 (first of workflow {unserved[0]})")
        return False, "; ".join(parts), {"missing": len(missing), "unserved": len(unserved)}
    return True, f"{len(done)} done workflows each have a session the API serves with 200", {}


def _pool_result(observation: Observation) -> tuple[bool, str, dict[str, object]]:
    samples = observation.connection_samples
    if not samples:
        return False, "no connection sample in the evaluated window", {}
    t, peak = max(samples, key=lambda sample: (sample[1], -sample[0]))
    relation = "<" if peak < POOL_LIMIT else ">="
    evidence = f"peak {peak} app connections at t={t:.0f}s over {len(samples)} samples ({relation} {POOL_LIMIT})"
    return peak < POOL_LIMIT, evidence, {"peak": peak}


def _not_found_result(observation: Observation) -> tuple[bool, str, dict[str, object]]:
    if not observation.probes:
        return False, "no workflow in scope, so no review endpoint was asked", {}
    not_found = [probe.workflow_id for probe in observation.probes
                 if probe.by_workflow_status == 404 or probe.by_id_status == 404]
    if not_found:
        return False, (f"{len(not_found)} of {len(observation.probes)} review requests answered 404 "
                       f"(first for workflow {not_found[0]})"), {"count": len(not_found)}
    return True, f"{len(observation.probes)} review requests, none answered 404", {}


def judge(observation: Observation) -> list[CriterionResult]:
    """Every criterion of SUCCESS_CRITERIA, in the checklist's order, judged on the observation."""
    results = []
    for criterion in SUCCESS_CRITERIA:
        if criterion.id in LOG_CRITERIA:
            holds, evidence, details = _log_result(LOG_CRITERIA[criterion.id], observation)
        elif criterion.id == "po-uploads-complete":
            holds, evidence, details = _uploads_result(observation)
        elif criterion.id == "review-sessions":
            holds, evidence, details = _sessions_result(observation)
        elif criterion.id == "pool-under-25":
            holds, evidence, details = _pool_result(observation)
        elif criterion.id == "no-review-404":
            holds, evidence, details = _not_found_result(observation)
        else:
            raise KeyError(f"success criterion {criterion.id!r} has no evaluation in harness/criteria.py")
        results.append(CriterionResult(criterion.id, criterion.text, criterion.measure, holds, evidence, details))
    return results


def _workflow_statuses(database_url: str, workflow_ids: Sequence[str] | None) -> dict[str, str]:
    with psycopg.connect(database_url, connect_timeout=5, application_name="harness-criteria") as conn:
        rows = conn.execute(_WORKFLOWS_SQL).fetchall()
    statuses = {str(wid): str(status) for wid, status in rows}
    if workflow_ids is None:
        return statuses
    return {wid: statuses.get(wid, "missing") for wid in workflow_ids}


def _probe(sim: Simulation, workflow_id: str) -> SessionProbe:
    by_workflow, _ = sim.api_get(f"/api/image-review/sessions?workflowId={workflow_id}")
    session_id = sim.review_session_id(workflow_id)
    by_id = sim.api_get(f"/api/image-review/sessions/{session_id}")[0] if session_id else None
    return SessionProbe(workflow_id, session_id, by_workflow, by_id)


def observe(sim: Simulation, *, since: float = 0.0, workflow_ids: Sequence[str] | None = None) -> Observation:
    """Read the run: log events and connection samples from virtual time `since` on, the workflows in scope
    (`workflow_ids`, default every workflow) and what the review API answers for each of them."""
    until = sim.clock.now()
    sim.metrics.sample(until)
    events = [event for event in sim.logs.events() if event.t >= since]
    workflows = _workflow_statuses(sim.env.database_url, workflow_ids)
    probes = [_probe(sim, wid) for wid in workflows]
    samples = [(s.t, s.pg_connections) for s in list(sim.metrics.samples) if s.t >= since]
    return Observation(since, until, events, workflows, probes, samples)


def evaluate(sim: Simulation, *, since: float = 0.0,
             workflow_ids: Sequence[str] | None = None) -> list[CriterionResult]:
    """Every success criterion over the run of `sim` (see observe() for the window and the scope)."""
    return judge(observe(sim, since=since, workflow_ids=workflow_ids))


def failed(results: Sequence[CriterionResult]) -> list[str]:
    """The ids of the criteria that do not hold."""
    return [result.id for result in results if not result.holds]
