"""JavaScript and TypeScript syntax trees from tree-sitter's own grammars (the PyPI wheels), loaded lazily.

The API is small on purpose:

- `parse(text, suffix)` returns a `Parsed` (the tree and the source bytes) or raises `JsSyntaxError`
  naming the first line that does not parse;
- `walk(node)` yields every node below `node` in source order (a cursor walk, no recursion);
- `Parsed.text(node)`, `line(node)` (1-based) read a node.

Node types are tree-sitter's (`string`, `template_string`, `binary_expression`, `call_expression`, ...);
`.ts`/`.mts`/`.cts` use the TypeScript grammar, `.tsx` the TSX one, everything else JavaScript (with JSX).

Every file esbuild parses is read. The grammars on PyPI lag the language (tree-sitter-typescript 0.23.2 has no
`in`/`out` variance, no `export type *`, no `export { x as function }`; no grammar takes a bare `&` in JSX text,
tree-sitter-javascript#366), so a tree with ERROR nodes is not yet a verdict:
1. a bare `&` in JSX text is read as text (`Parsed.repaired` lists its lines): it is masked by a space (same
   length: offsets hold) and kept only where the new tree has JSX text at that byte;
2. what still has errors is asked of esbuild (the pinned npm one, source/esbuild.py): when esbuild parses the
   file, tree-sitter's error-recovered tree is kept and `Parsed.recovered` lists the regions it could not read
   (a detector must not say "not there" about code in them); when esbuild rejects it, JsSyntaxError.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, cached_property
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # tree-sitter is imported on first parse: `--help` and runs without JS files skip it
    from tree_sitter import Language, Node, Parser, Tree

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
class Region:
    """Lines tree-sitter could not read in a file esbuild parses (its error recovery skipped or guessed them)."""

    line: int
    end_line: int
    text: str  # the region's first line, shortened

    def __str__(self) -> str:
        lines = f"line {self.line}" if self.end_line == self.line else f"lines {self.line}-{self.end_line}"
        return f"{lines}: {self.text!r}"


@dataclass(frozen=True)
class Parsed:
    """A parsed file: the tree and the bytes it was parsed from (node offsets are byte offsets into them).

    `repaired`: lines where a bare `&` in JSX text was read as text (in the tree's own bytes, `node.text`, it
    is a space; `source` and `text()` keep the `&`). `recovered`: regions of a file esbuild parses that
    tree-sitter's grammar could not; `confirmed_by` names the esbuild that parsed it.
    """

    tree: Tree
    source: bytes
    grammar: str
    repaired: tuple[int, ...] = ()
    recovered: tuple[Region, ...] = ()
    confirmed_by: str = ""

    @property
    def root(self) -> Node:
        return self.tree.root_node

    @property
    def status(self) -> str:
        """`clean`, `repaired` (bare `&` in JSX text) or `recovered` (read with tree-sitter's error recovery)."""
        return "recovered" if self.recovered else "repaired" if self.repaired else "clean"

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """Every node of the tree in source order, walked once: `walk(parsed.root)` reads it."""
        return tuple(_cursor_walk(self.root))

    def text(self, node: Node) -> str:
        return self.source[node.start_byte:node.end_byte].decode("utf-8", errors="replace")


# Root node id -> the live Parsed holding that tree (an entry goes when its Parsed does, before its tree can).
_LIVE: weakref.WeakValueDictionary[int, Parsed] = weakref.WeakValueDictionary()


def line(node: Node) -> int:
    """1-based line where the node starts."""
    return node.start_point[0] + 1


def walk(node: Node) -> Iterator[Node]:
    """Every node under `node` (itself included), depth first in source order (a parsed file's root: from the
    nodes it walked once; the detectors walk each file many times)."""
    owner = _LIVE.get(node.id)
    if owner is not None:
        return iter(owner.nodes)
    return _cursor_walk(node)


def _cursor_walk(node: Node) -> Iterator[Node]:
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
    """Parse JS/TS source (`suffix` picks the grammar); JsSyntaxError when it does not parse (see the module)."""
    from tree_sitter import Parser

    grammar = grammar_for(suffix)
    source = text.encode("utf-8")
    parser = Parser(language(grammar))
    tree = parser.parse(source)
    if not tree.root_node.has_error:
        return _live(Parsed(tree, source, grammar))
    repaired: tuple[int, ...] = ()
    if grammar != "typescript" and b"&" in source:
        tree, repaired = _read_bare_ampersands(parser, source, tree)
        if not tree.root_node.has_error:
            return _live(Parsed(tree, source, grammar, repaired))
    bad = first_error(tree.root_node)
    assert bad is not None
    shown = source[bad.start_byte:bad.end_byte].decode("utf-8", errors="replace").split("\n")[0]
    what = "missing " + bad.type if bad.is_missing else "cannot parse " + repr(shown[:40])
    tree_sitter_says = f"{grammar} syntax error at line {line(bad)}: {what}"
    from recovery_tools.source.esbuild import EsbuildFailed, EsbuildUnavailable, esbuild, loader_for

    try:
        tool = esbuild()
        rejected = tool.syntax_error(text, loader_for(suffix))
    except (EsbuildUnavailable, EsbuildFailed) as error:
        raise JsSyntaxError(f"{tree_sitter_says} (esbuild, which would tell a gap in the grammar from an error in "
                            f"the file, cannot be had: {error})") from None
    if rejected is not None:
        raise JsSyntaxError(f"{tree_sitter_says} ({tool.tool}: {rejected})")
    return _live(Parsed(tree, source, grammar, repaired, recovered_regions(tree.root_node, source), tool.tool))


def _live(parsed: Parsed) -> Parsed:
    _LIVE[parsed.root.id] = parsed
    return parsed


# `&` that opens a character reference (`&amp;`, `&#38;`, `&#x26;`): the grammar reads those.
_REFERENCE = re.compile(rb"&(?:#[xX][0-9a-fA-F]{1,6}|#[0-9]{1,7}|[A-Za-z][A-Za-z0-9]{0,31});")
_JSX_TEXT_AT = frozenset({"jsx_text", "jsx_element"})


def _read_bare_ampersands(parser: Parser, source: bytes, tree: Tree) -> tuple[Tree, tuple[int, ...]]:
    """The tree with each bare `&` inside an error region read as JSX text, and the lines where one was.

    A candidate is masked by a space; it is kept only where the reparsed tree has JSX text at that byte (an `&`
    of code, `a & b` or `A & B`, is then not JSX text and is put back). Each round takes the candidates in the
    error regions left by the round before (an error can hide the next `&` of the same text).
    """
    bare = [at for at in range(len(source)) if source[at] == 0x26 and _bare(source, at)]
    kept: frozenset[int] = frozenset()
    current = tree
    for _ in range(8):
        spans = [(node.start_byte, node.end_byte) for node in error_nodes(current.root_node)]
        fresh = {at for at in bare if at not in kept and any(start <= at < end for start, end in spans)}
        trial = kept | fresh
        while fresh:
            attempt = parser.parse(_masked(source, trial))
            landed = frozenset(at for at in trial if _is_jsx_text(attempt, at))
            if landed == trial:
                break
            trial = landed
        if trial == kept:
            break
        kept, current = trial, attempt
        if not current.root_node.has_error:
            break
    return current, tuple(sorted({source.count(b"\n", 0, at) + 1 for at in kept}))


def _masked(source: bytes, positions: frozenset[int]) -> bytes:
    masked = bytearray(source)
    for at in positions:
        masked[at] = 0x20
    return bytes(masked)


def _is_jsx_text(tree: Tree, at: int) -> bool:
    found = tree.root_node.descendant_for_byte_range(at, at + 1)
    return found is not None and found.type in _JSX_TEXT_AT


def _bare(source: bytes, at: int) -> bool:
    """An `&` that is not `&&`, `&=` nor a character reference."""
    after = source[at + 1:at + 2]
    before = source[at - 1:at] if at else b""
    return after not in (b"&", b"=") and before != b"&" and _REFERENCE.match(source, at) is None


def error_nodes(node: Node) -> Iterator[Node]:
    """The outermost ERROR and MISSING nodes under `node`, in source order."""
    if not node.has_error and not node.is_missing:
        return
    for child in node.children:
        if child.is_error or child.is_missing:
            yield child
        elif child.has_error:
            yield from error_nodes(child)


def recovered_regions(root: Node, source: bytes) -> tuple[Region, ...]:
    """The regions of the outermost ERROR and MISSING nodes, one per node."""
    regions = []
    for node in error_nodes(root):
        first = source[node.start_byte:node.end_byte].decode("utf-8", errors="replace").split("\n")[0].strip()
        shown = ("missing " + node.type) if node.is_missing else first[:60]
        regions.append(Region(line(node), node.end_point[0] + 1, shown))
    return tuple(regions)
