"""The simulated app's hosting: the fake Vercel API (its project, deployments and crons), the app's cron path over
HTTP and Vercel's cron scheduler calling it, all on one virtual clock; and what the real tools need to reach it."""

from __future__ import annotations

import json
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from recovery_tools.config import load_config
from simulator.clock import Clock
from simulator.cron import RunResult
from simulator.platform.app_endpoint import CronEndpoint
from simulator.platform.scheduler import CronScheduler, Invocation
from simulator.platform.vercel_api import APP_CRON_PATH, CronDefinition, FakeVercel
from simulator.schema import tool_config_path


@dataclass(frozen=True)
class CronSwitch:
    """A change of the project's crons (through the API or the dashboard): when (virtual seconds) and to what."""

    at: float
    enabled: bool


class Hosting:
    """Vercel for one simulation. `start()` serves the fake API and the app's cron path; `go_live()` starts the
    scheduler. `serve` runs one cron invocation on the app's live deployment."""

    def __init__(self, clock: Clock, serve: Callable[[], RunResult], schedule: str) -> None:
        self.clock = clock
        epoch = self._epoch = time.time() - clock.now()  # Vercel's timestamps: epoch ms of the virtual time
        self.vercel = FakeVercel(now_ms=lambda: int((epoch + clock.now()) * 1000),
                                 crons=(CronDefinition(APP_CRON_PATH, schedule),))
        self.cron_secret = secrets.token_urlsafe(18)
        self.endpoint = CronEndpoint(self.cron_secret, serve)
        self.scheduler: CronScheduler | None = None
        self._switches: list[CronSwitch] = [CronSwitch(clock.now(), True)]
        self._lock = threading.Lock()
        self.vercel.on_crons_change(self._switched)
        self._config_dir: Path | None = None

    def start(self) -> Hosting:
        self.vercel.start()
        self.endpoint.start()
        self.scheduler = CronScheduler(self.vercel, self.clock, self.endpoint.base_url, self.cron_secret)
        return self

    def go_live(self) -> None:
        """Vercel's scheduler starts calling the cron path (minute 0 now)."""
        assert self.scheduler is not None, "start() first"
        self.scheduler.start()

    def _switched(self, enabled: bool) -> None:
        with self._lock:
            self._switches.append(CronSwitch(self.clock.now(), enabled))

    # -- what the platform says ------------------------------------------------------------------

    def invocations(self) -> list[Invocation]:
        """Vercel's log of cron calls: time, path, status."""
        return self.scheduler.invocations() if self.scheduler is not None else []

    def cron_switches(self) -> list[CronSwitch]:
        """The crons' state over time: enabled at the start, then every change."""
        with self._lock:
            return list(self._switches)

    def virtual_time(self, vercel_ms: int) -> float:
        """A timestamp of the fake Vercel (epoch milliseconds) as the simulation's virtual seconds."""
        return vercel_ms / 1000.0 - self._epoch

    def disabled_windows(self, until: float) -> list[tuple[float, float]]:
        """The virtual time spans during which the crons were disabled (the last one open up to `until`)."""
        windows, start = [], None
        for switch in self.cron_switches():
            if not switch.enabled and start is None:
                start = switch.at
            elif switch.enabled and start is not None:
                windows.append((start, switch.at))
                start = None
        if start is not None:
            windows.append((start, until))
        return windows

    # -- the real tools against it ----------------------------------------------------------------

    def tool_environment(self) -> dict[str, str]:
        """What an operator's shell holds to run the tools against this platform: the app's config with its
        `[vercel]` project, the API's address (VERCEL_API_URL) and a token."""
        return {"RECOVERY_HARNESS_CONFIG": str(self._tool_config()), "VERCEL_API_URL": self.vercel.base_url,
                "VERCEL_TOKEN": self.vercel.token}

    def _tool_config(self) -> Path:
        """The simulated app's recovery-harness.toml plus its `[vercel]` table, written once to a temporary folder."""
        if self._config_dir is None:
            self._config_dir = Path(tempfile.mkdtemp(prefix="sim-vercel-config-"))
        path = self._config_dir / "recovery-harness.toml"
        if not path.exists():
            base = load_config(tool_config_path())
            lines = [f"prisma_schema = {json.dumps(str(base.prisma_schema))}", f"prefix = {json.dumps(base.prefix)}",
                     f"queues = {json.dumps(list(base.queues))}"]
            if base.library:
                lines.append(f"library = {json.dumps(base.library)}")
            lines += ["", "[vercel]", f"project = {json.dumps(self.vercel.project_id)}"]
            if self.vercel.team_id:
                lines.append(f"team = {json.dumps(self.vercel.team_id)}")
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def stop(self) -> None:
        if self.scheduler is not None:
            self.scheduler.stop()
        self.endpoint.stop()
        self.vercel.stop()
        if self._config_dir is not None:
            shutil.rmtree(self._config_dir, ignore_errors=True)
