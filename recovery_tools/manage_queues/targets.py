"""Which queues a command acts on: `--queue` names, `--all` found under the prefix, or the app's queue config."""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.manage_queues.layout import discover


def check_selection(names: Sequence[str] | None, every: bool) -> None:
    """Usage checks that need no Redis."""
    if names and every:
        raise ToolError("--queue and --all exclude each other")
    for name in names or ():
        if not name or ":" in name:
            raise ToolError(f"bad queue name {name!r}: queue names are non-empty and have no ':'")


async def found_queues(client: aioredis.Redis, prefix: str) -> list[str]:
    """Queues with keys under the prefix."""
    return await discover(client, prefix)


async def resolve(client: aioredis.Redis, prefix: str, names: Sequence[str] | None, every: bool,
                  configured: Sequence[str]) -> list[str]:
    """The queues to act on, in a stable order; a `--queue` neither configured nor found is a ToolError."""
    check_selection(names, every)
    if every:
        return await found_queues(client, prefix)
    if not names:
        return list(configured)
    if all(name in configured for name in names):
        return list(dict.fromkeys(names))  # no SCAN needed: configured queues are always valid
    found = set(await found_queues(client, prefix))
    for name in names:
        if name not in configured and name not in found:
            raise ToolError(f"unknown queue {name!r}: not in the app's queue config "
                            f"and no keys under prefix {prefix!r}")
    return list(dict.fromkeys(names))
