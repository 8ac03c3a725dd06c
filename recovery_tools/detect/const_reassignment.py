"""Detector const-reassignment: a write to a `const` binding in its scope (what ESLint's no-const-assign reports),
destructured bindings included; a `let`/`var` of the same name in an inner scope shadows it."""

from __future__ import annotations

import re

from recovery_tools.detect.app import AppSource
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.scopes import Scopes, written_names
from recovery_tools.source.js import Parsed, line, walk

BUG_ID = "const-reassignment"
CONST_TEXT = re.compile(r"\bconst\b")  # a file that does not parse can hide a const write only if it has one


def violations(parsed: Parsed, rel: str) -> list[Evidence]:
    """Every write to a const binding of one parsed file."""
    scopes = Scopes(parsed.root)
    found = []
    for node in walk(parsed.root):
        for name, how in written_names(node):
            binding = scopes.resolve(name)
            if binding is not None and binding.kind == "const":
                found.append(Evidence(rel, line(name), f"`{binding.name}` is a const (declared at line "
                                                       f"{binding.line}) and is {how} here: TypeError: "
                                                       "Assignment to constant variable."))
    return found


def detect(app: AppSource) -> Verdict:
    found = [evidence for source, parsed in app.parsed() for evidence in violations(parsed, source.rel)]
    unreadable = app.unreadable(CONST_TEXT)
    if found:
        return broken(*found, *unreadable)
    if unreadable:
        return unknown(*unreadable)
    count = sum(1 for _ in app.parsed())
    return fixed(Evidence(".", 0, f"no write to a const binding in {count} JS/TS files"))
