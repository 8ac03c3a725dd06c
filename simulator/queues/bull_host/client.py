"""BullHost: runs host.js (real Bull 4 queues in Node) and serves its jobs from a Python callback on a thread pool.

The protocol is JSON lines over the host's stdin and stdout.

Python -> Node (stdin):
    {"op": "add", "id": n, "queue": q, "name": job name, "data": {...}, "opts": {attempts, backoff, delay, jobId}}
    {"op": "addBulk", "id": n, "queue": q, "jobs": [{"name", "data", "opts"}, ...]}
    {"op": "pause" | "resume" | "counts", "id": n, "queue": q}      Bull's global pause/resume; job counts
    {"op": "jobs", "id": n, "queue": q, "states": [...]}  {"op": "state", "id": n, "queue": q, "jobId": j}
    {"op": "workers", "id": n, "queue": q}                          Bull's getWorkers (any process's)
    {"op": "ping", "id": n}       {"op": "close", "id": n}          close: finish active jobs, disconnect, exit 0
    {"op": "result", "request": r, "ok": true, "value": json}       the answer to job request r
    {"op": "result", "request": r, "ok": false, "error": {"name", "message", "stack"}}
Node -> Python (stdout):
    {"type": "ready", "queues": [...], "versions": {"node": "v20.x", "bull": "4.x.y"}}
    {"type": "reply", "id": n, "ok": true, ...result}  or  {"type": "reply", "id": n, "ok": false, "error": text}
        add -> "jobId"; addBulk -> "jobIds"; counts -> "counts", "paused"; jobs -> "jobIds"; state -> "state"
        (Bull's, or "unknown"); workers -> "workers" (a count)
    {"type": "job", "request": r, "queue", "jobId", "name", "data", "attemptsMade", "attempts", "timestamp"}
    {"type": "event", "event": e, "queue", "at": epoch ms, ...} with e one of
        added (this host's add returned: jobId, name, delay), waiting (any producer's job reached wait: jobId),
        duplicated (an add, by any producer, named an existing jobId and added nothing: jobId),
        active / completed / stalled (this host's workers: jobId, name, attemptsMade, attempts),
        failed (also failedReason, willRetry, stalledOut), paused / resumed (Bull's global), error (message)

Journal: with `journal=True` the host also writes its job events to the Redis stream `<prefix>:<queue>:journal`
(fields event, at, pid, jobId, name, attemptsMade, willRetry, stalledOut, delay), an add's "added" before the add
is acknowledged; with `journal_global=True` the global events too (one host per prefix should: every host hears
them). It is what harness/ledger.py reads for Bull queues, which keep no event stream of their own.

Timing: Bull's lock on a job is renewed by Node's timer every lockRenewTime while the Python body runs, so a
body may run as long as it likes; a job stalls only when the host (Node) stops. Lock duration and stalled
interval are real milliseconds and must not follow the virtual clock: a fast clock would otherwise let a
lock expire during one slow body and hand the job to a second worker.
"""

from __future__ import annotations

import collections
import contextlib
import itertools
import json
import logging
import subprocess
import threading
import traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from recovery_tools.urls import redact
from simulator.node.runtime import NodeRuntime, ensure_bull, find_node
from simulator.queues.bull_host.spares import SPARES

HOST_SCRIPT = Path(__file__).with_name("host.js")
log = logging.getLogger(__name__)


class BullHostError(RuntimeError):
    """A call to the host failed, timed out, or the host is gone (the message says which)."""


@dataclass(frozen=True)
class BullJob:
    """One Bull job handed to the Python callback."""

    queue: str
    id: str
    name: str
    data: Any
    attempts_made: int
    attempts: int
    timestamp: int


@dataclass(frozen=True)
class JobSpec:
    """A job to add: `delay` and `backoff` delays are real milliseconds (the caller maps virtual time)."""

    name: str
    data: Any = None
    attempts: int | None = None
    backoff: int | Mapping[str, Any] | None = None  # ms (fixed) or {"type": "fixed"|"exponential", "delay": ms}
    delay: int | None = None
    job_id: str | None = None

    def wire(self) -> dict[str, Any]:
        opts = {"attempts": self.attempts, "backoff": self.backoff, "delay": self.delay, "jobId": self.job_id}
        return {"name": self.name, "data": {} if self.data is None else self.data,
                "opts": {key: value for key, value in opts.items() if value is not None}}


