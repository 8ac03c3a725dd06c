"""Live progress of a rehearsal on stderr: the current checklist step, virtual time and queue depths (Rich)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

State = Callable[[], tuple[float, dict[str, int], dict[str, int]]]  # virtual now, queue depths, workflows


def hms(seconds: float) -> str:
    """Virtual seconds as h:mm:ss."""
    total = max(0, round(seconds))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


class Progress:
    """On a terminal, a live panel redrawn a few times a second; elsewhere one line per finished step."""

    def __init__(self, console: Console, scenario: str, enabled: bool = True) -> None:
        self.console = console
        self.scenario = scenario
        self.enabled = enabled
        self._step = "starting"
        self._release = ""
        self._done: list[str] = []
        self._state: State | None = None
        self._live: Live | None = None

    def __enter__(self) -> Progress:
        if self.enabled and self.console.is_terminal:
            self._live = Live(console=self.console, get_renderable=self._render, refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def watch(self, state: State | None) -> None:
        """Where the live panel reads virtual time, queue depths and workflow counts (None: nothing to show)."""
        self._state = state

    def step(self, n: int, title: str, release: str) -> None:
        self._step = f"{n}. {title}"
        self._release = release

    def finished(self, n: int, title: str, outcome: str, virtual: float) -> None:
        line = f"[{hms(virtual)}] {n:>2}. {title} ... {outcome}"
        self._done.append(line)
        if not self.enabled:
            return
        if self._live is not None:
            self._live.console.print(Text(line, style="green" if outcome == "ok" else "bold red"))
        else:
            self.console.print(line, highlight=False, soft_wrap=True)

    def _render(self) -> Group:
        header = Text(f"rehearse {self.scenario}: {self._step}", style="bold")
        if self._state is None:
            return Group(header)
        try:
            now, depths, workflows = self._state()
        except Exception as error:  # a reading missed while a deploy swaps workers is not worth a crash
            return Group(header, Text(f"(reading state: {type(error).__name__})", style="dim"))
        table = Table(show_header=True, header_style="bold", box=None, pad_edge=False)
        table.add_column("virtual time")
        table.add_column("release")
        for queue in depths:
            table.add_column(queue, justify="right")
        table.add_column("workflows")
        shown = ", ".join(f"{n} {status}" for status, n in sorted(workflows.items())) or "-"
        table.add_row(hms(now), self._release, *(str(depth) for depth in depths.values()), shown)
        return Group(header, table)
