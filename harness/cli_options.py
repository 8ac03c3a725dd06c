"""Options the harness's commands share (`rehearse`, `python -m bench`), declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from harness.backends import BACKEND_NAMES

BackendOption = Annotated[
    str | None,
    typer.Option("--backend", envvar="HARNESS_BACKEND", show_envvar=True,
                 help=f"Where Redis and Postgres come from: {', '.join(BACKEND_NAMES)} (default embedded; services "
                      "reads REDIS_URL and DATABASE_URL)."),
]
