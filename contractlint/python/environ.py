"""Where Python code reads, writes and replaces the process environment.

One pass over the shared analysis of a piece of code (a module or an inline script)
finds every read of ``os.environ`` — ``os.environ["K"]``, ``.get``, ``getenv``,
``.setdefault``, ``.pop``, through any import alias — and the facts CL201, CL202 and
CL203 need about it: the key (a literal, or a module-level constant holding one), the
default, an ``or`` fallback, whether a missing variable raises, whether the read is
guarded. A name counts as the os module's only when *every* binding that can reach it
is an import of it (a local variable called ``os`` or ``environ``, or a global
reassigned somewhere, is not).

Code that imports neither os nor an environment loader costs nothing here: the
candidates are found from the import statements first.

Nothing is imported or executed. Results are cached per ``PythonCode``.
"""

from __future__ import annotations

import ast
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contractlint.python.analysis import BUILTIN, FUNCTION_TYPES, IMPORT, LOCAL, is_dotted_name
from contractlint.python.lexical import skip_spaces

if TYPE_CHECKING:
    from contractlint.python.code import Located, PythonCode

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


class OrPrefix:
    """The first operands of an ``or`` chain, up to ``values[index]``: ``a or b`` in
    ``a or b or c``. A chain reads as nested pairs, ``(a or b) or c``; a fallback is
    the pair whose left operand is the read, so a finding spans ``read or default``
    even in a longer chain. The whole chain is the ``BoolOp`` itself. Placed like an
    ``ast`` node when built with ``code``."""

    __slots__ = ("operation", "index", "lineno", "col_offset", "end_lineno", "end_col_offset")

    def __init__(self, operation: ast.BoolOp, index: int, code: PythonCode | None = None) -> None:
        self.operation = operation
        self.index = index
        if code is not None:
            end = code.located(*code.operand_offsets(operation, index))
            self.lineno, self.col_offset = operation.lineno, operation.col_offset
            self.end_lineno, self.end_col_offset = end.end_lineno, end.end_col_offset

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OrPrefix) and other.operation is self.operation and other.index == self.index

    def __hash__(self) -> int:
        return hash((id(self.operation), self.index))


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
    fallback: Any = None  # ``read or d``: the ``or`` (an ``OrPrefix`` or ``BoolOp``) falling back from the read
    fallback_is_whole: bool = False  # ``read or d`` alone, not part of a longer chain (fixable)
    raises: bool = False  # a missing variable raises KeyError (``os.environ[K]``, ``.pop(K)``)
    guarded: bool = False  # inside ``try``/``except KeyError`` or ``suppress(KeyError)``
    discarded: bool = False  # an expression statement: the value is not used
    has_comment: bool = False  # the reported expression contains a comment

    @property
    def node(self) -> Any:
        """The expression a finding spans: ``read or d`` when the read is the left operand
        of its fallback; the read itself otherwise (``a or read or d``)."""
        if self.fallback is not None and _left(self.fallback) is self.access:
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
    membership_tested: set[str] = field(default_factory=set)  # ``"K" in os.environ``

    @property
    def opened(self) -> bool:
        """The code loads variables nobody can list (dotenv, ``os.environ.update(x)``)."""
        return bool(self.openers)


_CACHE: weakref.WeakKeyDictionary[PythonCode, EnvFacts] = weakref.WeakKeyDictionary()


def env_facts(code: PythonCode) -> EnvFacts:
    """Every environment read of ``code`` in document order, and what it assigns."""
    facts = _CACHE.get(code)
    if facts is None:
        facts = _analyse(code)
        _CACHE[code] = facts
    return facts


# -- names ------------------------------------------------------------------------------


def resolved_names(code: PythonCode, node: ast.AST) -> frozenset[str]:
    """The qualified names ``node`` refers to, when every binding that reaches it is an
    import or a builtin; empty when any is local (shadowed) or nothing is known."""
    if not is_dotted_name(node):
        return frozenset()  # `os.environ["A"].get` and `f().get` are not names
    names = code.analysis.qualified_names(node)
    if not names:
        return _star_names(code, node)
    if any(n.source not in (IMPORT, BUILTIN) for n in names):
        return _alias_names(code, node)
    return frozenset(n.name for n in names)


