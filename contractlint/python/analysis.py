"""One pass over a piece of Python's syntax tree that every rule reads.

``Analysis`` walks CPython's ``ast`` of a module or an inline script once, without
recursion (a 30,000-term expression is a deep tree), and records:

* for every node, its parent and the scope it is evaluated in (a default value or a
  decorator belongs to the enclosing scope, the first iterable of a comprehension
  too; a walrus inside a comprehension binds in the enclosing function);
* for every scope (module, function, lambda, class, comprehension, type-parameter
  annotation scope), the names it binds and how: imports, definitions, parameters,
  assignment targets, ``del``, ``except … as``, match captures, type parameters —
  with ``global`` and ``nonlocal`` moving a binding to the scope it names;
* every node by kind, in traversal order (``nodes(ast.Call)``), so that rules ask
  for the nodes they check instead of walking the tree again.

Names are resolved the way Python does, statically and flow-insensitively: a name
refers to *every* binding of it in the scope that owns it (so ``os`` imported once
and assigned once is not provably the os module). ``qualified_names`` answers what
libcst's ``QualifiedNameProvider`` answered before (``ge`` after ``from os import
getenv as ge`` is ``os.getenv``, ``KeyError`` is ``builtins.KeyError``, a module
function ``f`` is the local ``f``), so rules keep their exact behaviour.

Nothing is imported or executed. CPython's parser accepts ``nonlocal`` where its
compiler rejects it (at module level, or with no enclosing binding): such code is a
``PythonSyntaxError`` with CPython's own message, asked of ``symtable``.
"""

from __future__ import annotations

import ast
import builtins
from dataclasses import dataclass

# Where a qualified name comes from (libcst's QualifiedNameSource values).
IMPORT = "import"
BUILTIN = "builtin"
LOCAL = "local"

FUNCTION_TYPES = (ast.FunctionDef, ast.AsyncFunctionDef)
COMPREHENSION_TYPES = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass(frozen=True)
class QualifiedName:
    name: str  # "os.environ.get", "builtins.KeyError", "f.<locals>.x"
    source: str  # IMPORT, BUILTIN or LOCAL


class Scope:
    """A namespace: what it binds, what it declares ``global``/``nonlocal``."""

    __slots__ = ("kind", "node", "parent", "name", "bindings", "declared", "star_imports", "_prefix")

    def __init__(self, kind: str, node: ast.AST, parent: Scope | None, name: str | None = None) -> None:
        self.kind = kind  # "module", "function" (a lambda too), "class", "comprehension", "annotation", "builtins"
        self.node = node
        self.parent = parent
        self.name = name
        self.bindings: dict[str, list[Binding]] = {}
        self.declared: dict[str, tuple[str, ast.AST]] = {}  # name → ("global" | "nonlocal", statement)
        self.star_imports: list[ast.ImportFrom] = []
        self._prefix: str | None = None

    @property
    def prefix(self) -> str:
        """The prefix of qualified names of what this scope binds (PEP 3155, as libcst)."""
        if self._prefix is None:
            parent, kind = self.parent, self.kind
            if parent is None:
                self._prefix = ""
            elif kind == "class":
                self._prefix = _join(parent.prefix, self.name)
            elif kind == "comprehension":
                self._prefix = _join(parent.prefix, "<comprehension>")
            elif kind == "annotation":
                self._prefix = parent.prefix
            else:
                self._prefix = _join(parent.prefix, self.name, "<locals>")
        return self._prefix

    def bind(self, name: str, kind: str, node: ast.AST, statement: ast.AST | None = None) -> None:
        binding = Binding(name, kind, node, self, statement)
        found = self.bindings.get(name)
        if found is None:
            self.bindings[name] = [binding]
        else:
            found.append(binding)

    def __repr__(self) -> str:
        return f"<Scope {self.kind} {self.name or ''}>"


def _join(*parts: str | None) -> str:
    return ".".join(part for part in parts if part)


