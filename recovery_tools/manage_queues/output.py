"""Printing results: Rich tables for people, one stable JSON document for scripts (`--json`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.live import Live
from rich.table import Table
from rich.text import Text

from recovery_tools.manage_queues.cleaning import CleanResult
from recovery_tools.manage_queues.control import QueueChange
from recovery_tools.manage_queues.counting import QueueStatus
from recovery_tools.manage_queues.idle import ActiveJob
from recovery_tools.manage_queues.recovery import LedgerNote
from recovery_tools.platform.vercel import iso


def console() -> Console:
    """Stdout console; wide enough off a terminal that tables are never cut for the log or a pipe."""
    out = Console(highlight=False, soft_wrap=False)
    if not out.is_terminal:
        out = Console(highlight=False, soft_wrap=False, width=200)
    return out


def emit_json(document: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(document, indent=2, sort_keys=False) + "\n")


def header(out: Console, redis_url: str, prefix: str) -> None:
    out.print(f"redis: {redis_url}  prefix: {prefix}")


def status_table(statuses: Sequence[QueueStatus]) -> Table:
    table = Table(title=None, show_lines=False)
    for column in ("queue", "state", "waiting", "active", "delayed", "prioritized", "failed", "completed", "library"):
        table.add_column(column, justify="right" if column not in ("queue", "state", "library") else "left")
    for s in statuses:
        waiting = f"{s.waiting} ({s.legacy_paused} in paused list)" if s.legacy_paused else str(s.waiting)
        table.add_row(
            s.name, s.state, waiting, str(s.active), str(s.delayed), str(s.prioritized),
            str(s.failed), str(s.completed), library_label(s.library, s.version, s.layout),
        )
    return table


def library_label(library: str | None, version: str | None, layout: str) -> str:
    """"bull 4", "bullmq 5.81.5 (5.x)", "bullmq (6.x)", or why there is none."""
    if library == "bull":
        return "bull 4"
    if library == "bullmq":
        return f"bullmq {version.partition(':')[2]} ({layout})" if version else f"bullmq ({layout})"
    return "(no keys)" if layout == "empty" else f"({layout})"


def notes(statuses: Sequence[QueueStatus]) -> list[str]:
    return [f"note: queue {s.name}: {note}" for s in statuses for note in s.notes]


def change_table(changes: Sequence[QueueChange]) -> Table:
    table = Table()
    for column in ("queue", "state", "before", "library", "layout", "jobs moved"):
        table.add_column(column)
    for c in changes:
        table.add_row(
            c.name, "paused" if c.paused else "running", "paused" if c.was_paused else "running",
            c.library or "-", c.layout, str(c.moved),
        )
    return table


def clean_table(results: Sequence[CleanResult]) -> Table:
    dry = any(r.dry_run for r in results)
    table = Table()
    table.add_column("queue")
    table.add_column("would remove" if dry else "removed", justify="right")
    table.add_column("by state")
    if dry:
        table.add_column("job ids")
    for r in results:
        by_state = ", ".join(f"{state} {len(ids)}" for state, ids in r.removed.items())
        row = [r.name, str(r.count), by_state]
        if dry:
            ids = [i for found in r.removed.values() for i in found]
            row.append(", ".join(ids[:20]) + (f" … (+{len(ids) - 20})" if len(ids) > 20 else ""))
        table.add_row(*row)
    return table


def list_table(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table()
    for column in ("queue", "in config", "state", "library", "evidence"):
        table.add_column(column)
    for row in rows:
        state = "?" if row["paused"] is None else "paused" if row["paused"] else "running"
        table.add_row(
            row["name"], "yes" if row["registered"] else "NO", state,
            library_label(row["library"], row["version"], row["layout"]), ", ".join(row["evidence"]) or "-",
        )
    return table


def ledger_line(note: LedgerNote) -> str:
    if note.location is None:
        return "ledger: off (nothing recorded)"
    opened = f" (recovery opened {note.opened_at} by {note.opened_by})" if note.opened_at else ""
    return f"ledger: {note.location}: {note.action}{opened}" + (f"; {note.detail}" if note.detail else "")


def accounts_table(note: LedgerNote) -> Table:
    """resume's accounts per queue: every job of the pause is cleaned, finished, still waiting, or missing."""
    table = Table(title=f"recovery ledger {note.location} (opened {note.opened_at} by {note.opened_by})")
    columns = ("queue", "at pause", "added while paused", "cleaned", "finished", "still waiting", "unconfirmed",
               "missing")
    for column in columns:
        table.add_column(column, justify="left" if column == "queue" else "right")
    for r in note.reports:
        table.add_row(r.name, str(r.at_pause), str(len(r.added)), str(len(r.cleaned)), str(len(r.finished)),
                      str(len(r.still_waiting)), str(len(r.unconfirmed)), str(len(r.missing)))
    for name in note.not_in_ledger:
        table.add_row(name, "-", "-", "-", "-", "-", "-", "not in the ledger")
    return table