_ALIASES: weakref.WeakKeyDictionary[PythonCode, dict[str, Any]] = weakref.WeakKeyDictionary()


def environ_alias_candidates(code: PythonCode) -> dict[str, Any]:
    """``ENV = os.environ`` (or ``ENV: Mapping[str, str] = environ``) at module level:
    name → the value expression, found from the syntax alone (``_alias_names`` checks
    what the value is)."""
    if code not in _ALIASES:
        found: dict[str, Any] = {}
        for target, value in _module_assignments(code):
            last = value.attr if isinstance(value, ast.Attribute) else getattr(value, "id", None)
            if isinstance(target, ast.Name) and last == "environ" and is_dotted_name(value):
                found[target.id] = value
        _ALIASES[code] = found
    return _ALIASES[code]


def _module_assignments(code: PythonCode) -> list[tuple[ast.AST, ast.AST]]:
    """(target, value) of the module-level ``x = v`` (one target) and ``x: T = v``."""
    found = []
    for statement in code.tree.body:
        if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
            found.append((statement.targets[0], statement.value))
        elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
            found.append((statement.target, statement.value))
    return found


def _alias_names(code: PythonCode, node: ast.AST, seen: frozenset[int] = frozenset()) -> frozenset[str]:
    """``ENV.get`` where ``ENV = os.environ`` is the only binding of ``ENV``, at module
    level: the names as if ``os.environ`` were written."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.insert(0, node.attr)
        node = node.value
    candidates = environ_alias_candidates(code)
    if not isinstance(node, ast.Name) or node.id not in candidates or not _is_global_constant(code, node):
        return frozenset()
    value = candidates[node.id]
    if id(value) in seen:
        return frozenset()  # `environ = environ`: an alias of itself
    if not is_dotted_name(value) or _resolved(code, value, seen | {id(value)}) != {ENVIRON}:
        return frozenset()
    return frozenset({".".join([ENVIRON, *attributes])})


def _resolved(code: PythonCode, node: ast.AST, seen: frozenset[int]) -> frozenset[str]:
    names = code.analysis.qualified_names(node)
    if not names:
        return _star_names(code, node)
    if any(n.source not in (IMPORT, BUILTIN) for n in names):
        return _alias_names(code, node, seen)
    return frozenset(n.name for n in names)


# Names ``from os import *`` binds that matter here (both are in ``os.__all__``).
STAR_NAMES = frozenset({"environ", "getenv"})
_STAR_CACHE: weakref.WeakKeyDictionary[PythonCode, bool] = weakref.WeakKeyDictionary()


def _star_names(code: PythonCode, node: ast.AST) -> frozenset[str]:
    """``environ`` / ``getenv`` bound by nothing but a module-level ``from os import *``."""
    attributes: list[str] = []
    while isinstance(node, ast.Attribute):
        attributes.insert(0, node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in STAR_NAMES or not imports_os_star(code):
        return frozenset()
    analysis = code.analysis
    if analysis.is_bound(node.id, analysis.scope_of(node)):
        return frozenset()
    return frozenset({".".join([f"os.{node.id}", *attributes])})


def imports_os_star(code: PythonCode) -> bool:
    """The module does ``from os import *`` at top level."""
    if code not in _STAR_CACHE:
        _STAR_CACHE[code] = any(
            isinstance(statement, ast.ImportFrom) and statement.level == 0 and statement.module == "os"
            and any(alias.name == "*" for alias in statement.names)
            for statement in code.tree.body
        )
    return _STAR_CACHE[code]


def resolves_to(code: PythonCode, node: ast.AST, name: str) -> bool:
    """``node`` is ``name`` (e.g. ``os.environ``) and nothing else."""
    return resolved_names(code, node) == {name}


def literal_string(node: Any) -> str | None:
    """The value of a string literal (implicit concatenation included, f-strings not)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def source_text(code: PythonCode, node: Any) -> str:
    """The code of ``node`` as written (without parentheses around the node itself)."""
    return code.source_text(node)


