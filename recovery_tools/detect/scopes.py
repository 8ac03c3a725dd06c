"""JavaScript scopes as ESLint's scope analysis sees them, enough to tell which declaration a written name is.

Block scopes (`let`, `const`, `class`, function declarations in a block), function scopes (`var`, parameters),
`for` heads, `catch` parameters, imports; destructuring patterns declare every name they bind. A name resolves
to the innermost scope that declares it, wherever in that scope the declaration stands (the temporal dead zone
does not change which binding a name means).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recovery_tools.detect.syntax import FUNCTIONS, text, unwrap
from recovery_tools.source.js import line, walk

if TYPE_CHECKING:
    from tree_sitter import Node

BLOCKS = frozenset({"program", "statement_block", "for_statement", "for_in_statement", "switch_body",
                    "class_static_block", "catch_clause"}) | FUNCTIONS
_FUNCTION_SCOPES = FUNCTIONS | {"program"}


@dataclass(frozen=True)
class Binding:
    name: str
    kind: str  # const, let, var, param, function, class, import, catch
    line: int
    node: Node | None = field(default=None, compare=False)  # the declaring identifier


def pattern_names(node: Node | None) -> Iterator[Node]:
    """The identifiers a binding or assignment pattern binds (`{ a, b: [c], ...d }` -> a, c, d)."""
    if node is None:
        return
    kind = node.type
    if kind in ("identifier", "shorthand_property_identifier_pattern"):
        yield node
    elif kind in ("object_pattern", "array_pattern"):
        for child in node.named_children:
            yield from pattern_names(child)
    elif kind == "pair_pattern":
        yield from pattern_names(node.child_by_field_name("value"))
    elif kind in ("assignment_pattern", "object_assignment_pattern"):
        yield from pattern_names(node.child_by_field_name("left"))
    elif kind == "rest_pattern":
        for child in node.named_children:
            yield from pattern_names(child)
    elif kind in ("required_parameter", "optional_parameter"):
        yield from pattern_names(node.child_by_field_name("pattern"))
    elif kind == "parenthesized_expression":
        yield from pattern_names(unwrap(node))


def _scope_of(node: Node, types: frozenset[str]) -> Node | None:
    current = node.parent
    while current is not None and current.type not in types:
        current = current.parent
    return current


class Scopes:
    """Every declaration of a parsed file, by the scope node that holds it."""

    def __init__(self, root: Node) -> None:
        self.declared: dict[int, dict[str, Binding]] = {}
        for node in walk(root):
            self._declarations(node)

    def _declare(self, scope: Node | None, names: Iterator[Node], kind: str) -> None:
        if scope is None:
            return
        table = self.declared.setdefault(scope.id, {})
        for name in names:
            table.setdefault(text(name), Binding(text(name), kind, line(name), name))

    def _declarations(self, node: Node) -> None:
        kind = node.type
        if kind == "lexical_declaration":
            binding = text(node.child_by_field_name("kind"))
            for declarator in node.named_children:
                if declarator.type == "variable_declarator":
                    self._declare(_scope_of(node, BLOCKS), pattern_names(declarator.child_by_field_name("name")),
                                  binding)
        elif kind == "variable_declaration":
            for declarator in node.named_children:
                if declarator.type == "variable_declarator":
                    self._declare(_scope_of(node, _FUNCTION_SCOPES),
                                  pattern_names(declarator.child_by_field_name("name")), "var")
        elif kind == "for_in_statement" and node.child_by_field_name("kind") is not None:
            binding = text(node.child_by_field_name("kind"))
            scope = _scope_of(node, _FUNCTION_SCOPES) if binding == "var" else node
            self._declare(scope, pattern_names(node.child_by_field_name("left")), binding)
        elif kind == "class_declaration":
            name = node.child_by_field_name("name")
            if name is not None:
                self._declare(_scope_of(node, BLOCKS), iter([name]), "class")
        if kind in ("function_declaration", "generator_function_declaration"):
            name = node.child_by_field_name("name")
            if name is not None:
                self._declare(_scope_of(node, BLOCKS), iter([name]), "function")
        if kind in FUNCTIONS:
            params = node.child_by_field_name("parameters")
            single = node.child_by_field_name("parameter")
            names = [n for p in (params.named_children if params is not None else []) for n in pattern_names(p)]
            names += list(pattern_names(single))
            self._declare(node, iter(names), "param")
        if kind == "catch_clause":
            self._declare(node, pattern_names(node.child_by_field_name("parameter")), "catch")
        if kind == "import_statement":
            names = [n for n in walk(node) if n.type == "identifier" and n.parent is not None
                     and n.parent.type in ("import_clause", "import_specifier", "namespace_import")
                     and (n.parent.type != "import_specifier" or n == n.parent.child_by_field_name("alias")
                          or n.parent.child_by_field_name("alias") is None)]
            self._declare(_scope_of(node, BLOCKS), iter(names), "import")

    def resolve(self, identifier: Node) -> Binding | None:
        """The binding a name written at `identifier` means; None for a global never declared in the file."""
        name = text(identifier)
        current = identifier.parent
        while current is not None:
            if current.type in BLOCKS:
                found = self.declared.get(current.id, {}).get(name)
                if found is not None:
                    return found
            current = current.parent
        return None


def written_names(node: Node) -> Iterator[tuple[Node, str]]:
    """(identifier, how) for each name an expression or `for` head writes: `=`, `+=`, `++`, a destructuring
    assignment, or the left side of `for (x of ...)` / `for (x in ...)` without a declaration."""
    kind = node.type
    if kind == "assignment_expression":
        for name in pattern_names(unwrap(node.child_by_field_name("left"))):
            yield name, "assigned"
    elif kind == "augmented_assignment_expression":
        target = unwrap(node.child_by_field_name("left"))
        if target is not None and target.type == "identifier":
            yield target, f"updated with `{text(node.child_by_field_name('operator'))}`"
    elif kind == "update_expression":
        target = unwrap(node.child_by_field_name("argument"))
        if target is not None and target.type == "identifier":
            yield target, f"updated with `{text(node.child_by_field_name('operator'))}`"
    elif kind == "for_in_statement" and node.child_by_field_name("kind") is None:
        operator = text(node.child_by_field_name("operator"))
        for name in pattern_names(unwrap(node.child_by_field_name("left"))):
            yield name, f"assigned by a `for ... {operator}` loop"
