"""const-reassignment on tricky code: what ESLint's no-const-assign reports, and only that."""

from __future__ import annotations

import pytest

from recovery_tools.detect import const_reassignment
from tests.detect.conftest import WriteApp


def lines(write_app: WriteApp, source: str, name: str = "app.js") -> list[int]:
    verdict = const_reassignment.detect(write_app({name: source}))
    return [e.line for e in verdict.evidence if e.file == name]


@pytest.mark.parametrize(("source", "expected"), [
    # destructured bindings, nested patterns, rest elements, defaults
    ("const { a, b } = data;\nb = other;\n", [2]),
    ("const [x, { y = 1 }, ...rest] = z;\ny++;\nrest += [];\nx.prop = 1;\n", [2, 3]),
    ("const { a: { deep } } = o;\n({ deep } = p);\n", [2]),
    ("const [first] = list;\n[first] = other;\n", [1 + 1]),
    # shadowing: an inner let, a parameter, a catch parameter, a var in a nested function
    ("const total = 1;\nfunction f() {\n  let total = 0;\n  total = 2;\n}\n{ let total; total = 3; }\n", []),
    ("const id = 1;\nfunction g(id) { id = 2; }\nconst h = (id) => { id++; };\n", []),
    ("const e = 1;\ntry { x(); } catch (e) { e = 2; }\n", []),
    ("const v = 1;\nfunction k() {\n  if (x) { var v; }\n  v = 2;\n}\n", []),
    # the inner let does not protect a write outside its block
    ("const a = 1;\n{ let a = 2; a = 4; }\na = 3;\n", [3]),
    # a write before the inner declaration still means the inner binding (temporal dead zone, not the const)
    ("const t = 1;\n{ t = 2; let t; }\n", []),
    # let / var reassignments are fine
    ("let a = 1;\na = 2;\nvar b;\nb = 3;\nfor (let i = 0; i < 3; i++) {}\nlet s = '';\ns += 'x';\n", []),
    # closures, loops and for-of / for-in heads
    ("const counter = 0;\nconst inc = () => { counter++; };\n", [2]),
    ("const item = 1;\nfor (item of list) {}\n", [2]),
    ("for (const k in o) {\n  k = 'x';\n}\n", [2]),
    ("for (const i = 0; i < 3; i++) {}\n", [1]),
    ("for (let i = 0; i < 3; i++) { const j = i; }\n", []),
    # CommonJS: members of a const object are not the binding
    ("const { readFile } = require('fs');\nconst lib = require('./lib');\nreadFile = null;\nlib.x = 1;\n"
     "module.exports = { lib };\nexports.y = 2;\n", [3]),
])
def test_writes_to_const_bindings(write_app: WriteApp, source: str, expected: list[int]) -> None:
    assert lines(write_app, source) == expected


def test_typescript(write_app: WriteApp) -> None:
    source = ("const n: number = 1;\nn += 2;\nlet m: Map<string, number> = new Map();\nm = new Map();\n"
              "function f({ a }: { a: string }, b?: number): void { a = 'x'; b = 2; }\n"
              "export const { p, q }: Record<string, number> = obj;\nq = 3;\n")
    assert lines(write_app, source, "app.ts") == [2, 7]


def test_tsx_and_esm_imports(write_app: WriteApp) -> None:
    source = ("import React, { useState } from 'react';\nconst View = () => <div>{x}</div>;\nView = null;\n"
              "export default View;\n")
    assert lines(write_app, source, "view.tsx") == [3]


def test_evidence_names_the_binding_and_its_declaration(write_app: WriteApp) -> None:
    verdict = const_reassignment.detect(write_app({"a.js": "function f(data) {\n  const { drafts } = data;\n"
                                                           "  drafts = load();\n}\n"}))
    assert verdict.state == "broken"
    assert "`drafts` is a const (declared at line 2)" in verdict.evidence[0].why
    assert "Assignment to constant variable" in verdict.evidence[0].why


def test_clean_code_is_fixed_and_a_file_that_does_not_parse_is_unknown(write_app: WriteApp) -> None:
    assert const_reassignment.detect(write_app({"ok.js": "let a = 1;\na = 2;\n"})).state == "fixed"
    verdict = const_reassignment.detect(write_app({"bad.js": "const x = ;\n"}))
    assert verdict.state == "unknown"
    assert verdict.evidence[0].file == "bad.js" and "syntax error at line 1" in verdict.evidence[0].why
