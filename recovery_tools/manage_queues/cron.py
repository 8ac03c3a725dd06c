"""The app's cron, where something can pause it: Vercel's project crons (over its API), the app's own Redis switch
(`[cron] switch = true`: its handler honours `<prefix>:cron-paused`), or neither (then the tool claims nothing).

`pause` disables the Vercel crons before any queue changes, and the recovery ledger records what it found and
did; `resume` re-enables them only when the open recovery says this tool's pause disabled them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from recovery_tools.config import ToolConfig
from recovery_tools.manage_queues import cron_switch, ledger
from recovery_tools.manage_queues.cron_switch import CronSwitch, operator
from recovery_tools.platform.vercel import ProjectCrons, VercelClient, VercelLink, client_for, find_link, iso

VERCEL = "vercel"
SWITCH = "switch"
HOW_TO_PAUSE = ("disable it in Vercel's dashboard (Project → Settings → Cron Jobs → Disable Cron Jobs), or give "
                "this tool the project ([vercel] project in the config, or `vercel link`) and VERCEL_TOKEN")
NOT_MANAGED = "this tool does not manage the app's cron (no Vercel project, no [cron] switch): "


@dataclass
class CronState:
    """The cron as this run found or left it; `paused` is None when nothing manages it."""

    managed_by: str | None
    paused: bool | None
    switch: CronSwitch | None = None
    vercel: ProjectCrons | None = None
    link: VercelLink | None = None
    api: str | None = None
    changed: bool | None = None  # pause/resume: whether this run switched the Vercel crons
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        switch = self.switch
        document: dict[str, Any] = {
            "managed_by": self.managed_by, "paused": self.paused,
            "key": switch.key if switch else None, "paused_by": switch.paused_by if switch else None,
            "paused_at": switch.paused_at if switch else None, "vercel": None,
            "note": "; ".join(self.notes) or None,
        }
        if self.vercel is not None and self.link is not None:
            document["vercel"] = {
                "project": self.vercel.project, "team": self.link.team, "enabled": self.vercel.enabled,
                "disabled_at": iso(self.vercel.disabled_at), "updated_at": iso(self.vercel.updated_at),
                "deployment_id": self.vercel.deployment_id, "definitions": list(self.vercel.definitions),
                "api": self.api, "changed": self.changed,
            }
        return document

    def lines(self) -> list[str]:
        """What people read: one line per part that manages the cron, or the one line saying none does."""
        out = []
        if self.vercel is not None and self.link is not None:
            team = f" (team {self.link.team})" if self.link.team else ""
            state = ("enabled" if self.vercel.enabled else
                     f"disabled since {iso(self.vercel.disabled_at)}")
            did = {True: " - switched by this run", False: "", None: ""}[self.changed]
            out.append(f"cron: Vercel crons of project {self.vercel.project}{team}: {state}{did} - "
                       f"{self.vercel.names()}")
        if self.switch is not None:
            out.append(cron_switch_line(self.switch))
        out.extend(f"cron: {note}" for note in self.notes)
        return out

    def mismatch(self, want_paused: bool) -> str | None:
        """Why the cron is not in the wanted state; None when it is, or when nothing manages it."""
        wrong = []
        if self.vercel is not None and self.vercel.enabled == want_paused:
            state = "enabled" if self.vercel.enabled else "disabled"
            wrong.append(f"cron {self.vercel.names()} of Vercel project {self.vercel.project} is {state}")
        if self.switch is not None and self.switch.paused != want_paused:
            wrong.append(f"cron is {'paused' if self.switch.paused else 'running'} ({self.switch.key})")
        return "; ".join(wrong) or None


def cron_switch_line(switch: CronSwitch) -> str:
    if not switch.paused:
        return f"cron: running ({switch.key} absent)"
    who = f" by {switch.paused_by}" if switch.paused_by else ""
    when = f" since {switch.paused_at}" if switch.paused_at else ""
    return f"cron: paused{who}{when} ({switch.key})"


class Cron:
    """The cron of one command run: which parts manage it (found before anything changes) and their calls."""

    def __init__(self, config: ToolConfig) -> None:
        self.link = find_link(config)
        self.client: VercelClient | None = client_for(self.link) if self.link is not None else None
        self.switch = config.cron_switch

    @property
    def managed_by(self) -> str | None:
        return VERCEL if self.link is not None else SWITCH if self.switch else None

    def _state(self, vercel: ProjectCrons | None, switch: CronSwitch | None) -> CronState:
        parts = [p for p in (vercel and not vercel.enabled, switch and switch.paused) if p is not None]
        paused = all(parts) if (vercel is not None or switch is not None) else None
        state = CronState(self.managed_by, paused, switch, vercel, self.link,
                          self.client.shown if self.client else None)
        if self.managed_by is None:
            state.notes.append(NOT_MANAGED + HOW_TO_PAUSE)
        return state

    def _crons(self) -> ProjectCrons:
        assert self.client is not None and self.link is not None
        return self.client.project_crons(self.link.project)

    async def read(self, client: aioredis.Redis, prefix: str) -> CronState:
        vercel = self._crons() if self.client is not None else None
        switch = await cron_switch.read_cron(client, prefix) if self.switch else None
        return self._state(vercel, switch)

    async def pause(self, client: aioredis.Redis, prefix: str) -> CronState:
        """Disable the Vercel crons (an API error propagates: nothing else has changed), then set the switch."""
        vercel = None
        changed = None
        if self.client is not None:
            assert self.link is not None
            vercel = self._crons()
            changed = vercel.enabled
            if vercel.enabled:
                vercel = self.client.set_crons(self.link.project, False)
        switch = await cron_switch.pause_cron(client, prefix) if self.switch else None
        state = self._state(vercel, switch)
        state.changed = changed
        return state

    def record(self, state: CronState, recovery: dict[str, Any]) -> None:
        """Keep the crons' state at the pause in the recovery (the first pause's record stands, unless this pause
        is the one that disabled them)."""
        if state.vercel is None or state.link is None:
            return
        before = recovery.get("cron")
        if before is not None and (before.get("disabled_by_pause") or not state.changed):
            return
        recovery["cron"] = {
            "managed_by": VERCEL, "project": state.vercel.project, "team": state.link.team,
            "enabled_at_pause": bool(state.changed), "disabled_by_pause": bool(state.changed),
            "disabled_at": iso(state.vercel.disabled_at), "definitions": list(state.vercel.definitions),
            "at": ledger.now_iso(), "by": operator(), "reenabled_at": None,
        }

    async def resume(self, client: aioredis.Redis, prefix: str, recovery: dict[str, Any] | None,
                     ledger_on: bool) -> CronState:
        """Clear the switch; re-enable the Vercel crons only if the open recovery says this tool's pause disabled
        them (and mark that in it)."""
        switch = await cron_switch.resume_cron(client, prefix) if self.switch else None
        vercel = None
        changed: bool | None = None
        notes = []
        if self.client is not None and self.link is not None:
            vercel = self._crons()
            record = (recovery or {}).get("cron") or {}
            ours = bool(record.get("disabled_by_pause")) and record.get("reenabled_at") is None
            changed = False
            if ours and not vercel.enabled:
                vercel = self.client.set_crons(self.link.project, True)
                changed = True
            if ours and recovery is not None:
                recovery["cron"]["reenabled_at"] = ledger.now_iso()
            if not ours and not vercel.enabled:
                why = ("--ledger off: nothing tells whether this tool disabled them" if not ledger_on else
                       "the ledger's open recovery does not say this tool's pause disabled them")
                notes.append(f"the Vercel crons stay disabled ({why}); re-enable them in the dashboard "
                             "(Settings → Cron Jobs → Enable Cron Jobs)")
        state = self._state(vercel, switch)
        state.changed = changed
        state.notes.extend(notes)
        return state
