"""Per-queue status: paused or running, job counts wherever the jobs sit, and the BullMQ version in meta."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from recovery_tools.manage_queues.handles import Queues
from recovery_tools.manage_queues.layout import key, layout_of, text

# getJobCounts types; "paused" is the 5.x list that holds waiting jobs of a paused queue.
COUNT_TYPES = ("waiting", "paused", "active", "delayed", "prioritized", "waiting-children", "failed", "completed")


@dataclass(frozen=True)
class QueueStatus:
    """What `status` reports for one queue; `waiting` includes the 5.x `paused` list (`legacy_paused`)."""

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

    @property
    def state(self) -> str:
        return "paused" if self.paused else "running"

    @property
    def pending(self) -> int:
        """Jobs not yet finished: what must survive a pause, clean and resume."""
        return self.waiting + self.active + self.delayed + self.prioritized + self.waiting_children

    def to_json(self) -> dict[str, Any]:
        fields = asdict(self)
        return {"name": fields.pop("name"), "state": self.state, **fields}


async def queue_status(queues: Queues, name: str) -> QueueStatus:
    """The status of one queue, read with bullmq's getJobCounts plus the meta hash."""
    counts = await queues[name].getJobCounts(*COUNT_TYPES)
    meta = await queues.client.hgetall(key(queues.prefix, name, "meta"))
    exists = bool(meta) or await queues.client.exists(key(queues.prefix, name, "id")) > 0 or any(counts.values())
    version = text(meta.get("version"))
    return QueueStatus(
        name=name,
        paused="paused" in meta,
        waiting=int(counts["waiting"]) + int(counts["paused"]),
        legacy_paused=int(counts["paused"]),
        active=int(counts["active"]),
        delayed=int(counts["delayed"]),
        prioritized=int(counts["prioritized"]),
        waiting_children=int(counts["waiting-children"]),
        failed=int(counts["failed"]),
        completed=int(counts["completed"]),
        version=version,
        layout=layout_of(version),
        exists=bool(exists),
    )
