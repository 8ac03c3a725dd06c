"""Small questions the detectors ask of a tree-sitter JS/TS tree: callee names, literal strings, enclosing nodes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from recovery_tools.source.js import walk

if TYPE_CHECKING:
    from tree_sitter import Node

FUNCTIONS = frozenset({
    "function_declaration", "function_expression", "function", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function",
})
LOOPS = frozenset({"for_statement", "for_in_statement", "while_statement", "do_statement"})


def text(node: Node | None) -> str:
    return node.text.decode("utf-8", errors="replace") if node is not None and node.text is not None else ""


def unwrap(node: Node | None) -> Node | None:
    """The expression inside parentheses, `await`, TypeScript `as`/`!`/`satisfies` wrappers."""
    while node is not None and node.type in ("parenthesized_expression", "await_expression", "as_expression",
                                             "non_null_expression", "satisfies_expression"):
        inner = node.named_children[0] if node.named_children else None
        if inner is None or inner == node:
            break
        node = inner
    return node


def string_value(node: Node | None) -> str | None:
    """The value of a string literal, or of a template literal without `${}`; None for anything else."""
    node = unwrap(node)
    if node is None or node.type not in ("string", "template_string"):
        return None
    if any(child.type == "template_substitution" for child in node.children):
        return None
    return "".join(text(child) for child in node.children if child.type in ("string_fragment", "escape_sequence"))


def callee_name(call: Node) -> str:
    """`foo` for foo(...), `add` for a.b.add(...), `Queue` for new Queue(...); "" otherwise."""
    target = call.child_by_field_name("function") if call.type == "call_expression" else (
        call.child_by_field_name("constructor"))
    target = unwrap(target)
    if target is None:
        return ""
    if target.type == "identifier":
        return text(target)
    if target.type == "member_expression":
        return text(target.child_by_field_name("property"))
    return ""


def callee_object(call: Node) -> Node | None:
    """`a.b` for a.b.add(...); None when the callee is not a member expression."""
    target = unwrap(call.child_by_field_name("function"))
    return target.child_by_field_name("object") if target is not None and target.type == "member_expression" else None


def arguments(call: Node) -> list[Node]:
    args = call.child_by_field_name("arguments")
    return list(args.named_children) if args is not None else []


def calls(node: Node) -> Iterator[Node]:
    """Every call and `new` expression under `node`."""
    return (n for n in walk(node) if n.type in ("call_expression", "new_expression"))


def enclosing(node: Node, types: frozenset[str]) -> Node | None:
    current = node.parent
    while current is not None and current.type not in types:
        current = current.parent
    return current


def ancestors(node: Node) -> Iterator[Node]:
    current = node.parent
    while current is not None:
        yield current
        current = current.parent


def function_name(function: Node) -> str:
    """The name a function is known by: its own, its variable's (`const f = () => ...`) or its key's."""
    name = function.child_by_field_name("name")
    if name is not None:
        return text(name)
    parent = function.parent
    if parent is not None and parent.type in ("variable_declarator", "pair", "assignment_expression",
                                              "public_field_definition", "field_definition"):
        key = (parent.child_by_field_name("name") or parent.child_by_field_name("key")
               or parent.child_by_field_name("left") or parent.child_by_field_name("property"))
        if key is not None:
            name_text = text(key)
            return name_text.rsplit(".", 1)[-1]
    return ""
