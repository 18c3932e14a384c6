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
    fallback_is_whole: bool = False  # ``read or d`` alone, not part of a longer chain (fixable)
    raises: bool = False  # a missing variable raises KeyError (``os.environ[K]``, ``.pop(K)``)
    guarded: bool = False  # inside ``try``/``except KeyError`` or ``suppress(KeyError)``
    discarded: bool = False  # an expression statement: the value is not used
    has_comment: bool = False  # the reported expression contains a comment

    @property
    def node(self) -> Any:
        """The expression a finding spans: ``read or d`` when the read is the left operand
        of its fallback; the read itself otherwise (``a or read or d``)."""
        if self.fallback is not None and self.fallback.left is self.access:
            return self.fallback
        return self.access

    @property
    def has_default(self) -> bool:
        """Falls back to a value other than ``None`` when the variable is missing."""
        return self.fallback is not None or (self.default is not None and not self.explicit_none)


@dataclass(eq=False)
class EnvFacts:
    """What a piece of code does with the environment."""

    reads: list[EnvRead] = field(default_factory=list)
    assigned: set[str] = field(default_factory=set)  # keys the code sets itself
    openers: list[Any] = field(default_factory=list)  # nodes loading variables from elsewhere

    @property
    def opened(self) -> bool:
        """The code loads variables nobody can list (dotenv, ``os.environ.update(x)``)."""
        return bool(self.openers)
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

    if not is_dotted_name(node):
        return frozenset()  # libcst names `os.environ["A"].get` and `f().get` as if plain
    names = code.metadata(QualifiedNameProvider, node, set())
    if not names:
        return _star_names(code, node)
    if any(n.source not in (QualifiedNameSource.IMPORT, QualifiedNameSource.BUILTIN) for n in names):
        return _alias_names(code, node)
    return frozenset(n.name for n in names)


_ALIASES: weakref.WeakKeyDictionary[PythonCode, dict[str, Any]] = weakref.WeakKeyDictionary()


def environ_alias_candidates(code: PythonCode) -> dict[str, Any]:
    """``ENV = os.environ`` (or ``ENV: Mapping[str, str] = environ``) at module level:
    name → the value expression, found from the syntax alone (``environ_aliases``
    checks what the value is)."""
    import libcst as cst

    if code not in _ALIASES:
        found: dict[str, Any] = {}
        for statement in code.module.body:
            if not isinstance(statement, cst.SimpleStatementLine):
                continue
            for small in statement.body:
                if isinstance(small, cst.Assign) and len(small.targets) == 1:
                    target, value = small.targets[0].target, small.value
                elif isinstance(small, cst.AnnAssign) and small.value is not None:
                    target, value = small.target, small.value
                else:
                    continue
                last = value.attr.value if isinstance(value, cst.Attribute) else getattr(value, "value", None)
                if isinstance(target, cst.Name) and last == "environ" and is_dotted_name(value):
                    found[target.value] = value
        _ALIASES[code] = found
    return _ALIASES[code]


def _alias_names(code: PythonCode, node: cst.CSTNode) -> frozenset[str]:
    """``ENV.get`` where ``ENV = os.environ`` is the only binding of ``ENV``, at module
    level: the names as if ``os.environ`` were written."""
    import libcst as cst

    attributes: list[str] = []
    while isinstance(node, cst.Attribute):
        attributes.insert(0, node.attr.value)
        node = node.value
    candidates = environ_alias_candidates(code)
    if not isinstance(node, cst.Name) or node.value not in candidates or not _is_global_constant(code, node):
        return frozenset()
    if not resolves_to(code, candidates[node.value], ENVIRON):
        return frozenset()
    return frozenset({".".join([ENVIRON, *attributes])})


# Names ``from os import *`` binds that matter here (both are in ``os.__all__``).
STAR_NAMES = frozenset({"environ", "getenv"})
_STAR_CACHE: weakref.WeakKeyDictionary[PythonCode, bool] = weakref.WeakKeyDictionary()


