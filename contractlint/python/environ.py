"""Where Python code reads, writes and replaces the process environment.

One pass over a piece of code (a module or an inline script) finds every read of
``os.environ`` — ``os.environ["K"]``, ``.get``, ``getenv``, ``.setdefault``, ``.pop``,
through any import alias — and the facts CL201, CL202 and CL203 need about it: the
key (a literal, or a module-level constant holding one), the default, an ``or``
fallback, whether a missing variable raises, whether the read is guarded. Names are
resolved with libcst's qualified-name metadata, and a name counts as the os module's
only when *every* binding that can reach it is an import of it (a local variable
called ``os`` or ``environ``, or a global reassigned somewhere, is not).

Nothing is imported or executed. Results are cached per ``PythonCode``.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import libcst as cst

    from contractlint.python.code import PythonCode

ENVIRON = "os.environ"
OS = "os"
# Qualified name of the callee → what kind of read it is.
READ_CALLS = {
    "os.environ.get": "get",
    "os.getenv": "getenv",
    "os.environ.setdefault": "setdefault",
    "os.environ.pop": "pop",
}
# Calls after which the environment holds variables nobody can list statically.
OPENING_PREFIXES = ("dotenv.", "environs.")
OPENING_CALLS = frozenset({"os.environ.update", "os.environ.__ior__"})
# Exceptions whose handler catches the KeyError of a missing variable.
CATCHES_KEYERROR = frozenset(
    {"builtins.KeyError", "builtins.LookupError", "builtins.Exception", "builtins.BaseException"}
)


@dataclass(eq=False)
class EnvRead:
    """One read of an environment variable."""

    access: Any  # the Call or Subscript node
    kind: str  # "subscript", "get", "getenv", "setdefault" or "pop"
    key_node: Any  # the key expression (None when it cannot be told)
    key: str | None  # the key when it is a literal string or a module-level constant
    key_is_constant: bool = False  # ``os.environ[KEY]`` with ``KEY = "X"`` at module level
    default: Any = None  # the default argument's expression, when one is given
    explicit_none: bool = False  # the default is the literal ``None``
    fallback: Any = None  # ``read or d``: the ``or`` expression whose left operand is the read
    fallback_is_whole: bool = False  # the ``or`` has exactly two operands (fixable)
    raises: bool = False  # a missing variable raises KeyError (``os.environ[K]``, ``.pop(K)``)
    guarded: bool = False  # inside ``try``/``except KeyError`` or ``suppress(KeyError)``
    discarded: bool = False  # an expression statement: the value is not used
    has_comment: bool = False  # the reported expression contains a comment

    @property
    def node(self) -> Any:
        """The expression a finding spans: the ``or`` expression for a fallback."""
        return self.fallback if self.fallback is not None else self.access

    @property
    def has_default(self) -> bool:
        """Falls back to a value other than ``None`` when the variable is missing."""
        return self.fallback is not None or (self.default is not None and not self.explicit_none)


@dataclass(eq=False)
class EnvFacts:
    """What a piece of code does with the environment."""

    reads: list[EnvRead] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)  # keys the code sets itself
    opened: bool = False  # loads variables from elsewhere (dotenv, os.environ.update(x))
    membership_tested: set[str] = field(default_factory=set)  # ``"K" in os.environ``


_CACHE: weakref.WeakKeyDictionary[PythonCode, EnvFacts] = weakref.WeakKeyDictionary()


def env_facts(code: PythonCode) -> EnvFacts:
    """Every environment read of ``code`` in document order, and what it assigns."""
    facts = _CACHE.get(code)
    if facts is None:
        facts = _analyse(code)
        _CACHE[code] = facts
    return facts


# -- names ------------------------------------------------------------------------------


def resolved_names(code: PythonCode, node: cst.CSTNode) -> frozenset[str]:
    """The qualified names ``node`` refers to, when every binding that reaches it is an
    import or a builtin; empty when any is local (shadowed) or nothing is known."""
    from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

    names = code.metadata(QualifiedNameProvider, node, set())
    if not names or any(n.source not in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN) for n in names):
        return frozenset()
    return frozenset(n.name for n in names)


def resolves_to(code: PythonCode, node: cst.CSTNode, name: str) -> bool:
    """``node`` is ``name`` (e.g. ``os.environ``) and nothing else."""
    return resolved_names(code, node) == {name}


def literal_string(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            value = node.evaluated_value
        except (ValueError, SyntaxError):  # an escape libcst cannot evaluate
            return None
        return value if isinstance(value, str) else None
    return None


def source_text(code: PythonCode, node: cst.CSTNode) -> str:
    """The code of ``node`` as written (parenthesised nodes include their parentheses)."""
    start, end = code.node_offsets(node)
    return code.raw[start:end]


def touches_pebble(code: PythonCode, node: cst.CSTNode) -> bool:
    start, end = code.node_offsets(node)
    return any(span.start < end and start < span.end for span in code.pebble)


# -- the analysis -------------------------------------------------------------------------


def _analyse(code: PythonCode) -> EnvFacts:
    import libcst as cst

    facts = EnvFacts()
    constants = _module_constants(code)
    stack: list[cst.CSTNode] = []

    def key_of(node: Any) -> tuple[str | None, bool]:
        if node is None or touches_pebble(code, node):
            return None, False
        value = literal_string(node)
        if value is not None:
            return value, False
        if isinstance(node, cst.Name) and node.value in constants and _is_global_constant(code, node):
            return constants[node.value], True
        return None, False

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            if isinstance(node, cst.Call):
                self._call(node)
            elif isinstance(node, cst.Subscript):
                self._subscript(node)
            elif isinstance(node, cst.Comparison):
                self._comparison(node)
            elif isinstance(node, cst.AugAssign) and resolves_to(code, node.target, ENVIRON):
                facts.opened = True  # os.environ |= {...}
            elif isinstance(node, cst.AssignTarget) and resolves_to(code, node.target, ENVIRON):
                facts.opened = True  # os.environ = {...}: a new mapping
            stack.append(node)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            stack.pop()

        def _call(self, node: cst.Call) -> None:
            names = resolved_names(code, node.func)
            if names & OPENING_CALLS and not _update_keys(node, facts):
                facts.opened = True
            if any(name.startswith(OPENING_PREFIXES) for name in names):
                facts.opened = True
            if len(names) != 1:
                return
            kind = READ_CALLS.get(next(iter(names)))
            if kind is None:
                return
            arguments = _bind(node)
            if arguments is None:
                return  # *args / **kwargs: which argument is which cannot be told
            key_node, default = arguments
            if key_node is None:
                return
            key, is_constant = key_of(key_node)
            read = EnvRead(access=node, kind=kind, key_node=key_node, key=key, key_is_constant=is_constant)
            if default is not None:
                read.default = default
                read.explicit_none = isinstance(default, cst.Name) and default.value == "None"
            if kind == "setdefault" and key is not None:
                facts.assigned.add(key)  # it sets the variable when it is missing
            read.raises = kind == "pop" and default is None
            self._context(read)
            facts.reads.append(read)

        def _subscript(self, node: cst.Subscript) -> None:
            from libcst.metadata import ExpressionContext, ExpressionContextProvider

            if not resolves_to(code, node.value, ENVIRON):
                return
            key_node = None
            if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
                key_node = node.slice[0].slice.value
            key, is_constant = key_of(key_node)
            context = code.metadata(ExpressionContextProvider, node)
            augmented = bool(stack) and isinstance(stack[-1], cst.AugAssign) and stack[-1].target is node
            if context == ExpressionContext.DEL:
                return
            if context == ExpressionContext.STORE and not augmented:
                if key is not None:
                    facts.assigned.add(key)
                return
            read = EnvRead(access=node, kind="subscript", key_node=key_node, key=key, key_is_constant=is_constant)
            read.raises = True
            self._context(read)
            facts.reads.append(read)
            if augmented and key is not None:
                facts.assigned.add(key)

        def _comparison(self, node: cst.Comparison) -> None:
            # "K" in os.environ / "K" not in os.environ: the code checks for itself.
            key = literal_string(node.left)
            if key is None:
                return
            for target in node.comparisons:
                if isinstance(target.operator, (cst.In, cst.NotIn)) and resolves_to(code, target.comparator, ENVIRON):
                    facts.membership_tested.add(key)

        def _context(self, read: EnvRead) -> None:
            """Fill in what the read's ancestors say about it."""
            child: cst.CSTNode = read.access
            for parent in reversed(stack):
                if isinstance(parent, (cst.Arg, cst.Annotation, cst.Param)) or (
                    isinstance(parent, cst.BaseSuite) and not isinstance(parent, cst.SimpleStatementSuite)
                ):
                    pass
                if isinstance(parent, cst.BooleanOperation) and read.fallback is None and child is parent.left:
                    if isinstance(parent.operator, cst.Or) and read.kind != "subscript" and read.kind != "pop":
                        read.fallback = parent
                        read.fallback_is_whole = _or_operands(parent) == 2 and not _is_or_left(stack, parent)
                elif isinstance(parent, cst.BooleanOperation) and child is parent.right:
                    pass
                if isinstance(parent, cst.Try) and child is parent.body and _catches_keyerror(code, parent):
                    read.guarded = True
                if isinstance(parent, cst.With) and child is parent.body and _suppresses_keyerror(code, parent):
                    read.guarded = True
                if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                    # A try around a definition does not guard what the body does later.
                    break
                if not _passes_value(parent, child):
                    break_fallback = True  # noqa: F841 - documents the loop's intent
                child = parent
            statement_parent = stack[-1] if stack else None
            reported = read.node
            read.discarded = isinstance(statement_parent, cst.Expr) and statement_parent.value is reported
            if read.fallback is not None:
                read.discarded = _is_expression_statement(stack, read.fallback)
            read.has_comment = _contains_comment(reported)

    code.module.visit(Finder())
    return facts


