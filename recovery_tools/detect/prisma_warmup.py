"""Detector prisma-warmup: database calls in deployed code on a client nobody waited to connect.

What counts is what the code does, not what it is named. A *connecting* function awaits `$connect()`, or awaits
(or returns) a call of another connecting function (`db.getClient()` awaiting `initializePrisma()` awaiting
`$connect()` and a warm-up query), to any depth; a *helper* is a connecting function that runs a callback it is
given (`prismaOperation(fn)`). A database call (`x.model.findMany()`, `$queryRaw`, `$transaction`, ...) is
guarded when it runs in a helper's callback, after an awaited connecting call in its own function, or on a
client that came from one (`const prisma = await db.getClient()`). It is the hazard when its client comes from a
synchronous getter or function that can hand out a `new PrismaClient()` nobody connected (`db.client`), is such
a client itself, or is the client a helper connects used without the helper. A client that only a caller
provides (a parameter) is not traced; a transaction's callback client belongs to its `$transaction` call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from recovery_tools.detect.app import AppSource, SourceFile
from recovery_tools.detect.model import Evidence, Verdict, broken, fixed, unknown
from recovery_tools.detect.scopes import Binding, Scopes
from recovery_tools.detect.syntax import (
    FUNCTIONS,
    ancestors,
    callee_name,
    callee_object,
    calls,
    function_name,
    string_value,
    text,
)
from recovery_tools.detect.syntax import unwrap as unwrap_expression
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
CLIENT_CLASS = "PrismaClient"
GUARDED, HAZARD, UNTRACED, PART = "guarded", "hazard", "untraced", "part of a transaction"
_DEPTH = 6  # how far one client's origin is followed (variables, properties, imports)


@dataclass(frozen=True)
class Origin:
    kind: str  # GUARDED, HAZARD, UNTRACED, PART
    why: str = ""


def database_call(call: Node) -> bool:
    """`x.model.findMany(...)` or `x.$queryRaw...`/`$transaction(...)` (tagged templates included)."""
    name = callee_name(call)
    if name in CLIENT_OPERATIONS:
        return True
    target = callee_object(call)
    return name in MODEL_OPERATIONS and target is not None and target.type == "member_expression"


def client_of(call: Node) -> Node | None:
    """The client a database call runs on: `x` of `x.model.findMany()` or of `x.$queryRaw`."""
    target = callee_object(call)
    if target is None:
        return None
    if callee_name(call) in CLIENT_OPERATIONS:
        return target
    return target.child_by_field_name("object")


def own_nodes(function: Node) -> list[Node]:
    """The nodes a function runs itself: nested functions left out, except ones it calls on the spot (IIFEs)."""
    found, stack = [], [function]
    while stack:
        node = stack.pop()
        found.append(node)
        for child in reversed(node.children):
            if child.type in FUNCTIONS and not _invoked_here(child):
                continue
            stack.append(child)
    return found


def _invoked_here(function: Node) -> bool:
    parent = function.parent
    while parent is not None and parent.type == "parenthesized_expression":
        function, parent = parent, parent.parent
    return parent is not None and parent.type == "call_expression" and (
        parent.child_by_field_name("function") == function)


def _owner(node: Node) -> tuple[Node, bool]:
    """The function that runs `node` itself (an IIFE's caller; the program at the top level), and whether the
    value of `node` is awaited or returned there (a returned promise is awaited by callers)."""
    awaited = False
    child = node
    for outer in ancestors(node):
        if outer.type in ("await_expression", "return_statement"):
            awaited = True
        elif outer.type in FUNCTIONS and not _invoked_here(outer):
            if outer.type == "arrow_function" and outer.child_by_field_name("body") == child:
                awaited = True  # `() => f()` returns f()'s promise
            return outer, awaited
        elif outer.type == "program":
            return outer, awaited
        child = outer
    return child, awaited


class Program:
    """The deployed code's functions by name, which of them connect, which are helpers, which hand out clients
    nobody connected; and the client behind each database call."""

    def __init__(self, app: AppSource) -> None:
        self.app = app
        self.files = {source.rel: source for source, _ in app.parsed()}
        self._scopes: dict[str, Scopes] = {}
        self._members: dict[tuple[int, str], list[Node]] = {}
        self._assignments: dict[str, dict[str, list[tuple[Node, Node]]]] = {}
        self._by_helper: dict[tuple[str, str], bool] = {}
        self._at_load: dict[str, bool] = {}
        self.functions: dict[str, list[tuple[SourceFile, Node]]] = {}
        self.database_calls: list[tuple[SourceFile, Node]] = []
        self._awaited_calls: dict[int, list[tuple[SourceFile, Node]]] = {}  # function -> calls it awaits itself
        creators: dict[int, tuple[SourceFile, Node]] = {}  # function -> itself, when it creates a client
        aliases: dict[str, str] = {}  # `const prismaOperation = prismaOperationInternal`
        for source, parsed in app.parsed():  # one walk per file
            for node in walk(parsed.root):
                kind = node.type
                if kind in FUNCTIONS:
                    name = function_name(node)
                    if name:
                        self.functions.setdefault(name, []).append((source, node))
                elif kind == "call_expression":
                    if database_call(node):
                        self.database_calls.append((source, node))
                    owner, awaited = _owner(node)
                    if awaited:
                        self._awaited_calls.setdefault(owner.id, []).append((source, node))
                elif kind == "variable_declarator":
                    value = node.child_by_field_name("value")
                    if value is not None and value.type == "identifier":
                        aliases[text(node.child_by_field_name("name"))] = text(value)
                elif kind == "new_expression" and callee_name(node) == CLIENT_CLASS:
                    owner, _ = _owner(node)
                    if owner.type in FUNCTIONS:
                        creators[owner.id] = (source, owner)
        for _ in range(_DEPTH):  # an alias stands for the definitions of what it names (chains too)
            for alias, target in aliases.items():
                if target in self.functions and alias != target:
                    known = self.functions.setdefault(alias, [])
                    known += [d for d in self.functions[target] if d not in known]
        self.connecting: dict[str, tuple[str, int]] = {}  # name -> where (file, line) one definition connects
        self._connecting_nodes: set[int] = set()
        self.connectors = sorted({name for name, definitions in self.functions.items() for _, node in definitions
                                  if any(callee_name(call) == "$connect"
                                         for _, call in self._awaited_calls.get(node.id, ()))})
        changed = True
        while changed:  # to a fixed point: a function awaiting a connecting one connects too
            changed = False
            for name, definitions in self.functions.items():
                for source, node in definitions:
                    if node.id not in self._connecting_nodes and any(
                            self.connects(call, where) for where, call in self._awaited_calls.get(node.id, ())):
                        self._connecting_nodes.add(node.id)
                        self.connecting.setdefault(name, (source.rel, line(node)))
                        changed = True
        self.helpers = {name for name, definitions in self.functions.items() for _, node in definitions
                        if node.id in self._connecting_nodes and _runs_a_parameter(node)}
        self.providers: dict[str, tuple[str, int, str]] = {}  # name -> (file, line, kind) of a risky provider
        for source, function in creators.values():
            provider = _unconnected_provider(function)
            name = function_name(function)
            if provider and name:
                self.providers.setdefault(name, (source.rel, line(function), provider))

    def scopes(self, rel: str) -> Scopes:
        if rel not in self._scopes:
            parsed = self.files[rel].parsed
            assert parsed is not None
            self._scopes[rel] = Scopes(parsed.root)
        return self._scopes[rel]

    def connects(self, call: Node, source: SourceFile) -> bool:
        """The call is `$connect()` or calls a connecting function: when definitions of that name disagree, the
        one in the same file, else the one in the module the callee's object is imported from, decides."""
        name = callee_name(call)
        if name == "$connect":
            return True
        definitions = self.functions.get(name, ())
        verdicts = {node.id in self._connecting_nodes for _, node in definitions}
        if len(verdicts) < 2:
            return verdicts == {True}
        local = [node for where, node in definitions if where.rel == source.rel]
        imported = None if local else self._module_of(call, source)
        module = local or [node for where, node in definitions if where.rel == imported]
        return bool(module) and all(node.id in self._connecting_nodes for node in module)

    def _module_of(self, call: Node, source: SourceFile) -> str | None:
        """The file the object of `x.f()` is imported from, when `x` is an import or a `require` of the app."""
        target = unwrap_expression(callee_object(call))
        if target is None or target.type != "identifier" or source.rel not in self.files:
            return None
        binding = self.scopes(source.rel).resolve(target)
        if binding is None or binding.node is None:
            return None
        statement = next((a for a in ancestors(binding.node)
                          if a.type in ("import_statement", "variable_declarator")), None)
        specifier = None
        if statement is not None and statement.type == "import_statement":
            specifier = string_value(statement.child_by_field_name("source"))
        elif statement is not None and _require_call(statement.child_by_field_name("value")):
            call_node = unwrap_expression(statement.child_by_field_name("value"))
            args = call_node.child_by_field_name("arguments") if call_node is not None else None
            specifier = string_value(args.named_children[0]) if args is not None and args.named_children else None
        resolver = self.app.scope.resolver
        return resolver.resolve(specifier, source.rel) if specifier and resolver is not None else None

    def judge(self, call: Node, source: SourceFile) -> Origin:
        """Guarded by a helper or an awaited connection before it in its function; else its client's origin (a
        hazard stays one even in a module that warms up at load: the getter's new client comes after a drop)."""
        helper = self._through_helper(call)
        if helper:
            return Origin(GUARDED, f"runs in a callback of {helper}(), which awaits $connect() first")
        after = self._after_connect(call)
        if after is not None:
            return Origin(GUARDED, f"runs after `{text(after)[:60]}` (line {line(after)}) awaits the connection")
        client = client_of(call)
        origin = self.origin(client, source, _DEPTH) if client is not None else Origin(UNTRACED)
        if origin.kind == UNTRACED and source.parsed is not None:
            if source.rel not in self._at_load:
                self._at_load[source.rel] = self._warms_at_load(source)
            if self._at_load[source.rel]:
                return Origin(GUARDED, "its module awaits the connection at load (top-level await)")
        return origin

    def _warms_at_load(self, source: SourceFile) -> bool:
        """The module's top level awaits a connecting call (or a promise of one): ESM runs nothing of it before."""
        parsed = source.parsed
        assert parsed is not None
        declared = {text(d.child_by_field_name("name")): d.child_by_field_name("value")
                    for d in own_nodes(parsed.root) if d.type == "variable_declarator"}
        for node in own_nodes(parsed.root):
            if node.type != "await_expression" or not node.named_children:
                continue
            awaited = unwrap_expression(node.named_children[0])
            if awaited is not None and awaited.type == "identifier":
                awaited = declared.get(text(awaited))
            if self._connecting_chain(awaited, source):
                return True
        return False

    def _connecting_chain(self, node: Node | None, source: SourceFile) -> bool:
        """`f()`, `f().catch(...)`, `f().then(...)` where f connects."""
        node = unwrap_expression(node)
        while node is not None and node.type == "call_expression":
            name = callee_name(node)
            if name == "$connect" or self.connects(node, source):
                return True
            node = unwrap_expression(callee_object(node))
        return False

    def _through_helper(self, call: Node) -> str:
        for node in ancestors(call):
            if node.type in FUNCTIONS:
                if node.id in self._connecting_nodes and function_name(node) in self.helpers:
                    return function_name(node)
                args = node.parent
                caller = args.parent if args is not None and args.type == "arguments" else None
                if caller is not None and callee_name(caller) in self.helpers:
                    return callee_name(caller)
        return ""

    def _after_connect(self, call: Node) -> Node | None:
        """An awaited connecting call (or `$connect()`) before `call` in a function running it."""
        for outer in ancestors(call):
            if outer.type not in FUNCTIONS:
                continue
            for where, node in self._awaited_calls.get(outer.id, ()):
                if not self.connects(node, where):
                    continue
                if node.end_byte <= call.start_byte and _before_in_flow(node, call, outer):
                    return node
        return None

    def origin(self, client: Node, source: SourceFile, depth: int) -> Origin:
        """Where the client an expression stands for comes from."""
        if depth <= 0:
            return Origin(UNTRACED, "followed too far")
        awaited = client.type == "await_expression" or any(
            c.type == "await_expression" for c in _wrappers(client))
        node = unwrap_expression(client)
        if node is None:
            return Origin(UNTRACED)
        if node.type == "call_expression":
            return self._call_origin(node, awaited, source)
        if node.type == "new_expression" and callee_name(node) == CLIENT_CLASS:
            return Origin(HAZARD, f"a `new {CLIENT_CLASS}()` nobody connected ({source.rel}:{line(node)})")
        if node.type == "member_expression":
            return self._member_origin(node, source, depth)
        if node.type == "identifier":
            return self._identifier_origin(node, source, depth)
        if node.type in ("binary_expression", "ternary_expression"):
            parts = [p for p in (node.child_by_field_name(f) for f in ("left", "right", "consequence",
                                                                       "alternative")) if p is not None]
            return combine([self.origin(p, source, depth - 1) for p in parts])
        if node.type in ("null", "undefined", "true", "false", "number", "string"):
            return Origin(PART)  # no client: left out when combined
        return Origin(UNTRACED)

    def _call_origin(self, call: Node, awaited: bool, source: SourceFile) -> Origin:
        name = callee_name(call)
        if awaited and self.connects(call, source):
            return Origin(GUARDED, f"comes from `await {text(call)[:50]}`, which connects first")
        if name in self.providers:
            rel, at, kind = self.providers[name]
            return Origin(HAZARD, f"comes from {name}() ({rel}:{at}), {kind}")
        return Origin(UNTRACED, f"comes from {name or 'a call'}()")

    def _member_origin(self, member: Node, source: SourceFile, depth: int) -> Origin:
        prop = text(member.child_by_field_name("property"))
        if prop in self.providers:
            rel, at, kind = self.providers[prop]
            return Origin(HAZARD, f"`{text(member)}` is {kind} ({rel}:{at})")
        target = member.child_by_field_name("object")
        if target is not None and target.type == "this":
            owner = next((a for a in ancestors(member) if a.type in ("class_body", "object")), None)
            if owner is not None:
                if (owner.id, prop) not in self._members:
                    self._members[(owner.id, prop)] = _assigned_to_member(owner, prop)
                values = self._members[(owner.id, prop)]
                if values:
                    return combine([self.origin(v, source, depth - 1) for v in values])
        return Origin(UNTRACED, f"`{text(member)}`")

    def _identifier_origin(self, name: Node, source: SourceFile, depth: int) -> Origin:
        binding = self.scopes(source.rel).resolve(name)
        if binding is None:
            return self._global_origin(name, source)
        if binding.kind == "param":
            function = _function_of(binding)
            args = function.parent if function is not None else None
            caller = args.parent if args is not None and args.type == "arguments" else None
            if caller is not None and callee_name(caller) == "$transaction":
                return Origin(PART, "the transaction's client")
            return Origin(UNTRACED, f"`{binding.name}` is a parameter: its caller provides the client")
        if binding.kind == "import":
            return self._imported_origin(binding, source, depth)
        if binding.kind not in ("const", "let", "var"):
            return Origin(UNTRACED)
        parsed = source.parsed
        assert parsed is not None
        if binding.node is not None and _module_level(binding.node) and _connected_at_load(parsed, binding.name):
            return Origin(GUARDED, f"`{binding.name}` is connected by the module's top-level await")
        declarator = next((a for a in ancestors(binding.node) if a.type == "variable_declarator"), None) if (
            binding.node is not None) else None
        value = declarator.child_by_field_name("value") if declarator is not None else None
        key = None if declarator is None or declarator.child_by_field_name("name") == binding.node else (
            _destructured_key(binding.node))
        if value is not None and _require_call(value):
            return self._required_origin(value, key or "default", source, depth)
        values = self._values(binding, source, value if key is None else None)
        judged = [self.origin(v, source, depth - 1) for v in values]
        origin = combine(judged)
        if origin.kind == UNTRACED and binding.node is not None and _module_level(binding.node) and (
                self._connected_by_helper(parsed, binding.name)):
            return Origin(HAZARD, f"`{binding.name}` is the client a helper connects, used here without it")
        return origin

    def _global_origin(self, name: Node, source: SourceFile) -> Origin:
        parsed = source.parsed
        assert parsed is not None
        if self._connected_by_helper(parsed, text(name)):
            return Origin(HAZARD, f"`{text(name)}` is the client a helper connects, used here without it")
        return Origin(UNTRACED, f"`{text(name)}` is not declared in {source.rel}")

    def _connected_by_helper(self, parsed: Parsed, name: str) -> bool:
        """A connecting function of this file awaits `name.$connect()`."""
        key = (str(id(parsed)), name)
        if key not in self._by_helper:
            self._by_helper[key] = any(
                node.type == "call_expression" and callee_name(node) == "$connect"
                and text(callee_object(node)) == name and _enclosing_connecting(node, self._connecting_nodes)
                for node in walk(parsed.root))
        return self._by_helper[key]

    def _values(self, binding: Binding, source: SourceFile, declared: Node | None) -> list[Node]:
        """The declared value and every value assigned to the same binding in the file."""
        parsed = source.parsed
        assert parsed is not None and binding.node is not None
        values = [declared] if declared is not None else []
        scopes = self.scopes(source.rel)
        if source.rel not in self._assignments:
            table: dict[str, list[tuple[Node, Node]]] = {}
            for node in walk(parsed.root):
                if node.type == "assignment_expression":
                    left, right = node.child_by_field_name("left"), node.child_by_field_name("right")
                    if left is not None and left.type == "identifier" and right is not None:
                        table.setdefault(text(left), []).append((left, right))
            self._assignments[source.rel] = table
        values += [right for left, right in self._assignments[source.rel].get(binding.name, [])
                   if scopes.resolve(left) == binding]
        return values

    def _imported_origin(self, binding: Binding, source: SourceFile, depth: int) -> Origin:
        statement = next((a for a in ancestors(binding.node) if a.type == "import_statement"), None) if (
            binding.node is not None) else None
        if statement is None:
            return Origin(UNTRACED)
        specifier = string_value(statement.child_by_field_name("source"))
        node = binding.node
        assert node is not None
        exported = "default"
        if node.parent is not None and node.parent.type == "import_specifier":
            exported = text(node.parent.child_by_field_name("name"))
        elif node.parent is not None and node.parent.type == "namespace_import":
            return Origin(UNTRACED)
        return self._exported_origin(specifier, exported, source, depth)

    def _required_origin(self, value: Node, exported: str, source: SourceFile, depth: int) -> Origin:
        call = unwrap_expression(value)
        args = call.child_by_field_name("arguments") if call is not None else None
        specifier = string_value(args.named_children[0]) if args is not None and args.named_children else None
        return self._exported_origin(specifier, exported, source, depth)

    def _exported_origin(self, specifier: str | None, exported: str, source: SourceFile, depth: int) -> Origin:
        resolver = self.app.scope.resolver
        target_rel = resolver.resolve(specifier, source.rel) if resolver is not None and specifier else None
        target = self.files.get(target_rel) if target_rel else None
        if target is None or target.parsed is None:
            return Origin(UNTRACED, f"imported from {specifier}")
        value = _export_value(target.parsed, exported)
        if value is None:
            return Origin(UNTRACED, f"`{exported}` of {target.rel}")
        return self.origin(value, target, depth - 1)


def combine(origins: list[Origin]) -> Origin:
    """The worst of several possible origins: a hazard if any, guarded only if all are."""
    real = [o for o in origins if not (o.kind == PART and not o.why)]
    for kind in (HAZARD, UNTRACED, PART):
        found = next((o for o in real if o.kind == kind), None)
        if found is not None:
            return found
    return next(iter(real), Origin(UNTRACED))


def _wrappers(node: Node) -> list[Node]:
    """The parentheses, `await`s and TypeScript wrappers around an expression's core, outermost first."""
    found = []
    while node.type in ("parenthesized_expression", "await_expression", "as_expression", "non_null_expression",
                        "satisfies_expression") and node.named_children:
        found.append(node)
        node = node.named_children[0]
    return found


def _before_in_flow(first: Node, later: Node, function: Node) -> bool:
    """`first` runs before `later` on every path: it stands in a block enclosing `later` (not in a branch or a
    callback `later` is not in)."""
    block = first.parent
    while block is not None and block != function and block.type not in ("statement_block", "program"):
        if block.type in FUNCTIONS and not _invoked_here(block):
            return False
        if block.type in ("if_statement", "ternary_expression", "binary_expression", "catch_clause",
                          "switch_case"):
            return block.start_byte <= later.start_byte < block.end_byte
        block = block.parent
    return block is None or block.start_byte <= later.start_byte < block.end_byte


def _runs_a_parameter(function: Node) -> bool:
    params = function.child_by_field_name("parameters")
    own = {text(p) for p in walk(params) if p.type == "identifier"} if params is not None else set()
    return any(callee_name(c) in own for c in calls(function) if c.type == "call_expression")


def _unconnected_provider(function: Node) -> str:
    """For a function that creates a PrismaClient: how it hands out one nobody connected when it is synchronous
    (a sync function or getter cannot await $connect()); "" for an async one."""
    if any(child.type == "async" for child in function.children) or function_name(function) == "constructor":
        return ""
    body = function.child_by_field_name("body")
    getter = function.type == "method_definition" and any(child.type == "get" for child in function.children)
    if not getter and body is not None and body.type == "statement_block" and not any(
            n.type == "return_statement" for n in own_nodes(function)):
        return ""  # it keeps the client and returns nothing
    return (f"a synchronous {'getter' if getter else 'function'} that can return a PrismaClient nobody connected "
            "(it creates one and cannot await $connect())")


def _destructured_key(name: Node | None) -> str | None:
    """The property a destructured name takes: `a` for `{ a }` and for `{ a: b }`."""
    if name is None:
        return None
    parent = name.parent
    if parent is not None and parent.type == "pair_pattern":
        return text(parent.child_by_field_name("key"))
    return text(name)


def _function_of(binding: Binding) -> Node | None:
    return next((a for a in ancestors(binding.node) if a.type in FUNCTIONS), None) if binding.node else None


def _module_level(node: Node) -> bool:
    return not any(a.type in FUNCTIONS for a in ancestors(node))


def _connected_at_load(parsed: Parsed, name: str) -> bool:
    """The module's top level awaits `name.$connect()`: importers run only after it (ESM top-level await)."""
    for node in own_nodes(parsed.root):
        if node.type == "call_expression" and callee_name(node) == "$connect" and (
                text(callee_object(node)) == name and any(a.type == "await_expression" for a in ancestors(node))):
            return True
    return False


def _enclosing_connecting(node: Node, connecting: set[int]) -> bool:
    return any(a.id in connecting for a in ancestors(node) if a.type in FUNCTIONS)


def _assigned_to_member(owner: Node, prop: str) -> list[Node]:
    """Values assigned to `this.prop` in a class body or object literal (and a field's initializer)."""
    values = []
    for node in walk(owner):
        if node.type == "assignment_expression":
            left = node.child_by_field_name("left")
            if left is not None and left.type == "member_expression" and text(left) == f"this.{prop}":
                right = node.child_by_field_name("right")
                if right is not None:
                    values.append(right)
        elif node.type in ("field_definition", "public_field_definition") and node.parent == owner:
            key = node.child_by_field_name("property") or node.child_by_field_name("name")
            value = node.child_by_field_name("value")
            if key is not None and text(key) == prop and value is not None:
                values.append(value)
    return values


def _require_call(node: Node | None) -> bool:
    core = unwrap_expression(node)
    return core is not None and core.type == "call_expression" and callee_name(core) == "require"


def _export_value(parsed: Parsed, exported: str) -> Node | None:
    """The expression a module exports under `exported` ("default" for `export default` / `module.exports =`)."""
    local = exported
    for statement in parsed.root.named_children:
        if statement.type == "export_statement":
            value = statement.child_by_field_name("value")
            if exported == "default" and value is not None:
                return value
            declaration = statement.child_by_field_name("declaration")
            if declaration is not None:
                for declarator in declaration.named_children:
                    if declarator.type == "variable_declarator" and text(
                            declarator.child_by_field_name("name")) == exported:
                        return declarator.child_by_field_name("name")
            for specifier in walk(statement):
                if specifier.type == "export_specifier":
                    alias = specifier.child_by_field_name("alias")
                    if text(alias or specifier.child_by_field_name("name")) == exported:
                        local = text(specifier.child_by_field_name("name"))
        elif statement.type == "expression_statement":
            assignment = statement.named_children[0] if statement.named_children else None
            if assignment is None or assignment.type != "assignment_expression":
                continue
            left, right = assignment.child_by_field_name("left"), assignment.child_by_field_name("right")
            if text(left) == "module.exports" and right is not None:
                if exported == "default":
                    return right
                if right.type == "object":
                    for pair in right.named_children:
                        key = pair.child_by_field_name("key") if pair.type == "pair" else pair
                        if text(key) == exported:
                            return pair.child_by_field_name("value") if pair.type == "pair" else pair
            if text(left) in (f"exports.{exported}", f"module.exports.{exported}") and right is not None:
                return right
    for statement in parsed.root.named_children:
        declaration = statement.child_by_field_name("declaration") if statement.type == "export_statement" else (
            statement)
        if declaration is not None and declaration.type in ("lexical_declaration", "variable_declaration"):
            for declarator in declaration.named_children:
                if declarator.type == "variable_declarator" and text(declarator.child_by_field_name("name")) == local:
                    return declarator.child_by_field_name("name")
    return None


def detect(app: AppSource) -> Verdict:
    program = Program(app)
    hazards: list[Evidence] = []
    guarded, untraced = 0, 0
    for source, call in program.database_calls:
        origin = program.judge(call, source)
        if origin.kind == GUARDED:
            guarded += 1
        elif origin.kind == HAZARD:
            what = text(call.child_by_field_name("function"))
            hazards.append(Evidence(source.rel, line(call), f"`{what}(...)` runs on a client nobody waited to "
                                                            f"connect: {origin.why}; on a cold instance it races "
                                                            "the engine (Engine is not yet connected)"))
        elif origin.kind == UNTRACED:
            untraced += 1
    unreadable = app.unreadable(CALL_TEXT)
    if hazards:
        return broken(*hazards, *unreadable)
    if unreadable:
        return unknown(*unreadable)
    if not guarded:
        reason = (f"{untraced} database calls on clients their callers provide, none traced to a connection"
                  if untraced else "no Prisma database call found in the deployed code")
        return unknown(Evidence(".", 0, reason))
    ways = ", ".join(sorted(program.helpers)) or ", ".join(program.connectors[:5])
    note = f"; {untraced} on clients their callers provide, not traced" if untraced else ""
    return fixed(Evidence(".", 0, f"all {guarded} traced database calls wait for the connection (through {ways}, "
                                  f"which await $connect() first){note}"))