def _star_names(code: PythonCode, node: cst.CSTNode) -> frozenset[str]:
    """``environ`` / ``getenv`` bound by nothing but a module-level ``from os import *``
    (libcst does not follow star imports)."""
    import libcst as cst
    from libcst.metadata import ScopeProvider

    if isinstance(node, cst.Attribute):
        return frozenset(f"{name}.{node.attr.value}" for name in _star_names(code, node.value))
    if not isinstance(node, cst.Name) or node.value not in STAR_NAMES or not imports_os_star(code):
        return frozenset()
    scope = code.metadata(ScopeProvider, node)
    if scope is None or node.value in scope:
        return frozenset()
    return frozenset({f"os.{node.value}"})


def imports_os_star(code: PythonCode) -> bool:
    """The module does ``from os import *`` at top level."""
    import libcst as cst

    if code not in _STAR_CACHE:
        _STAR_CACHE[code] = any(
            isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar)
            and not small.relative and isinstance(small.module, cst.Name) and small.module.value == "os"
            for statement in code.module.body
            if isinstance(statement, cst.SimpleStatementLine)
            for small in statement.body
        )
    return _STAR_CACHE[code]


def is_dotted_name(node: Any) -> bool:
    """``a``, ``a.b.c``: names and attributes only (no call, subscript or other value)."""
    import libcst as cst

    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


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
    """The code of ``node`` as written (without parentheses around the node itself)."""
    start, end = code.node_offsets(node)
    return code.raw[start:end]


def touches_pebble(code: PythonCode, node: cst.CSTNode) -> bool:
    start, end = code.node_offsets(node)
    return any(span.start < end and start < span.end for span in code.pebble)


# -- the analysis -------------------------------------------------------------------------


def _analyse(code: PythonCode) -> EnvFacts:
    import libcst as cst

    facts = EnvFacts()
    bound = import_bound_names(code)
    if not bound:
        return facts  # nothing imports os or dotenv: no metadata to compute (most files)
    bound = bound | frozenset(environ_alias_candidates(code))
    constants = _module_constants(code)
    stack: list[cst.CSTNode] = []

    def may_be(node: Any, attributes: frozenset[str]) -> bool:
        """Syntactically an imported name, or an attribute in ``attributes`` of a chain
        rooted at one: what may be the os module's (metadata then decides, and is only
        computed for code that has such a candidate)."""
        if isinstance(node, cst.Attribute):
            if node.attr.value not in attributes:
                return False
            while isinstance(node, cst.Attribute):
                node = node.value
        return isinstance(node, cst.Name) and node.value in bound

    def may_be_environ(node: Any) -> bool:
        return may_be(node, ENVIRON_ATTRIBUTES)

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
                if may_be(node.func, CALL_ATTRIBUTES):
                    self._call(node)
            elif isinstance(node, cst.Subscript):
                if may_be_environ(node.value):
                    self._subscript(node)
            elif isinstance(node, cst.Comparison):
                if any(may_be_environ(target.comparator) for target in node.comparisons):
                    self._comparison(node)
            elif (
                isinstance(node, (cst.AugAssign, cst.AssignTarget))
                and may_be_environ(node.target)
                and _is_environ_itself(code, node.target)
            ):
                facts.openers.append(node)  # os.environ |= {...}, os.environ = {...}
            stack.append(node)
            return True

        def on_leave(self, original_node: cst.CSTNode) -> None:
            stack.pop()

        def _call(self, node: cst.Call) -> None:
            names = resolved_names(code, node.func)
            if names & OPENING_CALLS and not _update_keys(node, facts):
                facts.openers.append(node)
            if any(name.startswith(OPENING_PREFIXES) for name in names):
                facts.openers.append(node)
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
            # A load, or ``os.environ[K] += v``, which reads K first.
            read = EnvRead(access=node, kind="subscript", key_node=key_node, key=key, key_is_constant=is_constant)
            read.raises = True
            self._context(read)
            facts.reads.append(read)

        def _comparison(self, node: cst.Comparison) -> None:
            # "K" in os.environ / "K" not in os.environ: the code checks for itself.
            key, _ = key_of(node.left)
            if key is None:
                return
            for target in node.comparisons:
                if isinstance(target.operator, (cst.In, cst.NotIn)) and resolves_to(code, target.comparator, ENVIRON):
                    facts.membership_tested.add(key)

        def _context(self, read: EnvRead) -> None:
            """Fill in what the read's ancestors say about it."""
            parents = stack[::-1]  # nearest first
            if read.kind in ("get", "getenv", "setdefault") and parents:
                read.fallback = _or_fallback(read.access, parents)
            reported = read.node
            holder = parents[0]
            if reported is not read.access:
                holder = parents[next(i for i, p in enumerate(parents) if p is reported) + 1]
            read.discarded = isinstance(holder, cst.Expr)
            if read.fallback is not None:
                read.fallback_is_whole = read.fallback.left is read.access and not (
                    isinstance(holder, cst.BooleanOperation) and isinstance(holder.operator, cst.Or)
                    and holder.left is read.fallback
                )
            read.has_comment = _contains_comment(reported)
            child: cst.CSTNode = read.access
            for parent in parents:
                if isinstance(parent, (cst.FunctionDef, cst.ClassDef, cst.Lambda)):
                    break  # a try around a definition does not guard what its body does later
                if isinstance(parent, cst.Try) and child is parent.body and _catches_keyerror(code, parent):
                    read.guarded = True
                if isinstance(parent, cst.With) and child is parent.body and _suppresses_keyerror(code, parent):
                    read.guarded = True
                child = parent

    code.module.visit(Finder())
    return facts