def touches_pebble(code: PythonCode, node: Any) -> bool:
    return code.touches_pebble(*code.node_offsets(node))


def position_key(node: Any) -> tuple[int, int, int, int]:
    """Document order: by start, and an enclosing node before what it encloses."""
    return (node.lineno, node.col_offset, -node.end_lineno, -node.end_col_offset)


# -- the analysis -------------------------------------------------------------------------

# Attribute names worth resolving: ``os.environ``, and the calls that read or fill it.
ENVIRON_ATTRIBUTES = frozenset({"environ"})
CALL_ATTRIBUTES = frozenset({"get", "getenv", "setdefault", "pop", "update", "load_dotenv", "read_env"})
# Modules whose names matter here: the os module, and loaders that fill the environment.
WATCHED_MODULES = ("os", *(prefix.rstrip(".") for prefix in OPENING_PREFIXES))


def _analyse(code: PythonCode) -> EnvFacts:
    facts = EnvFacts()
    bound = import_bound_names(code)
    if not bound:
        return facts  # nothing imports os or dotenv: nothing to resolve (most files)
    bound = bound | frozenset(environ_alias_candidates(code))
    constants = _module_constants(code)
    analysis = code.analysis

    def may_be(node: Any, attributes: frozenset[str]) -> bool:
        """Syntactically an imported name, or an attribute in ``attributes`` of a chain
        rooted at one: what may be the os module's (resolution then decides)."""
        if isinstance(node, ast.Attribute):
            if node.attr not in attributes:
                return False
            while isinstance(node, ast.Attribute):
                node = node.value
        return isinstance(node, ast.Name) and node.id in bound

    def key_of(node: Any) -> tuple[str | None, bool]:
        if node is None or touches_pebble(code, node):
            return None, False
        value = literal_string(node)
        if value is not None:
            return value, False
        if isinstance(node, ast.Name) and node.id in constants and _is_global_constant(code, node):
            return constants[node.id], True
        return None, False

    for call in analysis.nodes(ast.Call):
        if may_be(call.func, CALL_ATTRIBUTES):
            _call(code, call, facts, key_of)
    for subscript in analysis.nodes(ast.Subscript):
        if may_be(subscript.value, ENVIRON_ATTRIBUTES):
            _subscript(code, subscript, facts, key_of)
    for comparison in analysis.nodes(ast.Compare):
        if any(may_be(comparator, ENVIRON_ATTRIBUTES) for comparator in comparison.comparators):
            _comparison(code, comparison, facts, key_of)
    # os.environ |= {...}, os.environ = {...}: the environment is replaced.
    for augmented in analysis.nodes(ast.AugAssign):
        if may_be(augmented.target, ENVIRON_ATTRIBUTES) and _is_environ_itself(code, augmented.target):
            facts.openers.append(augmented)
    for assignment in analysis.nodes(ast.Assign):
        for target in assignment.targets:
            if may_be(target, ENVIRON_ATTRIBUTES) and _is_environ_itself(code, target):
                facts.openers.append(target)
    facts.reads.sort(key=lambda read: position_key(read.access))
    facts.openers.sort(key=position_key)
    return facts


def _call(code: PythonCode, node: ast.Call, facts: EnvFacts, key_of: Any) -> None:
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
        read.explicit_none = isinstance(default, ast.Constant) and default.value is None
    if kind == "setdefault" and key is not None:
        facts.assigned.add(key)  # it sets the variable when it is missing
    read.raises = kind == "pop" and default is None
    _context(code, read)
    facts.reads.append(read)