class Binding:
    """One way a scope binds ``name``. ``node`` is what binds: the ``alias`` of an
    import, the ``FunctionDef``/``ClassDef``, the ``arg``, the ``Name`` target, the
    ``ExceptHandler``, the match pattern; ``statement`` is the import statement."""

    __slots__ = ("name", "kind", "node", "scope", "statement")

    def __init__(self, name: str, kind: str, node: ast.AST, scope: Scope, statement: ast.AST | None) -> None:
        self.name = name  # the bound name; "os.path" for the dotted key of `import os.path`
        self.kind = kind  # "import", "def", "class", "param", "assign", "del", "except", "match", "type", "builtin"
        self.node = node
        self.scope = scope
        self.statement = statement

    @property
    def is_import(self) -> bool:
        return self.kind == "import"

    def qualified_names(self, full_name: str) -> set[QualifiedName]:
        """The qualified names of ``full_name`` (``os.environ.get``) when its first part
        is this binding."""
        if self.kind == "builtin":
            return {QualifiedName(f"builtins.{self.name}", BUILTIN)}
        if self.kind != "import":
            prefix = self.scope.prefix
            return {QualifiedName(f"{prefix}.{full_name}" if prefix else full_name, LOCAL)}
        name = _import_qualified_name(self.statement, self.node, full_name)
        return {QualifiedName(name, IMPORT)} if name is not None else set()

    def __repr__(self) -> str:
        return f"<Binding {self.kind} {self.name}>"


def _import_qualified_name(statement: ast.AST, alias: ast.alias, full_name: str) -> str | None:
    """``full_name`` seen through the import ``alias``: ``ge`` of ``from os import
    getenv as ge`` → ``os.getenv``; ``os.path.join`` of ``import os.path`` →
    ``os.path.join``; ``.load.run`` for ``from .load import run``."""
    module = ""
    if isinstance(statement, ast.ImportFrom):
        module = "." * statement.level + (statement.module or "")
    parts = alias.name.split(".")
    for index in range(len(parts), 0, -1):
        real_name = as_name = ".".join(parts[:index])
        if module.endswith("."):
            real_name = f"{module}{real_name}"
        elif module:
            real_name = f"{module}.{real_name}"
        if alias.asname:
            as_name = alias.asname
        if full_name.startswith(as_name):
            remaining = full_name[len(as_name) :]
            if remaining and not remaining.startswith("."):
                continue
            remaining = remaining.lstrip(".")
            return f"{real_name}.{remaining}" if remaining else real_name
    return None


class ScopeError(Exception):
    """``nonlocal`` that CPython's compiler rejects; ``node`` is the statement."""

    def __init__(self, node: ast.AST) -> None:
        super().__init__("nonlocal declaration without a binding")
        self.node = node


_BUILTIN_BINDINGS: dict[str, list[Binding]] = {}
_BUILTIN_SCOPE = Scope("builtins", ast.Module(body=[], type_ignores=[]), None)


def _builtin(name: str) -> list[Binding]:
    found = _BUILTIN_BINDINGS.get(name)
    if found is None:
        found = [Binding(name, "builtin", _BUILTIN_SCOPE.node, _BUILTIN_SCOPE, None)] if hasattr(builtins, name) else []
        _BUILTIN_BINDINGS[name] = found
    return found


