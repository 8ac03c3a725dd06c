"""The convention every console script of the project follows: exit codes, one-line errors, shared options.

- Expected failures (bad input, a server that does not answer, a refused command) raise ToolError and end
  as one line on stderr, `<prog>: error: <message>`, with the error's exit code.
- Usage errors Typer finds (a bad option, a missing value) are caught by type and exit 2.
- Anything else is a bug: it keeps its traceback.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from recovery_tools.config import ConfigError, ToolConfig, load_config

EXIT_OK = 0
EXIT_FAIL = 1  # the check ran and found something wrong
EXIT_USAGE = 2  # bad input, unreachable server
EXIT_REFUSED = 3  # a destructive command without confirmation (manage-queues)
EXIT_INTERRUPTED = 130


class ToolError(Exception):
    """A failure to report as one line on stderr with `exit_code`."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code


ConfigPath = Annotated[
    Path | None,
    typer.Option("--config", metavar="PATH", envvar="RECOVERY_HARNESS_CONFIG", show_envvar=True,
                 help="The app's recovery-harness.toml (or a pyproject.toml with \\[tool.recovery-harness]). "
                      "Default: the nearest one from the current folder up; else the app's built-in defaults."),
]


def tool_config(path: Path | None) -> ToolConfig:
    """load_config() with its errors as ToolErrors."""
    try:
        return load_config(path)
    except ConfigError as error:
        raise ToolError(str(error)) from None


def typer_app(name: str, help_text: str, *, no_args_is_help: bool = True) -> typer.Typer:
    """A Typer app with the project's settings: no completion, plain tracebacks, help when called bare (unless the
    command runs without arguments, like `python -m bench`)."""
    return typer.Typer(name=name, help=help_text, no_args_is_help=no_args_is_help, add_completion=False,
                       pretty_exceptions_enable=False)


def run(app: typer.Typer, prog: str, argv: list[str] | None = None) -> NoReturn:
    """Run a Typer app as a console script under the convention above."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(encoding="utf-8", errors="replace")
    try:
        result = app(args=argv, prog_name=prog, standalone_mode=False)
    except ToolError as error:
        fail(prog, str(error), error.exit_code)
    except typer.TyperException as error:  # usage errors (Typer's vendored click exceptions derive from it)
        fail(prog, error.format_message() or "missing command (see --help)", EXIT_USAGE)
    except (typer.Abort, KeyboardInterrupt):
        fail(prog, "interrupted", EXIT_INTERRUPTED)
    sys.exit(result if isinstance(result, int) else EXIT_OK)


def fail(prog: str, message: str, code: int) -> NoReturn:
    sys.stderr.write(f"{prog}: error: {message}\n")
    sys.exit(code)