def _subscript(code: PythonCode, node: ast.Subscript, facts: EnvFacts, key_of: Any) -> None:
    if not resolves_to(code, node.value, ENVIRON):
        return
    # `os.environ["A", "B"]` and slices have no key.
    key_node = None if isinstance(node.slice, (ast.Tuple, ast.Slice)) else node.slice
    key, is_constant = key_of(key_node)
    context = node.ctx.__class__
    if context is ast.Del:
        return
    parent = code.analysis.parent(node)
    augmented = isinstance(parent, ast.AugAssign) and parent.target is node
    if context is ast.Store and not augmented:
        if key is not None:
            facts.assigned.add(key)
        return
    # A load, or ``os.environ[K] += v``, which reads K first.
    read = EnvRead(access=node, kind="subscript", key_node=key_node, key=key, key_is_constant=is_constant)
    read.raises = True
    _context(code, read)
    facts.reads.append(read)


def _comparison(code: PythonCode, node: ast.Compare, facts: EnvFacts, key_of: Any) -> None:
    # "K" in os.environ / "K" not in os.environ: the code checks for itself.
    key, _ = key_of(node.left)
    if key is None:
        return
    for operator, comparator in zip(node.ops, node.comparators):
        if isinstance(operator, (ast.In, ast.NotIn)) and resolves_to(code, comparator, ENVIRON):
            facts.membership_tested.add(key)


def _is_or(node: Any) -> bool:
    return isinstance(node, OrPrefix) or (isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or))


def _left(node: Any) -> Any:
    """The left operand of an ``or`` read as nested pairs."""
    if isinstance(node, OrPrefix):
        return node.operation.values[0] if node.index == 1 else OrPrefix(node.operation, node.index - 1)
    return node.values[0] if len(node.values) == 2 else OrPrefix(node, len(node.values) - 2)


def _pair_parents(code: PythonCode, access: Any, ancestors: list[Any]) -> list[Any]:
    """``ancestors`` (nearest first) with each ``or`` chain around ``access`` read as
    nested pairs: ``a or b or c`` around ``b`` gives ``a or b``, then the whole chain."""
    found: list[Any] = []
    child = access
    for parent in ancestors:
        if _is_or(parent):
            index = next(i for i, value in enumerate(parent.values) if value is child)
            for prefix in range(max(index, 1), len(parent.values) - 1):
                found.append(OrPrefix(parent, prefix, code))
        found.append(parent)
        child = parent
    return found


def _context(code: PythonCode, read: EnvRead) -> None:
    """Fill in what the read's ancestors say about it."""
    ancestors = code.analysis.ancestors(read.access)
    parents = _pair_parents(code, read.access, ancestors) if _is_or(ancestors[0]) else ancestors
    if read.kind in ("get", "getenv", "setdefault"):
        read.fallback = _or_fallback(read.access, parents)
    reported = read.node
    holder = parents[0]
    if reported is not read.access:
        holder = parents[next(i for i, p in enumerate(parents) if p == reported) + 1]
    read.discarded = isinstance(holder, ast.Expr)
    if read.fallback is not None:
        read.fallback_is_whole = _left(read.fallback) is read.access and not (
            _is_or(holder) and _left(holder) == read.fallback
        )
    read.has_comment = _contains_comment(code, reported)
    child: Any = read.access
    for parent in ancestors:
        if isinstance(parent, (*FUNCTION_TYPES, ast.ClassDef, ast.Lambda)):
            break  # a try around a definition does not guard what its body does later
        if isinstance(parent, ast.Try) and _in_body(child, parent) and _catches_keyerror(code, parent):
            read.guarded = True
        if isinstance(parent, (ast.With, ast.AsyncWith)) and _in_body(child, parent) and _suppresses_keyerror(
            code, parent
        ):
            read.guarded = True
        child = parent


def _in_body(child: Any, parent: Any) -> bool:
    return any(statement is child for statement in parent.body)


