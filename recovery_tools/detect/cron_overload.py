"""Detector cron-overload: the schedule the deployment gives the cron (`vercel.json` `crons`), and the handler's
overlap protection and batching where the code shows them.

A schedule that fires every minute is broken. Otherwise, when the handler the cron path names is in the source,
it must show overlap protection (a Redis `SET ... NX` lock, a lock helper, a Postgres advisory lock); a
batch (`take:`, `LIMIT`, `SKIP LOCKED`) is reported where it is seen.
"""

from __future__ import annotations

import re
from pathlib import Path

from recovery_tools.detect.app import AppSource, SourceFile
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.syntax import arguments, callee_name, calls, string_value, text
from recovery_tools.source.js import line, walk

BUG_ID = "cron-overload"
DEPLOY_CONFIG = "vercel.json"
_LOCK_NAME = re.compile(r"lock|mutex|semaphore", re.IGNORECASE)
_ADVISORY = re.compile(r"pg_try_advisory_lock|pg_advisory_lock", re.IGNORECASE)
_BATCH_SQL = re.compile(r"\bLIMIT\b|SKIP\s+LOCKED", re.IGNORECASE)


def every_minute(schedule: str) -> bool:
    """True when a five-field cron expression fires every minute (`* * * * *`, `*/1 ...`, `0-59 ...`)."""
    fields = schedule.split()
    return bool(fields) and fields[0] in ("*", "*/1", "0-59", "0-59/1")


def _json_line(path: Path, needle: str) -> int:
    """The line of a JSON file where `needle` (a value as written, quoted) first appears; 1 if not found."""
    try:
        for number, text_line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if f'"{needle}"' in text_line:
                return number
    except (OSError, UnicodeDecodeError):
        pass
    return 1


def _handler(app: AppSource, cron_path: str) -> SourceFile | None:
    """The file serving a cron path (Vercel's `api/...`, Next.js `pages/api/...` or `app/.../route`)."""
    wanted = cron_path.strip("/")
    for source in app.files:
        stem = source.rel.rsplit(".", 1)[0]
        for prefix in ("", "src/", "pages/", "src/pages/", "app/", "src/app/"):
            if stem in (prefix + wanted, prefix + wanted + "/index", prefix + wanted + "/route"):
                return source
    return None


def _protection(source: SourceFile) -> tuple[list[Evidence], list[Evidence]]:
    """(overlap protection, batching) the handler shows."""
    parsed = source.parsed
    assert parsed is not None
    locks, batches = [], []
    for call in calls(parsed.root):
        name = callee_name(call)
        args = arguments(call)
        values = [string_value(a) for a in args]
        if name == "set" and any(v is not None and v.upper() == "NX" for v in values) or (
                name == "set" and any(a.type == "object" and re.search(r"\bNX\b", text(a)) for a in args)):
            locks.append(Evidence(source.rel, line(call), "a Redis lock (SET ... NX): one run at a time"))
        elif _LOCK_NAME.search(name):
            locks.append(Evidence(source.rel, line(call), f"`{name}(...)`: one run at a time"))
    for node in walk(parsed.root):
        if node.type in ("string", "template_string") and _ADVISORY.search(parsed.text(node)):
            locks.append(Evidence(source.rel, line(node), "a Postgres advisory lock: one run at a time"))
        if node.type in ("string", "template_string") and _BATCH_SQL.search(parsed.text(node)):
            batches.append(Evidence(source.rel, line(node), "claims a batch (LIMIT / SKIP LOCKED)"))
        if node.type == "pair" and text(node.child_by_field_name("key")) == "take":
            batches.append(Evidence(source.rel, line(node), f"claims a batch (`{text(node)}`)"))
    return locks, batches


def detect(app: AppSource) -> Verdict:
    configs = app.find(DEPLOY_CONFIG)
    if not configs:
        return unknown(Evidence(".", 0, "no vercel.json: the cron's schedule is not in the source"))
    crons: list[tuple[Path, dict[str, object]]] = []
    for config in configs:
        document, error = app.read_json(config)
        if error is not None:
            return unknown(Evidence(app.rel(config), 0, f"cannot read: {error}"))
        entries = document.get("crons", []) if isinstance(document, dict) else []
        crons += [(config, entry) for entry in entries if isinstance(entry, dict)]
    if not crons:
        return unknown(Evidence(app.rel(configs[0]), 0, "vercel.json defines no crons"))
    bad: list[Evidence] = []
    good: list[Evidence] = []
    for config, entry in crons:
        schedule, cron_path = str(entry.get("schedule", "")), str(entry.get("path", ""))
        where = Evidence(app.rel(config), _json_line(config, schedule), "")
        if every_minute(schedule):
            bad.append(Evidence(where.file, where.line, f"cron {cron_path} runs every minute (`{schedule}`); each "
                                                        "run may last up to 300 s, so runs overlap"))
            continue
        good.append(Evidence(where.file, where.line, f"cron {cron_path} runs on `{schedule}`, not every minute"))
        handler = _handler(app, cron_path)
        if handler is None:
            continue
        if handler.parsed is None:
            return unknown(Evidence(handler.rel, 0, f"cannot read the cron handler: {handler.error}"))
        locks, batches = _protection(handler)
        if not locks:
            bad.append(Evidence(handler.rel, 1, f"the handler of {cron_path} shows no overlap protection (no "
                                                "lock): a run still going when the next starts picks the same "
                                                "workflows"))
        good += locks + batches
    if bad:
        return broken(*bad, *good)
    return fixed(*good)
