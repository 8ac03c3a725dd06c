"""Detector connection-hygiene: Prisma clients created per call, or recreated without `$disconnect()` of the old.

Each `new PrismaClient(...)` is judged where it stands: at module level (one per instance) it is fine; inside a
function it is fine only as a guarded lazy singleton (`if (!prisma) prisma = new PrismaClient()`,
`prisma ??= ...`, `globalThis.prisma || new PrismaClient()`) or as a recreation that first calls `$disconnect()`
on the client it replaces. A client kept in a function's own variable is a client per call.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.syntax import FUNCTIONS, ancestors, callee_name, calls, enclosing, text, unwrap
from recovery_tools.source.js import line, walk

if TYPE_CHECKING:
    from tree_sitter import Node

BUG_ID = "connection-hygiene"
CLIENT_TEXT = re.compile(r"\bPrismaClient\b")
CLIENT = "PrismaClient"


def _target(new: Node) -> tuple[Node | None, Node | None]:
    """(the expression holding the new client's place, the node that stores it): `x = new ...` -> (x, assign)."""
    node = new
    while node.parent is not None and node.parent.type in ("parenthesized_expression", "binary_expression",
                                                           "ternary_expression", "await_expression"):
        node = node.parent
    parent = node.parent
    if parent is None:
        return None, None
    if parent.type == "variable_declarator":
        return parent.child_by_field_name("name"), parent
    if parent.type in ("assignment_expression", "augmented_assignment_expression"):
        return unwrap(parent.child_by_field_name("left")), parent
    return None, parent


def _guarded(new: Node, holder: str, function: Node) -> bool:
    """True when the creation only runs while `holder` has no client: `??=`/`||=`, `holder || new ...`, or an
    `if` whose condition tests `holder`."""
    for node in ancestors(new):
        if node == function:
            return False
        if node.type == "augmented_assignment_expression" and text(node.child_by_field_name("operator")) in (
                "??=", "||="):
            return True
        if node.type == "binary_expression" and text(node.child_by_field_name("operator")) in ("||", "??"):
            left = node.child_by_field_name("left")
            if left is not None and holder and holder in text(left):
                return True
        if node.type == "if_statement":
            condition = node.child_by_field_name("condition")
            consequence = node.child_by_field_name("consequence")
            inside = consequence is not None and consequence.start_byte <= new.start_byte < consequence.end_byte
            if inside and condition is not None and holder and holder in text(condition) and (
                    "!" in text(condition) or "null" in text(condition) or "undefined" in text(condition)):
                return True
    return False


def _disconnects_before(new: Node, function: Node) -> bool:
    """A `$disconnect()` call earlier in the same function (on the old client, or on an alias of it)."""
    return any(callee_name(call) == "$disconnect" and call.start_byte < new.start_byte for call in calls(function))


def _judge(new: Node, rel: str) -> Evidence | None:
    """Evidence of bad hygiene at one `new PrismaClient()`, or None when it is fine."""
    function = enclosing(new, FUNCTIONS)
    if function is None:
        return None  # module level: one client per instance
    target, _ = _target(new)
    holder = text(target)
    local = target is not None and target.type == "identifier" and _declared_in(holder, function)
    if target is None or local:
        return Evidence(rel, line(new), "a new PrismaClient on every call (its own pool of connections), "
                                        "never shared: connections pile up (P2024)")
    if _guarded(new, holder, function):
        return None
    if _disconnects_before(new, function):
        return None
    return Evidence(rel, line(new), f"`{holder}` is given a new PrismaClient without `$disconnect()` of the one "
                                    "it replaces: the old client's connections stay open (P2024)")


def _declared_in(name: str, function: Node) -> bool:
    for node in walk(function):
        if node.type == "variable_declarator" and text(node.child_by_field_name("name")) == name:
            return enclosing(node, FUNCTIONS) == function
    return False


def detect(app: AppSource) -> Verdict:
    found: list[Evidence] = []
    good: list[Evidence] = []
    for source, parsed in app.parsed():
        for node in walk(parsed.root):
            if node.type == "new_expression" and callee_name(node) == CLIENT:
                evidence = _judge(node, source.rel)
                if evidence is not None:
                    found.append(evidence)
                else:
                    good.append(Evidence(source.rel, line(node), "PrismaClient created once (module level, a "
                                                                 "guarded singleton, or after `$disconnect()`)"))
    unreadable = app.unreadable(CLIENT_TEXT)
    if found:
        return broken(*found, *unreadable)
    if unreadable:
        return unknown(*unreadable)
    if not good:
        return unknown(Evidence(".", 0, "no `new PrismaClient()` found in the source"))
    return fixed(*good)
