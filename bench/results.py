"""The figures of one bench run: collected as they are measured, shown as a Rich table, written as JSON."""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass(frozen=True)
class Figure:
    """One measured number: `key` is its stable JSON name, `goal` the issue's target in words (or empty)."""

    key: str
    section: str
    label: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None


@dataclass
class Results:
    """Every figure of a run, in the order measured, plus what describes the run."""

    backend: str
    sizes: dict[str, Any]
    figures: list[Figure] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def add(self, key: str, section: str, label: str, value: float, unit: str, *, goal: str = "",
            met: bool | None = None) -> Figure:
        figure = Figure(key, section, label, float(value), unit, goal, met)
        self.figures.append(figure)
        return figure

    def value(self, key: str) -> float:
        for figure in self.figures:
            if figure.key == key:
                return figure.value
        raise KeyError(f"no figure {key!r} measured in this run")

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "sizes": self.sizes,
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
            "started": self.started,
            "figures": {figure.key: asdict(figure) for figure in self.figures},
        }

    def write_json(self, path: Path) -> None:
        """Write to a sibling temp file, then rename: a reader never sees half a document."""
        temp = path.with_name(f".{path.name}.tmp")
        temp.write_text(json.dumps(self.as_json(), indent=2) + "\n", encoding="utf-8")
        temp.replace(path)

    def table(self) -> Table:
        table = Table(title=f"recovery-harness bench on the {self.backend} backend")
        for column, justify in (("section", "left"), ("figure", "left"), ("value", "right"), ("unit", "left"),
                                ("goal", "left")):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for figure in self.figures:
            mark = {True: " [green]met[/]", False: " [red]missed[/]", None: ""}[figure.met]
            table.add_row(figure.section, figure.label, _fmt(figure.value), figure.unit, figure.goal + mark)
        return table

    def print(self, console: Console) -> None:
        console.print(self.table())


def _fmt(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.3f}" if value < 1 else f"{value:.2f}"
