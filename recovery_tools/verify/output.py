"""What `verify` prints and writes: the criteria table (Rich or plain), the JSON document, the journal and report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from recovery_tools.criteria.facts import ROLLBACK_PLAN, SIGNATURE_LIST
from recovery_tools.criteria.judge import FAILS, HOLDS, CriterionResult, overall
from recovery_tools.criteria.signatures import matches
from recovery_tools.report.html import write_report
from recovery_tools.report.journal import Journal, write_json
from recovery_tools.verify.watch import Tick, Watch, wall_time

FORMAT = "verify/1"
_STYLE = {HOLDS: "green", FAILS: "bold red"}


def warnings(tick: Tick) -> dict[str, dict[str, Any]]:
    """Per warning signature seen (P2024, 429, temporary queue): how many lines, and the first."""
    found: dict[str, dict[str, Any]] = {}
    for signature in SIGNATURE_LIST:
        if signature.severity != "warning":
            continue
        hits = [line for line in tick.evidence.logs or () if matches(signature.id, line.message)]
        if hits:
            first = hits[0]
            found[signature.id] = {"label": signature.label, "count": len(hits), "first_at": wall_time(first.t),
                                   "source": first.source, "message": first.message}
    return found


def rollback_commands(pause_argv: str) -> list[str]:
    """The checklist's rollback plan with this run's pause and resume commands."""
    resume = pause_argv.replace("manage-queues pause", "manage-queues resume", 1)
    return [pause_argv if step == "manage-queues pause" else resume if step == "manage-queues resume" else step
            for step in ROLLBACK_PLAN]


def criteria_entries(results: list[CriterionResult]) -> list[dict[str, Any]]:
    return [{"id": r.id, "text": r.text, "measure": r.measure, "verdict": r.verdict, "holds": r.holds,
             "evidence": r.evidence, "details": r.details} for r in results]


def document(result: Watch, sources: dict[str, Any], options: dict[str, Any], on_fail: dict[str, Any] | None,
             exit_code: int) -> dict[str, Any]:
    """The run as one JSON document (format verify/1)."""
    last = result.last
    return {
        "format": FORMAT,
        "verdict": overall(last.results),
        "exit_code": exit_code,
        "window": {"since": wall_time(result.since), "started": wall_time(result.started),
                   "until": wall_time(last.t), "samples": len(result.ticks), "stopped_early": result.stopped_early},
        "sources": sources,
        "options": options,
        "criteria": criteria_entries(last.results),
        "warnings": warnings(last),
        "first_failure": ({"at": wall_time(result.first_failure.t),
                           "criteria": [r.id for r in result.first_failure.results if r.verdict == FAILS]}
                          if result.first_failure else None),
        "on_fail": on_fail,
    }


def print_table(console: Console, result: Watch) -> None:
    """The seven criteria with verdict and evidence, then the warnings and the verdict."""
    last = result.last
    table = Table(show_header=True, header_style="bold", show_lines=False)
    table.add_column("verdict")
    table.add_column("success criterion")
    table.add_column("evidence", overflow="fold")
    for r in last.results:
        table.add_row(f"[{_STYLE.get(r.verdict, 'yellow')}]{r.verdict}[/]", r.text, r.evidence)
    if console.is_terminal:
        console.print(table)
    else:  # plain lines a log or a CI job keeps readable
        for r in last.results:
            console.print(f"[{r.verdict}] {r.text}: {r.evidence}", markup=False, highlight=False, soft_wrap=True)
    for info in warnings(last).values():
        console.print(f"warning: {info['count']} log lines show {info['label']}; first at {info['first_at']} "
                      f"({info['source']}): {info['message']}", markup=False, highlight=False, soft_wrap=True)
    console.print(f"verdict: {overall(last.results)} ({len(result.ticks)} samples, "
                  f"{wall_time(result.since)} .. {wall_time(last.t)})", markup=False, highlight=False)


def write_journal(folder: Path, result: Watch, options: dict[str, Any], on_fail: dict[str, Any] | None) -> None:
    """DIR/journal.json and DIR/report.html, as `rehearse` writes them (x axis: seconds since the watch began)."""
    folder.mkdir(parents=True, exist_ok=True)
    journal = Journal("verify", options)
    last = result.last
    look = journal.begin("look-back", f"look back to {wall_time(result.since)}", "Post-Deployment Verification",
                         0.0, "live")
    look.evidence["criteria"] = {r.id: r.verdict for r in result.ticks[0].results}
    journal.finish(look, "ok")
    step = journal.begin("watch", f"watch {len(result.ticks)} samples", "Success Criteria",
                         round(last.t - result.started, 3), "live")
    step.evidence["criteria"] = {r.id: r.verdict for r in last.results}
    journal.finish(step, "ok" if overall(last.results) == HOLDS else "failed")
    if on_fail is not None:
        paused = journal.begin("rollback-pause", on_fail.get("command", "manage-queues pause"), "Rollback Plan",
                               round((result.first_failure or last).t - result.started, 3), "live")
        paused.evidence.update(on_fail)
        journal.finish(paused, "ok" if on_fail.get("exit_code") == 0 else "failed")
    journal.conclude([{"id": r.id, "text": r.text, "measure": r.measure, "holds": r.holds, "verdict": r.verdict,
                       "measured": {"evidence": r.evidence}} for r in last.results])
    journal.verdict["verdict"] = overall(last.results)
    journal.measured["series"] = result.series
    journal.measured["virtual_end"] = round(last.t - result.started, 3)
    data = journal.to_dict()
    data["kind"] = "Verify"
    write_json(folder / "journal.json", data)
    write_report(folder / "report.html", data)
