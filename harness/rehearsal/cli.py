"""The `rehearse` command (Typer): run a scenario on a throwaway database and prefix; the exit code is the verdict.

Exit codes: 0 every success criterion holds (and every step went as the scenario expects); 1 some do not
(named on stderr); 2 usage error, backend unavailable, or a step that could not run at all.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import psycopg
import redis
import typer
from rich.console import Console
from rich.table import Table

from harness.backends import BACKEND_NAMES, BackendConfig, BackendError, open_backend
from harness.checklist import DEPLOY_FIXES
from harness.cli_options import BackendOption
from harness.isolation import Isolation
from harness.rehearsal.progress import Progress
from harness.rehearsal.scenarios import Options, RehearsalAborted
from harness.rehearsal.scenarios import run as run_scenario
from recovery_tools.cli import EXIT_FAIL, EXIT_OK, ToolError, run, typer_app
from recovery_tools.detect.app import AppSourceError
from recovery_tools.detect.detection import detect_release, summary_lines
from recovery_tools.report.html import write_report
from recovery_tools.report.journal import Journal, write_json
from recovery_tools.urls import redact

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}

HELP = (
    "Rehearse the incident and the recovery on a real Redis and Postgres over virtual time.\n\n"
    "incident: the incident release under load, then the checklist (pause, clean, verify schema, deploy the "
    "fix, resume, test the PO flow, success criteria). rollback: a bad deploy, the criteria fail, the rollback "
    "plan restores a stable state. follow-ups: each remaining issue broken, then fixed.\n\n"
    "Exit codes: 0 all success criteria hold, 1 some fail (named on stderr), 2 usage or backend error."
)

app = typer_app("rehearse", HELP)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class Scenario(StrEnum):
    incident = "incident"
    rollback = "rollback"
    follow_ups = "follow-ups"


def parse_duration(text: str) -> float:
    """'90', '45s', '30m', '2h', '1d' -> virtual seconds."""
    match = _DURATION.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise typer.BadParameter(f"{text!r} is not a duration: use a positive number with s, m, h or d (e.g. 30m, 24h)")
    return float(match.group(1)) * _UNIT[match.group(2)]


def _withheld(values: list[str] | None, scenario: Scenario) -> tuple[str, ...]:
    if not values:
        return ()
    if scenario is not Scenario.incident:
        raise typer.BadParameter("--withhold-fix applies to the incident scenario only")
    chosen: list[str] = []
    for value in values:
        ids = DEPLOY_FIXES if value == "all" else (value,)
        for bug_id in ids:
            if bug_id not in DEPLOY_FIXES:
                raise typer.BadParameter(f"{bug_id!r} is not a fix of this deploy; choose {', '.join(DEPLOY_FIXES)} "
                                         "or all", param_hint="--withhold-fix")
            if bug_id not in chosen:
                chosen.append(bug_id)
    return tuple(chosen)


def _detected(app_source: Path | None, scenario: Scenario, withheld: bool, quiet: bool) -> dict[str, Any] | None:
    """detect-release on --app-source (its summary on stderr), or None without the option."""
    if app_source is None:
        return None
    if scenario is not Scenario.incident or withheld:
        raise typer.BadParameter("applies to the incident scenario only, without --withhold-fix",
                                 param_hint="--app-source")
    try:
        detection = detect_release(app_source)
    except AppSourceError as error:
        raise typer.BadParameter(str(error), param_hint="--app-source") from None
    if not quiet:
        for line in summary_lines(detection, limit=3):
            err.print(line, markup=False)
    return {"app_source": str(app_source), **detection.to_dict()}


def _server_versions(redis_url: str, database_url: str) -> dict[str, str]:
    client = redis.Redis.from_url(redis_url)
    try:
        info = client.info("server")
    finally:
        client.close()
    with psycopg.connect(database_url, connect_timeout=5) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = "valkey" if "valkey_version" in info else "redis"
    return {f"{server} server": str(info.get("valkey_version") or info.get("redis_version")),
            "postgres server": str(row[0]) if row else "unknown"}


def _criteria_table(journal: dict[str, Any]) -> Table:
    table = Table(title=f"Success criteria ({journal['scenario']})", show_lines=False)
    table.add_column("criterion")
    table.add_column("verdict")
    table.add_column("evidence")
    for criterion in journal["criteria"]:
        verdict = "[green]holds[/green]" if criterion["holds"] else "[bold red]FAILS[/bold red]"
        table.add_row(criterion["text"], verdict, criterion["measured"]["evidence"])
    return table


@app.command(help=HELP)
def rehearse(
    scenario: Annotated[Scenario, typer.Argument(help="incident, rollback or follow-ups.")],
    backend: BackendOption = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the Faker PO files: same seed, same journal.")] = 0,
    pos: Annotated[int, typer.Option("--pos", min=1, max=200, help="PO files uploaded at each load and check.")] = 3,
    duration: Annotated[str, typer.Option("--duration", help="Virtual length of each load window: 30m, 2h, 24h.")
                        ] = "30m",
    time_scale: Annotated[float, typer.Option("--time-scale", min=1.0, max=100_000.0,
                                              help="Virtual seconds per wall second during the checklist steps.")
                          ] = 300.0,
    fast_forward: Annotated[bool, typer.Option("--fast-forward/--no-fast-forward",
                                               help="Run load windows at about 15 wall seconds each.")] = True,
    withhold_fix: Annotated[list[str] | None, typer.Option(
        "--withhold-fix", help=f"Keep a fix out of the incident's deploy ({', '.join(DEPLOY_FIXES)} or all); "
        "repeatable.")] = None,
    report: Annotated[Path | None, typer.Option("--report", file_okay=False,
                                                help="Directory for journal.json and report.html.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the journal as one JSON document on stdout.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress on stderr.")] = False,
    app_source: Annotated[Path | None, typer.Option(
        "--app-source", help="incident: deploy the release the app's source at PATH holds (detect-release), "
        "not this deploy; the journal and report keep the detection's evidence.")] = None,
) -> int:
    """Run one rehearsal scenario; the exit code is the verdict."""
    # The app's log events go to the scenario's log stream (and the journal), not to this terminal.
    logging.getLogger("simulator").addHandler(logging.NullHandler())
    options = Options(seed=seed, pos=pos, duration=parse_duration(duration), time_scale=time_scale,
                      fast_forward=fast_forward, withhold=_withheld(withhold_fix, scenario),
                      detection=_detected(app_source, scenario, bool(withhold_fix), quiet))
    if report is not None:
        try:
            report.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise typer.BadParameter(f"cannot create {report}: {error.strerror}", param_hint="--report") from None
    config = BackendConfig.from_env(backend)
    if config.name not in BACKEND_NAMES:
        raise typer.BadParameter(f"unknown backend {config.name!r}; choose {', '.join(BACKEND_NAMES)}",
                                 param_hint="--backend")
    journal = Journal(scenario.value, options.journal_options(scenario.value, config.name))
    aborted: str | None = None
    server = open_backend(config)
    try:
        server.start()
    except BackendError as error:
        raise ToolError(f"backend {config.name} unavailable: {error}") from None
    try:
        journal.versions.update(_server_versions(server.redis_url, server.database_url))
        isolation = Isolation(server.redis_url, server.database_url)
        env = isolation.create(f"rehearse-{scenario.value}")
        journal.measured["environment"] = {"redis": redact(env.redis_url), "database": redact(env.database_url),
                                           "prefix": env.prefix}
        try:
            with Progress(err, scenario.value, enabled=not quiet) as progress:
                run_scenario(scenario.value, env, options, journal, progress)
        except RehearsalAborted as error:
            aborted = str(error)
        finally:
            isolation.destroy(env)
            isolation.close()
    except (BackendError, psycopg.Error, redis.RedisError) as error:
        raise ToolError(f"{type(error).__name__}: {error}") from None
    finally:
        server.stop()
    document = journal.to_dict()
    if report is not None:
        write_json(report / "journal.json", document)
        write_report(report / "report.html", document)
    if as_json:
        sys.stdout.write(json.dumps(document, indent=2, default=str) + "\n")
    else:
        Console(highlight=False).print(_criteria_table(document))
        if report is not None:
            Console(highlight=False).print(f"journal: {report / 'journal.json'}\nreport:  {report / 'report.html'}")
    if aborted:
        raise ToolError(aborted)
    verdict = document["verdict"]
    if not verdict["holds"]:
        named = ", ".join(verdict["failed_criteria"]) or "none"
        steps = ", ".join(verdict["failed_steps"]) or "none"
        err.print(f"rehearse {scenario.value}: FAILED criteria: {named}; failed steps: {steps}")
        return EXIT_FAIL
    if not quiet:
        err.print(f"rehearse {scenario.value}: all {len(document['criteria'])} success criteria hold")
    return EXIT_OK


def main() -> None:
    """Console-script entry point, under the convention of recovery_tools.cli."""
    run(app, "rehearse")


if __name__ == "__main__":
    main()
