"""The rehearsal scenarios: incident (outage, checklist, fix), rollback (bad deploy, rollback plan), follow-ups."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from harness.checklist import DEPLOY_FIXES
from harness.criteria import CriterionResult, evaluate, failed
from harness.isolation import ScenarioEnv
from harness.rehearsal.progress import Progress
from harness.runbook import ToolRun, run_tool
from recovery_tools.criteria.judge import judge_recovery
from recovery_tools.manage_queues import ledger
from recovery_tools.report.journal import Journal, Step
from simulator.observe.logs import count_signatures
from simulator.release import DEPLOY, HEALTHY, INCIDENT, Release, release_named
from simulator.simulation import Simulation

SCENARIOS = ("incident", "rollback", "follow-ups")
# A fast-forwarded load window takes about this many wall seconds, whatever its virtual length.
FAST_WALL_SECONDS = 15.0
# Virtual time allowed for the uploaded POs of a verification to finish.
VERIFY_MINUTES = 90.0
# Planned virtual length of one operator step (a tool run, a look at the logs).
OPERATOR_SECONDS = 60.0
DEPLOY_SECONDS = 120.0
# Points kept per metric series in the journal (bucket maxima, so peaks survive).
SERIES_POINTS = 400
# Lines of each PO a verification uploads ("Upload a new PO file"): an ordinary PO. Past 10 lines the pool
# issue this deploy still has (connection-hygiene, a follow-up) fails the catalogue lookup by design.
VERIFY_LINES = 5
# The follow-ups' remaining issues with the workload that shows each: (POs, lines per PO).
FOLLOW_UPS: dict[str, tuple[int, int]] = {
    "temporary-queue": (3, 3),
    "google-429": (4, 5),
    "connection-hygiene": (3, 12),
    "cron-overload": (12, 3),
}
# The image search quota of the incident: as tight as production's, so POs whose searches all get 429 reach the
# review stage (P2010) while the others hit the const bug, the outage's whole log picture.
INCIDENT_SEARCH_QUOTA = 1
# The image search quota of the follow-ups rehearsal: low enough that 4 POs of 5 lines meet it at any scale.
FOLLOW_UP_SEARCH_QUOTA = 3
# The regression the rollback drill deploys: the raw SQL on the legacy tables is back.
REGRESSION = "image-review-table-mismatch"
# The pause of the checklist and of the rollback plan: wait for the jobs in flight before the deploy.
PAUSE = "manage-queues pause --wait-idle 2m"


class RehearsalAborted(Exception):
    """A step could not run at all (not a failed check: the machinery broke); the journal names the step."""


@dataclass(frozen=True)
class Options:
    """What the command line sets."""

    seed: int = 0
    pos: int = 3
    duration: float = 1800.0  # virtual seconds of each load window
    time_scale: float = 300.0  # virtual seconds per wall second for the checklist steps
    fast_forward: bool = True  # load windows run at max(time_scale, duration / FAST_WALL_SECONDS)
    withhold: tuple[str, ...] = ()  # fixes kept out of the incident's deploy
    # detect-release's JSON for --app-source: the incident's deploy is the release the app's code holds.
    detection: dict[str, Any] | None = None

    def journal_options(self, scenario: str, backend: str) -> dict[str, Any]:
        options = {"scenario": scenario, "seed": self.seed, "pos": self.pos, "duration_seconds": self.duration,
                   "time_scale": self.time_scale, "fast_forward": self.fast_forward, "withhold": list(self.withhold),
                   "backend": backend}
        if self.detection is not None:
            options["detected_release"] = self.detection["release"]
        return options


def workflow_statuses(database_url: str, workflow_ids: list[str]) -> dict[str, str]:
    """The status of each given workflow ("missing" if absent)."""
    with psycopg.connect(database_url, connect_timeout=5, application_name="harness-rehearsal") as conn:
        rows = conn.execute('SELECT id, status FROM "WorkflowExecution" WHERE id = ANY(%s)', (workflow_ids,)).fetchall()
    found = {str(wid): str(status) for wid, status in rows}
    return {wid: found.get(wid, "missing") for wid in workflow_ids}


def _counts(statuses: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for status in statuses.values():
        counts[status] = counts.get(status, 0) + 1
    return dict(sorted(counts.items()))


def _downsample(points: list[tuple[float, float]], limit: int = SERIES_POINTS) -> list[list[float]]:
    if len(points) <= limit:
        return [[round(t, 3), value] for t, value in points]
    size = len(points) / limit
    kept = []
    for index in range(limit):
        bucket = points[int(index * size):int((index + 1) * size)] or [points[-1]]
        peak = max(bucket, key=lambda point: point[1])
        kept.append([round(bucket[-1][0], 3), peak[1]])
    return kept


class Rehearsal:
    """One rehearsal on a throwaway environment: a Simulation, the journal of its steps, live progress."""

    def __init__(self, env: ScenarioEnv, options: Options, journal: Journal, progress: Progress) -> None:
        self.env = env
        self.options = options
        self.journal = journal
        self.progress = progress
        self.plan = 0.0  # planned virtual time of the next step
        self._sim: Simulation | None = None
        # The rehearsal's own recovery ledger (pause, clean, resume), in a folder removed at the end.
        self._ledger_dir = Path(tempfile.mkdtemp(prefix="rehearsal-ledger-"))
        self.ledger = self._ledger_dir / "recovery-ledger.json"
        self.recovery: CriterionResult | None = None  # "no job lost across the recovery", once a resume compared

    @property
    def sim(self) -> Simulation:
        if self._sim is None:
            raise RuntimeError("the rehearsal's simulation has not started")
        return self._sim

    # -- running -----------------------------------------------------------------------------

    def start(self, release: Release, search_quota_per_minute: int = 100) -> Simulation:
        self._sim = Simulation(self.env, release=release, seed=self.options.seed, time_scale=self.options.time_scale,
                               search_quota_per_minute=search_quota_per_minute)
        self.journal.versions.update(self._sim.queues.versions)  # the app's queues: "node" and npm "bull" 4.x.y
        self.journal.deployed(release.name, sorted(release.fixes), self.plan, self.sim.clock.now(), "initial")
        self.progress.watch(self._state)
        return self._sim

    def _state(self) -> tuple[float, dict[str, int], dict[str, int]]:
        sim = self.sim
        samples = sim.metrics.samples
        depths = dict(samples[-1].queue_depths) if samples else {}
        return sim.clock.now(), depths, sim.workflows()

    def close(self) -> None:
        if self._sim is not None:
            self.journal.measured["virtual_end"] = round(self._sim.clock.now(), 3)
            self.journal.measured["series"] = {
                name: _downsample(points) for name, points in self._sim.metrics.series().items()
            }
            self._sim.close()
            self._sim = None
        self.progress.watch(None)
        shutil.rmtree(self._ledger_dir, ignore_errors=True)

    @contextmanager
    def step(self, step_id: str, title: str, section: str, planned_seconds: float = OPERATOR_SECONDS,
             ) -> Iterator[Step]:
        """A journal step: starts at the planned virtual time; the body sets evidence and may fail it."""
        release = self._sim.release.name if self._sim is not None else "-"
        step = self.journal.begin(step_id, title, section, self.plan, release)
        self.progress.step(step.n, title, release)
        step.measured["virtual_start"] = round(self._sim.clock.now(), 3) if self._sim else 0.0
        outcome = "ok"
        try:
            yield step
            outcome = step.outcome
        except Exception as error:
            outcome = "failed"
            step.evidence["error"] = f"{type(error).__name__}: {error}"
            raise RehearsalAborted(f"step {step.n} ({step_id}) broke: {type(error).__name__}: {error}") from error
        finally:
            now = self._sim.clock.now() if self._sim else 0.0
            step.measured["virtual_end"] = round(now, 3)
            self.journal.finish(step, outcome)
            self.progress.finished(step.n, title, outcome, now)
            self.plan += planned_seconds

    def tool(self, step: Step, command: str, *, output_is_evidence: bool = False) -> ToolRun:
        """Run a checklist tool; its exit code is evidence, its output too (or a measurement when it has counts)."""
        run = run_tool(command, self.env, ledger=self.ledger, platform=self.sim.tool_environment())
        step.evidence.setdefault("commands", []).append({"command": command, "exit_code": run.returncode})
        output = run.lines + [f"stderr: {line}" for line in run.stderr.splitlines() if line.strip()]
        (step.evidence if output_is_evidence else step.measured).setdefault("output", []).extend(output)
        if run.returncode != 0:
            step.outcome = "failed"
        return run

    @contextmanager
    def _speed(self, scale: float) -> Iterator[None]:
        """Run the simulation's clock at `scale` for a while, virtual time continuous across the change.

        In-process workers only: worker subprocesses keep the pace of the origin they were given.
        """
        clock = self.sim.clock
        before = clock.scale
        clock.set_scale(scale)
        try:
            yield
        finally:
            clock.set_scale(before)

    def load_window(self, step: Step, seconds: float) -> None:
        """Let the app run for `seconds` of virtual time, fast-forwarded when the options allow it."""
        scale = self.options.time_scale
        if self.options.fast_forward:
            scale = max(scale, seconds / FAST_WALL_SECONDS)
        step.measured["clock_scale"] = round(scale, 1)
        with self._speed(scale):
            self.sim.run_for(seconds / 60.0)

    def upload(self, count: int, lines: int | None = None) -> list[str]:
        """Upload `count` Faker POs (`lines` each, or Faker's 3-12); their workflow ids."""
        return [result.workflow_id for result in self.sim.upload_fake_pos(count, lines=lines)]

    def wait_finished(self, workflow_ids: list[str], minutes: float = VERIFY_MINUTES) -> dict[str, str]:
        """Run until each of the workflows is done or failed (or the virtual allowance is spent)."""

        def finished() -> bool:
            statuses = workflow_statuses(self.env.database_url, workflow_ids).values()
            return all(status in ("done", "failed") for status in statuses)

        self.sim.run_until(finished, within_virtual_minutes=minutes)
        return workflow_statuses(self.env.database_url, workflow_ids)

    def signatures_since(self, since: float) -> dict[str, int]:
        return count_signatures([event for event in self.sim.logs.events() if event.t >= since])

    def criteria(self, step: Step, since: float, workflow_ids: list[str]) -> list[CriterionResult]:
        """Evaluate the success criteria; each verdict is evidence, each sentence a measurement."""
        results = evaluate(self.sim, since=since, workflow_ids=workflow_ids)
        step.evidence["criteria"] = {result.id: result.holds for result in results}
        step.measured["criteria"] = {result.id: result.evidence for result in results}
        return results

    def deploy(self, step: Step, release: Release, kind: str = "deploy") -> float:
        """Deploy (or roll back to) `release`; returns the virtual time it went live."""
        planned_live = self.plan + DEPLOY_SECONDS
        if kind == "rollback":
            release = self.sim.rollback()
        else:
            self.sim.deploy(release)
        live = self.sim.clock.now()
        self.journal.deployed(release.name, sorted(release.fixes), planned_live, live, kind)
        step.evidence.update({"release": release.name, "fixes": sorted(release.fixes)})
        return live

    def monitor_deployment(self, step: Step, release: str, since: float,
                           wanted: tuple[str, ...] = ("Build success", "Prisma client generation", "Deployment live"),
                           ) -> None:
        """Post-Deployment Verification 1: the deploy's build, client generation and live lines in the logs (an
        Instant Rollback builds nothing: its start and the deployment live)."""
        events = [e for e in self.sim.logs.events() if e.t >= since and e.fields.get("release") == release]
        seen = {w: any(e.message.startswith(w) for e in events) for w in wanted}
        step.evidence["log_lines_seen"] = seen
        if not all(seen.values()):
            step.outcome = "failed"

    # -- the checklist's blocks, shared by the scenarios ----------------------------------------

    def account_for_jobs(self, step: Step) -> None:
        """After a resume: the ledger's accounts become the harness-added criterion "no job lost"."""
        accounts = ledger.last_accounts(ledger.read_file(self.ledger), self.env.prefix)
        self.recovery = judge_recovery(accounts)
        step.evidence["no_job_lost"] = self.recovery.verdict
        step.measured["recovery_ledger"] = self.recovery.evidence

    def pause_and_verify(self, section: str, number: str = "1") -> None:
        with self.step("pause", PAUSE, f"{section} / {number}. Pause Cron & Queues") as step:
            self.tool(step, PAUSE)
        with self.step("verify-paused", "manage-queues status (verify queues are paused)",
                       f"{section} / {number}. Pause Cron & Queues") as step:
            self.tool(step, "manage-queues status --expect paused")

    def resume_and_verify(self, section: str, number: str = "2") -> None:
        with self.step("resume", "manage-queues resume", f"{section} / {number}. Resume Queues") as step:
            self.tool(step, "manage-queues resume")
            self.account_for_jobs(step)
        with self.step("verify-running", "manage-queues status (verify queues are running)",
                       f"{section} / {number}. Resume Queues") as step:
            self.tool(step, "manage-queues status --expect running")

    def test_po_flow(self, step_id: str, section: str, judge: bool = True) -> list[str]:
        """Upload new POs and follow them to the end; ok when each is done (or always, when not `judge`)."""
        with self.step(step_id, f"Upload {self.options.pos} new PO files and follow them", section,
                       VERIFY_MINUTES * 60.0) as step:
            ids = self.upload(self.options.pos, VERIFY_LINES)
            statuses = self.wait_finished(ids)
            step.evidence["uploaded"] = len(ids)
            step.measured["workflows"] = _counts(statuses)
            if judge and any(status != "done" for status in statuses.values()):
                step.outcome = "failed"
        return ids

    def success_criteria(self, since: float, workflow_ids: list[str], title: str = "Success criteria",
                         step_id: str = "success-criteria") -> list[CriterionResult]:
        with self.step(step_id, title, "Success Criteria") as step:
            results = self.criteria(step, since, workflow_ids)
            if self.recovery is not None:  # the harness's own line, after the checklist's
                results.append(self.recovery)
                step.evidence["criteria"][self.recovery.id] = self.recovery.holds
                step.measured["criteria"][self.recovery.id] = self.recovery.evidence
            if failed(results):
                step.outcome = "failed"
        return results


def _criteria_entries(results: list[CriterionResult]) -> list[dict[str, Any]]:
    return [{"id": r.id, "text": r.text, "measure": r.measure, "holds": r.holds, "measured": {"evidence": r.evidence}}
            for r in results]


def deploy_release(withhold: tuple[str, ...], detection: dict[str, Any] | None = None) -> Release:
    """The release this checklist deploys: the one the app's source holds when detected, else this deploy with
    the withheld fixes kept out."""
    if detection is not None:
        return release_named(str(detection["release"]))
    if not withhold:
        return DEPLOY
    return DEPLOY.with_broken(*withhold, name=f"deploy-without-{'-'.join(withhold)}")


def incident(r: Rehearsal) -> list[CriterionResult]:
    """The incident release under load until the outage shows, then the checklist from pause to success criteria."""
    pre, post = "Pre-Deployment Steps", "Post-Deployment Verification"
    sim = r.start(INCIDENT, search_quota_per_minute=INCIDENT_SEARCH_QUOTA)
    with r.step("incident-live", "Incident release live; PO files uploaded", "Incident", 0.0) as step:
        step.evidence.update({"release": INCIDENT.name, "fixes": sorted(INCIDENT.fixes), "uploaded": r.options.pos})
        r.upload(r.options.pos)
    with r.step("incident-under-load", "The outage under load", "Incident", r.options.duration) as step:
        r.load_window(step, r.options.duration)
        seen = r.signatures_since(0.0)
        expected = sorted(sig for bug_id in DEPLOY_FIXES if (sig := _signature(bug_id)) is not None)
        # Which of the outage's signatures show depends on how the 429s fall in time, so the list is measured;
        # that the outage shows at all is the step's (repeatable) evidence.
        shown = [sig for sig in expected if seen[sig] > 0]
        step.evidence["outage_shown"] = bool(shown)
        step.measured.update({"outage_signatures_seen": shown, "signatures": seen, "workflows": sim.workflows()})
        if not shown:
            step.outcome = "failed"
    r.pause_and_verify(pre)
    with r.step("clean", "manage-queues clean", f"{pre} / 2. Clean Failed Jobs") as step:
        r.tool(step, "manage-queues clean")
        step.evidence["failed_jobs_left"] = sum(c.get("failed", 0) for c in sim.job_counts().values())
        if step.evidence["failed_jobs_left"]:
            step.outcome = "failed"
    with r.step("verify-schema", "check-table-names", f"{pre} / 3. Verify Database Schema") as step:
        r.tool(step, "check-table-names", output_is_evidence=True)
    release = deploy_release(r.options.withhold, r.options.detection)
    with r.step("deploy", f"Deploy the fixes (release {release.name})", "Deployment", DEPLOY_SECONDS) as step:
        if r.options.detection is not None:
            step.evidence["detected_from_source"] = r.options.detection
        started = sim.clock.now()
        live = r.deploy(step, release)
    with r.step("monitor-deployment", "Watch the deployment logs", f"{post} / 1. Monitor Deployment") as step:
        r.monitor_deployment(step, release.name, started)
    r.resume_and_verify(post)
    ids = r.test_po_flow("test-po-upload", f"{post} / 3. Test PO Upload Flow")
    with r.step("remaining-issues", "Check for remaining issues", f"{post} / 4. Check for Remaining Issues") as step:
        step.measured["signatures"] = r.signatures_since(live)
        step.measured["peak_app_connections"] = sim.metrics.peak("pg_connections")
        step.measured["stages_run_twice"] = sum(1 for count in sim.stage_runs().values() if count > 1)
    return r.success_criteria(live, ids)


def rollback(r: Rehearsal) -> list[CriterionResult]:
    """A stable release, a bad deploy the criteria catch, then the rollback plan back to a stable state."""
    bad = DEPLOY.with_broken(REGRESSION, name=f"deploy-regressed-{REGRESSION}")
    plan = "Rollback Plan"
    sim = r.start(DEPLOY)
    with r.step("stable-live", "Stable release live under load", "Before the drill", r.options.duration) as step:
        step.evidence.update({"release": DEPLOY.name, "uploaded": r.options.pos})
        r.upload(r.options.pos)
        r.load_window(step, r.options.duration)
        step.measured["workflows"] = sim.workflows()
    with r.step("bad-deploy", f"Deploy a bad release ({bad.name})", "Deployment", DEPLOY_SECONDS) as step:
        bad_live = r.deploy(step, bad)
    # The bad release is expected to fail these; the next step judges that the criteria notice.
    ids = r.test_po_flow("bad-po-upload", "Post-Deployment Verification / 3. Test PO Upload Flow", judge=False)
    with r.step("bad-detected", "Success criteria catch the bad deploy", "Success Criteria") as step:
        results = r.criteria(step, bad_live, ids)
        step.evidence["failed"] = failed(results)
        step.outcome = "ok" if failed(results) else "failed"  # the drill needs a deploy that fails
    with r.step("pause", f"1. Pause queues immediately: {PAUSE}", f"{plan} / 1") as step:
        r.tool(step, PAUSE)
    with r.step("revert", "2. git revert HEAD && git push", f"{plan} / 2", DEPLOY_SECONDS) as step:
        started = sim.clock.now()
        live = r.deploy(step, bad, kind="rollback")
    with r.step("wait-deployment", "3. Wait for deployment", f"{plan} / 3") as step:
        r.monitor_deployment(step, sim.release.name, started, ("Instant Rollback", "Deployment live"))
    with r.step("resume", "4. Resume queues after stable: manage-queues resume", f"{plan} / 4") as step:
        r.tool(step, "manage-queues resume")
        r.account_for_jobs(step)
    ids = r.test_po_flow("test-po-upload", "Post-Deployment Verification / 3. Test PO Upload Flow")
    return r.success_criteria(live, ids, "Success criteria after the rollback")


def _signature(bug_id: str) -> str | None:
    from simulator.bugs import bug

    return bug(bug_id).signature


def _symptom(r: Rehearsal, bug_id: str, since: float, workflow_ids: list[str]) -> tuple[bool, dict[str, Any]]:
    """Whether the remaining issue shows in the window, and what showed it."""
    signature = _signature(bug_id)
    signatures = r.signatures_since(since)
    shown: dict[str, Any] = {}
    if signature is not None:
        shown[signature] = signatures[signature]
    if bug_id == "connection-hygiene":
        peak = max((s.pg_connections for s in list(r.sim.metrics.samples) if s.t >= since), default=0)
        shown["peak_app_connections"] = peak
        return signatures["pool-timeout"] > 0 or peak >= 25, shown
    if bug_id == "cron-overload":
        twice = sum(1 for (wid, _), count in r.sim.stage_runs().items() if wid in workflow_ids and count > 1)
        shown["stages_run_twice"] = twice
        return twice > 0, shown
    return signature is not None and signatures[signature] > 0, shown


def follow_ups(r: Rehearsal) -> list[CriterionResult]:
    """Each remaining issue broken (its symptom shows), then fixed (the symptom is gone, the criteria hold)."""
    results: list[CriterionResult] = []
    first = next(iter(FOLLOW_UPS))
    sim = r.start(HEALTHY.with_broken(first), search_quota_per_minute=FOLLOW_UP_SEARCH_QUOTA)
    for index, (bug_id, (count, lines)) in enumerate(FOLLOW_UPS.items()):
        section = f"Follow-Up Tasks / {bug_id}"
        broken = HEALTHY.with_broken(bug_id)
        if index:
            with r.step(f"{bug_id}:deploy-broken", f"Deploy {broken.name}", section, DEPLOY_SECONDS) as step:
                r.deploy(step, broken)
        with r.step(f"{bug_id}:broken", f"{bug_id} broken: the symptom shows", section, r.options.duration) as step:
            since = sim.clock.now()
            ids = r.upload(count, lines)
            r.load_window(step, r.options.duration)
            seen, shown = _symptom(r, bug_id, since, ids)
            step.evidence.update({"uploaded": count, "lines": lines, "symptom_seen": seen})
            step.measured.update(shown)
            step.outcome = "ok" if seen else "failed"
        with r.step(f"{bug_id}:deploy-fixed", f"Deploy {HEALTHY.name} (the fix)", section, DEPLOY_SECONDS) as step:
            live = r.deploy(step, HEALTHY)
        with r.step(f"{bug_id}:fixed", f"{bug_id} fixed: the symptom is gone", section,
                    VERIFY_MINUTES * 60.0) as step:
            ids = r.upload(count, lines)
            statuses = r.wait_finished(ids)
            seen, shown = _symptom(r, bug_id, live, ids)
            step.evidence.update({"uploaded": count, "lines": lines, "symptom_seen": seen})
            step.measured.update(shown)
            step.measured["workflows"] = _counts(statuses)
            step.outcome = "failed" if seen else "ok"
        results = r.success_criteria(live, ids, f"Success criteria with {bug_id} fixed", f"{bug_id}:success-criteria")
    return results


RUNNERS: dict[str, Callable[[Rehearsal], list[CriterionResult]]] = {
    "incident": incident,
    "rollback": rollback,
    "follow-ups": follow_ups,
}


def run(scenario: str, env: ScenarioEnv, options: Options, journal: Journal, progress: Progress) -> None:
    """Run one scenario on `env`, filling `journal`; the verdict is in journal.verdict afterwards."""
    rehearsal = Rehearsal(env, options, journal, progress)
    results: list[CriterionResult] = []
    try:
        results = RUNNERS[scenario](rehearsal)
    finally:
        rehearsal.close()
        journal.conclude(_criteria_entries(results))