def _passes_value(parent: Any, child: Any) -> bool:
    return True


def _is_expression_statement(stack: list, node: Any) -> bool:
    import libcst as cst

    for index, parent in enumerate(stack):
        if isinstance(parent, cst.Expr) and parent.value is node:
            return True
    return False


def _or_operands(node: Any) -> int:
    import libcst as cst

    count = 1
    while isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
        count += 1
        node = node.left
    return count


def _is_or_left(stack: list, node: Any) -> bool:
    """``node`` is the left operand of a further ``or`` (``get(K) or a or b``)."""
    import libcst as cst

    for index, parent in enumerate(stack):
        if parent is node and index > 0:
            above = stack[index - 1]
            return isinstance(above, cst.BooleanOperation) and isinstance(above.operator, cst.Or) and above.left is node
    return False


def _bind(call: Any) -> tuple[Any, Any] | None:
    """(key, default) expressions of a ``get``/``getenv``/``setdefault``/``pop`` call, as
    Python binds them (all four take ``key`` and ``default``); None with ``*``/``**``."""
    key = default = None
    position = 0
    for argument in call.args:
        if argument.star:
            return None
        if argument.keyword is None:
            if position == 0:
                key = argument.value
            elif position == 1:
                default = argument.value
            position += 1
        elif argument.keyword.value == "key":
            key = argument.value
        elif argument.keyword.value == "default":
            default = argument.value
    return key, default


