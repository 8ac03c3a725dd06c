"""Spare Bull hosts: Node processes started ahead of need, `bull` already loaded, each waiting for its config.

Starting Node and loading `bull` takes about 0.2 s of a host's 0.35 s start; a simulation starts two hosts and each
deploy one more. A spare is taken instead and another started in its place, so that wait happens while the
previous host runs. Spares left at exit get their stdin closed (host.js then exits) and are killed if they linger.
"""

from __future__ import annotations

import atexit
import subprocess
import threading
from pathlib import Path

from simulator.node.runtime import NodeRuntime

# A simulation starts its producer host and its deployment's host side by side.
SPARES_PER_RUNTIME = 2

_Key = tuple[str, str, str]


class HostSpares:
    """Idle host processes per (node, node_modules, script)."""

    def __init__(self, keep: int = SPARES_PER_RUNTIME) -> None:
        self.keep = keep
        self._lock = threading.Lock()
        self._idle: dict[_Key, list[subprocess.Popen[str]]] = {}
        self._registered = False

    def take(self, runtime: NodeRuntime, node_modules: Path, script: Path) -> subprocess.Popen[str]:
        """A started host process waiting for its config line; the pool is topped up again."""
        key = (runtime.node, str(node_modules), str(script))
        with self._lock:
            idle = self._idle.setdefault(key, [])
            taken = None
            dead = []
            while idle and taken is None:
                candidate = idle.pop(0)
                if candidate.poll() is None:
                    taken = candidate
                else:
                    dead.append(candidate)
            if not self._registered:
                atexit.register(self.close)
                self._registered = True
        for process in dead:  # its pipes are closed too
            _end(process)
        if taken is None:
            taken = _spawn(runtime, node_modules, script)
        self._top_up(key, runtime, node_modules, script)
        return taken

    def _top_up(self, key: _Key, runtime: NodeRuntime, node_modules: Path, script: Path) -> None:
        with self._lock:
            missing = self.keep - len(self._idle.get(key, []))
        started = [_spawn(runtime, node_modules, script) for _ in range(max(0, missing))]
        with self._lock:
            self._idle.setdefault(key, []).extend(started)

    def close(self) -> None:
        """End every idle spare: stdin closed, killed if still there after a second."""
        with self._lock:
            idle = [process for processes in self._idle.values() for process in processes]
            self._idle.clear()
        for process in idle:
            _end(process)


def _spawn(runtime: NodeRuntime, node_modules: Path, script: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [runtime.node, str(script)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, encoding="utf-8", bufsize=1, env=runtime.env(node_modules),
    )


def _end(process: subprocess.Popen[str]) -> None:
    try:
        if process.stdin is not None:
            process.stdin.close()
        process.wait(timeout=1)
    except (OSError, subprocess.TimeoutExpired):
        process.kill()
        process.wait()
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


SPARES = HostSpares()
