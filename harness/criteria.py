"""The checklist's success criteria over a Simulation run: the simulation as one evidence source for the shared judge.

The criteria, their signatures and limits and the judging live in recovery_tools.criteria (the real stack's
`verify` uses the same); this module only reads a run. For the gate, a criterion holds or it does not: an
inconclusive one (no evidence) does not hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import psycopg

from recovery_tools.criteria.facts import LOG_CRITERIA, POOL_LIMIT
from recovery_tools.criteria.judge import CriterionResult, Evidence, LogLine, SessionProbe, failed
from recovery_tools.criteria.judge import judge as judge_evidence
from simulator.observe.logs import LogEvent

if TYPE_CHECKING:
    from simulator.simulation import Simulation

__all__ = ["LOG_CRITERIA", "POOL_LIMIT", "CriterionResult", "Observation", "SessionProbe", "evaluate", "failed",
           "judge", "observe"]

_WORKFLOWS_SQL = 'SELECT id, status FROM "WorkflowExecution" ORDER BY "createdAt", id'


@dataclass(frozen=True)
class Observation:
    """What a run showed inside the evaluated window; judge() needs nothing else."""

    since: float
    until: float
    events: Sequence[LogEvent]
    workflows: dict[str, str]  # workflow id -> status, for the workflows in scope
    probes: Sequence[SessionProbe]
    connection_samples: Sequence[tuple[float, int]]  # (virtual time, app connections)

    def evidence(self) -> Evidence:
        """The observation in the shared judge's terms (virtual time, every part read)."""
        logs = [LogLine(event.t, event.message, event.source) for event in self.events]
        return Evidence(self.since, self.until, logs=logs, workflows=dict(self.workflows), probes=list(self.probes),
                        connection_samples=list(self.connection_samples))


def judge(observation: Observation) -> list[CriterionResult]:
    """Every criterion of SUCCESS_CRITERIA, in the checklist's order, judged on the observation."""
    return judge_evidence(observation.evidence())


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
