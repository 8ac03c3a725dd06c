"""Steps that look at the app's queues and recovery ledger directly, beside the tool's word."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pytest_bdd import given, parsers, then

from harness.isolation import ScenarioEnv
from recovery_tools.criteria.judge import judge_recovery
from recovery_tools.manage_queues import ledger
from simulator.queues.registry import QUEUE_NAMES
from simulator.simulation import Simulation


@dataclass(frozen=True)
class QueueSnapshot:
    """Job counts per queue and the ids of jobs still to run, at one moment."""

    counts: dict[str, dict[str, int]]
    pending_ids: dict[str, set[str]]

    def total(self, *states: str) -> int:
        return sum(counts.get(state, 0) for counts in self.counts.values() for state in states)


def snapshot(sim: Simulation) -> QueueSnapshot:
    return QueueSnapshot(sim.job_counts(), sim.pending_job_ids())


@given("the incident has left failed jobs")
def incident_left_failed_jobs(sim: Simulation) -> None:
    sim.run_until(lambda: snapshot(sim).total("failed") > 0, within_virtual_minutes=30)
    counts = snapshot(sim)
    assert counts.total("failed") > 0, f"the incident release left no failed job: {counts.counts}"


@given("the jobs still to run are noted", target_fixture="before")
def note_pending_jobs(sim: Simulation) -> QueueSnapshot:
    return snapshot(sim)


@then("every queue of the shared config is paused")
def every_queue_paused(sim: Simulation) -> None:
    paused = sim.paused_queues()
    running = [name for name in QUEUE_NAMES if name not in paused]
    assert not running, f"queues still running: {running}"


@then("every queue of the shared config is running")
def every_queue_running(sim: Simulation) -> None:
    paused = sim.paused_queues()
    assert not paused, f"queues still paused: {paused}"


@then(parsers.parse("no new job starts within {minutes:d} virtual minutes"))
def no_new_job_starts(sim: Simulation, minutes: int) -> None:
    start = snapshot(sim)
    sim.run_for(minutes)
    end = snapshot(sim)
    finished = end.total("completed", "failed") - start.total("completed", "failed")
    assert end.total("active") == 0, f"jobs still active after {minutes} virtual minutes: {end.counts}"
    assert finished <= start.total("active"), (
        f"{finished} jobs finished but only {start.total('active')} were active when the queues were paused"
    )


@then("no failed job remains")
def no_failed_job(sim: Simulation) -> None:
    counts = sim.job_counts()
    failed = {name: c.get("failed", 0) for name, c in counts.items() if c.get("failed", 0)}
    assert not failed, f"failed jobs remain: {failed}"


@then("no waiting job was removed")
def no_waiting_job_removed(sim: Simulation, before: QueueSnapshot) -> None:
    gone = {
        name: sorted(job_id for job_id in ids if not sim.job_exists(name, job_id))
        for name, ids in before.pending_ids.items()
    }
    gone = {name: ids for name, ids in gone.items() if ids}
    assert not gone, f"jobs that were waiting are gone: {gone}"



@then("every noted job has run or is still queued")
def noted_jobs_kept(sim: Simulation, before: QueueSnapshot) -> None:
    lost = {}
    for name, ids in before.pending_ids.items():
        states = {job_id: sim.job_state(name, job_id) for job_id in ids}
        missing = sorted(job_id for job_id, state in states.items() if state in ("unknown", "None", ""))
        if missing:
            lost[name] = missing
    assert not lost, f"jobs lost across the rollback: {lost}"


@given(parsers.parse("a new PO is uploaded while the image search holds its next answer for {seconds:d} virtual "
                      "seconds"))
def job_in_flight(sim: Simulation, seconds: int) -> None:
    """A stage job stays active while Google holds its search: the job a pause must wait for. One request only, so
    the wait lasts `seconds`, not that for every draft of every PO in flight."""
    sim.slow_image_search(seconds, requests=1)
    sim.upload_fake_pos(1, lines=2)
    assert sim.run_until(lambda: sim.slow_searches_in_flight > 0, within_virtual_minutes=15), \
        f"no image search was held: {sim.job_counts()}"


@then("the recovery ledger shows jobs in flight at the pause")
def ledger_shows_active(recovery_ledger: Path) -> None:
    document = ledger.read_file(recovery_ledger)
    assert document is not None, f"no recovery ledger at {recovery_ledger}"
    active = {name: entry["jobs"]["active"] for name, entry in document["recoveries"][-1]["queues"].items()
              if entry["jobs"].get("active")}
    assert active, "no job was active when the queues were paused: the wait was not put to the test"


@then("no job of the shared config's queues is active")
def no_job_active(sim: Simulation) -> None:
    active = {name: c.get("active", 0) for name, c in sim.job_counts().items() if c.get("active", 0)}
    assert not active, f"jobs still active after the wait: {active}"


@then("the recovery ledger holds a snapshot of every queue of the shared config")
def ledger_snapshot(env: ScenarioEnv, recovery_ledger: Path) -> None:
    document = ledger.read_file(recovery_ledger)
    assert document is not None, f"no recovery ledger at {recovery_ledger}"
    recovery = document["recoveries"][-1]
    assert recovery["prefix"] == env.prefix and recovery["closed_at"] is None, recovery
    assert set(QUEUE_NAMES) <= set(recovery["queues"]), f"queues without a snapshot: {recovery['queues'].keys()}"


@then("the recovery ledger accounts for every job of the pause")
def ledger_accounts(env: ScenarioEnv, recovery_ledger: Path) -> None:
    result = judge_recovery(ledger.last_accounts(ledger.read_file(recovery_ledger), env.prefix), str(recovery_ledger))
    assert result.holds, f"{result.text}: {result.verdict}: {result.evidence}"