@dataclass(frozen=True)
class BullSettings:
    """Bull's queue settings in real milliseconds.

    The defaults are Bull's own (30 s). Lower them only in tests that want a stalled job recovered quickly;
    lock_duration must stay well above any pause of Node's event loop, never tied to a stage body's time.
    """

    lock_duration: int = 30_000
    stalled_interval: int = 30_000
    max_stalled_count: int = 1
    lock_renew_time: int | None = None  # Bull's default: lock_duration / 2
    guard_interval: int = 5_000
    retry_process_delay: int = 5_000

    def wire(self) -> dict[str, int]:
        settings = {
            "lockDuration": self.lock_duration, "stalledInterval": self.stalled_interval,
            "maxStalledCount": self.max_stalled_count, "guardInterval": self.guard_interval,
            "retryProcessDelay": self.retry_process_delay,
        }
        if self.lock_renew_time is not None:
            settings["lockRenewTime"] = self.lock_renew_time
        return settings


Handler = Callable[[BullJob], Any]
EventSink = Callable[[dict[str, Any]], None]


@dataclass
class _Pending:
    what: str
    future: Future[dict[str, Any]] = field(default_factory=Future)


class BullHost:
    """One Node process hosting Bull queues; jobs of queues with concurrency > 0 are served by `handler`.

    `handler(job)` runs on a thread pool; its return value (JSON) completes the job, an exception fails it
    with str(exc) as Bull's failedReason and the Python traceback as its stack. `on_event` is called on the
    reader thread for every event (keep it quick); `events()` returns all of them so far. With `events=False` and
    no `on_event`, the host writes its events only to the journal (and "error" events to Python): a host whose
    events nobody reads does not pay for sending and parsing them, nor subscribe to Bull's global events unless it
    journals them.
    """

    def __init__(
        self,
        redis_url: str,
        prefix: str,
        queues: Mapping[str, int],
        handler: Handler,
        *,
        settings: BullSettings | None = None,
        on_event: EventSink | None = None,
        pool_size: int | None = None,
        runtime: NodeRuntime | None = None,
        node_modules: Path | None = None,
        start_timeout: float = 60.0,
        call_timeout: float = 30.0,
        journal: bool = True,
        journal_global: bool = False,
        events: bool = True,
    ) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self.queues = dict(queues)
        self.handler = handler
        self.settings = settings or BullSettings()
        self.on_event = on_event
        self.start_timeout = start_timeout
        self.call_timeout = call_timeout
        self.journal = {"global": journal_global} if journal else None
        self.forward_events = events or on_event is not None
        self._runtime = runtime
        self._node_modules = node_modules
        self._pool = ThreadPoolExecutor(
            max_workers=pool_size or max(1, sum(self.queues.values())), thread_name_prefix="bull-job"
        )
        self._ids = itertools.count(1)
        self._pending: dict[int, _Pending] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._ready: Future[dict[str, Any]] = Future()
        self._gone: str | None = None
        self._closing = False
        self.process: subprocess.Popen[str] | None = None
        self.versions: dict[str, str] = {}
        self._threads: list[threading.Thread] = []

    # --- life cycle -------------------------------------------------------------------------------------

    def start(self) -> BullHost:
        """Launch the host and wait until its queues and workers are ready."""
        return self.launch().wait_ready()

    def launch(self) -> BullHost:
        """Start the Node process without waiting for it (wait_ready() does): hosts can start side by side."""
        runtime = self._runtime or find_node()
        node_modules = self._node_modules or ensure_bull(runtime)
        config = {
            "redis": self.redis_url, "prefix": self.prefix, "queues": self.queues, "settings": self.settings.wire(),
            "journal": self.journal, "events": self.forward_events,
        }
        # A spare host (Node started, bull loaded) takes its config as its first stdin line.
        self.process = SPARES.take(runtime, node_modules, HOST_SCRIPT)
        assert self.process.stdin is not None
        with contextlib.suppress(OSError):  # a spare that died says why on stderr, read below
            self.process.stdin.write(json.dumps(config) + "\n")
            self.process.stdin.flush()
        for target, name in ((self._read_stdout, "bull-host-out"), (self._read_stderr, "bull-host-err")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def wait_ready(self) -> BullHost:
        """Wait for the launched host's "ready"; a host that does not start is killed and reported."""
        try:
            ready = self._ready.result(timeout=self.start_timeout)
        except TimeoutError:
            self.kill()
            raise BullHostError(
                f"bull host: not ready after {self.start_timeout:.0f}s (Redis {self._redis_where()}){self._tail()}"
            ) from None
        except BullHostError:
            self.kill()
            raise
        self.versions = dict(ready.get("versions", {}))
        return self

    def __enter__(self) -> BullHost:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self, timeout: float = 60.0) -> None:
        """Let Bull finish the active jobs, disconnect and exit; kill the host if it does not in `timeout`."""
        if self.process is None:
            return
        try:
            if self._gone is None and not self._closing:
                self._closing = True
                self._call({"op": "close"}, "close", timeout)
            self.process.wait(timeout=timeout)
        except (BullHostError, subprocess.TimeoutExpired):
            self.kill()
            raise
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)
            for thread in self._threads:
                thread.join(timeout=5)
            for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
                if stream is not None:
                    with contextlib.suppress(OSError):
                        stream.close()

    def kill(self) -> None:
        """Stop the Node process at once (SIGKILL), as a crash would: Bull's stalled check recovers its jobs."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None and self._gone is None

    # --- calls ------------------------------------------------------------------------------------------

    def add(self, queue: str, job: JobSpec, timeout: float | None = None) -> str:
        reply = self._call({"op": "add", "queue": queue, **job.wire()}, f"add {job.name} to {queue}", timeout)
        return str(reply["jobId"])

    def add_bulk(self, queue: str, jobs: Iterable[JobSpec], timeout: float | None = None) -> list[str]:
        wired = [job.wire() for job in jobs]
        reply = self._call({"op": "addBulk", "queue": queue, "jobs": wired}, f"add {len(wired)} jobs to {queue}",
                           timeout)
        return [str(job_id) for job_id in reply["jobIds"]]

    def pause(self, queue: str, timeout: float | None = None) -> None:
        """Bull's global pause: no worker of any process takes a job of `queue` until resume."""
        self._call({"op": "pause", "queue": queue}, f"pause {queue}", timeout)

    def resume(self, queue: str, timeout: float | None = None) -> None:
        self._call({"op": "resume", "queue": queue}, f"resume {queue}", timeout)

    def counts(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        """Bull's job counts of `queue` (waiting, active, completed, failed, delayed, paused) and `paused`."""
        reply = self._call({"op": "counts", "queue": queue}, f"counts of {queue}", timeout)
        return {**reply["counts"], "is_paused": bool(reply["paused"])}

    def job_ids(self, queue: str, states: Iterable[str], timeout: float | None = None) -> list[str]:
        """Ids of the jobs of `queue` in Bull's `states` (waiting, paused, active, delayed, completed, failed)."""
        reply = self._call({"op": "jobs", "queue": queue, "states": list(states)}, f"jobs of {queue}", timeout)
        return [str(job_id) for job_id in reply["jobIds"]]

    def job_state(self, queue: str, job_id: str, timeout: float | None = None) -> str:
        """Bull's state of one job (completed, failed, active, waiting, paused, delayed), or "unknown"."""
        return str(self.job(queue, job_id, timeout)["state"])

    def job(self, queue: str, job_id: str, timeout: float | None = None) -> dict[str, Any]:
        """One job as Bull holds it: state (or "unknown"), returnvalue, failedReason, attemptsMade."""
        reply = self._call({"op": "state", "queue": queue, "jobId": job_id}, f"state of {queue}/{job_id}", timeout)
        return {key: reply.get(key) for key in ("state", "returnvalue", "failedReason", "attemptsMade")}

    def workers(self, queue: str, timeout: float | None = None) -> int:
        """How many Bull workers (of any process) consume `queue` now: Bull's getWorkers."""
        return int(self._call({"op": "workers", "queue": queue}, f"workers of {queue}", timeout)["workers"])

    def ping(self, timeout: float | None = None) -> None:
        self._call({"op": "ping"}, "ping", timeout)

    def events(self, event: str | None = None, queue: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [e for e in self._events
                    if (event is None or e["event"] == event) and (queue is None or e["queue"] == queue)]

    # --- plumbing ---------------------------------------------------------------------------------------

    def _call(self, message: dict[str, Any], what: str, timeout: float | None) -> dict[str, Any]:
        limit = self.call_timeout if timeout is None else timeout
        call_id = next(self._ids)
        pending = _Pending(what)
        with self._lock:
            if self._gone is not None:
                raise BullHostError(f"bull host: {what}: {self._gone}")
            self._pending[call_id] = pending
        try:
            self._send({**message, "id": call_id})
            reply = pending.future.result(timeout=limit)
        except TimeoutError:
            raise BullHostError(f"bull host: {what} timed out after {limit:g}s{self._tail()}") from None
        finally:
            with self._lock:
                self._pending.pop(call_id, None)
        if not reply.get("ok"):
            raise BullHostError(f"bull host: {what} failed: {reply.get('error')}")
        return reply

    def _send(self, message: dict[str, Any]) -> None:
        assert self.process is not None and self.process.stdin is not None
        line = json.dumps(message, separators=(",", ":")) + "\n"
        try:
            with self._write_lock:
                self.process.stdin.write(line)
                self.process.stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise BullHostError(f"bull host: cannot write to the host: {self._why_gone()}") from None

    def _read_stdout(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self._stderr.append(f"(stdout, not JSON) {line.rstrip()}")
                continue
            kind = message.get("type")
            if kind == "job":
                try:
                    self._pool.submit(self._serve, message)
                except RuntimeError:  # the pool is shut down (a host being killed): the job will stall
                    self._stderr.append(f"(job {message.get('jobId')} arrived after shutdown)")
            elif kind == "event":
                self._record(message)
            elif kind == "reply":
                with self._lock:
                    pending = self._pending.get(message.get("id", -1))
                if pending is not None:
                    pending.future.set_result(message)
            elif kind == "ready":
                self._ready.set_result(message)
        self._host_gone()

    def _read_stderr(self) -> None:
        assert self.process is not None and self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line.rstrip())

    def _host_gone(self) -> None:
        assert self.process is not None
        code = self.process.wait()
        for thread in self._threads:
            if thread.name == "bull-host-err" and thread is not threading.current_thread():
                thread.join(timeout=2)
        why = f"the host exited with code {code}{self._tail()}"
        with self._lock:
            if self._gone is None:
                self._gone = why
            pending = list(self._pending.values())
        if not self._ready.done():
            self._ready.set_exception(BullHostError(f"bull host: could not start: {why}"))
        for call in pending:
            if not call.future.done():
                call.future.set_result({"ok": False, "error": why})

    def _record(self, message: dict[str, Any]) -> None:
        with self._lock:
            self._events.append(message)
        if self.on_event is not None:
            try:
                self.on_event(message)
            except Exception:  # the reader thread must live on: a dead reader would look like a hung host
                log.exception("bull host: on_event raised for %s", message)

    def _serve(self, message: dict[str, Any]) -> None:
        job = BullJob(
            queue=message["queue"], id=str(message["jobId"]), name=message["name"], data=message.get("data"),
            attempts_made=int(message.get("attemptsMade") or 0), attempts=int(message.get("attempts") or 1),
            timestamp=int(message.get("timestamp") or 0),
        )
        answer: dict[str, Any]
        try:
            value = self.handler(job)
            json.dumps(value)  # a value that is not JSON fails the job here, not the writer
            answer = {"op": "result", "request": message["request"], "ok": True, "value": value}
        except Exception as error:  # noqa: BLE001 - any failure of the app's body is the job's failure
            answer = {"op": "result", "request": message["request"], "ok": False, "error": {
                "name": type(error).__name__,
                "message": str(error),
                "stack": "".join(traceback.format_exception(error)).rstrip(),
            }}
        # When the host is gone, Bull's stalled check hands the job to another host.
        with contextlib.suppress(BullHostError):
            self._send(answer)

    def _why_gone(self) -> str:
        """Why the host no longer listens (the reader may not have seen its end yet when a write fails)."""
        assert self.process is not None
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)
        if self._gone is not None:
            return self._gone
        code = self.process.poll()
        return f"the host exited with code {code}{self._tail()}" if code is not None else "its stdin is closed"

    def _tail(self) -> str:
        lines = [line for line in self._stderr if line.strip()][-8:]
        return ("; stderr: " + " | ".join(lines)) if lines else ""

    def _redis_where(self) -> str:
        return redact(self.redis_url)