def _update_keys(call: Any, facts: EnvFacts) -> bool:
    """``os.environ.update({"K": v})`` or ``update(K=v)``: record the keys; False when
    the keys cannot be listed (the environment is then open)."""
    import libcst as cst

    keys: set[str] = set()
    for argument in call.args:
        if argument.star:
            return False
        if argument.keyword is not None:
            keys.add(argument.keyword.value)
            continue
        if not isinstance(argument.value, cst.Dict):
            return False
        for element in argument.value.elements:
            key = literal_string(element.key) if isinstance(element, cst.DictElement) else None
            if key is None:
                return False
            keys.add(key)
    facts.assigned.update(keys)
    return True


def _module_constants(code: PythonCode) -> dict[str, str]:
    """``NAME = "text"`` at module level, for names assigned exactly once there."""
    import libcst as cst

    found: dict[str, str] = {}
    repeated: set[str] = set()
    for statement in code.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            targets: list[Any] = []
            value = None
            if isinstance(small, cst.Assign) and len(small.targets) == 1:
                targets, value = [small.targets[0].target], small.value
            elif isinstance(small, cst.AnnAssign) and small.value is not None:
                targets, value = [small.target], small.value
            for target in targets:
                if isinstance(target, cst.Name):
                    text = literal_string(value)
                    if text is None or target.value in found:
                        repeated.add(target.value)
                    else:
                        found[target.value] = text
    return {name: value for name, value in found.items() if name not in repeated}


def _is_global_constant(code: PythonCode, name: Any) -> bool:
    """``name`` reaches exactly one binding, and that one is at module level."""
    from libcst.metadata import GlobalScope, ScopeProvider

    scope = code.metadata(ScopeProvider, name)
    if scope is None:
        return False
    assignments = list(scope[name.value])
    return len(assignments) == 1 and isinstance(assignments[0].scope, GlobalScope)


def _catches_keyerror(code: PythonCode, node: Any) -> bool:
    import libcst as cst

    for handler in node.handlers:
        if handler.type is None:
            return True
        types = handler.type.elements if isinstance(handler.type, cst.Tuple) else [handler.type]
        for element in types:
            value = element.value if isinstance(element, cst.Element) else element
            if resolved_names(code, value) & CATCHES_KEYERROR:
                return True
    return False


def _suppresses_keyerror(code: PythonCode, node: Any) -> bool:
    import libcst as cst

    for item in node.items:
        call = item.item
        if isinstance(call, cst.Call) and resolves_to(code, call.func, "contextlib.suppress"):
            if any(resolved_names(code, argument.value) & CATCHES_KEYERROR for argument in call.args):
                return True
    return False


def _contains_comment(node: Any) -> bool:
    import libcst as cst

    class Finder(cst.CSTVisitor):
        found = False

        def visit_Comment(self, comment: cst.Comment) -> None:
            Finder.found = True

    finder = Finder()
    node.visit(finder)
    return Finder.found
