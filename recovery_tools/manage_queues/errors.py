"""Exit codes of manage-queues (the project's convention, recovery_tools.cli) and the exception that carries them."""

from __future__ import annotations

from recovery_tools.cli import EXIT_FAIL, EXIT_OK, EXIT_REFUSED, EXIT_USAGE, ToolError

EXIT_EXPECTATION = EXIT_FAIL  # `status --expect` found a queue or the cron in the other state

__all__ = ["EXIT_EXPECTATION", "EXIT_OK", "EXIT_REFUSED", "EXIT_USAGE", "ToolError"]
