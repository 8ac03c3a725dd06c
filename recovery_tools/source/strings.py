"""String values an app's code builds: literals, template literals, concatenations and `+=` extensions, with lines.

Each value is a `SourceString`: its text (every interpolated or non-literal part replaced by PLACEHOLDER)
and the file line of each of its characters, so that whatever a later parser finds in the text can be
placed at the line where it is written. A template literal nested in another one's `${...}` is a value
of its own; the strings inside a concatenation are only part of the concatenation.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from recovery_tools.source.js import Parsed, line, walk

if TYPE_CHECKING:
    from tree_sitter import Node

PLACEHOLDER = "\x00"  # stands for an interpolated expression (`${...}`, an f-string field, a non-string operand)

_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "v": "\v", "0": "\0"}
# Where a variable lives: `let query` in one function and `query +=` in another are different variables.
_SCOPES = frozenset({
    "program", "function_declaration", "function_expression", "function", "arrow_function", "method_definition",
    "generator_function_declaration", "generator_function", "class_static_block",
})


@dataclass
class SourceString:
    """A string value of the source: `text` with PLACEHOLDER for what is computed, `lines[i]` = line of text[i].

    `kind` is how the code builds it: "literal", "template", "concatenation" or "extended" (a variable
    given a value and then extended with `+=`; `parts` then holds the value and each extension).
    """

    text: str
    lines: list[int]
    start_line: int
    kind: str
    parts: tuple[SourceString, ...] = ()

    def line_at(self, index: int) -> int:
        """The file line of text[index] (the closest character before it when index is past the end)."""
        if not self.lines:
            return self.start_line
        return self.lines[max(0, min(index, len(self.lines) - 1))]


@dataclass
class _Builder:
    chars: list[str] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)

    def add(self, text: str, first_line: int) -> None:
        current = first_line
        for char in text:
            self.chars.append(char)
            self.lines.append(current)
            current += char == "\n"

    def placeholder(self, at_line: int) -> None:
        self.chars.append(PLACEHOLDER)
        self.lines.append(at_line)

    def extend(self, other: SourceString) -> None:
        self.chars.extend(other.text)
        self.lines.extend(other.lines)

    def build(self, start_line: int, kind: str, parts: tuple[SourceString, ...] = ()) -> SourceString:
        return SourceString("".join(self.chars), self.lines, start_line, kind, parts)


def js_unescape(raw: str) -> str:
    """The value of one JS escape sequence (`\\n`, `\\x41`, `\\u{1F600}`, a line continuation, ...)."""
    body = raw[1:]
    if not body or body[0] in "\r\n\u2028\u2029":
        return ""
    try:
        if body[0] == "x" and len(body) == 3:
            return chr(int(body[1:], 16))
        if body[0] == "u":
            return chr(int(body[1:].strip("{}"), 16))
    except ValueError:
        return body
    return _ESCAPES.get(body[0], body) if len(body) == 1 else body


class _JsValues:
    """The string values of one parsed JS/TS file."""

    def __init__(self, parsed: Parsed) -> None:
        self.parsed = parsed
        self.taken: set[int] = set()

    def value(self, node: Node) -> SourceString | None:
        """The value of a string-valued expression, or None when `node` is not one."""
        kind = node.type
        if kind == "parenthesized_expression" and node.named_child_count == 1:
            inner = node.named_children[0]
            return self.value(inner) if inner is not None else None
        if kind not in ("string", "template_string", "binary_expression"):
            return None
        builder = _Builder()
        if kind == "binary_expression":
            operator = node.child_by_field_name("operator")
            left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
            if operator is None or operator.type != "+" or left is None or right is None:
                return None
            values = [self.value(left), self.value(right)]
            if values == [None, None]:
                return None
            for operand, found in zip((left, right), values, strict=True):
                if found is None:
                    builder.placeholder(line(operand))
                else:
                    builder.extend(found)
            self.taken.add(node.id)
            return builder.build(line(node), "concatenation")
        for child in node.children:
            if child.type == "string_fragment":
                builder.add(self.parsed.text(child), line(child))
            elif child.type == "escape_sequence":
                builder.add(js_unescape(self.parsed.text(child)), line(child))
            elif child.type == "template_substitution":
                builder.placeholder(line(child))
        self.taken.add(node.id)
        return builder.build(line(node), "template" if kind == "template_string" else "literal")

    def all(self) -> list[SourceString]:
        found: list[tuple[Node, SourceString]] = []
        for node in walk(self.parsed.root):
            if node.id in self.taken or node.type not in ("string", "template_string", "binary_expression"):
                continue
            if node.parent is not None and node.parent.type in ("import_statement", "export_statement") or (
                    node.type == "string" and node.parent is not None and node.parent.type == "jsx_attribute"):
                continue  # module specifiers and JSX attribute text are never SQL
            value = self.value(node)
            if value is not None:
                found.append((node, value))
        return _with_extensions(found)


def _variable(node: Node) -> tuple[str, str] | None:
    """("set" | "extend", name) when the value `node` is assigned to, or appended (`+=`) to, a plain variable."""
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "variable_declarator" and parent.child_by_field_name("value") == node:
        name = parent.child_by_field_name("name")
        return ("set", name.text.decode()) if name is not None and name.type == "identifier" and name.text else None
    if parent.type in ("assignment_expression", "augmented_assignment_expression") and (
            parent.child_by_field_name("right") == node):
        target = parent.child_by_field_name("left")
        operator = parent.child_by_field_name("operator")
        if target is None or target.type != "identifier" or not target.text:
            return None
        if parent.type == "assignment_expression":
            return "set", target.text.decode()
        if operator is not None and operator.type == "+=":
            return "extend", target.text.decode()
    return None


def _scope(node: Node) -> int:
    current = node.parent
    while current is not None and current.type not in _SCOPES:
        current = current.parent
    return current.id if current is not None else -1


def _with_extensions(found: list[tuple[Node, SourceString]]) -> list[SourceString]:
    """Values in source order, where a variable's value and its later `+=` extensions become one value."""
    out: list[SourceString | list[SourceString]] = []
    open_groups: dict[tuple[int, str], list[SourceString]] = {}
    for node, value in found:
        assigned = _variable(node)
        if assigned is None:
            out.append(value)
            continue
        how, name = assigned
        key = (_scope(node), name)
        group = open_groups.get(key)
        if how == "extend" and group is not None:
            group.append(value)
            continue
        group = [value]
        open_groups[key] = group
        out.append(group)
    return [_joined(item) if isinstance(item, list) else item for item in out]