class Analysis:
    """Scopes, bindings, parents and nodes by kind of one syntax tree."""

    def __init__(self, tree: ast.Module, strict: bool = True) -> None:
        """``strict``: a ``nonlocal`` with no enclosing binding is a ``ScopeError``
        (when CPython disagrees, lenient: it refers to the enclosing function)."""
        self.tree = tree
        self._strict = strict
        self.module_scope = Scope("module", tree, None)
        self._parents: dict[int, ast.AST] = {}
        self._scopes: dict[int, Scope] = {}
        self._by_type: dict[type, list[ast.AST]] = {}
        self._declaring: list[Scope] = []  # scopes with global/nonlocal declarations
        self._nonlocal_targets: dict[tuple[int, str], Scope] = {}
        # Names bound anywhere by an import or a def; None when a star import may bind anything.
        self._import_or_def: set[str] | None = set()
        self._walk()
        self._resolve_declarations()

    # -- what rules ask ----------------------------------------------------------------

    def nodes(self, kind: type) -> list:
        """Every node of exactly this class, in traversal order (a node before its
        children; siblings mostly in source order — sort by position where it matters)."""
        return self._by_type.get(kind, [])

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self._parents.get(id(node))

    def ancestors(self, node: ast.AST) -> list[ast.AST]:
        """The nodes around ``node``, nearest first, the module last."""
        found = []
        parent = self._parents.get(id(node))
        while parent is not None:
            found.append(parent)
            parent = self._parents.get(id(parent))
        return found

    def scope_of(self, node: ast.AST) -> Scope:
        """The scope ``node`` is evaluated in."""
        return self._scopes.get(id(node), self.module_scope)

    @property
    def import_or_def_names(self) -> frozenset[str] | None:
        """Names bound anywhere by an ``import`` or a ``def``; None when unknown (a
        ``from x import *`` may bind anything)."""
        if self._import_or_def is None:
            return None
        if not isinstance(self._import_or_def, frozenset):
            self._import_or_def = frozenset(self._import_or_def)
        return self._import_or_def

    def lookup(self, name: str, scope: Scope, origin: Scope | None = None) -> list[Binding]:
        """The bindings ``name`` refers to when used in ``scope``: the bindings of the
        scope that owns it (class scopes are not seen from the functions inside them),
        the builtin, or nothing. ``origin``: the scope visibility is judged from."""
        origin = origin if origin is not None else scope
        current: Scope | None = scope
        while current is not None:
            declared = current.declared.get(name) if current.declared else None
            if declared is not None:
                if declared[0] == "global":
                    found = self.module_scope.bindings.get(name)
                    return [binding for binding in found if binding.kind != "del"] if found else _builtin(name)
                target = self._nonlocal_targets.get((id(current), name))
                found = target.bindings.get(name, []) if target is not None else []
                return [binding for binding in found if binding.kind != "del"]
            found = current.bindings.get(name)
            if found:
                # `del x` makes `x` this scope's, but gives it no value to refer to.
                return [binding for binding in found if binding.kind != "del"]
            current = self._visible_parent(current, origin)
        return _builtin(name)

    def bindings_of(self, node: ast.Name) -> list[Binding]:
        return self.lookup(node.id, self.scope_of(node))

    def is_bound(self, name: str, scope: Scope) -> bool:
        """``name`` means something where ``scope`` uses it (a builtin counts)."""
        return bool(self.lookup(name, scope))

    def qualified_names(self, node: ast.AST) -> frozenset[QualifiedName]:
        """What ``node`` may refer to, as libcst's qualified-name provider says it:
        the first dotted prefix of its full name (``os.environ.get`` → ``os.environ``
        → ``os``) that is bound, seen through each of its bindings. A name read in
        module or class code refers to what is bound before it there (``len = …``
        below a call of ``len`` does not change that call)."""
        full = full_name(node)
        if full is None:
            return frozenset()
        if isinstance(node, ast.Name) and node.ctx.__class__ is not ast.Store:
            found: set[QualifiedName] = set()
            for binding in self.referents(node):
                found |= binding.qualified_names(full)
            return frozenset(found)
        return self.qualified_names_of(full, self.scope_of(root_name(node)))

    def referents(self, node: ast.Name) -> list[Binding]:
        """The bindings a name that is read may refer to where it is read: in its own
        scope only those made before it (a function's parameters and a comprehension's
        targets always are); when there are none, what the enclosing scope says."""
        scope = self.scope_of(node)
        bindings = self.lookup(node.id, scope)
        if not bindings or scope.kind == "comprehension":
            return bindings
        here = (node.lineno, node.col_offset)
        earlier = [b for b in bindings if b.scope is not scope or self._takes_effect(b) <= here]
        if not earlier:
            return self.lookup(node.id, scope.parent, origin=scope) if scope.parent is not None else _builtin(node.id)
        return earlier

    def _takes_effect(self, binding: Binding) -> tuple[int, int]:
        """Where a binding is in effect from: after the statement or target that makes
        it (``x = f(x)`` reads the old ``x``), before an ``except`` body."""
        node = binding.node
        if binding.kind == "except":
            return node.lineno, node.col_offset
        if binding.kind == "import":
            node = binding.statement
        elif binding.kind in ("assign", "del"):
            child = node
            parent = self._parents.get(id(node))
            while parent is not None:
                if isinstance(parent, (ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Delete, ast.NamedExpr)):
                    node = parent
                    break
                if isinstance(parent, (ast.For, ast.AsyncFor, ast.withitem, ast.comprehension)):
                    node = child  # the loop target / `as` target itself
                    break
                if not isinstance(parent, (ast.Tuple, ast.List, ast.Starred)):
                    break
                child, parent = parent, self._parents.get(id(parent))
        return node.end_lineno, node.end_col_offset

    def qualified_names_of(self, full: str, scope: Scope) -> frozenset[QualifiedName]:
        """What the dotted name ``full`` refers to when used in ``scope``."""
        prefix = full
        while True:
            bindings = self.lookup(prefix, scope)
            if bindings:
                break
            dot = prefix.rfind(".")
            if dot == -1:
                return frozenset()
            prefix = prefix[:dot]
        found: set[QualifiedName] = set()
        for binding in bindings:
            found |= binding.qualified_names(full)
        return frozenset(found)

    def scope_chain(self, scope: Scope) -> list[Scope]:
        """``scope`` and the scopes around it, class scopes included, the module last."""
        chain = []
        current: Scope | None = scope
        while current is not None:
            chain.append(current)
            current = current.parent
        return chain

    # -- the walk ------------------------------------------------------------------------

    def _visible_parent(self, scope: Scope, origin: Scope) -> Scope | None:
        parent = scope.parent
        # A class body's names are not visible from the functions and comprehensions in
        # it — only from a type-parameter scope directly inside it (PEP 695).
        while parent is not None and parent.kind == "class" and not (
            origin.kind == "annotation" and origin.parent is parent
        ):
            parent = parent.parent
        return parent

    def _walk(self) -> None:
        parents, scopes, by_type = self._parents, self._scopes, self._by_type
        fields_of = _FIELDS
        special = _SPECIAL
        name_type, store, load = ast.Name, ast.Store, ast.Load
        stack: list[tuple[ast.AST, Scope, ast.AST | None]] = [(self.tree, self.module_scope, None)]
        pop, push = stack.pop, stack.append
        while stack:
            node, scope, parent = pop()
            key = id(node)
            parents[key] = parent
            scopes[key] = scope
            cls = node.__class__
            nodes = by_type.get(cls)
            if nodes is None:
                by_type[cls] = [node]
            else:
                nodes.append(node)
            if cls is name_type:  # a third of all nodes: no children, maybe a binding
                context = node.ctx.__class__
                if context is not load:
                    scope.bind(node.id, "assign" if context is store else "del", node)
                continue
            handler = special.get(cls)
            if handler is not None and handler(self, node, scope, push):
                continue  # the handler pushed the children, each with its scope
            fields = fields_of.get(cls)
            if fields is None:
                fields = _fields(cls)
            for name in fields:
                value = getattr(node, name, None)
                if value is None:
                    continue
                if value.__class__ is list:
                    for child in reversed(value):
                        if child is not None:
                            push((child, scope, node))
                else:
                    push((value, scope, node))

    def _record(self, node: ast.AST, scope: Scope, parent: ast.AST) -> None:
        """Register a node the walk does not push (it is handled by its parent)."""
        key = id(node)
        self._parents[key] = parent
        self._scopes[key] = scope
        self._by_type.setdefault(node.__class__, []).append(node)

    def _resolve_declarations(self) -> None:
        """Move the bindings of ``global``/``nonlocal`` names to the scope they name."""
        module = self.module_scope
        targets: list[tuple[Scope, str, Scope]] = []
        for scope in self._declaring:
            for name, (kind, statement) in scope.declared.items():
                if kind == "global":
                    targets.append((scope, name, module))
                    continue
                target = self._nonlocal_target(scope, name)
                if target is None:
                    if self._strict or scope.parent is None:
                        raise ScopeError(statement)
                    target = scope.parent
                self._nonlocal_targets[(id(scope), name)] = target
                targets.append((scope, name, target))
        for scope, name, target in targets:
            moved = scope.bindings.pop(name, None)
            if moved and target is not scope:
                for binding in moved:
                    binding.scope = target
                target.bindings.setdefault(name, []).extend(moved)

    def _nonlocal_target(self, scope: Scope, name: str) -> Scope | None:
        """The enclosing function scope whose ``name`` a ``nonlocal name`` in ``scope``
        refers to (None: CPython rejects it)."""
        if scope.kind == "module":
            return None
        current = scope.parent
        while current is not None and current.kind != "module":
            if current.kind in ("class", "annotation"):
                current = current.parent
                continue
            declared = current.declared.get(name)
            if declared is not None:
                if declared[0] == "global":
                    return None
                return self._nonlocal_target(current, name)
            if name in current.bindings:
                return current
            current = current.parent
        return None


