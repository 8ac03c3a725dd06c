"""What pause, clean and resume write in the recovery ledger, and the per-queue accounts resume prints."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from recovery_tools.manage_queues import accounting, ledger
from recovery_tools.manage_queues.cleaning import CleanResult
from recovery_tools.manage_queues.cron_switch import operator
from recovery_tools.manage_queues.ledger_lock import LedgerLock
from recovery_tools.manage_queues.library import Library


@dataclass
class LedgerNote:
    """What a command did with the ledger, for its output (`ledger` in --json)."""

    location: str | None  # None: --ledger off
    action: str  # "opened", "kept", "added", "appended", "compared", "none", "off"
    opened_at: str | None = None
    opened_by: str | None = None
    detail: str = ""
    reports: list[accounting.QueueReport] = field(default_factory=list)
    not_in_ledger: list[str] = field(default_factory=list)

    @property
    def missing(self) -> dict[str, list[str]]:
        return {r.name: r.missing for r in self.reports if r.missing}

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {"location": self.location, "action": self.action, "opened_at": self.opened_at,
                                    "opened_by": self.opened_by, "detail": self.detail}
        if self.action == "compared" or self.reports:
            document.update({"queues": [r.to_json() for r in self.reports], "not_in_ledger": self.not_in_ledger,
                             "missing_total": sum(len(ids) for ids in self.missing.values())})
        return document


OFF = LedgerNote(None, "off", detail="--ledger off: nothing recorded")


class Recorder:
    """The ledger of one command run: locked, loaded (and checked) before anything changes, saved after, then
    released (release() may be called more than once)."""

    def __init__(self, store: ledger.Store, client: aioredis.Redis, redis_shown: str, prefix: str) -> None:
        self.store, self.client, self.redis_shown, self.prefix = store, client, redis_shown, prefix
        self.document: dict[str, Any] | None = None
        self._lock = LedgerLock(store, client)

    async def load(self) -> None:
        await self._lock.acquire()
        self.document = await self.store.load(self.client)

    async def release(self) -> None:
        await self._lock.release()

    def _open(self) -> dict[str, Any] | None:
        if self.document is None:
            return None
        return ledger.open_recovery(self.document, self.redis_shown, self.prefix)

    def _note(self, action: str, recovery: dict[str, Any] | None, detail: str = "") -> LedgerNote:
        return LedgerNote(self.store.where, action, recovery.get("opened_at") if recovery else None,
                          recovery.get("opened_by") if recovery else None, detail)

    async def pause(self, names: list[str], libraries: dict[str, Library],
                    record_cron: Callable[[dict[str, Any]], None] | None = None) -> LedgerNote:
        """After the queues are paused: open a recovery with a snapshot, or keep the open one's; `record_cron`
        writes the cron's state at the pause into the recovery."""
        document = self.document if self.document is not None else ledger.empty()
        who, at, at_ms = operator(), ledger.now_iso(), int(time.time() * 1000)
        recovery = ledger.open_recovery(document, self.redis_shown, self.prefix)
        action = "kept" if recovery is not None else "opened"
        if recovery is None:
            recovery = ledger.new_recovery(document, self.redis_shown, self.prefix, who)
        recovery["pauses"].append({"at": at, "by": who, "queues": names})
        added = []
        for name in names:
            entry = recovery["queues"].get(name)
            if entry is not None and entry.get("resumed_at") is None:
                continue  # the first snapshot stands: the recovery is measured from its first pause
            if entry is not None:  # resumed on its own earlier in this recovery, paused again: a new round
                recovery.setdefault("earlier", []).append({"queue": name, **entry})
            library = libraries[name]
            recovery["queues"][name] = await accounting.snapshot(self.client, self.prefix, name, library.name,
                                                                 library.layout, at, at_ms)
            added.append(name)
        if action == "kept" and added:
            action = "added"
        if record_cron is not None:
            record_cron(recovery)
        await self.store.save(self.client, document)
        self.document = document
        jobs = sum(len(ids) for n in added for ids in recovery["queues"][n]["jobs"].values())
        if action == "kept":
            detail = f"a recovery is open since {recovery['opened_at']}: its first snapshot is kept"
        else:
            detail = f"snapshot of {len(added)} queue(s), {jobs} job id(s)"
        return self._note(action, recovery, detail)

    async def clean(self, results: list[CleanResult]) -> LedgerNote:
        """After a real clean: append the removed ids to the open recovery's queues."""
        recovery = self._open()
        if recovery is None:
            return self._note("none", None, "no open recovery for this Redis and prefix: nothing recorded")
        who, at = operator(), ledger.now_iso()
        recorded = 0
        for result in results:
            entry = recovery["queues"].get(result.name)
            if entry is None or entry.get("resumed_at") is not None or not result.count:
                continue
            entry["cleaned"].append({"at": at, "by": who, "ids": result.removed})
            recorded += result.count
        assert self.document is not None
        await self.store.save(self.client, self.document)
        return self._note("appended", recovery, f"{recorded} removed job id(s) recorded")

    async def compare(self, names: list[str]) -> tuple[LedgerNote, dict[str, Any] | None]:
        """Before the queues are resumed: the accounts of every selected queue of the open recovery."""
        recovery = self._open()
        if recovery is None:
            return self._note("none", None, "no open recovery for this Redis and prefix: nothing to compare"), None
        note = self._note("compared", recovery)
        for name in names:
            entry = recovery["queues"].get(name)
            if entry is None or entry.get("resumed_at") is not None:
                note.not_in_ledger.append(name)
                continue
            note.reports.append(await accounting.compare(self.client, self.prefix, name, entry))
        return note, recovery

    async def resumed(self, note: LedgerNote, recovery: dict[str, Any] | None,
                      deployment: dict[str, Any] | None = None) -> None:
        """After the queues are resumed: each compared queue's report (and the deployment the resume waited for);
        the recovery closes when all are resumed and the crons its pause disabled are enabled again."""
        if recovery is None:
            return
        who, at = operator(), ledger.now_iso()
        for report in note.reports:
            entry = recovery["queues"][report.name]
            entry.update({"resumed_at": at, "resumed_by": who, "report": report.to_json()})
        if deployment is not None:
            recovery.setdefault("deployments", []).append({**deployment, "at": at})
        cron = recovery.get("cron") or {}
        cron_back = not cron.get("disabled_by_pause") or cron.get("reenabled_at") is not None
        if cron_back and all(entry.get("resumed_at") for entry in recovery["queues"].values()):
            recovery.update({"closed_at": at, "closed_by": who})
        assert self.document is not None
        await self.store.save(self.client, self.document)