def _joined(group: list[SourceString]) -> SourceString:
    if len(group) == 1:
        return group[0]
    builder = _Builder()
    for part in group:
        builder.extend(part)
    return builder.build(group[0].start_line, "extended", tuple(group))


def js_strings(parsed: Parsed) -> list[SourceString]:
    """Every string value of a parsed JS/TS file, in source order (see the module docstring)."""
    return _JsValues(parsed).all()


# Python ------------------------------------------------------------------------------------------------


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _piece_lines(segment: str, first_line: int, value: str) -> list[int] | None:
    """Lines of `value`'s characters from the string tokens of its source `segment` (None if they disagree)."""
    import io
    import tokenize  # only for Python sources: the tool's start-up does not pay for it

    builder = _Builder()
    try:
        for token in tokenize.generate_tokens(io.StringIO(segment).readline):
            if token.type != tokenize.STRING:
                continue
            piece = ast.literal_eval(token.string)
            if not isinstance(piece, str):
                return None
            row = first_line + token.start[0] - 1
            if "\n" in token.string:
                builder.add(piece, row)
            else:
                builder.chars.extend(piece)
                builder.lines.extend([row] * len(piece))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None
    return builder.lines if "".join(builder.chars) == value else None


def python_strings(text: str) -> Iterator[SourceString]:
    """String constants and f-strings of Python source (docstrings left out); SyntaxError when it does not parse."""
    tree = ast.parse(text)
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            skip.update(id(part) for part in ast.walk(node))
            value = "".join(p.value if isinstance(p, ast.Constant) and isinstance(p.value, str) else PLACEHOLDER
                            for p in node.values)
            kind = "template"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            value, kind = node.value, "literal"
        else:
            continue
        segment = ast.get_source_segment(text, node) or ""
        lines = _piece_lines(segment, node.lineno, value) if kind == "literal" else None
        if lines is None:
            builder = _Builder()
            same_shape = segment.count("\n") == value.count("\n")
            builder.add(value if same_shape else value.replace("\n", " "), node.lineno)
            lines = builder.lines
        yield SourceString(value, lines, node.lineno, kind)