def _fields(cls: type) -> tuple[str, ...]:
    """The fields of ``cls`` that hold nodes (or lists of nodes), reversed: the walk
    pops them. Names, operators, flags and constants are not children."""
    types = getattr(cls, "_field_types", None)  # Python 3.13+: the grammar says it
    if types is not None:
        names = [name for name in cls._fields if _holds_nodes(types.get(name))]
    else:
        skipped = _SCALAR_FIELDS.get(cls.__name__, _DEFAULT_SCALARS)
        names = [name for name in cls._fields if name not in skipped]
    fields = tuple(reversed(names))
    _FIELDS[cls] = fields
    return fields


def _holds_nodes(annotation: object) -> bool:
    import typing

    arguments = typing.get_args(annotation)
    if arguments:
        return any(_holds_nodes(argument) for argument in arguments)
    return (
        isinstance(annotation, type) and issubclass(annotation, ast.AST)
        and not issubclass(annotation, (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop))
    )


# Fields that never hold a node: identifiers, flags, operators, expression contexts.
_DEFAULT_SCALARS = frozenset({
    "ctx", "op", "ops", "type_comment", "id", "attr", "arg", "asname", "module", "level", "kind",
    "conversion", "is_async", "simple", "tag", "rest", "kwd_attrs", "name",
})
_SCALAR_FIELDS = {
    "Constant": _DEFAULT_SCALARS | {"value"},
    "MatchSingleton": _DEFAULT_SCALARS | {"value"},
    "Global": _DEFAULT_SCALARS | {"names"},
    "Nonlocal": _DEFAULT_SCALARS | {"names"},
    "TypeAlias": _DEFAULT_SCALARS - {"name"},  # `type X = …`: the name is a Name node
}


