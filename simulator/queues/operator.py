"""The checklist's pause and resume run in-process with the manage-queues tool's own code (its one call site here):
the project's crons switched through Vercel's API with the tool's client, then the queues.

The library is told from Redis as the tool tells it; where Redis cannot tell (a queue whose Bull workers left only
`stalled-check` and `id`), the app's config file says Bull (`library` in simulator/recovery-harness.toml), as it
does for the tool run as a subprocess.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

from recovery_tools.config import load_config
from recovery_tools.manage_queues import control, library
from recovery_tools.manage_queues.handles import Queues
from recovery_tools.platform.vercel import VercelClient
from simulator.schema import tool_config_path


def configured_library() -> str | None:
    """The `library` of the simulated app's config file ("bull")."""
    return load_config(tool_config_path()).library


Platform = tuple[VercelClient, str]  # the API client and the project's id


async def pause(redis_url: str, prefix: str, names: Sequence[str], platform: Platform) -> None:
    """What `manage-queues pause` does: the project's crons disabled on Vercel first, then every queue of `names`."""
    api, project = platform
    api.set_crons(project, False)
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)  # as the tool connects: text replies
    try:
        queues = Queues(client, prefix)
        libraries = await library.detect(client, prefix, list(names), None, configured_library())
        for name in names:
            await control.pause_queue(queues, name, libraries[name])
    finally:
        await client.aclose()


async def resume(redis_url: str, prefix: str, names: Sequence[str], platform: Platform) -> None:
    """What `manage-queues resume` does: the project's crons re-enabled on Vercel, then every queue of `names`."""
    api, project = platform
    api.set_crons(project, True)
    client = aioredis.Redis.from_url(redis_url, decode_responses=True)  # as the tool connects: text replies
    try:
        queues = Queues(client, prefix)
        libraries = await library.detect(client, prefix, list(names), None, configured_library())
        for name in names:
            await control.resume_queue(queues, name, libraries[name])
    finally:
        await client.aclose()
