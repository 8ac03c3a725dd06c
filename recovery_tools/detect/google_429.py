"""Detector google-429: the image search's retry loop — backoff that grows, a retry limit, 429 handled — or not.

The image search is a request to Google's Custom Search API (a URL naming `customsearch` or `googleapis`).
Its retry loop is the loop around that request, or around a call of the function that makes it. The loop is
fixed when its wait grows exponentially (`2 ** attempt`, `Math.pow`, `<<`, a delay multiplied each time), it
has a bound (a loop condition, or a `break`/`throw` on an attempt count), and it tells 429 (or
RESOURCE_EXHAUSTED) apart from other errors.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from recovery_tools.detect.app import AppSource, SourceFile
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.syntax import FUNCTIONS, LOOPS, ancestors, callee_name, calls, enclosing, function_name
from recovery_tools.detect.syntax import text as node_text
from recovery_tools.source.js import Parsed, line, walk

if TYPE_CHECKING:
    from tree_sitter import Node

BUG_ID = "google-429"
_SEARCH_URL = re.compile(r"customsearch|googleapis\.com", re.IGNORECASE)
SEARCH_TEXT = _SEARCH_URL  # a file that does not parse can hide the search only if it names the API
_WAITS = re.compile(r"sleep|delay|wait|setTimeout|backoff|pause", re.IGNORECASE)


def _search_sites(parsed: Parsed) -> list[tuple[Node, Node]]:
    """(function, node) for each place a function uses a Custom Search URL: the string itself, or a
    module-level constant holding it."""
    constants: set[str] = set()
    found: list[tuple[Node, Node]] = []
    for node in walk(parsed.root):
        if node.type in ("string", "template_string") and _SEARCH_URL.search(parsed.text(node)):
            function = enclosing(node, FUNCTIONS)
            if function is not None:
                found.append((function, node))
            elif node.parent is not None and node.parent.type == "variable_declarator":
                constants.add(node_text(node.parent.child_by_field_name("name")))
    for node in walk(parsed.root):
        if node.type == "identifier" and node_text(node) in constants and node.parent is not None and (
                node.parent.type != "variable_declarator"):
            function = enclosing(node, FUNCTIONS)
            if function is not None:
                found.append((function, node))
    return found


def _retry_loop(parsed: Parsed, sites: list[tuple[Node, Node]]) -> Node | None:
    """The loop around a search request, or around a call of a function that makes it."""
    for function, node in sites:
        loop = enclosing(node, LOOPS)
        if loop is not None and function.start_byte <= loop.start_byte:
            return loop
    names = {function_name(f) for f, _ in sites} - {""}
    for call in calls(parsed.root):
        if callee_name(call) in names:
            loop = next((a for a in ancestors(call) if a.type in LOOPS), None)
            if loop is not None:
                return loop
    return None


def _exponential(parsed: Parsed, loop: Node, function: Node | None) -> Node | None:
    """The expression that makes the wait grow exponentially, or None."""
    scope = function or loop
    for node in walk(scope):
        if node.type == "binary_expression" and node_text(node.child_by_field_name("operator")) in ("**", "<<"):
            return node
        if node.type == "call_expression" and parsed.text(node).startswith("Math.pow"):
            return node
        if node.type == "augmented_assignment_expression" and node_text(
                node.child_by_field_name("operator")) in ("*=", "<<=") and node.start_byte >= loop.start_byte:
            return node
    return None


def _bound(loop: Node) -> bool:
    condition = loop.child_by_field_name("condition")
    if condition is not None and node_text(condition).strip("() ;") not in ("", "true", "1"):
        return True
    # while (true) / for (;;): bounded when it gives up on an attempt count (a comparison that leads out).
    for node in walk(loop):
        if node.type == "if_statement":
            test = node_text(node.child_by_field_name("condition"))
            exits = any(n.type in ("throw_statement", "break_statement", "return_statement")
                        for n in walk(node.child_by_field_name("consequence") or node))
            if exits and re.search(r"[<>]=?", test) and re.search(r"attempt|retr|tries|count", test, re.I):
                return True
    return False


def _handles_429(parsed: Parsed, scope: Node) -> Node | None:
    for node in walk(scope):
        if node.type == "number" and parsed.text(node) == "429" and node.parent is not None and (
                node.parent.type == "binary_expression" or node.parent.type == "switch_case"):
            return node
        if node.type == "string" and "RESOURCE_EXHAUSTED" in parsed.text(node) and node.parent is not None and (
                node.parent.type in ("binary_expression", "switch_case", "arguments")):
            return node
    return None


def _judge(source: SourceFile, parsed: Parsed, sites: list[tuple[Node, Node]]) -> Verdict:
    loop = _retry_loop(parsed, sites)
    rel = source.rel
    if loop is None:
        return broken(Evidence(rel, line(sites[0][1]), "the image search request has no retry loop: a 429 "
                                                       "loses the images"))
    function = enclosing(loop, FUNCTIONS)
    where = function or loop
    growth = _exponential(parsed, loop, function)
    waits = [c for c in calls(loop) if _WAITS.search(callee_name(c) or "")]
    bounded = _bound(loop)
    handled = _handles_429(parsed, where)
    missing = []
    if growth is None or not waits:
        detail = f"waits `{parsed.text(waits[0])[:60]}`" if waits else "no wait between attempts"
        missing.append(f"no backoff that grows ({detail})")
    if not bounded:
        missing.append("no retry limit")
    if handled is None:
        missing.append("429 / RESOURCE_EXHAUSTED not told apart from other errors")
    if missing:
        return broken(Evidence(rel, line(loop), "the image search retry loop has " + "; ".join(missing)))
    assert growth is not None and handled is not None
    return fixed(Evidence(rel, line(loop), "the image search retries in a bounded loop"),
                 Evidence(rel, line(growth), f"backoff grows: `{parsed.text(growth)[:60]}`"),
                 Evidence(rel, line(handled), "429 handled"))


def detect(app: AppSource) -> Verdict:
    verdicts = []
    for source, parsed in app.parsed():
        sites = _search_sites(parsed)
        if sites:
            verdicts.append(_judge(source, parsed, sites))
    unreadable = app.unreadable(SEARCH_TEXT)
    if any(v.state == "broken" for v in verdicts):
        return broken(*(e for v in verdicts if v.state == "broken" for e in v.evidence), *unreadable)
    if unreadable:
        return unknown(*unreadable)
    if not verdicts:
        return unknown(Evidence(".", 0, "no request to Google's Custom Search API found in the source"))
    return fixed(*(e for v in verdicts for e in v.evidence))
