"""The `manage-queues` command line (Typer): pause | resume | status | clean | list.

Queues may be Bull 4 (npm `bull`) or BullMQ (Node 5.x/6.x, Python); each queue's library is told from its
keys (library.py). A queue whose keys show both, or keys but no sign of either, is refused (exit 2, one line
naming the queue and what was seen) unless `--library bull|bullmq` or the config's `library` says which.
A queue with no keys is paused both ways (Bull's `meta-paused` and `meta.paused`). Bull's local (per-worker)
pause, `queue.pause(true)`, lives in one process's memory and cannot be seen from Redis.

The recovery ledger (ledger.py, accounting.py, recovery.py): `pause` records a snapshot per queue (job ids by
state, when, who) in `--ledger PATH` (default ./recovery-ledger.json; `redis`: the key <prefix>:recovery-ledger;
`off`: nothing), `clean` appends the ids it removed (not on --dry-run), `resume` accounts for every job of the
snapshot before it resumes the queues. `pause --wait-idle DURATION` then waits until no job is active.

The cron (cron.py): where the app runs on Vercel and the project is known (the config's `[vercel]` table or
`.vercel/project.json`; VERCEL_TOKEN), `pause` disables the project's crons through Vercel's API before any queue
changes (a refused or unreachable API: nothing paused, exit 2), the ledger records the crons' state at the pause,
and `resume` re-enables them only if that pause disabled them. `status` reads them back from the API. Where the
config says `[cron] switch = true` (the app's cron handler honours it) the key `<prefix>:cron-paused` is set and
cleared too. With neither, the tool does not claim the cron: pause and status say so in one line, and
`status --expect` judges the queues alone. `resume --after-deployment ID|URL` follows the deployment and resumes
nothing unless it turns READY (ERROR, CANCELED, --timeout: exit 1).

Exit codes: 0 ok; 1 `status --expect` not met, `pause --wait-idle` timed out with jobs still active, `resume`
found jobs missing since the pause (the queues are resumed all the same), or `resume --after-deployment` saw the
deployment end in ERROR or CANCELED or not READY by --timeout (nothing resumed); 2 usage error, unknown or
undecidable queue, bad URL, Redis unreachable, a damaged ledger, a ledger another run holds past 10 s, no
VERCEL_TOKEN for a configured Vercel project, or the Vercel API refused or could not be reached (all refused
before anything changes); 3 refused (clean on a non-loopback host without confirmation or --yes).

JSON (`--json`), one document on stdout; every document has "command", "redis" (password
redacted) and "prefix":
  status: {"cron": CRON, "queues": [STATUS...], "expect": "paused"|"running"|"idle"|null,
           "expectation_met": bool|null, "mismatches": [str...], "active": {queue: [ACTIVE...]} (idle only)}
    ACTIVE = {"id", "running_seconds": float|null (from processedOn), "locked": bool (false: stalled?)}
    CRON   = {"managed_by": "vercel"|"switch"|null (null: this tool does not manage the cron),
              "paused": bool|null (null when not managed; with both, paused = crons disabled and switch set),
              "key", "paused_by", "paused_at": the <prefix>:cron-paused switch ([cron] switch = true), else null,
              "vercel": {"project", "team", "enabled": bool, "disabled_at": ISO|null, "updated_at",
                         "deployment_id", "definitions": [{"host", "path", "schedule"}...], "api": base URL,
                         "changed": bool|null (pause/resume: this run switched them)}|null,
              "note": str|null (e.g. how to pause a cron this tool does not manage)}
    STATUS = {"name", "state": "paused"|"running", "paused": bool, "waiting" (includes the
              `paused` list), "legacy_paused" (jobs in the `paused` list), "active", "delayed",
              "prioritized" (Bull: its `priority` set, whose jobs are also in "waiting"), "waiting_children",
              "failed", "completed", "version": "bullmq:5.x.y"|null, "layout": LAYOUT, "exists": bool,
              "library": LIBRARY, "library_source": "redis"|"--library"|"config"|"none",
              "evidence": [str...], "notes": [str...]}
    LAYOUT = "bull4"|"5.x"|"6.x"|"empty" (no keys)|"ambiguous" (list only); LIBRARY = "bull"|"bullmq"|null
  pause, resume: {"cron": CRON, "queues": [{"name", "library", "paused", "was_paused", "layout", "moved"}...],
                  "ledger": LEDGER, "wait_idle": WAIT|null (pause only), "deployment": DEPLOYMENT|null (resume)}
    DEPLOYMENT = {"id", "url", "target", "readyState", "ready": bool, "timed_out": bool, "waited_seconds",
                  "error": str|null, "states": [{"state", "seconds"}...],
                  "events": [{"created": ms, "type", "text", "level"}...]}
    (resume --after-deployment that does not see READY prints this document with "cron": null, "queues": [],
     "ledger": null before exiting 1)
    WAIT   = {"idle": bool, "timeout_seconds", "waited_seconds", "active": {queue: [ACTIVE...]}}
    LEDGER = {"location": path|"redis key <prefix>:recovery-ledger"|null (off), "action": "opened"|"kept"|"added"|
              "appended"|"compared"|"none"|"off", "opened_at", "opened_by", "detail",
              resume only: "queues": [ACCOUNTS...], "not_in_ledger": [queue...], "missing_total": int}
    ACCOUNTS = {"name", "library", "counts": {"at_pause", "added", "cleaned", "finished", "still_waiting",
                "missing", "unconfirmed"}, "missing": [id...], "unconfirmed": [id...], "cleaned": [id...],
                "added": [id...], "finished_by_events": [id...], "removed_events": [id...],
                "gone_after_finishing": [id...], "orphaned": [id...]}
  clean: {"dry_run", "grace_seconds", "limit", "states": [...], "total", "ledger": LEDGER,
          "queues": [{"name", "library", "dry_run", "removed": {state: [job id...]}, "count"}...]}
  list: {"queues": [{"name", "registered", "paused": bool|null, "library", "version", "layout",
                     "evidence"}...], "registry_missing": [...]}
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import redis.asyncio as aioredis
import typer
from redis.exceptions import RedisError

from recovery_tools.cli import ConfigPath, run, tool_config, typer_app
from recovery_tools.manage_queues import (
    cleaning,
    control,
    counting,
    idle,
    ledger,
    library,
    output,
    recovery,
    targets,
)
from recovery_tools.manage_queues.connection import DEFAULT_CONNECT_TIMEOUT, check_url, connect, is_loopback
from recovery_tools.manage_queues.cron import Cron, CronState
from recovery_tools.manage_queues.errors import EXIT_EXPECTATION, EXIT_FAIL, EXIT_REFUSED, ToolError
from recovery_tools.manage_queues.handles import Queues
from recovery_tools.platform import follow as deployments
from recovery_tools.platform.vercel import client_for
from recovery_tools.urls import redact

T = TypeVar("T")

HELP = (
    "Pause, resume, inspect and clean the app's queues, Bull 4 or BullMQ (Node 5.x/6.x, Python bullmq), "
    "and the app's cron, as the recovery checklist runs them.\n\n"
    "The cron: on Vercel (the config's \\[vercel] project, or .vercel/project.json; VERCEL_TOKEN) pause "
    "disables the project's crons before any queue (a refused API: nothing paused, exit 2) and resume re-enables "
    "them only if that pause disabled them; with \\[cron] switch = true the key <prefix>:cron-paused is set "
    "too; with neither, the tool does not claim the cron and says how to pause it. resume --after-deployment "
    "resumes only once the deployment is READY.\n\n"
    "Each queue's library is told from its keys; a queue whose keys do not tell is refused (exit 2) unless "
    "--library or the config's `library` says. Bull's local (per-worker) pause, queue.pause(true), "
    "cannot be seen from Redis: status reports only the global pause.\n\n"
    "pause records a snapshot of every queue's job ids in the recovery ledger (--ledger, default "
    "./recovery-ledger.json), clean appends what it removed, resume accounts for every job of the pause and "
    "names the missing ones. pause --wait-idle waits for the jobs in flight.\n\n"
    "Exit codes: 0 ok, 1 `status --expect` not met, --wait-idle timed out, jobs missing at resume, or the "
    "deployment of --after-deployment not READY, "
    "2 usage/unknown or undecidable queue/bad URL/Redis unreachable/damaged ledger/ledger held by another run/"
    "no VERCEL_TOKEN/the Vercel API refused or unreachable, "
    "3 refused (clean on a non-loopback host without confirmation or --yes).\n\n"
    "--json prints one JSON document; its shape is in this module's docstring "
    "(python -m pydoc recovery_tools.manage_queues.cli)."
)

app = typer_app("manage-queues", HELP)


class Expect(StrEnum):
    paused = "paused"
    running = "running"
    idle = "idle"


RedisUrl = Annotated[
    str | None,
    typer.Option("--redis-url", envvar="REDIS_URL", show_envvar=True,
                 help="redis://, rediss:// (TLS) or unix:// URL; the password is never printed."),
]
Prefix = Annotated[
    str | None, typer.Option("--prefix", help="Key prefix of the queues (default: the config's, else bull).")
]
QueueNames = Annotated[
    list[str] | None,
    typer.Option("--queue", "-q", help="A queue to act on (repeatable). Default: the queues of the app's config."),
]
AllQueues = Annotated[bool, typer.Option("--all", help="Every queue found under the prefix.")]
Json = Annotated[bool, typer.Option("--json", help="Print one JSON document instead of tables.")]
Timeout = Annotated[float, typer.Option("--connect-timeout", min=0.1, help="Seconds to wait for Redis to answer.")]
LedgerChoice = Annotated[
    str | None,
    typer.Option("--ledger", metavar="PATH|redis|off",
                 help=f"The recovery ledger: a JSON file (default ./{ledger.DEFAULT_PATH}), `redis` for the key "
                      "<prefix>:recovery-ledger on the queues' Redis, or `off` to record nothing."),
]


class LibraryName(StrEnum):
    bull = "bull"
    bullmq = "bullmq"


LibraryOption = Annotated[
    LibraryName | None,
    typer.Option("--library", help="The queue library, for queues whose keys do not tell (default: the config's "
                                    "`library`); refused when Redis clearly shows the other one."),
]


async def _libraries(client: aioredis.Redis, prefix: str, names: list[str], flag: LibraryName | None,
                     configured: str | None, *, tolerant: bool = False) -> dict[str, library.Library]:
    return await library.detect(client, prefix, names, flag.value if flag else None, configured, tolerant=tolerant)


def _session(redis_url: str | None, timeout: float, work: Callable[[aioredis.Redis], Awaitable[T]]) -> T:
    """Connect, run `work`, close; Redis failures become one-line ToolErrors."""
    url = check_url(redis_url)

    async def run() -> T:
        client = await connect(url, timeout)
        try:
            return await work(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(run())
    except RedisError as error:
        reason = (str(error).strip() or type(error).__name__).splitlines()[0]
        raise ToolError(f"Redis at {redact(url)} failed: {reason}") from None


def _envelope(command: str, redis_url: str | None, prefix: str) -> dict[str, Any]:
    return {"command": command, "redis": redact(redis_url or ""), "prefix": prefix}


@app.command()
def status(
    redis_url: RedisUrl = None,
    prefix: Prefix = None,
    queue: QueueNames = None,
    all_queues: AllQueues = False,
    json_output: Json = False,
    expect: Annotated[
        Expect | None, typer.Option("--expect", help="Exit 1 unless every queue and the cron are paused/running "
                                                     "(the cron only where this tool manages it: Vercel's crons "
                                                     "or the \\[cron] switch), or (idle) no job of the selected "
                                                     "queues is active.")
    ] = None,
    library_name: LibraryOption = None,
    connect_timeout: Timeout = DEFAULT_CONNECT_TIMEOUT,
    config: ConfigPath = None,
) -> None:
    """Per queue: paused or running, job counts wherever the jobs sit, its library; and the cron (Vercel's crons
    read back from its API, the \\[cron] switch, or a line saying this tool does not manage it)."""
    targets.check_selection(queue, all_queues)
    app_config = tool_config(config)
    prefix = prefix or app_config.prefix

    cron_control = Cron(app_config)

    async def work(client: aioredis.Redis) -> tuple[CronState, list[counting.QueueStatus],
                                                    dict[str, list[idle.ActiveJob]]]:
        names = await targets.resolve(client, prefix, queue, all_queues, app_config.queues)
        libraries = await _libraries(client, prefix, names, library_name, app_config.library)
        queues = Queues(client, prefix)
        statuses = [await counting.queue_status(queues, n, libraries[n]) for n in names]
        active = await idle.active_by_queue(client, prefix, names) if expect == Expect.idle else {}
        return await cron_control.read(client, prefix), statuses, active

    cron, statuses, active = _session(redis_url, connect_timeout, work)
    mismatches: list[str] = []
    if expect == Expect.idle:
        mismatches = [f"queue {name} has {len(jobs)} active job(s): {', '.join(j.label() for j in jobs)}"
                      for name, jobs in active.items() if jobs]
    elif expect is not None:
        wanted = expect.value == "paused"
        mismatches = [f"queue {s.name} is {s.state}" for s in statuses if s.paused != wanted]
        cron_wrong = cron.mismatch(wanted)  # None when it is as wanted, or when nothing manages the cron
        if cron_wrong:
            mismatches.append(cron_wrong)
    if json_output:
        document = {
            **_envelope("status", redis_url, prefix),
            "cron": cron.to_json(),
            "queues": [s.to_json() for s in statuses],
            "expect": expect.value if expect else None,
            "expectation_met": (not mismatches) if expect else None,
            "mismatches": mismatches,
        }
        if expect == Expect.idle:
            document["active"] = {name: [j.to_json() for j in jobs] for name, jobs in active.items() if jobs}
        output.emit_json(document)
    else:
        out = output.console()
        output.header(out, redact(redis_url or ""), prefix)
        for line in cron.lines():
            out.print(line, markup=False, soft_wrap=True)
        out.print(output.status_table(statuses))
        for line in output.notes(statuses):
            out.print(line, markup=False, soft_wrap=True)
        if expect is not None:
            verdict = (f"all {expect.value}" if expect != Expect.idle else "no active job") if not mismatches \
                else "; ".join(mismatches)
            out.print(f"expect {expect.value}: {'OK' if not mismatches else 'NOT MET'} - {verdict}")
    if mismatches:
        raise typer.Exit(EXIT_EXPECTATION)


def _recorder(store: ledger.Store | None, client: aioredis.Redis, redis_url: str | None,
              prefix: str) -> recovery.Recorder | None:
    return None if store is None else recovery.Recorder(store, client, redact(redis_url or ""), prefix)


def _change(command: str, redis_url: str | None, prefix: str | None, queue: list[str] | None, all_queues: bool,
            json_output: bool, timeout: float, config: Path | None, library_name: LibraryName | None,
            ledger_choice: str | None, wait_idle: str | None = None, after_deployment: str | None = None,
            deployment_timeout: str = "10m", poll: float = deployments.DEFAULT_POLL) -> None:
    """pause and resume, the cron first both ways (Vercel's crons, then the switch): on pause nothing new is
    enqueued while the queues are being paused; on either, a refused API leaves everything as it was.

    Everything that can refuse is asked before anything changes: the config, VERCEL_TOKEN, the ledger (refused if
    damaged), the Vercel API (a refused or unreachable API on pause leaves the queues running and the ledger
    unwritten). resume --after-deployment first follows the deployment and resumes nothing unless it is READY.
    pause: snapshot after pausing, then the optional wait for active jobs. resume: the accounts are read while
    the queues are still paused.
    """
    targets.check_selection(queue, all_queues)
    app_config = tool_config(config)
    prefix = prefix or app_config.prefix
    pausing = command == "pause"
    wait_seconds = cleaning.parse_grace(wait_idle, "--wait-idle") if wait_idle is not None else None
    follow_seconds = cleaning.parse_grace(deployment_timeout, "--timeout")
    store = ledger.store_for(ledger_choice, prefix)
    cron_control = Cron(app_config)
    out = None if json_output else output.console()
    followed = None
    if after_deployment is not None:
        followed = _await_deployment(after_deployment, follow_seconds, poll, cron_control, out,
                                     _envelope(command, redis_url, prefix))

    def paused(changes: list[control.QueueChange], cron: CronState, note: recovery.LedgerNote) -> None:
        if out is not None:
            output.header(out, redact(redis_url or ""), prefix)
            out.print(output.change_table(changes))
            for line in cron.lines():
                out.print(line, markup=False, soft_wrap=True)
            out.print(output.ledger_line(note))

    async def work(client: aioredis.Redis) -> tuple[CronState, list[control.QueueChange],
                                                    recovery.LedgerNote, idle.WaitResult | None]:
        names = await targets.resolve(client, prefix, queue, all_queues, app_config.queues)
        libraries = await _libraries(client, prefix, names, library_name, app_config.library)
        note = recovery.OFF
        recorder = _recorder(store, client, redis_url, prefix)
        if recorder is not None:
            await recorder.load()
        try:
            queues = Queues(client, prefix)
            if pausing:
                # An API that refuses or cannot be reached raises here: no queue paused, no ledger written.
                cron = await cron_control.pause(client, prefix)
                changes = [await control.pause_queue(queues, n, libraries[n]) for n in names]
                if recorder is not None:
                    note = await recorder.pause(names, libraries, lambda entry: cron_control.record(cron, entry))
                    await recorder.release()  # the wait below writes nothing
                if wait_seconds is None:
                    return cron, changes, note, None
                paused(changes, cron, note)
                progress = None if out is None else output.IdleProgress(out, names)
                try:
                    waited = await idle.wait_idle(client, prefix, names, wait_seconds, progress)
                finally:
                    if progress is not None:
                        progress.close()
                return cron, changes, note, waited
            opened = None
            if recorder is not None:
                note, opened = await recorder.compare(names)
            # The cron before the queues: an API that refuses or cannot be reached leaves everything paused.
            cron = await cron_control.resume(client, prefix, opened, store is not None)
            changes = [await control.resume_queue(queues, n, libraries[n]) for n in names]
            if recorder is not None:
                await recorder.resumed(note, opened, _deployment_record(followed))
            return cron, changes, note, None
        finally:
            if recorder is not None:
                await recorder.release()

    cron, changes, note, waited = _session(redis_url, timeout, work)
    if json_output:
        document = {**_envelope(command, redis_url, prefix), "cron": cron.to_json(),
                    "queues": [c.__dict__ for c in changes], "ledger": note.to_json()}
        if pausing:
            document["wait_idle"] = waited.to_json() if waited else None
        else:
            document["deployment"] = followed.to_json() if followed else None
        output.emit_json(document)
    else:
        assert out is not None
        if waited is None:
            paused(changes, cron, note)
        if note.reports or note.not_in_ledger:
            out.print(output.accounts_table(note))
            for line in output.accounts_notes(note):
                out.print(line, markup=False, soft_wrap=True)
        verb = "paused" if pausing else "resumed"
        if cron.paused is None:
            tail = "; the cron is not managed by this tool (see above)"
        elif cron.paused == pausing:
            tail = " and the cron"
        else:
            tail = f"; the cron is still {'running' if pausing else 'paused'} (see above)"
        out.print(f"{verb} {len(changes)} queue(s){tail}")
        if waited is not None:
            out.print(f"idle after {waited.waited_seconds:.1f}s" if waited.idle
                      else f"NOT idle after {waited.timeout_seconds:g}s: {waited.summary()}")
    if waited is not None and not waited.idle:
        raise ToolError(f"still active after --wait-idle {wait_idle}: {waited.summary()}", EXIT_FAIL)
    if note.missing:
        named = "; ".join(f"queue {name}: {', '.join(ids)}" for name, ids in note.missing.items())
        raise ToolError(f"{sum(len(i) for i in note.missing.values())} job(s) present at the pause are missing "
                        f"(not cleaned, not finished, in no state now): {named}", EXIT_FAIL)


def _deployment_record(followed: deployments.FollowResult | None) -> dict[str, Any] | None:
    """What the ledger keeps of the deployment a resume waited for (not its log)."""
    if followed is None:
        return None
    return {"id": followed.id, "url": followed.url, "readyState": followed.state,
            "waited_seconds": round(followed.waited_seconds, 3)}


def _await_deployment(id_or_url: str, seconds: float, poll: float, cron_control: Cron, out: Any,
                      envelope: dict[str, Any]) -> deployments.FollowResult:
    """Follow the deployment until READY; anything else (ERROR, CANCELED, the timeout) ends the run with exit 1
    before any queue or cron is touched."""
    client = cron_control.client or client_for(cron_control.link)
    printer = output.DeploymentPrinter(out) if out is not None else None
    result = deployments.follow(client, id_or_url, seconds, poll=poll,
                                on_state=printer.state if printer else None,
                                on_event=printer.event if printer else None)
    if not result.ready:
        if out is None:
            output.emit_json({**envelope, "cron": None, "queues": [], "ledger": None,
                              "deployment": result.to_json()})
        raise ToolError(f"{result.summary()}: nothing resumed, the queues and the cron stay as they are", EXIT_FAIL)
    if out is not None:
        out.print(f"{result.summary()}: resuming")
    return result


WaitIdle = Annotated[
    str | None,
    typer.Option("--wait-idle", metavar="DURATION",
                 help="After pausing, wait up to this long (30s, 2m) until no job of the queues is active; "
                      "exit 1 at the timeout naming the jobs still active."),
]


@app.command()
def pause(
    redis_url: RedisUrl = None,
    prefix: Prefix = None,
    queue: QueueNames = None,
    all_queues: AllQueues = False,
    json_output: Json = False,
    wait_idle: WaitIdle = None,
    ledger_choice: LedgerChoice = None,
    library_name: LibraryOption = None,
    connect_timeout: Timeout = DEFAULT_CONNECT_TIMEOUT,
    config: ConfigPath = None,
) -> None:
    """Pause the cron (Vercel's crons first, then the \\[cron] switch) and the queues (workers take nothing new,
    active jobs finish); record the recovery ledger, the crons' state at the pause included."""
    _change("pause", redis_url, prefix, queue, all_queues, json_output, connect_timeout, config, library_name,
            ledger_choice, wait_idle)


@app.command()
def resume(
    redis_url: RedisUrl = None,
    prefix: Prefix = None,
    queue: QueueNames = None,
    all_queues: AllQueues = False,
    json_output: Json = False,
    ledger_choice: LedgerChoice = None,
    library_name: LibraryOption = None,
    connect_timeout: Timeout = DEFAULT_CONNECT_TIMEOUT,
    config: ConfigPath = None,
    after_deployment: Annotated[
        str | None,
        typer.Option("--after-deployment", metavar="ID|URL",
                     help="Follow this Vercel deployment (its readyState and build events) and resume only once "
                          "it is READY; ERROR, CANCELED or the --timeout: exit 1, nothing resumed. Needs "
                          "VERCEL_TOKEN."),
    ] = None,
    deployment_timeout: Annotated[
        str, typer.Option("--timeout", metavar="DURATION",
                          help="How long --after-deployment waits for READY (30s, 10m).")
    ] = "10m",
    poll_interval: Annotated[
        float, typer.Option("--poll-interval", min=0.05, metavar="SECONDS",
                            help="Seconds between reads of the deployment and its new build events.")
    ] = deployments.DEFAULT_POLL,
) -> None:
    """Account for every job of the pause (exit 1 if one is missing), re-enable the cron this tool paused, resume
    the queues. With --after-deployment: first follow the deployment and resume only once it is READY."""
    _change("resume", redis_url, prefix, queue, all_queues, json_output, connect_timeout, config, library_name,
            ledger_choice, after_deployment=after_deployment, deployment_timeout=deployment_timeout,
            poll=poll_interval)


@app.command()
def clean(
    redis_url: RedisUrl = None,
    prefix: Prefix = None,
    queue: QueueNames = None,
    all_queues: AllQueues = False,
    json_output: Json = False,
    grace: Annotated[str, typer.Option("--grace", help="Keep jobs younger than this: seconds or 30s/5m/1h.")] = "0",
    limit: Annotated[int, typer.Option("--limit", min=0, help="At most this many jobs per queue and state (0: all).")]
    = 1000,
    state: Annotated[
        list[str] | None,
        typer.Option("--state", help=f"Job state to clean (repeatable): {', '.join(cleaning.CLEANABLE_STATES)}. "
                                     "Default: failed only."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List what would be removed; change nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask before cleaning a non-loopback host.")] = False,
    ledger_choice: LedgerChoice = None,
    library_name: LibraryOption = None,
    connect_timeout: Timeout = DEFAULT_CONNECT_TIMEOUT,
    config: ConfigPath = None,
) -> None:
    """Remove failed jobs older than --grace (at most --limit per queue); other states only when --state names them."""
    targets.check_selection(queue, all_queues)
    app_config = tool_config(config)
    prefix = prefix or app_config.prefix
    grace_seconds = cleaning.parse_grace(grace)
    states = cleaning.check_states(state)
    url = check_url(redis_url)
    if not dry_run and not yes and not is_loopback(url):
        _confirm_remote(url, prefix, states)

    store = None if dry_run else ledger.store_for(ledger_choice, prefix)  # a dry run records nothing

    async def work(client: aioredis.Redis) -> tuple[list[cleaning.CleanResult], recovery.LedgerNote]:
        names = await targets.resolve(client, prefix, queue, all_queues, app_config.queues)
        libraries = await _libraries(client, prefix, names, library_name, app_config.library)
        for name in names:
            cleaning.check_library_states(name, libraries[name], states)
        recorder = _recorder(store, client, url, prefix)
        if recorder is not None:
            await recorder.load()  # a damaged ledger is refused before any job is removed
        try:
            queues = Queues(client, prefix)
            results = [
                await cleaning.clean_queue(
                    queues, n, libraries[n], grace_seconds=grace_seconds, limit=limit, states=states, dry_run=dry_run
                )
                for n in names
            ]
            note = await recorder.clean(results) if recorder is not None else recovery.OFF
            return results, note
        finally:
            if recorder is not None:
                await recorder.release()

    results, note = _session(url, connect_timeout, work)
    total = sum(r.count for r in results)
    if json_output:
        output.emit_json({
            **_envelope("clean", url, prefix), "dry_run": dry_run, "grace_seconds": grace_seconds, "limit": limit,
            "states": list(states), "total": total, "queues": [r.to_json() for r in results],
            "ledger": note.to_json(),
        })
        return
    out = output.console()
    output.header(out, redact(url), prefix)
    out.print(output.clean_table(results))
    what = "would remove" if dry_run else "removed"
    out.print(f"{what} {total} job(s) ({', '.join(states)}, older than {grace_seconds:g}s)")
    if not dry_run:
        out.print(output.ledger_line(note))


def _confirm_remote(url: str, prefix: str, states: tuple[str, ...]) -> None:
    """A destructive command on another host: ask on a TTY, refuse otherwise."""
    target = f"{redact(url)} (prefix {prefix!r}, states {', '.join(states)})"
    if not sys.stdin.isatty():
        raise ToolError(f"refusing to clean {target}: not a loopback host; pass --yes to confirm", EXIT_REFUSED)
    try:
        confirmed = typer.confirm(f"Clean jobs on {target}?", default=False, err=True)
    except (typer.Abort, EOFError):
        confirmed = False
    if not confirmed:
        raise ToolError(f"refused: clean on {target} not confirmed", EXIT_REFUSED)


@app.command("list")
def list_queues(
    redis_url: RedisUrl = None,
    prefix: Prefix = None,
    json_output: Json = False,
    library_name: LibraryOption = None,
    connect_timeout: Timeout = DEFAULT_CONNECT_TIMEOUT,
    config: ConfigPath = None,
) -> None:
    """Queues found under the prefix, whether the app's queue config names them, paused or running, library."""
    app_config = tool_config(config)
    prefix = prefix or app_config.prefix

    async def work(client: aioredis.Redis) -> list[dict[str, Any]]:
        rows = []
        names = await targets.found_queues(client, prefix)
        libraries = await _libraries(client, prefix, names, library_name, app_config.library, tolerant=True)
        queues = Queues(client, prefix)
        for name in names:
            found = await counting.queue_status(queues, name, libraries[name])
            undecided = found.layout == library.AMBIGUOUS_LAYOUT
            rows.append({
                "name": name, "registered": name in app_config.queues, "paused": None if undecided else found.paused,
                "library": found.library, "version": found.version, "layout": found.layout,
                "evidence": found.evidence,
            })
        return rows

    rows = _session(redis_url, connect_timeout, work)
    missing = [n for n in app_config.queues if n not in {r["name"] for r in rows}]
    if json_output:
        output.emit_json({**_envelope("list", redis_url, prefix), "queues": rows, "registry_missing": missing})
        return
    out = output.console()
    output.header(out, redact(redis_url or ""), prefix)
    out.print(output.list_table(rows))
    if missing:
        out.print(f"configured queues with no keys yet: {', '.join(missing)}")


def main(argv: list[str] | None = None) -> None:
    """Console-script entry (the project's CLI convention, recovery_tools.cli)."""
    run(app, "manage-queues", argv)