# Attribute names worth resolving: ``os.environ``, and the calls that read or fill it.
ENVIRON_ATTRIBUTES = frozenset({"environ"})
CALL_ATTRIBUTES = frozenset({"get", "getenv", "setdefault", "pop", "update", "load_dotenv", "read_env"})
# Modules whose names matter here: the os module, and loaders that fill the environment.
WATCHED_MODULES = ("os", *(prefix.rstrip(".") for prefix in OPENING_PREFIXES))


_IMPORT_BOUND: weakref.WeakKeyDictionary[PythonCode, frozenset[str]] = weakref.WeakKeyDictionary()


def import_bound_names(code: PythonCode) -> frozenset[str]:
    """``_import_bound_names``, computed once per code."""
    if code not in _IMPORT_BOUND:
        _IMPORT_BOUND[code] = _import_bound_names(code)
    return _IMPORT_BOUND[code]


def _import_bound_names(code: PythonCode) -> frozenset[str]:
    """Names any import statement of ``code`` binds to the os module, something in it,
    or an environment loader (``os``, ``_os``, ``environ``, ``ge``, ``load_dotenv``)
    — found from the syntax alone, so that code without them costs no metadata."""
    import ast

    import libcst as cst

    def watched(dotted: str | None) -> bool:
        return dotted is not None and any(dotted == m or dotted.startswith(m + ".") for m in WATCHED_MODULES)

    names: set[str] = set()
    try:
        # CPython's parser and tree walk are an order of magnitude faster than a libcst
        # visit; libcst reads what CPython cannot (newer syntax) below.
        tree = ast.parse(code.text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if watched(alias.name):
                        names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, ast.ImportFrom) and not node.level and watched(node.module):
                for alias in node.names:
                    if alias.name == "*":
                        names.update(STAR_NAMES if node.module == "os" else ("load_dotenv", "read_env"))
                    else:
                        names.add(alias.asname or alias.name)
        return frozenset(names)

    class Finder(cst.CSTVisitor):
        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                dotted = _dotted(alias.name)
                if watched(dotted):
                    if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                        names.add(alias.asname.name.value)
                    else:
                        names.add(dotted.split(".")[0])

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            if node.relative or not watched(_dotted(node.module)):
                return
            if isinstance(node.names, cst.ImportStar):
                names.update(STAR_NAMES if _dotted(node.module) == "os" else ("load_dotenv", "read_env"))
                return
            for alias in node.names:
                bound = alias.asname.name if alias.asname is not None else alias.name
                if isinstance(bound, cst.Name):
                    names.add(bound.value)

    code.module.visit(Finder())
    return frozenset(names)