_FIELDS: dict[type, tuple[str, ...]] = {}


# -- nodes that bind names or open scopes ---------------------------------------------------
# A handler returns True when it pushed the node's children itself.


def _function(analysis: Analysis, node: ast.AST, scope: Scope, push) -> bool:
    scope.bind(node.name, "def", node)
    if analysis._import_or_def is not None:
        analysis._import_or_def.add(node.name)
    outer = _type_parameter_scope(analysis, node, scope, push)
    inner = Scope("function", node, outer, node.name)
    for statement in reversed(node.body):
        push((statement, inner, node))
    if node.returns is not None:
        push((node.returns, outer, node))
    _arguments(analysis, node, node.args, scope, outer, inner, push)
    for decorator in reversed(node.decorator_list):
        push((decorator, scope, node))
    return True


def _lambda(analysis: Analysis, node: ast.Lambda, scope: Scope, push) -> bool:
    inner = Scope("function", node, scope, None)
    push((node.body, inner, node))
    _arguments(analysis, node, node.args, scope, scope, inner, push)
    return True


def _arguments(
    analysis: Analysis, owner: ast.AST, arguments: ast.arguments, scope: Scope, annotations: Scope, inner: Scope, push
) -> None:
    """Parameters bind in the function; defaults are evaluated in the enclosing scope,
    annotations there too (or in the type-parameter scope)."""
    analysis._record(arguments, inner, owner)
    for default in reversed([*arguments.defaults, *(d for d in arguments.kw_defaults if d is not None)]):
        push((default, scope, arguments))
    parameters = [*arguments.posonlyargs, *arguments.args]
    if arguments.vararg is not None:
        parameters.append(arguments.vararg)
    parameters.extend(arguments.kwonlyargs)
    if arguments.kwarg is not None:
        parameters.append(arguments.kwarg)
    for parameter in parameters:
        analysis._record(parameter, inner, arguments)
        inner.bind(parameter.arg, "param", parameter)
        if parameter.annotation is not None:
            push((parameter.annotation, annotations, parameter))


