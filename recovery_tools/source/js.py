"""JavaScript and TypeScript syntax trees from tree-sitter's own grammars (the PyPI wheels), loaded lazily.

The API is small on purpose:

- `parse(text, suffix)` returns a `Parsed` (the tree and the source bytes) or raises `JsSyntaxError`
  naming the first line tree-sitter could not parse;
- `walk(node)` yields every node below `node` in source order (a cursor walk, no recursion);
- `Parsed.text(node)`, `line(node)` (1-based) read a node.

Node types are tree-sitter's (`string`, `template_string`, `binary_expression`, `call_expression`, ...);
`.ts`/`.mts`/`.cts` use the TypeScript grammar, `.tsx` the TSX one, everything else JavaScript (with JSX).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tree-sitter is imported on first parse: `--help` and runs without JS files skip it
    from tree_sitter import Language, Node, Tree

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".jsx", ".ts", ".mts", ".cts", ".tsx"})
_GRAMMAR = {".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx"}


class JsSyntaxError(Exception):
    """The file does not parse with its grammar; the message names the first line that does not."""


@cache
def language(grammar: str) -> Language:
    """The tree-sitter Language for `javascript`, `typescript` or `tsx`."""
    from tree_sitter import Language

    if grammar == "javascript":
        import tree_sitter_javascript

        return Language(tree_sitter_javascript.language())
    import tree_sitter_typescript

    return Language(tree_sitter_typescript.language_tsx() if grammar == "tsx"
                    else tree_sitter_typescript.language_typescript())


def grammar_for(suffix: str) -> str:
    return _GRAMMAR.get(suffix.lower(), "javascript")


@dataclass(frozen=True)
class Parsed:
    """A parsed file: the tree and the bytes it was parsed from (node offsets are byte offsets into them)."""

    tree: Tree
    source: bytes
    grammar: str

    @property
    def root(self) -> Node:
        return self.tree.root_node

    def text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")


def line(node: Node) -> int:
    """1-based line where the node starts."""
    return node.start_point[0] + 1


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included), depth first in source order."""
    cursor = node.walk()
    while True:
        current = cursor.node
        if current is not None:
            yield current
        if cursor.goto_first_child() or cursor.goto_next_sibling():
            continue
        while True:
            if not cursor.goto_parent():
                return
            if cursor.goto_next_sibling():
                break


def first_error(node: Node) -> Node | None:
    """The first ERROR or MISSING node in source order, or None when the tree is clean."""
    if not node.has_error:
        return None
    for child in node.children:
        if child.is_error or child.is_missing:
            return child
        if child.has_error:
            return first_error(child) or child
    return node


def parse(text: str, suffix: str) -> Parsed:
    """Parse JS/TS source (`suffix` picks the grammar); JsSyntaxError when any part does not parse."""
    from tree_sitter import Parser

    grammar = grammar_for(suffix)
    source = text.encode("utf-8")
    tree = Parser(language(grammar)).parse(source)
    bad = first_error(tree.root_node)
    if bad is not None:
        text = source[bad.start_byte:bad.end_byte].decode("utf-8", errors="replace").split("\n")[0]
        what = "missing " + bad.type if bad.is_missing else "cannot parse " + repr(text[:40])
        raise JsSyntaxError(f"{grammar} syntax error at line {line(bad)}: {what}")
    return Parsed(tree, source, grammar)
