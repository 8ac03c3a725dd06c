"""prisma_operation(): the warmup fix — make sure the engine is connected, then run in a transaction."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy.orm import Session

from simulator.db.client import PrismaClient
from simulator.db.errors import ENGINE_NOT_CONNECTED, PrismaClientInitializationError, PrismaError

T = TypeVar("T")


def is_retryable(error: PrismaError) -> bool:
    """Connection trouble another attempt can cure: an engine taken down under the request ("Engine is not yet
    connected."), an unreachable server (P1001), a closed connection (P1017). Never query errors (P2010, P2021,
    P2002), pool timeouts (P2024) or bad credentials (P1000)."""
    if isinstance(error, PrismaClientInitializationError):
        return error.code == "P1001"
    return error.code == "P1017" or (error.code is None and ENGINE_NOT_CONNECTED in error.message)


def prisma_operation(
    client: PrismaClient,
    operation: Callable[[Session], T],
    *,
    retries: int = 3,
    backoff: float = 0.05,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`await prisma.$connect()`, then run `operation(session)` in one transaction and return its result.

    Up to `retries` further attempts follow a connection failure, each after reconnecting and waiting
    `backoff * 2**attempt` (pass a simulator clock's `sleep` to make that wait virtual). A failed attempt
    rolled its transaction back, so a retry never doubles a write. Query errors are raised at once.
    """
    attempt = 0
    while True:
        try:
            if not client.is_connected:
                client.connect()
            with client.transaction() as session:
                return operation(session)
        except PrismaError as error:
            if attempt >= retries or not is_retryable(error):
                raise
            sleep(backoff * 2**attempt)
            attempt += 1
