"""Which queue library wrote a queue (Bull 4 or BullMQ), told from what Redis holds; ambiguous evidence is refused.

Bull 4 signs: the `meta-paused` key (Bull's global pause), the `priority` zset, job hashes whose `opts` carry
`timestamp` (Bull's Job stores it there). BullMQ signs: `meta.version` or `meta.opts.maxLenEvents` (written
by every BullMQ Queue, Node or Python), the `events` stream, the `marker`, `prioritized`, `pc` and
`waiting-children` keys, job hashes with `atm`/`ats`. `meta.paused` alone proves nothing (Bull 4.16 writes it
too, for BullMQ's sake), nor does a `meta-paused` this tool set on a queue that had no keys yet (its value is
EMPTY_PAUSE_MARK).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from recovery_tools.manage_queues.errors import ToolError
from recovery_tools.manage_queues.layout import QUEUE_SUFFIXES, key, layout_of, text

BULL = "bull"
BULLMQ = "bullmq"
BULL_LAYOUT = "bull4"
EMPTY_LAYOUT = "empty"
AMBIGUOUS_LAYOUT = "ambiguous"
# The value of `meta-paused` when this tool paused a queue that had no keys (so no library could be told):
# Bull only checks that the key exists, and detection does not count it as Bull's.
EMPTY_PAUSE_MARK = "manage-queues:no-keys"

_BULLMQ_KEYS = ("events", "marker", "prioritized", "pc", "waiting-children")
_JOB_SOURCES = (("wait", "list"), ("paused", "list"), ("active", "list"), ("delayed", "zset"),
                ("failed", "zset"), ("completed", "zset"))


@dataclass(frozen=True)
class Library:
    """The library a queue belongs to (None: the queue has no keys yet), how it was decided, and what was seen."""

    name: str | None
    layout: str  # "bull4", "5.x", "6.x" or "empty"
    version: str | None
    source: str  # "redis", "--library", "config" or "none"
    evidence: tuple[str, ...]

    @property
    def label(self) -> str:
        if self.name == BULL:
            return "bull 4"
        if self.name == BULLMQ:
            return f"bullmq {self.version.partition(':')[2]}" if self.version else "bullmq"
        return "-"


@dataclass(frozen=True)
class Evidence:
    """What Redis shows of one queue: signs of each library and whether it has any key at all."""

    bull: tuple[str, ...]
    bullmq: tuple[str, ...]
    any_key: bool
    version: str | None


async def gather(client: aioredis.Redis, prefix: str, name: str) -> Evidence:
    """Reads the signs of both libraries in one round trip, then one job hash."""
    pipe = client.pipeline(transaction=False)
    pipe.hgetall(key(prefix, name, "meta"))
    pipe.get(key(prefix, name, "meta-paused"))
    pipe.exists(key(prefix, name, "priority"))
    for suffix in _BULLMQ_KEYS:
        pipe.exists(key(prefix, name, suffix))
    pipe.exists(*(key(prefix, name, s) for s in sorted(QUEUE_SUFFIXES - {"meta", "meta-paused"})))
    for suffix, kind in _JOB_SOURCES:
        if kind == "list":
            pipe.lindex(key(prefix, name, suffix), -1)
        else:
            pipe.zrange(key(prefix, name, suffix), 0, 0)
    meta, meta_paused, priority, *rest = await pipe.execute()
    flags, rest = rest[: len(_BULLMQ_KEYS)], rest[len(_BULLMQ_KEYS):]
    other_keys, samples = rest[0], rest[1:]
    bull: list[str] = []
    bullmq: list[str] = []
    version = text(meta.get("version"))
    if version:
        bullmq.append(f"meta.version {version}")
    if "opts.maxLenEvents" in meta:
        bullmq.append("meta.opts.maxLenEvents")
    bullmq += [f"{suffix} key" for suffix, present in zip(_BULLMQ_KEYS, flags, strict=True) if present]
    if meta_paused is not None and text(meta_paused) != EMPTY_PAUSE_MARK:
        bull.append("meta-paused key")
    if priority:
        bull.append("priority zset")
    job_id = next((text(s[0] if isinstance(s, list) else s) for s in samples if s), None)
    if job_id is not None:
        shape = _job_shape(await client.hgetall(key(prefix, name, job_id)))
        if shape == BULL:
            bull.append(f"job {job_id} opts.timestamp")
        elif shape == BULLMQ:
            bullmq.append(f"job {job_id} atm/ats")
    # A meta hash holding only `paused`, and our own mark, are what a pause leaves on a queue without jobs.
    any_key = bool(other_keys or meta.keys() - {"paused"} or bull or bullmq)
    return Evidence(tuple(bull), tuple(bullmq), any_key, version)


def _job_shape(job: dict[Any, Any]) -> str | None:
    if "atm" in job or "ats" in job:
        return BULLMQ
    try:
        opts = json.loads(text(job.get("opts")) or "")
    except ValueError:
        return None
    return BULL if isinstance(opts, dict) and "timestamp" in opts else None


def decide(name: str, seen: Evidence, chosen: str | None, chosen_by: str) -> Library:
    """The library of one queue; ToolError (exit 2) when Redis is ambiguous and nothing says which."""
    evidence = seen.bull + seen.bullmq
    if seen.bull and seen.bullmq:
        if chosen is None:
            raise ToolError(
                f"queue {name}: cannot tell Bull 4 from BullMQ: saw {', '.join(seen.bull)} (bull) and "
                f"{', '.join(seen.bullmq)} (bullmq); pass --library bull|bullmq or set library in the config"
            )
        return _library(chosen, seen, chosen_by, evidence)
    found = BULL if seen.bull else BULLMQ if seen.bullmq else None
    if found is not None:
        if chosen is not None and chosen != found and chosen_by == "--library":
            raise ToolError(f"queue {name}: --library {chosen}, but Redis shows {found} "
                            f"({', '.join(evidence)}); refusing to treat it as {chosen}")
        return _library(found, seen, "redis", evidence)
    if seen.any_key:
        if chosen is None:
            raise ToolError(
                f"queue {name}: cannot tell Bull 4 from BullMQ: it has keys but no sign of either library "
                "(no meta version, events stream, meta-paused or telling job hash); "
                "pass --library bull|bullmq or set library in the config"
            )
        return _library(chosen, seen, chosen_by, evidence)
    if chosen is not None:
        return _library(chosen, seen, chosen_by, evidence)
    return Library(None, EMPTY_LAYOUT, None, "none", ())


def _library(name: str, seen: Evidence, source: str, evidence: tuple[str, ...]) -> Library:
    layout = BULL_LAYOUT if name == BULL else layout_of(seen.version)
    return Library(name, layout, seen.version if name == BULLMQ else None, source, evidence)


async def detect(client: aioredis.Redis, prefix: str, names: list[str], flag: str | None,
                 configured: str | None, *, tolerant: bool = False) -> dict[str, Library]:
    """Every queue's library, before anything is changed: one refused queue stops the whole command.

    `tolerant` (for `list`, which changes nothing): an undecided queue gets layout AMBIGUOUS instead.
    """
    chosen, chosen_by = (flag, "--library") if flag else (configured, "config")
    found = {}
    for name in names:
        seen = await gather(client, prefix, name)
        try:
            found[name] = decide(name, seen, chosen, chosen_by)
        except ToolError:
            if not tolerant:
                raise
            found[name] = Library(None, AMBIGUOUS_LAYOUT, seen.version, "none", seen.bull + seen.bullmq)
    return found