def accounts_notes(note: LedgerNote) -> list[str]:
    lines = []
    for r in note.reports:
        if r.missing:
            lines.append(f"MISSING queue {r.name}: {', '.join(r.missing)}")
        if r.orphaned:
            lines.append(f"note: queue {r.name}: job hash still present but in no list or set: {', '.join(r.orphaned)}")
        if r.removed_events:
            lines.append(f"note: queue {r.name}: the events stream says removed (not by this ledger's clean): "
                         f"{', '.join(r.removed_events)}")
        if r.unconfirmed:
            lines.append(f"note: queue {r.name}: active at the pause, gone now, their options ask removeOnComplete/"
                         f"removeOnFail; nothing in Redis proves they finished: {', '.join(r.unconfirmed)}")
        if r.finished_by_events:
            lines.append(f"note: queue {r.name}: gone, but the events stream says they finished: "
                         f"{', '.join(r.finished_by_events)}")
    return lines


PLAIN_EVERY = 10.0  # seconds between plain progress lines of a queue whose count did not change


class IdleProgress:
    """The live wait of `pause --wait-idle`: one line per queue (active left, seconds waited) redrawn on a
    terminal; elsewhere a plain line whenever a queue's count of active jobs changes."""

    def __init__(self, out: Console, names: Sequence[str]) -> None:
        self.out = out
        self.names = list(names)
        self.last: dict[str, int] = {}
        self.printed: dict[str, float] = {}
        self.live = Live(console=out, auto_refresh=False, transient=False) if out.is_terminal else None
        if self.live is not None:
            self.live.start()

    def __call__(self, waited: float, active: dict[str, list[ActiveJob]]) -> None:
        if self.live is not None:
            lines = [f"{name}: {len(active.get(name, []))} active, waited {waited:.0f}s" for name in self.names]
            self.live.update(Text("\n".join(lines)), refresh=True)
            return
        for name in self.names:
            count = len(active.get(name, []))
            if self.last.get(name) != count or waited - self.printed.get(name, 0.0) >= PLAIN_EVERY:
                self.last[name], self.printed[name] = count, waited
                self.out.print(f"wait-idle: {name}: {count} active, waited {waited:.1f}s")

    def close(self) -> None:
        if self.live is not None:
            self.live.stop()


class DeploymentPrinter:
    """A followed deployment as it goes: a line per readyState change, a line per build event (as Vercel's CLI
    prints them: the time, then the text)."""

    def __init__(self, out: Console) -> None:
        self.out = out

    def state(self, state: str) -> None:
        self.out.print(f"deployment: {state}")

    def event(self, event: dict[str, Any]) -> None:
        created = event.get("created")
        when = iso(created) if isinstance(created, int) else "-"
        level = "ERROR " if event.get("level") == "error" else ""
        for line in (event.get("text") or "").splitlines() or [""]:
            self.out.print(Text(f"  {when}  {level}{line}"))
