"""Follow a Vercel deployment until it is READY, ERROR or CANCELED: its readyState changes and its build events."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from recovery_tools.platform.vercel import VercelClient

FINAL_STATES = ("READY", "ERROR", "CANCELED")
DEFAULT_POLL = 2.0  # seconds between reads of the deployment and its new events


@dataclass
class FollowResult:
    """How the deployment ended (or where it stood at the timeout)."""

    id: str
    url: str | None
    state: str
    timed_out: bool
    waited_seconds: float
    target: str | None = None
    error: str | None = None  # Vercel's errorMessage for an ERROR deployment
    states: list[dict[str, Any]] = field(default_factory=list)  # [{"state", "seconds"}] in the order seen
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return self.state == "READY" and not self.timed_out

    def summary(self) -> str:
        name = f"deployment {self.id}" + (f" ({self.url})" if self.url else "")
        if self.timed_out:
            return f"{name} is still {self.state} after {self.waited_seconds:.0f}s"
        return f"{name} is {self.state}" + (f": {self.error}" if self.error else "")

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "url": self.url, "target": self.target, "readyState": self.state,
                "ready": self.ready, "timed_out": self.timed_out, "waited_seconds": round(self.waited_seconds, 3),
                "error": self.error, "states": self.states, "events": self.events}


def event_line(event: dict[str, Any]) -> dict[str, Any]:
    """The parts of a build event worth keeping: when, its kind, its text, its level."""
    return {"created": event.get("created"), "type": event.get("type"), "text": str(event.get("text") or ""),
            "level": event.get("level")}


def follow(client: VercelClient, id_or_url: str, timeout: float, *, poll: float = DEFAULT_POLL,
           on_state: Callable[[str], None] | None = None,
           on_event: Callable[[dict[str, Any]], None] | None = None) -> FollowResult:
    """Read the deployment and its new build events every `poll` seconds until a final readyState or `timeout`.

    The events are read once more after the final state, so the build's last lines are not lost. API errors
    propagate (VercelError) at once.
    """
    started = time.monotonic()
    deployment = client.deployment(id_or_url)
    result = FollowResult(str(deployment.get("id") or id_or_url), deployment.get("url"), "", False, 0.0,
                          deployment.get("target"))
    seen: set[str] = set()
    since: int | None = None

    def read_events() -> None:
        nonlocal since
        for event in client.events(result.id, since):
            key = str(event.get("id") or event.get("serial") or (event.get("created"), event.get("text")))
            if key in seen:
                continue
            seen.add(key)
            created = event.get("created")
            if isinstance(created, int):
                since = created if since is None else max(since, created)
            if event.get("type") == "deployment-state" or not event.get("created"):
                continue  # states come from the deployment itself; no created: a keep-alive
            line = event_line(event)
            result.events.append(line)
            if on_event is not None:
                on_event(line)

    while True:
        state = str(deployment.get("readyState") or "UNKNOWN")
        if state != result.state:
            result.state = state
            result.states.append({"state": state, "seconds": round(time.monotonic() - started, 3)})
            if on_state is not None:
                on_state(state)
        read_events()
        result.waited_seconds = time.monotonic() - started
        if state in FINAL_STATES:
            if state == "ERROR":
                result.error = deployment.get("errorMessage") or deployment.get("errorCode")
            return result
        if result.waited_seconds >= timeout:
            result.timed_out = True
            return result
        time.sleep(max(0.0, min(poll, timeout - result.waited_seconds)))
        deployment = client.deployment(result.id)
