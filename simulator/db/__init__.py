"""The Prisma-like database layer of the simulated app: client, warmup helper, Prisma's errors."""

from simulator.db.client import PrismaClient
from simulator.db.errors import (
    ENGINE_NOT_CONNECTED,
    PrismaClientInitializationError,
    PrismaClientKnownRequestError,
    PrismaClientUnknownRequestError,
    PrismaError,
)
from simulator.db.operation import prisma_operation

__all__ = [
    "ENGINE_NOT_CONNECTED",
    "PrismaClient",
    "PrismaClientInitializationError",
    "PrismaClientKnownRequestError",
    "PrismaClientUnknownRequestError",
    "PrismaError",
    "prisma_operation",
]