def _or_fallback(access: Any, parents: list) -> Any:
    """The ``or`` that falls back from ``access`` to its next operand: ``access or d``
    (the read is the left operand) or ``a or access or d``. None when the read is the
    last operand or not in one."""
    parent = parents[0]
    if not _is_or(parent):
        return None
    if _left(parent) is access:
        return parent
    if len(parents) > 1 and _is_or(parents[1]) and _left(parents[1]) == parent:
        return parents[1]
    return None


def _bind(call: ast.Call) -> tuple[Any, Any] | None:
    """(key, default) expressions of a ``get``/``getenv``/``setdefault``/``pop`` call, as
    Python binds them (all four take ``key`` and ``default``); None with ``*``/``**``."""
    if any(isinstance(argument, ast.Starred) for argument in call.args) or any(
        keyword.arg is None for keyword in call.keywords
    ):
        return None
    key = call.args[0] if call.args else None
    default = call.args[1] if len(call.args) > 1 else None
    for keyword in call.keywords:
        if keyword.arg == "key":
            key = keyword.value
        elif keyword.arg == "default":
            default = keyword.value
    return key, default


def _update_keys(call: ast.Call, facts: EnvFacts) -> bool:
    """``os.environ.update({"K": v})`` or ``update(K=v)``: record the keys; False when
    the keys cannot be listed (the environment is then open)."""
    keys: set[str] = set()
    for keyword in call.keywords:
        if keyword.arg is None:
            return False
        keys.add(keyword.arg)
    for argument in call.args:
        if not isinstance(argument, ast.Dict):
            return False
        for element in argument.keys:
            key = literal_string(element)
            if key is None:
                return False
            keys.add(key)
    facts.assigned.update(keys)
    return True


def _module_constants(code: PythonCode) -> dict[str, str]:
    """``NAME = "text"`` at module level, for names assigned exactly once there."""
    found: dict[str, str] = {}
    repeated: set[str] = set()
    for target, value in _module_assignments(code):
        if isinstance(target, ast.Name):
            text = literal_string(value)
            if text is None or target.id in found:
                repeated.add(target.id)
            else:
                found[target.id] = text
    return {name: value for name, value in found.items() if name not in repeated}


def _is_global_constant(code: PythonCode, name: ast.Name) -> bool:
    """``name`` reaches exactly one binding, and that one is at module level."""
    bindings = code.analysis.bindings_of(name)
    return len(bindings) == 1 and bindings[0].scope.kind == "module"


def _is_environ_itself(code: PythonCode, node: Any) -> bool:
    """``os.environ`` (any alias), not an item of it."""
    return isinstance(node, (ast.Name, ast.Attribute)) and resolves_to(code, node, ENVIRON)


def _catches_keyerror(code: PythonCode, node: ast.Try) -> bool:
    for handler in node.handlers:
        if handler.type is None:
            return True
        types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
        for element in types:
            if resolved_names(code, element) & CATCHES_KEYERROR:
                return True
    return False


def _suppresses_keyerror(code: PythonCode, node: Any) -> bool:
    for item in node.items:
        call = item.context_expr
        if isinstance(call, ast.Call) and resolves_to(code, call.func, "contextlib.suppress"):
            values = [a.value if isinstance(a, ast.Starred) else a for a in call.args]
            values.extend(keyword.value for keyword in call.keywords)
            if any(resolved_names(code, value) & CATCHES_KEYERROR for value in values):
                return True
    return False


def _contains_comment(code: PythonCode, node: Any) -> bool:
    """A comment inside the code of ``node``: a ``#`` outside every string literal."""
    start, end = code.node_offsets(node)
    text = code.text
    hash_at = text.find("#", start, end)
    if hash_at == -1:
        return False
    strings = [
        code.node_offsets(inner)
        for inner in ast.walk(node.operation if isinstance(node, OrPrefix) else node)
        if isinstance(inner, ast.JoinedStr) or (isinstance(inner, ast.Constant) and isinstance(inner.value, (str, bytes)))
    ]
    while hash_at != -1:
        if not any(string_start <= hash_at < string_end for string_start, string_end in strings):
            return True
        hash_at = text.find("#", hash_at + 1, end)
    return False


