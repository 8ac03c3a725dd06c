"""The `detect-release` command: exit 0 the deploy's fixes are in the source and it loads, 1 not, 2 bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from recovery_tools.cli import EXIT_FAIL, EXIT_OK, ConfigPath, ToolError, run, tool_config, typer_app
from recovery_tools.detect.app import AppSourceError
from recovery_tools.detect.detection import detect_release, summary_lines
from recovery_tools.detect.releases import BUG_IDS, REQUIRED_FIXES

PROG = "detect-release"

HELP = (
    "Read an app's source and tell, for each bug of the recovery checklist's catalogue, whether this commit holds "
    "its broken or its fixed form, with evidence (file:line, why); then the name of the release it holds, as the "
    "harness's `pytest features/ --release NAME` reads it.\n\n"
    "Only deployed code is evidence: the files reached through imports from the app's entry points (vercel.json "
    "functions, crons and rewrites, Vercel's api/ convention, else package.json main/exports/start; --entry "
    "replaces them). Root-level scripts and a front end no function imports are listed as not deployed.\n\n"
    f"Bugs: {', '.join(BUG_IDS)}. A bug the source does not show either way is `unknown` and counts as broken "
    "unless --assume-fixed names it.\n\n"
    "The load check: esbuild (npm, installed at first use) bundles the entry points as Vercel's build would; "
    "each error (a name exported twice, a missing file or export, an assignment to a const, a syntax error) is "
    "named file:line:column with esbuild's message. When it cannot run (no Node or npm, no entry point) it is "
    "inconclusive, said in one line, and fails like an error: a gate that could not check must not pass. "
    "--no-load-check skips it (then it is not part of the verdict).\n\n"
    f"Exit codes: 0 every fix the deploy must hold is there ({', '.join(REQUIRED_FIXES)}) and the entry points "
    "load; 1 some fix is missing, or the code does not load, or the load check was inconclusive; "
    "2 bad input (no such path, nothing parseable, a bad option)."
)
app = typer_app(PROG, HELP)

PrismaSchemaPath = Annotated[
    Path | None,
    typer.Option(metavar="PATH", help="The app's Prisma schema (default: PATH/prisma/schema.prisma, else the first "
                                      "schema.prisma under PATH, else the config's prisma_schema)."),
]
AssumeFixed = Annotated[
    list[str] | None,
    typer.Option(metavar="ID", help="Count this bug as fixed when its detector says unknown (repeatable); a bug "
                                    "the source shows broken stays broken."),
]
JsonOutput = Annotated[bool, typer.Option("--json", help='Print {"release": ..., "scope": {"entry_points", '
                                                         '"found_by", "deployed", "not_deployed"}, "load": {"ok", '
                                                         '"tool", "errors": [{"file", "line", "column", "message"}], '
                                                         '"warnings", "inconclusive", "reason", "entry_points"} '
                                                         '(null with --no-load-check), "bugs": {ID: '
                                                         '{"state", "counts_as": "fixed"|"broken", "assumed_fixed", '
                                                         '"evidence": [{"file", "line", "why", "via"}]}}} '
                                                         "(paths relative to PATH; via: entry point, ..., file).")]
NoLoadCheck = Annotated[bool, typer.Option("--no-load-check", help="Do not bundle the entry points with esbuild "
                                                                   "(no Node here): the verdict is the fixes "
                                                                   "alone.")]
Entry = Annotated[
    list[Path] | None,
    typer.Option(metavar="FILE", help="An entry point of the deployment (repeatable; relative to PATH, else to "
                                      "the working directory, or absolute): replaces those found in "
                                      "vercel.json, api/ and package.json."),
]


@app.command(help=HELP)
def detect(
    path: Annotated[Path, typer.Argument(metavar="PATH", help="The app's repository root (or a folder of it).")],
    prisma_schema: PrismaSchemaPath = None,
    assume_fixed: AssumeFixed = None,
    entry: Entry = None,
    json_output: JsonOutput = False,
    no_load_check: NoLoadCheck = False,
    config: ConfigPath = None,
) -> None:
    """Which bugs the app's source at PATH still holds, and the release that makes."""
    settings = tool_config(config)
    schema = prisma_schema
    if schema is not None and not schema.is_file():
        raise ToolError(f"--prisma-schema {schema}: no such file")
    try:
        fallback = settings.prisma_schema if settings.source is not None else None
        detection = detect_release(path, prisma_schema=schema, fallback_schema=fallback,
                                   config_queues=settings.queues, assume_fixed=frozenset(assume_fixed or ()),
                                   entries=entry or (), load_check=not no_load_check)
    except AppSourceError as error:
        raise ToolError(str(error)) from None
    except ValueError as error:
        raise ToolError(f"--assume-fixed: {error}") from None
    if json_output:
        typer.echo(json.dumps(detection.to_dict(), indent=2, ensure_ascii=False))
    else:
        for text_line in summary_lines(detection):
            typer.echo(text_line)
        if detection.missing_required:
            typer.echo(f"the deploy's fixes missing: {', '.join(detection.missing_required)}")
        if detection.load is not None and detection.load.inconclusive:
            typer.echo("the load check could not run: this commit is not shown to load (--no-load-check skips it)")
        elif detection.load_failed:
            typer.echo("the deployed code does not load: the deploy's build would fail")
    raise typer.Exit(EXIT_OK if detection.passes else EXIT_FAIL)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry (the project's CLI convention, recovery_tools.cli)."""
    run(app, PROG, argv)
