"""One run's exclusive hold on the recovery ledger, from its load to its last save, so two runs never interleave.

A file ledger is locked with flock on `<ledger>.lock` beside it, removed again on release (the kernel drops the
lock when the process ends, so a crash leaves a file but no lock); a Redis ledger with the key
`<ledger key>:lock`, set only if absent and expiring after LOCK_TTL_SECONDS. A run that cannot get the lock
within LOCK_WAIT_SECONDS stops with one line naming the holder, before it changes anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import time
from pathlib import Path

import redis.asyncio as aioredis

from recovery_tools.manage_queues import ledger
from recovery_tools.manage_queues.cron_switch import operator
from recovery_tools.manage_queues.errors import ToolError

try:
    import fcntl
except ImportError:  # Windows: no flock; the file ledger is then not locked
    fcntl = None  # type: ignore[assignment]

LOCK_WAIT_SECONDS = 10.0
LOCK_TTL_SECONDS = 600
_POLL_SECONDS = 0.1
# Deletes the lock only if it still holds this run's token (an expired lock may be another run's by now).
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0"


class LedgerLock:
    """acquire() before the ledger is read; release() after its last write."""

    def __init__(self, store: ledger.Store, client: aioredis.Redis) -> None:
        self.store, self.client = store, client
        self._fd: int | None = None
        self._path: Path | None = None
        self._token: str | None = None

    async def acquire(self) -> None:
        deadline = time.monotonic() + LOCK_WAIT_SECONDS
        while not await self._try():
            if time.monotonic() >= deadline:
                raise ToolError(f"recovery ledger {self.store.where} is in use by another manage-queues run "
                                f"({await self._holder()}); let it finish, or pass --ledger another path")
            await asyncio.sleep(_POLL_SECONDS)

    async def release(self) -> None:
        if self._token is not None and self.store.redis_key is not None:
            await self.client.eval(_RELEASE, 1, _lock_key(self.store.redis_key), self._token)
            self._token = None
        if self._fd is not None:
            # Removed while still held (so no lock file stays beside the ledger), then the flock drops with the
            # descriptor. A run that opened the old file meanwhile sees it is gone and tries again.
            if self._path is not None:
                with contextlib.suppress(FileNotFoundError):
                    self._path.unlink()
            os.close(self._fd)
            self._fd, self._path = None, None

    def _label(self) -> str:
        return f"{operator()} pid {os.getpid()}"

    async def _try(self) -> bool:
        if self.store.redis_key is not None:
            token = f"{self._label()} {secrets.token_hex(4)}"
            if await self.client.set(_lock_key(self.store.redis_key), token, nx=True, ex=LOCK_TTL_SECONDS):
                self._token = token
                return True
            return False
        assert self.store.path is not None
        if fcntl is None:
            return True
        path = _lock_path(self.store.path)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise ToolError(f"cannot create the recovery ledger's lock file {path}: "
                            f"{error.strerror or error}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        if not _still_at(fd, path):  # its holder removed it as we opened it: lock the new file instead
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, self._label().encode())
        self._fd, self._path = fd, path
        return True

    async def _holder(self) -> str:
        with contextlib.suppress(OSError, UnicodeDecodeError):
            if self.store.redis_key is not None:
                held = await self.client.get(_lock_key(self.store.redis_key))
                return held.decode() if isinstance(held, bytes) else str(held or "unknown")
            assert self.store.path is not None
            return _lock_path(self.store.path).read_text(encoding="utf-8").strip() or "unknown"
        return "unknown"


def _still_at(fd: int, path: Path) -> bool:
    """True when `path` still names the file open as `fd`."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _lock_key(ledger_key: str) -> str:
    return f"{ledger_key}:lock"


def _lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")
