"""Per-queue status: paused or running as the queue's own library's workers see it, job counts wherever they sit."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from recovery_tools.manage_queues import bull
from recovery_tools.manage_queues.handles import Queues
from recovery_tools.manage_queues.layout import key
from recovery_tools.manage_queues.library import BULL, BULLMQ, Library

# getJobCounts types; "paused" is the 5.x list that holds waiting jobs of a paused queue.
COUNT_TYPES = ("waiting", "paused", "active", "delayed", "prioritized", "waiting-children", "failed", "completed")


@dataclass(frozen=True)
class QueueStatus:
    """What `status` reports for one queue; `waiting` includes the `paused` list (`legacy_paused`).

    On a Bull 4 queue `prioritized` counts Bull's `priority` set, whose jobs are also counted in `waiting`.
    """

    name: str
    paused: bool
    waiting: int
    legacy_paused: int
    active: int
    delayed: int
    prioritized: int
    waiting_children: int
    failed: int
    completed: int
    version: str | None
    layout: str
    exists: bool
    library: str | None = None
    library_source: str = "none"
    evidence: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def state(self) -> str:
        return "paused" if self.paused else "running"

    @property
    def pending(self) -> int:
        """Jobs not yet finished: what must survive a pause, clean and resume."""
        prioritized = 0 if self.library == BULL else self.prioritized
        return self.waiting + self.active + self.delayed + prioritized + self.waiting_children

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        return {"name": fields.pop("name"), "state": self.state, **fields}


async def queue_status(queues: Queues, name: str, library: Library) -> QueueStatus:
    """The status of one queue, read the way its library's workers and producers read it."""
    if library.name == BULL:
        return await _bull_status(queues, name, library)
    client = queues.client
    meta = await client.hgetall(key(queues.prefix, name, "meta"))
    marked = await client.exists(key(queues.prefix, name, "meta-paused")) > 0
    if library.name != BULLMQ:  # no keys: paused once both libraries' marks are set (what `pause` does)
        return _status(name, library, paused="paused" in meta and marked, exists=False, counts={})
    counts = await queues[name].getJobCounts(*COUNT_TYPES)
    notes = ["meta-paused is set but BullMQ ignores it"] if marked and "paused" not in meta else []
    return _status(name, library, paused="paused" in meta, exists=True, counts=counts, notes=notes)


def _status(name: str, library: Library, *, paused: bool, exists: bool, counts: dict[str, Any],
            notes: list[str] | None = None) -> QueueStatus:
    def count(kind: str) -> int:
        return int(counts.get(kind) or 0)

    return QueueStatus(
        name=name, paused=paused, waiting=count("waiting") + count("paused"), legacy_paused=count("paused"),
        active=count("active"), delayed=count("delayed"), prioritized=count("prioritized"),
        waiting_children=count("waiting-children"), failed=count("failed"), completed=count("completed"),
        version=library.version, layout=library.layout, exists=exists, library=library.name,
        library_source=library.source, evidence=list(library.evidence), notes=notes or [],
    )


async def _bull_status(queues: Queues, name: str, library: Library) -> QueueStatus:
    found = await bull.counts(queues.client, queues.prefix, name)
    notes = []
    if found.meta_paused and found.wait:
        notes.append(f"meta-paused is set but {found.wait} job(s) sit in wait, where Bull's workers take them")
    if found.meta_paused_field and not found.meta_paused:
        notes.append("meta.paused is set without meta-paused: Bull's isPaused() says paused, its workers still run")
    counts = {"waiting": found.wait, "paused": found.paused, "active": found.active, "delayed": found.delayed,
              "prioritized": found.priority, "failed": found.failed, "completed": found.completed}
    return _status(name, library, paused=found.is_paused, exists=True, counts=counts, notes=notes)
