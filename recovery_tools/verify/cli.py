"""The `verify` command: watch the real stack after a deploy and judge the checklist's success criteria, read-only."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import redis
import typer
from rich.console import Console
from rich.live import Live
from rich.text import Text

from recovery_tools.cli import EXIT_FAIL, EXIT_OK, EXIT_USAGE, ConfigPath, ToolError, run, tool_config
from recovery_tools.criteria.facts import POOL_LIMIT
from recovery_tools.criteria.judge import FAILS, HOLDS, INCONCLUSIVE, overall
from recovery_tools.urls import redact
from recovery_tools.verify import output
from recovery_tools.verify.database import AppDatabase, DatabaseError
from recovery_tools.verify.durations import parse_duration, show
from recovery_tools.verify.logfile import LogFile, LogFileError
from recovery_tools.verify.probes import ProbeError, ReviewApi
from recovery_tools.verify.watch import Sources, Tick, Watch, wall_time, watch

PROG = "verify"
EXIT_INCONCLUSIVE = 3
EXIT_CODES = {HOLDS: EXIT_OK, FAILS: EXIT_FAIL, INCONCLUSIVE: EXIT_INCONCLUSIVE}

HELP = (
    "Judge the recovery checklist's seven success criteria on the real stack after a deploy: watch for --window "
    "and look back --since, read-only (Redis read commands, a READ ONLY Postgres session, HTTP GETs). Each "
    "criterion holds, fails or is inconclusive (no evidence is not a pass), with its evidence.\n\n"
    "Evidence: the errors of failed and retried jobs of the app's queues (Bull 4 or BullMQ), --logs files (plain "
    "text or JSON lines as `vercel logs --json` prints them), the app's workflow table and \"ImageReviewSession\" "
    "rows, pg_stat_activity sampled every --sample-every, the review API with --app-url.\n\n"
    "Exit codes: 0 all hold, 1 one fails, 3 none fails but some are inconclusive, 2 bad usage or a source "
    "unreachable."
)

app = typer.Typer(name=PROG, help=HELP, add_completion=False, pretty_exceptions_enable=False)


def _duration(name: str, text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as error:
        raise ToolError(f"{name}: {error}") from None


def _pause_argv(prefix: str, queues: list[str], config: Path | None) -> list[str]:
    """`manage-queues pause` for these queues: the installed console script, else the module."""
    script = Path(sys.executable).parent / "manage-queues"
    found = str(script) if script.exists() else shutil.which("manage-queues")
    argv = [found] if found else [sys.executable, "-m", "recovery_tools.manage_queues"]
    argv += ["pause", "--prefix", prefix]
    for queue in queues:
        argv += ["--queue", queue]
    if config is not None:
        argv += ["--config", str(config)]
    return argv


def _shown_pause(prefix: str, queues: list[str]) -> str:
    return shlex.join(["manage-queues", "pause", "--prefix", prefix, *[a for q in queues for a in ("--queue", q)]])


def _failing(tick: Tick) -> str:
    return "; ".join(f"{r.text}: {r.evidence}" for r in tick.results if r.verdict == FAILS)


class _Progress:
    """On a terminal, a live line (time left, samples, criteria so far) on stderr; nothing elsewhere."""

    def __init__(self, console: Console, ends_at: float, enabled: bool) -> None:
        self.console = console
        self.ends_at = ends_at
        self.live: Live | None = None
        self.text = Text("verify: starting")
        if enabled and console.is_terminal:
            self.live = Live(self.text, console=console, refresh_per_second=4, transient=True)
            self.live.start()

    def update(self, result: Watch) -> None:
        if self.live is None:
            return
        counts = {v: sum(1 for r in result.last.results if r.verdict == v) for v in (HOLDS, FAILS, INCONCLUSIVE)}
        left = max(0.0, self.ends_at - time.time())
        self.live.update(Text(f"verify: {show(left)} left, {len(result.ticks)} samples; criteria so far: "
                              f"{counts[HOLDS]} hold, {counts[FAILS]} fail, {counts[INCONCLUSIVE]} inconclusive"))

    def stop(self) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None


@app.command()
def verify(
    window: Annotated[str, typer.Option(help="How long to watch from now (e.g. 10m, 30s; 0s: one reading).")] = "10m",
    since: Annotated[str | None, typer.Option(help="How far back to look at start (default: the window).")] = None,
    redis_url: Annotated[str | None, typer.Option(envvar="REDIS_URL", show_envvar=True,
                                                  help="The app's Redis (password never printed).")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="DATABASE_URL", show_envvar=True,
                                                     help="The app's Postgres (a read-only role is enough).")] = None,
    prefix: Annotated[str | None, typer.Option(help="Key prefix of the queues (default: the config's).")] = None,
    queue: Annotated[list[str] | None, typer.Option(
        "--queue", "-q", help="A queue to read (repeatable; default: the config's).")] = None,
    logs: Annotated[list[str] | None, typer.Option("--logs", metavar="PATH",
                                                   help="Exported logs to read (repeatable; - for stdin).")] = None,
    app_url: Annotated[str | None, typer.Option(metavar="URL", help="The app's base URL: its review endpoint "
                                                "is asked for each session and done workflow.")] = None,
    token: Annotated[str | None, typer.Option(envvar="REVIEW_API_TOKEN", show_envvar=True,
                                              help="Bearer token for the review API (never printed).")] = None,
    stuck_after: Annotated[str, typer.Option(help="A job or workflow unfinished this long is stuck.")] = "5m",
    sample_every: Annotated[str, typer.Option(help="How often to read every source.")] = "5s",
    pool_limit: Annotated[int, typer.Option(min=1, help="The connection limit (the checklist's).")] = POOL_LIMIT,
    app_role: Annotated[str | None, typer.Option(help="Count only connections of this role.")] = None,
    app_name: Annotated[str | None, typer.Option(help="Count only connections whose application_name starts "
                                                 "with this.")] = None,
    on_fail: Annotated[str, typer.Option(help="announce: name the failure and the rollback plan, keep watching; "
                                         "pause: run `manage-queues pause` at once and end.")] = "announce",
    json_output: Annotated[bool, typer.Option("--json", help="Print one JSON document (format verify/1).")] = False,
    report: Annotated[Path | None, typer.Option(metavar="DIR",
                                                help="Write DIR/journal.json and DIR/report.html.")] = None,
    config: ConfigPath = None,
) -> int:
    """Watch the real stack and judge the success criteria; the exit code is the verdict."""
    if on_fail not in ("announce", "pause"):
        raise ToolError(f"--on-fail must be announce or pause, not {on_fail!r}")
    window_s = _duration("--window", window)
    since_s = _duration("--since", since) if since is not None else window_s
    stuck_s, every_s = _duration("--stuck-after", stuck_after), _duration("--sample-every", sample_every)
    if every_s <= 0:
        raise ToolError("--sample-every must be more than 0s")
    if not redis_url:
        raise ToolError("no Redis URL: pass --redis-url or set REDIS_URL")
    if not database_url:
        raise ToolError("no database URL: pass --database-url or set DATABASE_URL")
    app_config = tool_config(config)
    prefix = prefix or app_config.prefix
    queues = list(dict.fromkeys(queue or app_config.queues))
    err = Console(stderr=True, highlight=False)
    out = Console(highlight=False, soft_wrap=True)
    sources = _open(redis_url, database_url, prefix, queues, logs or [], app_url, token, app_role, app_name)
    options = {"window": show(window_s), "since": show(since_s), "stuck_after": show(stuck_s),
               "sample_every": show(every_s), "pool_limit": pool_limit, "on_fail": on_fail}
    described = {"redis": redact(redis_url), "database": redact(database_url), "prefix": prefix, "queues": queues,
                 "logs": logs or [], "app_url": app_url, "workflow_table": _table_name(sources.database)}
    pause_shown = _shown_pause(prefix, queues)
    on_fail_record: dict[str, Any] | None = None

    def failure(tick: Tick) -> bool:
        nonlocal on_fail_record
        progress.stop()
        err.print(f"verify: FAIL at {wall_time(tick.t)}: {_failing(tick)}", markup=False, soft_wrap=True)
        if on_fail == "pause":
            argv = _pause_argv(prefix, queues, config)
            env = {**os.environ, "REDIS_URL": redis_url}  # the URL stays off the command line
            done = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                                  timeout=120, check=False)
            on_fail_record = {"command": pause_shown, "exit_code": done.returncode,
                              "output": (done.stdout + done.stderr).strip().splitlines()[-5:]}
            state = "queues paused" if done.returncode == 0 else f"pause FAILED (exit {done.returncode})"
            err.print(f"verify: rollback step 1 run: {pause_shown}: {state}", markup=False, soft_wrap=True)
            return True
        plan = output.rollback_commands(pause_shown)
        err.print("verify: the rollback plan, now:\n" + "\n".join(f"  {n}. {step}" for n, step in enumerate(plan, 1)),
                  markup=False, soft_wrap=True)
        err.print("verify: watching on to the end of the window", markup=False)
        return False

    progress = _Progress(err, time.time() + window_s, enabled=not json_output)
    try:
        result = watch(sources, since=time.time() - since_s, window=window_s, every=every_s, stuck_after=stuck_s,
                       pool_limit=pool_limit, on_failure=failure, on_tick=progress.update)
    except (DatabaseError, LogFileError, ProbeError) as error:
        raise ToolError(str(error)) from None
    except redis.RedisError as error:
        raise ToolError(f"cannot read Redis at {redact(redis_url)}: {error}") from None
    finally:
        progress.stop()
        sources.database.close()
        sources.redis.close()
    verdict = overall(result.last.results)
    code = EXIT_CODES[verdict]
    if report is not None:
        output.write_journal(report, result, {**options, **described}, on_fail_record)
    if json_output:
        out.print_json(json.dumps(output.document(result, described, options, on_fail_record, code), default=str))
    else:
        output.print_table(out, result)
    if verdict != HOLDS:
        names = [r.id for r in result.last.results if r.verdict == verdict]
        err.print(f"verify: {verdict}: {', '.join(names)}", markup=False)
    return code


def _table_name(database: AppDatabase) -> str | None:
    table = database.workflow_table
    return f"{table.schema}.{table.name}" if table else None


def _open(redis_url: str, database_url: str, prefix: str, queues: list[str], logs: list[str], app_url: str | None,
          token: str | None, app_role: str | None, app_name: str | None) -> Sources:
    """Every source opened and checked once, so an unreachable one ends the run before any watching."""
    try:
        client = redis.Redis.from_url(redis_url, socket_connect_timeout=5, socket_timeout=30)
        client.ping()
    except (redis.RedisError, ValueError) as error:
        raise ToolError(f"cannot reach Redis at {redact(redis_url)}: {error}") from None
    try:
        database = AppDatabase(database_url, role=app_role, application_prefix=app_name)
    except DatabaseError as error:
        client.close()
        raise ToolError(str(error)) from None
    log_files = [LogFile(name) for name in logs]
    for log in log_files:
        if log.name != "-" and not Path(log.name).is_file():
            raise ToolError(f"log file {log.name} does not exist")
    return Sources(client, prefix, queues, database, log_files, ReviewApi(app_url, token) if app_url else None)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry (the project's CLI convention, recovery_tools.cli)."""
    run(app, PROG, argv)


if __name__ == "__main__":
    main()

__all__ = ["EXIT_INCONCLUSIVE", "EXIT_USAGE", "app", "main"]