def _is_environ_itself(code: PythonCode, node: Any) -> bool:
    """``os.environ`` (any alias), not an item of it (libcst names ``os.environ[K]``
    after its value)."""
    import libcst as cst

    return isinstance(node, (cst.Name, cst.Attribute)) and resolves_to(code, node, ENVIRON)


def _or_fallback(access: Any, parents: list) -> Any:
    """The ``or`` expression that falls back from ``access`` to its next operand:
    ``access or d`` (the read is the left operand) or ``a or access or d`` (``or``
    chains nest to the left). None when the read is the last operand or not in one."""
    import libcst as cst

    def is_or(node: Any) -> bool:
        return isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or)

    parent = parents[0]
    if not is_or(parent):
        return None
    if parent.left is access:
        return parent
    if len(parents) > 1 and is_or(parents[1]) and parents[1].left is parent:
        return parents[1]
    return None


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
        def __init__(self) -> None:
            super().__init__()
            self.found = False

        def visit_Comment(self, comment: cst.Comment) -> None:
            self.found = True

    finder = Finder()
    node.visit(finder)
    return finder.found


# -- what a project module does with the environment (for CL203) ----------------------------


@dataclass(eq=False)
class FunctionInfo:
    name: str
    reads: list[EnvRead]  # reads inside the function (nested definitions included)
    opened: bool  # it loads variables nobody can list
    calls: list[tuple[str, bool]]  # (name, is_local): local top-level functions, or absolute qualified names


@dataclass(eq=False)
class ModuleInfo:
    """The facts CL203 follows through a project module."""

    dotted: str
    code: PythonCode
    facts: EnvFacts
    functions: dict[str, FunctionInfo]  # top-level functions by name (the last definition wins)
    reexports: dict[str, str]  # name bound at top level by ``from X import Y`` → absolute ``X.Y``
    import_time_reads: list[EnvRead]  # reads run when the module is imported
    import_time_opened: bool  # importing it loads variables nobody can list
    import_time_modules: list[str]  # absolute names of modules imported at import time
    star_modules: list[str] = field(default_factory=list)  # absolute X of top-level ``from X import *``


def absolute_name(name: str, package: str) -> str | None:
    """``.db.connect`` inside package ``pipelines`` → ``pipelines.db.connect``."""
    if not name.startswith("."):
        return name
    dots = len(name) - len(name.lstrip("."))
    parts = package.split(".") if package else []
    if dots - 1 > len(parts):
        return None
    base = parts[: len(parts) - (dots - 1)]
    rest = name[dots:]
    return ".".join([*base, rest] if rest else base) or None


