"""The `monitor-deployment` command: follow a Vercel deployment until READY (exit 0), ERROR/CANCELED/timeout (1)."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from recovery_tools.cli import EXIT_FAIL, ConfigPath, ToolError, run, tool_config, typer_app
from recovery_tools.manage_queues.cleaning import parse_grace
from recovery_tools.manage_queues.output import DeploymentPrinter
from recovery_tools.platform.follow import DEFAULT_POLL, follow
from recovery_tools.platform.vercel import client_for, find_link

PROG = "monitor-deployment"

HELP = (
    "The checklist's \"Monitor Deployment\": follow a Vercel deployment, printing its readyState changes and its "
    "build's log lines as they come (build success, the Prisma client generation, the deployment live), until it "
    "is READY, ERROR or CANCELED.\n\n"
    "Needs VERCEL_TOKEN (never printed); VERCEL_API_URL overrides https://api.vercel.com. The team (teamId) is the "
    "config's \\[vercel] team, else .vercel/project.json's orgId.\n\n"
    "Exit codes: 0 READY, 1 ERROR, CANCELED or still not READY at --timeout, 2 usage error, no token, or the API "
    "refused or could not be reached (one line naming the HTTP status and Vercel's error)."
)
app = typer_app(PROG, HELP)


@app.command(help=HELP)
def monitor(
    deployment: Annotated[str, typer.Argument(metavar="ID|URL",
                                              help="The deployment's id (dpl_...) or its URL (name-hash.vercel.app).")],
    timeout: Annotated[str, typer.Option("--timeout", metavar="DURATION",
                                         help="How long to wait for a final state (30s, 10m).")] = "10m",
    poll_interval: Annotated[float, typer.Option("--poll-interval", min=0.05, metavar="SECONDS",
                                                 help="Seconds between reads of the deployment and its new events.")]
    = DEFAULT_POLL,
    json_output: Annotated[bool, typer.Option("--json", help=(
        'Print one JSON document at the end: {"command", "api", "deployment": {"id", "url", "target", '
        '"readyState", "ready", "timed_out", "waited_seconds", "error", "states": [{"state", "seconds"}], '
        '"events": [{"created", "type", "text", "level"}]}}.'))] = False,
    config: ConfigPath = None,
) -> None:
    """Follow the deployment until it is READY (exit 0), ERROR, CANCELED or past --timeout (exit 1)."""
    seconds = parse_grace(timeout, "--timeout")
    client = client_for(find_link(tool_config(config)))
    printer = None if json_output else DeploymentPrinter(Console(highlight=False, soft_wrap=True))
    result = follow(client, deployment, seconds, poll=poll_interval,
                    on_state=printer.state if printer else None, on_event=printer.event if printer else None)
    if json_output:
        typer.echo(json.dumps({"command": PROG, "api": client.shown, "deployment": result.to_json()}, indent=2,
                              ensure_ascii=False))
    else:
        typer.echo(result.summary())
    if not result.ready:
        raise ToolError(result.summary(), EXIT_FAIL)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry (the project's CLI convention, recovery_tools.cli)."""
    run(app, PROG, argv)