def _type_parameter_scope(analysis: Analysis, node: ast.AST, scope: Scope, push) -> Scope:
    """Python 3.12 type parameters (``def f[T](x: T)``) live in a scope of their own."""
    parameters = getattr(node, "type_params", None)
    if not parameters:
        return scope
    annotation = Scope("annotation", node, scope)
    for parameter in reversed(parameters):
        push((parameter, annotation, node))
    return annotation


def _class(analysis: Analysis, node: ast.ClassDef, scope: Scope, push) -> bool:
    scope.bind(node.name, "class", node)
    outer = _type_parameter_scope(analysis, node, scope, push)
    inner = Scope("class", node, outer, node.name)
    for statement in reversed(node.body):
        push((statement, inner, node))
    for keyword in reversed(node.keywords):
        push((keyword, outer, node))
    for base in reversed(node.bases):
        push((base, outer, node))
    for decorator in reversed(node.decorator_list):
        push((decorator, scope, node))
    return True


def _comprehension(analysis: Analysis, node: ast.AST, scope: Scope, push) -> bool:
    inner = Scope("comprehension", node, scope)
    if isinstance(node, ast.DictComp):
        push((node.value, inner, node))
        push((node.key, inner, node))
    else:
        push((node.elt, inner, node))
    first, *rest = node.generators
    for generator in reversed(rest):
        push((generator, inner, node))
    # The first iterable is evaluated where the comprehension is; the rest inside it.
    analysis._record(first, inner, node)
    for condition in reversed(first.ifs):
        push((condition, inner, first))
    push((first.iter, scope, first))
    push((first.target, inner, first))
    return True


def _named_expression(analysis: Analysis, node: ast.NamedExpr, scope: Scope, push) -> bool:
    # PEP 572: the target of a walrus in a comprehension binds in the enclosing function.
    owner = scope
    while owner.kind == "comprehension" and owner.parent is not None:
        owner = owner.parent
    analysis._record(node.target, scope, node)
    owner.bind(node.target.id, "assign", node.target)
    push((node.value, scope, node))
    return True


