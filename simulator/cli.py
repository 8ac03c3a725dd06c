"""Command line of the simulator: workers as separate processes."""

from __future__ import annotations

import signal
import threading
from typing import Annotated, Any

import typer

from simulator.queues.bridge import QueueBridge

app = typer.Typer(help="Run parts of the simulated PO-upload system.", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Simulated PO-upload system."""


async def echo_processor(job: Any, token: str) -> dict[str, Any]:
    """Returns the job's data: proves a job crossed processes without doing app work."""
    return {"echo": job.data, "pid": __import__("os").getpid()}


@app.command()
def worker(
    queue: Annotated[str, typer.Option(help="Queue to consume.")],
    redis_url: Annotated[str, typer.Option(envvar="REDIS_URL", help="Redis URL.")],
    prefix: Annotated[str, typer.Option(help="BullMQ key prefix.")] = "bull",
    processor: Annotated[str, typer.Option(help="Processor: echo.")] = "echo",
) -> None:
    """Consume one queue until SIGTERM or SIGINT; active jobs finish before exit."""
    processors = {"echo": echo_processor}
    if processor not in processors:
        typer.echo(f"error: unknown processor {processor!r}; known: {', '.join(processors)}", err=True)
        raise typer.Exit(2)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with QueueBridge(redis_url, prefix) as bridge:
        bridge.start_worker(queue, processors[processor])
        typer.echo(f"worker ready queue={queue} prefix={prefix}", err=True)
        stop.wait()
