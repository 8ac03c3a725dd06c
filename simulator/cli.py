"""Command line of the simulator (`python -m simulator`): workers as separate processes, on real Bull 4 queues.

Exit codes (recovery_tools.cli): 0 stopped by SIGTERM/SIGINT, 2 bad usage (one line on stderr).
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Annotated, Any

import typer

from recovery_tools.cli import EXIT_USAGE, ToolError, run, typer_app

PROG = "python -m simulator"
app = typer_app("simulator", "Run parts of the simulated PO-upload system.")

PROCESSORS = ("echo", "stages")


@app.callback()
def _group() -> None:
    """Simulated PO-upload system."""


def echo_processor(job: Any) -> dict[str, Any]:
    """Returns the job's data: proves a job crossed processes without doing app work."""
    return {"echo": job.data, "pid": os.getpid()}


@app.command()
def worker(
    queue: Annotated[list[str], typer.Option(help="Queue to consume (repeat for several).")],
    redis_url: Annotated[str, typer.Option(envvar="REDIS_URL", help="Redis URL.")],
    prefix: Annotated[str, typer.Option(help="Bull key prefix.")] = "bull",
    processor: Annotated[str, typer.Option(help="Processor: echo, or stages (the workflow's stage code).")] = "echo",
    release: Annotated[str, typer.Option(help="Release whose code the stages run: incident, deploy, healthy, "
                                              "or <release>-without-<bug id>.")] = "healthy",
    fixes: Annotated[str | None, typer.Option(help="Comma-separated bug ids the release fixes (overrides the "
                                                   "named release's set; for custom releases).")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="DATABASE_URL", help="Postgres URL (stages).")] = None,
    search_url: Annotated[str | None, typer.Option(help="Base URL of the image search API (stages).")] = None,
    search_quota: Annotated[int, typer.Option(help="Image searches per minute the API allows.")] = 100,
    clock_scale: Annotated[float, typer.Option(help="Virtual seconds per wall second.")] = 60.0,
    clock_origin: Annotated[float | None, typer.Option(help="Wall time (epoch) of virtual zero.")] = None,
    lock_ms: Annotated[int, typer.Option(min=100, help="Bull's lockDuration, real ms (stages).")] = 30_000,
    stalled_interval_ms: Annotated[int, typer.Option(min=100, help="Bull's stalledInterval, real ms (stages).")]
    = 30_000,
) -> None:
    """Consume Bull 4 queues (a Node Bull host; npm bull from the harness cache) until SIGTERM or SIGINT; active
    jobs finish before exit."""
    if processor not in PROCESSORS:
        raise ToolError(f"unknown processor {processor!r}; known: {', '.join(PROCESSORS)}")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    if processor == "stages":
        _serve_stages(queue, redis_url, prefix, release, fixes, database_url, search_url, search_quota, clock_scale,
                      clock_origin, stop, (lock_ms, stalled_interval_ms))
        return
    from simulator.node.runtime import NodeSetupError
    from simulator.queues.bull_host import BullHost, BullHostError

    try:
        host = BullHost(redis_url, prefix, dict.fromkeys(queue, 1), echo_processor).start()
    except (NodeSetupError, BullHostError) as error:
        raise ToolError(str(error), EXIT_USAGE) from None
    try:
        typer.echo(f"worker ready queue={','.join(queue)} prefix={prefix} bull={host.versions.get('bull')}", err=True)
        while not stop.wait(0.1) and host.alive:
            pass
    finally:
        host.close()


def _serve_stages(queues: list[str], redis_url: str, prefix: str, release_name: str, fixes: str | None,
                  database_url: str | None,
                  search_url: str | None, search_quota: int, clock_scale: float, clock_origin: float | None,
                  stop: threading.Event, lock: tuple[int, int]) -> None:
    from simulator.clock import ScaledClock
    from simulator.observe.logs import LogSink
    from simulator.queues.bull_host import BullSettings
    from simulator.release import Release, release_named
    from simulator.workflow.context import AppConfig
    from simulator.workflow.stages import WORKER_QUEUES
    from simulator.workflow.workers import serve

    if database_url is None or search_url is None:
        raise ToolError("--processor stages needs --database-url and --search-url")
    unknown = [name for name in queues if name not in WORKER_QUEUES]
    if unknown:
        raise ToolError(f"not a stage queue: {', '.join(unknown)}; stage queues: {', '.join(WORKER_QUEUES)}")
    try:
        if fixes is not None:
            chosen = Release(release_name, frozenset(bug_id for bug_id in fixes.split(",") if bug_id))
        else:
            chosen = release_named(release_name)
        clock = ScaledClock(clock_scale, origin=clock_origin)
    except (ValueError, KeyError) as error:
        raise ToolError(str(error).strip("'\"")) from None
    config = AppConfig(redis_url, prefix, database_url, search_url, chosen, search_quota)
    with LogSink(redis_url, prefix, clock, source=f"worker-{os.getpid()}") as logs:
        def ready() -> None:
            typer.echo(f"worker ready queue={','.join(queues)} prefix={prefix} release={chosen.name}", err=True)

        from simulator.node.runtime import NodeSetupError
        from simulator.queues.bull_host import BullHostError

        try:
            serve(config, clock, logs, queues, stop.is_set, ready,
                  BullSettings(lock_duration=lock[0], stalled_interval=lock[1]))
        except (NodeSetupError, BullHostError) as error:
            raise ToolError(str(error), EXIT_USAGE) from None


def main() -> None:
    """`python -m simulator`, under the convention of recovery_tools.cli."""
    run(app, PROG)