_IMPORT_BOUND: weakref.WeakKeyDictionary[PythonCode, frozenset[str]] = weakref.WeakKeyDictionary()


def import_bound_names(code: PythonCode) -> frozenset[str]:
    """Names any import statement of ``code`` binds to the os module, something in it,
    or an environment loader (``os``, ``_os``, ``environ``, ``ge``, ``load_dotenv``)
    — found from the import statements alone, so that code without them costs nothing."""
    if code not in _IMPORT_BOUND:
        _IMPORT_BOUND[code] = _import_bound_names(code)
    return _IMPORT_BOUND[code]


def _import_bound_names(code: PythonCode) -> frozenset[str]:
    def watched(dotted: str | None) -> bool:
        return dotted is not None and any(dotted == m or dotted.startswith(m + ".") for m in WATCHED_MODULES)

    names: set[str] = set()
    analysis = code.analysis
    for node in analysis.nodes(ast.Import):
        for alias in node.names:
            if watched(alias.name):
                names.add(alias.asname or alias.name.split(".")[0])
    for node in analysis.nodes(ast.ImportFrom):
        if node.level or not watched(node.module):
            continue
        for alias in node.names:
            if alias.name == "*":
                names.update(STAR_NAMES if node.module == "os" else ("load_dotenv", "read_env"))
            else:
                names.add(alias.asname or alias.name)
    return frozenset(names)


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


def _within(node: Any, outer: Any) -> bool:
    """``node`` lies inside ``outer``'s span (a ``def`` spans from its keyword: its
    decorators run at import time)."""
    return (outer.lineno, outer.col_offset) <= (node.lineno, node.col_offset) and (
        node.end_lineno, node.end_col_offset
    ) <= (outer.end_lineno, outer.end_col_offset)


def _runs_at_import(code: PythonCode, node: Any) -> bool:
    """``node`` runs when the module is imported: not inside a function body, a lambda or
    the ``if __name__ == "__main__":`` block."""
    child = node
    for parent in code.analysis.ancestors(node):
        if isinstance(parent, ast.Lambda):
            return False
        if isinstance(parent, FUNCTION_TYPES) and not any(child is d for d in parent.decorator_list):
            return False
        if isinstance(parent, ast.If) and is_main_guard(parent.test):
            return False
        child = parent
    return True


def module_info(code: PythonCode, dotted: str, is_package: bool) -> ModuleInfo:
    """What ``code`` (the module ``dotted``) reads, defines, re-exports and imports."""
    package = dotted if is_package else dotted.rpartition(".")[0]
    facts = env_facts(code)
    analysis = code.analysis
    functions: dict[str, FunctionInfo] = {}
    reexports: dict[str, str] = {}
    import_time_modules: list[str] = []
    star_modules: list[str] = []
    imports = sorted([*analysis.nodes(ast.Import), *analysis.nodes(ast.ImportFrom)], key=position_key)
    for node in imports:
        if not _runs_at_import(code, node):
            continue
        if isinstance(node, ast.Import):
            import_time_modules.extend(alias.name for alias in node.names)
            continue
        absolute = absolute_name("." * node.level + (node.module or ""), package)
        if absolute is None or absolute == "__future__":
            continue
        import_time_modules.append(absolute)
        if any(alias.name == "*" for alias in node.names):
            star_modules.append(absolute)
            continue
        for alias in node.names:
            reexports[alias.asname or alias.name] = f"{absolute}.{alias.name}"
            import_time_modules.append(f"{absolute}.{alias.name}")  # a submodule, when it is one
    calls_by_function = _calls_by_function(code, package)
    for statement in code.tree.body:
        if isinstance(statement, FUNCTION_TYPES):
            functions[statement.name] = FunctionInfo(
                name=statement.name,
                reads=[read for read in facts.reads if _within(read.access, statement)],
                opened=any(_within(node, statement) for node in facts.openers),
                calls=calls_by_function.get(id(statement), []),
            )
    import_time_reads = [read for read in facts.reads if _runs_at_import(code, read.access)]
    import_time_opened = any(_runs_at_import(code, node) for node in facts.openers)
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


