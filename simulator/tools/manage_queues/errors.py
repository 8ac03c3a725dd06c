"""Exit codes of manage-queues and the one exception type that carries them to the CLI."""

from __future__ import annotations

EXIT_OK = 0
EXIT_EXPECTATION = 1  # `status --expect` found a queue or the cron in the other state
EXIT_USAGE = 2  # bad input, unknown queue, Redis unreachable
EXIT_REFUSED = 3  # destructive command without confirmation


class ToolError(Exception):
    """A failure to report as one line on stderr with `exit_code`."""

    def __init__(self, message: str, exit_code: int = EXIT_USAGE) -> None:
        super().__init__(message)
        self.exit_code = exit_code
