"""Command line of the bench: options, progress on stderr, the table on stdout, JSON to a file.

Exit codes (recovery_tools.cli): 0 measured (goals missed are shown, not failed), 1 a measurement did not finish,
2 bad usage or a backend that does not start (one line on stderr, before any work).
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from bench.run import NO_GATE, Sizes
from bench.run import run as run_bench
from bench.workflow import WorkflowNotFinished
from harness.backends import BACKEND_NAMES, BackendConfig, BackendError
from harness.cli_options import BackendOption
from recovery_tools.cli import EXIT_FAIL, ToolError, run, typer_app

PROG = "python -m bench"
HELP = "Measure the harness against the ceiling of the same Redis and Postgres."
app = typer_app("bench", HELP, no_args_is_help=False)  # `python -m bench` alone runs every benchmark


def _scales(text: str) -> tuple[float, ...]:
    try:
        scales = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ToolError(f"--scales must be numbers separated by commas, got {text!r}") from None
    if not scales or any(scale <= 0 for scale in scales):
        raise ToolError(f"--scales must hold positive numbers, got {text!r}")
    return scales


@app.command()
def bench(
    backend: BackendOption = None,
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
    detect_files: Annotated[int, typer.Option(min=10, help="Detect: JS/TS files of the generated app.")]
    = Sizes.detect_files,
) -> None:
    """Run every benchmark once on one backend; print the table; write JSON with --json.

    Exit codes: 0 measured (goals missed are shown, not failed), 1 a measurement did not finish, 2 bad usage or a
    backend that does not start.
    """
    backend_name = BackendConfig.from_env(backend).name
    if backend_name not in BACKEND_NAMES:
        raise ToolError(f"unknown backend {backend_name!r}; choose one of {', '.join(BACKEND_NAMES)}")
    if json_path is not None and not json_path.parent.is_dir():
        raise ToolError(f"--json: folder {json_path.parent} does not exist")
    root = Path.cwd()
    if features != NO_GATE and not (root / features.split("::")[0]).exists():
        raise ToolError(f"--features: {features} not found under {root} (run from the repository root)")
    sizes = Sizes(jobs=jobs, pos=pos, lines=lines, time_scale=time_scale, rounds=rounds, hours=hours,
                  scales=_scales(scales), features=features, root=str(root), scan_files=scan_files,
                  detect_files=detect_files)
    progress = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        results = run_bench(backend_name, sizes, lambda step: progress.print(f"[dim]bench:[/] {step}"))
    except BackendError as error:
        raise ToolError(str(error)) from None
    except (WorkflowNotFinished, TimeoutError, subprocess.TimeoutExpired) as error:
        raise ToolError(f"a measurement did not finish: {error or type(error).__name__}", EXIT_FAIL) from None
    out = Console()
    results.print(out if out.is_terminal else Console(width=160))
    if json_path is not None:
        results.write_json(json_path)
        progress.print(f"bench: figures written to {json_path}")


def main() -> None:
    """`python -m bench`, under the convention of recovery_tools.cli."""
    run(app, PROG)