def _calls_by_function(code: PythonCode, package: str) -> dict[int, list[tuple[str, bool]]]:
    """For each top-level function (by id), the functions it calls that can be
    followed: top-level functions of the same module (by name) and imported ones
    (absolute qualified names), in document order."""
    analysis = code.analysis
    tree = code.tree
    found: dict[int, list[tuple[str, bool]]] = {}
    for call in sorted(analysis.nodes(ast.Call), key=position_key):
        ancestors = analysis.ancestors(call)
        top = ancestors[-2] if len(ancestors) >= 2 else None
        if not isinstance(top, FUNCTION_TYPES) or ancestors[-1] is not tree:
            continue
        names = analysis.qualified_names(call.func) if is_dotted_name(call.func) else frozenset()
        if len(names) != 1:
            continue
        name = next(iter(names))
        if name.source == LOCAL and "." not in name.name:
            found.setdefault(id(top), []).append((name.name, True))
        elif name.source == IMPORT:
            absolute = absolute_name(name.name, package)
            if absolute is not None:
                found.setdefault(id(top), []).append((absolute, False))
    return {key: list(dict.fromkeys(calls)) for key, calls in found.items()}


def imported_modules(code: PythonCode) -> list[tuple[Located, list[str]]]:
    """Top-level imports of an inline script: (where to report: the module's name as
    written, absolute module names that importing runs, outermost package first).
    Relative imports are skipped."""
    found: list[tuple[Located, list[str]]] = []
    for statement in code.tree.body:
        if isinstance(statement, ast.Import):
            for alias in statement.names:
                start = code.node_offsets(alias)[0]
                found.append((_dotted_span(code, start), _with_parents(alias.name)))
        elif isinstance(statement, ast.ImportFrom) and not statement.level and statement.module is not None:
            name = statement.module
            if name == "__future__":
                continue
            modules = _with_parents(name)
            if not any(alias.name == "*" for alias in statement.names):
                modules += [f"{name}.{alias.name}" for alias in statement.names]
            start = code.node_offsets(statement)[0] + len("from")
            found.append((_dotted_span(code, skip_spaces(code.text, start)), modules))
    return found


def _dotted_span(code: PythonCode, start: int) -> Located:
    """The dotted name written at ``start`` (``a . b`` included), placed like a node:
    what an import names, which ``ast`` keeps only as a string."""
    text = code.text
    index = start
    while True:
        end = index
        while end < len(text) and text[index : end + 1].isidentifier():
            end += 1
        after = skip_spaces(text, end)
        if end == index or after >= len(text) or text[after] != ".":
            return code.located(start, end)
        index = skip_spaces(text, after + 1)


def all_imported_modules(code: PythonCode) -> list[str]:
    """Every absolute module an import anywhere in ``code`` names, with its parent
    packages (and, for ``from X import Y``, ``X.Y``, which may be a submodule)."""
    analysis = code.analysis
    found: list[str] = []
    for node in analysis.nodes(ast.Import):
        for alias in node.names:
            found.extend(_with_parents(alias.name))
    for node in analysis.nodes(ast.ImportFrom):
        if node.level or node.module is None:
            continue
        found.extend(_with_parents(node.module))
        found.extend(f"{node.module}.{alias.name}" for alias in node.names if alias.name != "*")
    return list(dict.fromkeys(found))


def _with_parents(dotted: str) -> list[str]:
    parts = dotted.split(".")
    return [".".join(parts[: index + 1]) for index in range(len(parts))]


def is_main_guard(test: Any) -> bool:
    if not isinstance(test, ast.Compare) or len(test.comparators) != 1:
        return False
    left, right = test.left, test.comparators[0]
    sides = {literal_string(left), literal_string(right)}
    names = {node.id for node in (left, right) if isinstance(node, ast.Name)}
    return "__main__" in sides and "__name__" in names