def _import(analysis: Analysis, node: ast.Import, scope: Scope, push) -> bool:
    for alias in node.names:
        if alias.asname:
            names = [alias.asname]
        else:
            # `import a.b.c` binds `a`; the dotted prefixes are kept as keys too, so
            # that `a.b.c.f` resolves through the longest imported prefix (as libcst).
            parts = alias.name.split(".")
            names = [".".join(parts[:index]) for index in range(len(parts), 0, -1)]
        for name in names:
            scope.bind(name, "import", alias, node)
        if analysis._import_or_def is not None:
            analysis._import_or_def.add(names[-1])
    return False


def _import_from(analysis: Analysis, node: ast.ImportFrom, scope: Scope, push) -> bool:
    for alias in node.names:
        if alias.name == "*":
            scope.star_imports.append(node)
            analysis._import_or_def = None
            continue
        name = alias.asname or alias.name
        scope.bind(name, "import", alias, node)
        if analysis._import_or_def is not None:
            analysis._import_or_def.add(name)
    return False


def _declaration(analysis: Analysis, node: ast.AST, scope: Scope, push) -> bool:
    kind = "global" if isinstance(node, ast.Global) else "nonlocal"
    if kind == "nonlocal" and scope.kind == "module":
        if analysis._strict:
            raise ScopeError(node)  # CPython rejects it
        return True
    if kind == "global" and scope.kind == "module":
        return True  # allowed, and changes nothing
    if not scope.declared:
        analysis._declaring.append(scope)
    for name in node.names:
        scope.declared.setdefault(name, (kind, node))
    return True


def _except_handler(analysis: Analysis, node: ast.ExceptHandler, scope: Scope, push) -> bool:
    if node.name:
        scope.bind(node.name, "except", node)
    return False


def _match_capture(analysis: Analysis, node: ast.AST, scope: Scope, push) -> bool:
    name = node.rest if isinstance(node, ast.MatchMapping) else node.name
    if name:
        scope.bind(name, "match", node)
    return False


def _type_parameter(analysis: Analysis, node: ast.AST, scope: Scope, push) -> bool:
    scope.bind(node.name, "type", node)
    return False


_SPECIAL = {
    ast.FunctionDef: _function,
    ast.AsyncFunctionDef: _function,
    ast.Lambda: _lambda,
    ast.ClassDef: _class,
    ast.ListComp: _comprehension,
    ast.SetComp: _comprehension,
    ast.GeneratorExp: _comprehension,
    ast.DictComp: _comprehension,
    ast.NamedExpr: _named_expression,
    ast.Import: _import,
    ast.ImportFrom: _import_from,
    ast.Global: _declaration,
    ast.Nonlocal: _declaration,
    ast.ExceptHandler: _except_handler,
    ast.MatchAs: _match_capture,
    ast.MatchStar: _match_capture,
    ast.MatchMapping: _match_capture,
}
for _name_of_type in ("TypeVar", "ParamSpec", "TypeVarTuple"):  # Python 3.12+
    if hasattr(ast, _name_of_type):
        _SPECIAL[getattr(ast, _name_of_type)] = _type_parameter


# -- names as written ----------------------------------------------------------------------


def full_name(node: ast.AST) -> str | None:
    """``a.b.c`` for a name or attribute chain; a call or subscript is named after what
    it calls or subscripts (``f().x`` → ``f.x``), as libcst's ``get_full_name_for_node``."""
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Name):
            parts.append(node.id)
            return ".".join(reversed(parts))
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return None


def root_name(node: ast.AST) -> ast.AST:
    """The ``Name`` a ``full_name`` starts with (``node`` itself when there is none)."""
    current = node
    while True:
        if isinstance(current, ast.Attribute) or isinstance(current, ast.Subscript):
            current = current.value
        elif isinstance(current, ast.Call):
            current = current.func
        else:
            return current if isinstance(current, ast.Name) else node


def is_dotted_name(node: ast.AST) -> bool:
    """``a``, ``a.b.c``: names and attributes only (no call, subscript or other value)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)
