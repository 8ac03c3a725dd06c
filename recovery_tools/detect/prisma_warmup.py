"""Detector prisma-warmup: database calls that do not go through a helper waiting for the engine's connection.

A helper is a function of the app that calls `$connect()` and runs a callback it is given (the app's
`prismaOperation(fn)`): a database call inside a function passed to such a helper waits for the engine; any
other (`prisma.model.findMany()`, `$queryRaw`, `$transaction`, ... elsewhere) may race a cold engine.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.syntax import FUNCTIONS, ancestors, callee_name, callee_object, calls, function_name, text
from recovery_tools.source.js import Parsed, line, walk

if TYPE_CHECKING:
    from tree_sitter import Node

BUG_ID = "prisma-warmup"
# a file that does not parse can hide a database call only if its text has one
CALL_TEXT = re.compile(r"\$(?:queryRaw|executeRaw|transaction)"
                       r"|\.(?:find|create|update|upsert|delete|count|aggregate|groupBy)\w*\s*\(")
MODEL_OPERATIONS = frozenset({
    "findMany", "findUnique", "findUniqueOrThrow", "findFirst", "findFirstOrThrow", "create", "createMany",
    "createManyAndReturn", "update", "updateMany", "upsert", "delete", "deleteMany", "count", "aggregate", "groupBy",
})
CLIENT_OPERATIONS = frozenset({"$queryRaw", "$queryRawUnsafe", "$executeRaw", "$executeRawUnsafe", "$transaction"})


def helpers(parsed: Parsed) -> set[str]:
    """Names of the functions that call `$connect()` and one of their own parameters (run a callback)."""
    names = set()
    for node in walk(parsed.root):
        if node.type not in FUNCTIONS or not any(callee_name(c) == "$connect" for c in calls(node)):
            continue
        params = node.child_by_field_name("parameters")
        own = {text(p) for p in walk(params) if p.type == "identifier"} if params is not None else set()
        if any(callee_name(c) in own for c in calls(node) if c.type == "call_expression"):
            name = function_name(node)
            if name:
                names.add(name)
    return names


def database_call(call: Node) -> bool:
    """`x.model.findMany(...)` or `x.$queryRaw...`/`$transaction(...)` (tagged templates included)."""
    name = callee_name(call)
    if name in CLIENT_OPERATIONS:
        return True
    target = callee_object(call)
    return name in MODEL_OPERATIONS and target is not None and target.type == "member_expression"


def _through_helper(call: Node, names: set[str]) -> bool:
    for node in ancestors(call):
        if node.type in FUNCTIONS:
            if function_name(node) in names:
                return True  # the helper's own body
            args = node.parent
            caller = args.parent if args is not None and args.type == "arguments" else None
            if caller is not None and callee_name(caller) in names:
                return True
    return False


def detect(app: AppSource) -> Verdict:
    names: set[str] = set()
    for _, parsed in app.parsed():
        names |= helpers(parsed)
    direct: list[Evidence] = []
    wrapped = 0
    for source, parsed in app.parsed():
        for call in calls(parsed.root):
            if call.type != "call_expression" or not database_call(call):
                continue
            if _through_helper(call, names):
                wrapped += 1
            else:
                what = text(call.child_by_field_name("function"))
                helper = f"a helper that awaits $connect() ({', '.join(sorted(names))})" if names else (
                    "a helper that awaits $connect() (none in the source)")
                direct.append(Evidence(source.rel, line(call), f"`{what}(...)` runs without {helper}: on a cold "
                                                               "instance it races the engine (Engine is not yet "
                                                               "connected)"))
    unreadable = app.unreadable(CALL_TEXT)
    if direct:
        return broken(*direct, *unreadable)
    if unreadable:
        return unknown(*unreadable)
    if not wrapped:
        return unknown(Evidence(".", 0, "no Prisma database call found in the source"))
    return fixed(Evidence(".", 0, f"all {wrapped} database calls run through {', '.join(sorted(names))}, "
                                  "which awaits $connect() first"))
