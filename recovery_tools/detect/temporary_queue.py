"""Detector temporary-queue: queue names producers use that the app's shared queue config does not list, and a
fallback that creates a queue for a name it does not know (a queue no worker listens on).

The shared config is the module-level list (an array of strings, or an object of string values) of an
exporting module that shares most names with what producers use and the tool config lists (a name saying
`queue` counts too); without one, the tool config's list.
Producers are `new Queue('name')`/`new Bull('name')`, calls of queue helpers (`getQueue('name')`,
`enqueue('name', ...)`, `addJob('name', ...)`) and `queue: 'name'` / `queueName: 'name'` properties.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.syntax import FUNCTIONS, ancestors, arguments, callee_name, enclosing, string_value, text
from recovery_tools.source.js import Parsed, line, walk

if TYPE_CHECKING:
    from tree_sitter import Node

BUG_ID = "temporary-queue"
QUEUE_TEXT = re.compile(r"queue|bull", re.IGNORECASE)
QUEUE_CLASSES = frozenset({"Queue", "Bull", "BullQueue"})
_HELPER = re.compile(r"queue|enqueue|addjob", re.IGNORECASE)
_NAME_KEYS = frozenset({"queue", "queueName"})
_EXPORTS = re.compile(r"\bmodule\.exports\b|\bexports\.|^\s*export\b", re.MULTILINE)


def _strings(node: Node) -> list[str] | None:
    """The strings of an array literal, or the string values of an object literal; None for anything else."""
    if node.type == "array":
        values = [string_value(child) for child in node.named_children]
    elif node.type == "object":
        pairs = [child for child in node.named_children if child.type == "pair"]
        values = [string_value(pair.child_by_field_name("value")) for pair in pairs]
    else:
        return None
    if len(values) < 2 or any(v is None for v in values):
        return None
    return [v for v in values if v is not None]


def shared_lists(parsed: Parsed) -> list[tuple[Node, list[str]]]:
    """Module-level string lists of an exporting module."""
    if not _EXPORTS.search(parsed.source.decode("utf-8", errors="replace")):
        return []
    found = []
    for node in walk(parsed.root):
        if node.type in ("array", "object") and enclosing(node, FUNCTIONS) is None:
            values = _strings(node)
            if values and not any(a.type in ("array", "object") and _strings(a) for a in ancestors(node)):
                found.append((node, values))
    return found


def _producers(parsed: Parsed) -> list[tuple[Node, str]]:
    found = []
    for node in walk(parsed.root):
        if node.type in ("call_expression", "new_expression"):
            name = callee_name(node)
            args = arguments(node)
            if args and (name in QUEUE_CLASSES if node.type == "new_expression" else _HELPER.search(name)):
                value = string_value(args[0])
                if value is not None:
                    found.append((args[0], value))
        elif node.type == "pair" and text(node.child_by_field_name("key")).strip("'\"") in _NAME_KEYS:
            value = string_value(node.child_by_field_name("value"))
            if value is not None:
                found.append((node, value))
    return found


def _fallbacks(parsed: Parsed) -> list[Node]:
    """`new Queue(name)` with a computed name, run only when a lookup found nothing (`if (!queue)`, `||`, `??`)."""
    found = []
    for node in walk(parsed.root):
        if node.type != "new_expression" or callee_name(node) not in QUEUE_CLASSES:
            continue
        args = arguments(node)
        if not args or string_value(args[0]) is not None or enclosing(node, FUNCTIONS) is None:
            continue
        for outer in ancestors(node):
            if outer.type in FUNCTIONS:
                break
            if outer.type == "binary_expression" and text(outer.child_by_field_name("operator")) in ("||", "??"):
                found.append(node)
                break
            if outer.type == "if_statement":
                condition = text(outer.child_by_field_name("condition"))
                consequence = outer.child_by_field_name("consequence")
                inside = consequence is not None and consequence.start_byte <= node.start_byte < consequence.end_byte
                if inside and re.search(r"!|=== ?undefined|== ?null|=== ?null", condition):
                    found.append(node)
                    break
    return found


def _score(node: Node, values: list[str], used: set[str], wanted: set[str]) -> int:
    """How much a list looks like the shared queue config: names producers use or the tool config lists, and a
    name that says so (`QUEUE_NAMES`, `queues`)."""
    owner = node.parent.child_by_field_name("name") if node.parent is not None else None
    named = bool(re.search("queue", text(owner), re.IGNORECASE))
    return len(set(values) & (used | wanted)) + named


def detect(app: AppSource) -> Verdict:
    wanted = set(app.config_queues)
    used = {name for _, parsed in app.parsed() for _, name in _producers(parsed)}
    best: tuple[int, str, Node, list[str]] | None = None
    for source, parsed in app.parsed():
        for node, values in shared_lists(parsed):
            score = _score(node, values, used, wanted)
            if score >= 2 and (best is None or score > best[0]):
                best = (score, source.rel, node, values)
    evidence: list[Evidence] = []
    if best is not None:
        _, config_file, config_node, names = best
        known = set(names)
        evidence.append(Evidence(config_file, line(config_node), f"the shared queue config lists {len(names)} "
                                                                 "queues"))
    elif wanted:
        known, config_file, config_node = wanted, "", None
        evidence.append(Evidence(".", 0, "no shared queue config module found: the tool config's queues are the "
                                         "list"))
    else:
        return unknown(Evidence(".", 0, "no shared queue config found in the source or the tool config"))
    bad: list[Evidence] = []
    producers = 0
    for source, parsed in app.parsed():
        for node, name in _producers(parsed):
            if config_node is not None and source.rel == config_file and (
                    config_node.start_byte <= node.start_byte < config_node.end_byte):
                continue
            producers += 1
            if name not in known:
                bad.append(Evidence(source.rel, line(node), f"a producer uses queue '{name}', which the shared "
                                                            "config does not list: no worker consumes it"))
        bad += [Evidence(source.rel, line(node), f"`{text(node)}` creates a queue for a name the registry does "
                                                 "not have (a temporary queue no worker listens on)")
                for node in _fallbacks(parsed)]
    unreadable = app.unreadable(QUEUE_TEXT)
    if bad:
        return broken(*bad, *evidence, *unreadable)
    if unreadable:
        return unknown(*unreadable)
    if not producers:
        return unknown(Evidence(".", 0, "no queue producer found in the source"), *evidence)
    return fixed(*evidence, Evidence(".", 0, f"all {producers} producer queue names are in the shared config; "
                                             "no fallback creates unknown queues"))
