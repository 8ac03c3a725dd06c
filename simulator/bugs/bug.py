"""What every entry of the bug catalogue declares: its id, seam, checklist item and log signature."""

from __future__ import annotations

from dataclasses import dataclass

from simulator.observe.logs import SIGNATURES


@dataclass(frozen=True)
class Bug:
    """One production bug: where it lives in the app, which checklist item it belongs to, how logs reveal it."""

    id: str
    seam: str
    checklist_item: str
    broken: str
    fixed: str
    signature: str | None = None  # an id of simulator.observe.logs.SIGNATURES, None when no log line shows it

    def __post_init__(self) -> None:
        if self.signature is not None and self.signature not in SIGNATURES:
            raise ValueError(f"bug {self.id!r}: unknown log signature {self.signature!r}")
