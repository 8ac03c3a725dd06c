"""Command line of the bench: options, progress on stderr, the table on stdout, JSON to a file."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench.run import NO_GATE, Sizes, run
from bench.workflow import WorkflowNotFinished
from harness.backends import BACKEND_NAMES, BackendError

app = typer.Typer(help="Measure the harness against the ceiling of the same Redis and Postgres.", add_completion=False)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def _scales(text: str) -> tuple[float, ...]:
    try:
        scales = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise _fail(f"--scales must be numbers separated by commas, got {text!r}") from None
    if not scales or any(scale <= 0 for scale in scales):
        raise _fail(f"--scales must hold positive numbers, got {text!r}")
    return scales


@app.command()
def bench(
    backend: Annotated[str, typer.Option(help=f"Where Redis and Postgres come from: {', '.join(BACKEND_NAMES)}.")]
    = "embedded",
    json_path: Annotated[Path | None, typer.Option("--json", help="Write every figure as JSON to this file.")] = None,
    jobs: Annotated[int, typer.Option(min=1, help="Ceiling: raw BullMQ jobs added and processed.")] = Sizes.jobs,
    pos: Annotated[int, typer.Option(min=1, help="Workflow: POs per run.")] = Sizes.pos,
    lines: Annotated[int, typer.Option(min=1, help="Workflow: lines per PO.")] = Sizes.lines,
    time_scale: Annotated[float, typer.Option(min=1, help="Workflow: virtual seconds per wall second.")]
    = Sizes.time_scale,
    rounds: Annotated[int, typer.Option(min=1, help="Isolation: create/destroy cycles.")] = Sizes.rounds,
    hours: Annotated[float, typer.Option(min=0.01, help="Compression: virtual hours per window.")] = Sizes.hours,
    scales: Annotated[str, typer.Option(help="Compression: clock scales to try, comma-separated.")]
    = ",".join(f"{scale:g}" for scale in Sizes.scales),
    features: Annotated[str, typer.Option(help=f"Gate: the pytest target to time; {NO_GATE!r} skips the gate.")]
    = Sizes.features,
    scan_files: Annotated[int, typer.Option(min=4, help="Scan: files of the generated app tree.")] = Sizes.scan_files,
) -> None:
    """Run every benchmark once on one backend; print the table; write JSON with --json.

    Exit codes: 0 measured (goals missed are shown, not failed), 1 a measurement did not finish, 2 bad usage or a
    backend that does not start.
    """
    if backend not in BACKEND_NAMES:
        raise _fail(f"unknown backend {backend!r}; choose one of {', '.join(BACKEND_NAMES)}")
    if json_path is not None and not json_path.parent.is_dir():
        raise _fail(f"--json: folder {json_path.parent} does not exist")
    root = Path.cwd()
    if features != NO_GATE and not (root / features.split("::")[0]).exists():
        raise _fail(f"--features: {features} not found under {root} (run from the repository root)")
    sizes = Sizes(jobs=jobs, pos=pos, lines=lines, time_scale=time_scale, rounds=rounds, hours=hours,
                  scales=_scales(scales), features=features, root=str(root), scan_files=scan_files)
    progress = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        results = run(backend, sizes, lambda step: progress.print(f"[dim]bench:[/] {step}"))
    except BackendError as error:
        raise _fail(str(error)) from None
    except (WorkflowNotFinished, TimeoutError, subprocess.TimeoutExpired) as error:
        typer.echo(f"error: a measurement did not finish: {error or type(error).__name__}", err=True)
        raise typer.Exit(1) from None
    out = Console()
    results.print(out if out.is_terminal else Console(width=160))
    if json_path is not None:
        results.write_json(json_path)
        progress.print(f"bench: figures written to {json_path}")


def main() -> None:
    app(prog_name="python -m bench")