def module_info(code: PythonCode, dotted: str, is_package: bool) -> ModuleInfo:
    """What ``code`` (the module ``dotted``) reads, defines, re-exports and imports."""
    import libcst as cst

    package = dotted if is_package else dotted.rpartition(".")[0]
    facts = env_facts(code)
    functions: dict[str, FunctionInfo] = {}
    reexports: dict[str, str] = {}
    import_time_modules: list[str] = []
    star_modules: list[str] = []
    excluded: list[tuple[int, int]] = []  # code not run at import time

    def ranges_of(node: cst.CSTNode) -> tuple[int, int]:
        return code.node_offsets(node)

    def within(node: Any, span: tuple[int, int]) -> bool:
        start, end = code.node_offsets(node)
        return span[0] <= start and end <= span[1]

    class Walker(cst.CSTVisitor):
        """Top-level structure: definitions, imports run at import time, the main guard."""

        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            excluded.append(ranges_of(node))
            return False

        def visit_Lambda(self, node: cst.Lambda) -> bool:
            excluded.append(ranges_of(node))
            return False

        def visit_If(self, node: cst.If) -> bool:
            if _is_main_guard(node.test):
                excluded.append(ranges_of(node))
                return False
            return True

        def visit_Import(self, node: cst.Import) -> None:
            for alias in node.names:
                name = _dotted(alias.name)
                if name:
                    import_time_modules.append(name)

        def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
            base = "." * len(node.relative) + (_dotted(node.module) or "")
            absolute = absolute_name(base, package)
            if absolute is None or absolute == "__future__":
                return
            import_time_modules.append(absolute)
            if isinstance(node.names, cst.ImportStar):
                star_modules.append(absolute)
                return
            for alias in node.names:
                name = alias.name.value if isinstance(alias.name, cst.Name) else None
                if name is None:
                    continue
                bound = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
                reexports[bound] = f"{absolute}.{name}"
                import_time_modules.append(f"{absolute}.{name}")  # a submodule, when it is one

    code.module.visit(Walker())
    for statement in code.module.body:
        if isinstance(statement, cst.FunctionDef):
            span = ranges_of(statement)
            functions[statement.name.value] = FunctionInfo(
                name=statement.name.value,
                reads=[read for read in facts.reads if within(read.access, span)],
                opened=any(within(node, span) for node in facts.openers),
                calls=_calls(code, statement, package),
            )
    import_time_reads = [read for read in facts.reads if not any(within(read.access, span) for span in excluded)]
    import_time_opened = any(not any(within(node, span) for span in excluded) for node in facts.openers)
    for name in functions:
        reexports.pop(name, None)
    return ModuleInfo(
        dotted=dotted,
        code=code,
        facts=facts,
        functions=functions,
        reexports=reexports,
        import_time_reads=import_time_reads,
        import_time_opened=import_time_opened,
        import_time_modules=list(dict.fromkeys(import_time_modules)),
        star_modules=list(dict.fromkeys(star_modules)),
    )


def _calls(code: PythonCode, function: Any, package: str) -> list[tuple[str, bool]]:
    """Functions ``function`` calls that can be followed: top-level functions of the same
    module (by name) and imported ones (absolute qualified names)."""
    import libcst as cst
    from libcst.metadata import QualifiedNameProvider, QualifiedNameSource

    found: list[tuple[str, bool]] = []

    class Finder(cst.CSTVisitor):
        def visit_Call(self, node: cst.Call) -> None:
            names = code.metadata(QualifiedNameProvider, node.func, set()) if is_dotted_name(node.func) else set()
            if len(names) != 1:
                return
            name = next(iter(names))
            if name.source == QualifiedNameSource.LOCAL and "." not in name.name:
                found.append((name.name, True))
            elif name.source == QualifiedNameSource.IMPORT:
                absolute = absolute_name(name.name, package)
                if absolute is not None:
                    found.append((absolute, False))

    function.visit(Finder())
    return list(dict.fromkeys(found))


def imported_modules(code: PythonCode) -> list[tuple[Any, list[str]]]:
    """Top-level imports of an inline script: (node to report at, absolute module names
    that importing runs, outermost package first). Relative imports are skipped."""
    import libcst as cst

    found: list[tuple[Any, list[str]]] = []
    for statement in code.module.body:
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            if isinstance(small, cst.Import):
                for alias in small.names:
                    name = _dotted(alias.name)
                    if name:
                        found.append((alias.name, _with_parents(name)))
            elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
                name = _dotted(small.module)
                if not name or name == "__future__":
                    continue
                modules = _with_parents(name)
                if not isinstance(small.names, cst.ImportStar):
                    modules += [
                        f"{name}.{alias.name.value}" for alias in small.names if isinstance(alias.name, cst.Name)
                    ]
                found.append((small.module, modules))
    return found


def _with_parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def _dotted(node: Any) -> str | None:
    import libcst as cst

    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr.value}" if head else None
    return None


def _is_main_guard(test: Any) -> bool:
    import libcst as cst

    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return False
    left, right = test.left, test.comparisons[0].comparator
    sides = {literal_string(left), literal_string(right)}
    names = {node.value for node in (left, right) if isinstance(node, cst.Name)}
    return "__main__" in sides and "__name__" in names
