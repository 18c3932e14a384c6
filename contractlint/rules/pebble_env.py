"""Pebble spliced into inline Python: how dangerous what it reads is, and the edits
that move it into the task's ``env`` (CL103's fix, and ``contractlint extract``).

**Grading.** Kestra renders a script before Python reads it, so whoever controls a
value spliced into it writes code. What an expression reads decides how bad that is,
as zizmor grades GitHub Actions contexts (arbitrary, structured, fixed):

* ``injection`` — free text a caller chooses: a flow input of an open type (STRING,
  JSON, URI, FILE, EMAIL, ARRAY of those, a SELECT that allows custom values, an
  input the flow does not declare), a trigger's payload (``trigger.body``, webhook
  headers and parameters, a message's value), a label;
* ``leak`` — ``secret()`` (or a SECRET input): the rendered source holds the
  credential, and tracebacks and the rendered task show it;
* ``data`` — values produced at run time that the flow does not constrain: task
  outputs, ``kv()``, ``read()``, ``taskrun.value`` of a loop;
* ``smell`` — closed values that cannot break the quoting: INT, FLOAT, BOOL, SELECT
  and date inputs, ``execution.id``, ``flow.*``, ``vars.*``, ``now()``.

An expression reading several values gets the worst grade of them.

**Moving an expression into env.** Only an expression that stands in a Python string
literal can move without changing what the program does: its rendered value is text
inside the literal, which ``os.environ["NAME"]`` gives as the same text. Where the
literal is wholly the expression it becomes the subscript; otherwise it becomes an
f-string (``f"s3://{os.environ['BUCKET']}/x"``: prefixes kept, ``u`` dropped, braces
of the rest doubled, the other quote inside the field so any Python 3 reads it) or,
for bytes, a concatenation. Every expression of one literal moves together. The env
name is the one CL103's message proposes, unique against what the task is already
given (its env, defaults or policies, ``runtime-env``, what the runtime sets, and
what the script reads); an entry already giving the same expression is reused.

What cannot move says why (the ``reason`` of a ``Refusal``): Pebble in code or in a
comment, tags, ``secret()`` where credentials belong in defaults or policies
(contract 2), expressions inside a Pebble block or reading a ``{% set %}`` variable,
whitespace control, filters that escape for Python source, and anything that would
make the edit inexact (a script that is not a literal block, a templated or shared
``env``, duplicate keys).
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from contractlint.flow import yaml_nodes as yn

if TYPE_CHECKING:
    from contractlint.diagnostics import Edit
    from contractlint.flow.model import Flow, Task
    from contractlint.project import Project
    from contractlint.python.code import PythonCode
    from contractlint.python.lexical import StringPiece
    from contractlint.python.pebble import PebbleSpan

# -- grading -----------------------------------------------------------------------------

INJECTION, LEAK, DATA, SMELL = "injection", "leak", "data", "smell"
GRADE_ORDER = {SMELL: 1, DATA: 2, LEAK: 3, INJECTION: 4}

# Input types (Kestra's `Type` enum, and the older names it still reads).
FREE_TEXT_TYPES = frozenset({"STRING", "JSON", "YAML", "URI", "FILE", "EMAIL", "ARRAY"})
CLOSED_TYPES = frozenset(
    {"INT", "FLOAT", "BOOLEAN", "BOOL", "SELECT", "ENUM", "MULTISELECT", "DATETIME", "DATE", "TIME", "DURATION"}
)
CHOICE_TYPES = frozenset({"SELECT", "ENUM", "MULTISELECT"})
# Fields of `trigger` that Kestra sets (a schedule's dates, a flow trigger's source
# execution); everything else under `trigger` is a payload someone sent.
TRIGGER_FIXED_FIELDS = frozenset(
    {"date", "next", "previous", "executionId", "namespace", "flowId", "flowRevision", "state", "executionState"}
)
# Variable roots and what they hold.
FIXED_ROOTS = frozenset({"execution", "flow", "task", "vars", "envs", "globals", "outputDir", "workingDir"})
DATA_ROOTS = frozenset({"outputs", "parents", "parent", "taskrun", "error", "errorLogs", "currentEachOutput"})
TASKRUN_FIXED_FIELDS = frozenset({"id", "startDate", "attemptsCount", "iteration", "parentId"})
# Functions that produce a value (not the ones that transform their argument).
DATA_FUNCTIONS = frozenset({"kv", "read", "fetchContext", "errorLogs", "fileURI", "http", "currentEachOutput"})
FIXED_FUNCTIONS = frozenset({"now", "uuid", "randomInt", "randomPort", "nanoId", "id"})

_STRING_LITERAL = r"'(?:[^'\\]|\\.)*'" + "|" + r'"(?:[^"\\]|\\.)*"'
_WORD = re.compile(r"(?<![\w.])[A-Za-z_]\w*")
_SECRET_CALL = re.compile(r"(?<![\w.])secret\s*\(")


@dataclass(frozen=True)
class Grade:
    level: str  # INJECTION, LEAK, DATA or SMELL
    clause: str  # what the message says about it

    @property
    def order(self) -> int:
        return GRADE_ORDER[self.level]


def references(expression: str) -> tuple[list[list[str]], list[str]]:
    """The variable paths (``inputs.table`` → ``["inputs", "table"]``) and the names of
    the functions an expression reads, in order. Words inside string literals, after a
    ``|`` (filters) and of Pebble's own language are not read."""
    from contractlint.python.pebble import PEBBLE_WORDS, path_from

    text = re.sub(_STRING_LITERAL, lambda m: " " * len(m.group()), expression)
    paths: list[list[str]] = []
    functions: list[str] = []
    position = 0
    while True:
        match = _WORD.search(text, position)
        if match is None:
            break
        word = match.group()
        position = match.end()
        if word.lower() in PEBBLE_WORDS:
            continue
        if text[: match.start()].rstrip().endswith("|"):
            continue  # a filter
        if text[match.end() :].lstrip().startswith("("):
            functions.append(word)
            continue
        after = text[match.end() :].lstrip()
        if after.startswith("=") and not after.startswith("=="):
            continue  # the name of a named argument: `kv('k', errorOnMissing = false)`
        path, position = path_from(expression, word, position)
        paths.append(path)
    return paths, functions


def declared_inputs(flow: Flow | None) -> dict[str, Any]:
    """The flow's inputs by id (``name`` in flows older than 0.10)."""
    found: dict[str, Any] = {}
    if flow is None:
        return found
    for node in yn.elements(yn.get_value(flow.root, "inputs")):
        name = yn.get_string(node, "id") or yn.get_string(node, "name")
        if name is not None:
            found.setdefault(name, node)
    return found


def grade_expression(inner: str, flow: Flow | None) -> Grade:
    """How dangerous splicing the expression ``inner`` (without ``{{ }}``) into source is."""
    paths, functions = references(inner)
    grades: list[Grade] = []
    if _SECRET_CALL.search(inner):
        grades.append(Grade(LEAK, "a secret leak: the rendered source holds the credential, and tracebacks and "
                                  "the rendered task show it"))
    for function in functions:
        if function in DATA_FUNCTIONS:
            grades.append(Grade(DATA, f"unchecked data: `{function}()` is read at run time, and a quote in it "
                                      "breaks the script or injects code"))
        elif function in FIXED_FUNCTIONS:
            grades.append(Grade(SMELL, f"a quoting smell: `{function}()` is computed by Kestra and cannot break "
                                       "the quoting"))
    inputs = declared_inputs(flow)
    for path in paths:
        grades.append(_grade_path(path, inputs))
    if not grades:
        return Grade(SMELL, "a quoting smell: the expression reads no value a caller chooses")
    return max(grades, key=lambda grade: grade.order)


def _grade_path(path: list[str], inputs: dict[str, Any]) -> Grade:
    root = path[0]
    dotted = ".".join(path)
    if root == "inputs" and len(path) > 1:
        name = path[1]
        node = inputs.get(name)
        if node is None:
            return Grade(INJECTION, f"code injection: `{dotted}` is no declared input, so nothing limits what a "
                                    "caller passes")
        written = yn.get_string(node, "type")
        if written is None:
            return Grade(INJECTION, f"code injection: `{dotted}` is an input without a type, so nothing limits what "
                                    "a caller passes")
        kind = written.upper()
        custom = (yn.scalar_text(yn.get_value(node, "allowCustomValue")) or "").lower() == "true"
        if kind == "SECRET":
            return Grade(LEAK, f"a secret leak: `{dotted}` is a SECRET input, and the rendered source holds it")
        if kind in CHOICE_TYPES and custom:
            return Grade(INJECTION, f"code injection: `{dotted}` is {_a(kind)} input that allows custom values, free "
                                    "text chosen by whoever starts the execution")
        if kind == "ARRAY":
            item = yn.get_string(node, "itemType")
            if item is not None and item.upper() in CLOSED_TYPES:
                item = item.upper()
                return Grade(SMELL, f"a quoting smell: `{dotted}` is an ARRAY of {item}, whose values cannot "
                                    "break the quoting")
        if kind in CLOSED_TYPES:
            return Grade(SMELL, f"a quoting smell: `{dotted}` is {_a(kind)} input, whose values cannot break the "
                                "quoting")
        return Grade(INJECTION, f"code injection: `{dotted}` is {_a(kind)} input, free text chosen by whoever "
                                "starts the execution")
    if root == "trigger":
        if len(path) > 1 and path[1] in TRIGGER_FIXED_FIELDS:
            return Grade(SMELL, f"a quoting smell: `{dotted}` is set by Kestra and cannot break the quoting")
        return Grade(INJECTION, f"code injection: `{dotted}` is the trigger's payload, sent by whoever fires it")
    if root == "labels":
        return Grade(INJECTION, f"code injection: `{dotted}` is a label, free text set by whoever starts the "
                                "execution")
    if root == "taskrun" and len(path) > 1 and path[1] in TASKRUN_FIXED_FIELDS:
        return Grade(SMELL, f"a quoting smell: `{dotted}` is set by Kestra and cannot break the quoting")
    if root in FIXED_ROOTS:
        where = "written in the flow" if root == "vars" else (
            "in the server's configuration" if root in ("envs", "globals") else "set by Kestra"
        )
        return Grade(SMELL, f"a quoting smell: `{dotted}` is {where} and cannot break the quoting")
    if root in DATA_ROOTS:
        return Grade(DATA, f"unchecked data: `{dotted}` is produced at run time, and a quote in it breaks the "
                           "script or injects code")
    return Grade(DATA, f"unchecked data: `{dotted}` is known only at run time, and a quote in it breaks the script "
                       "or injects code")


def _a(kind: str) -> str:
    """``an INT``, ``a URI``: the article as the type name is spoken."""
    return ("an " if kind[:1] in "AEIO" else "a ") + kind


# -- what an expression is, and where it stands -------------------------------------------

# Pebble tags that open a block ended by `end<tag>`.
_BLOCK_TAGS = frozenset({"if", "for", "macro", "filter", "autoescape", "block", "cache", "parallel", "embed"})
# Filters that escape a value for the source it is pasted into: through env the escapes
# would stay in the value.
_ESCAPING = re.compile(r"\|\s*(?:escapeChar|escape|e)\b|\|\s*replace\s*\(\s*(?:'[^']*[\\'\"\n][^']*'|\"[^\"]*[\\'\"\n][^\"]*\")")
# Kestra sets these for every script task: the expression and the variable are the same.
KESTRA_SET = {"outputDir": "OUTPUT_DIR", "workingDir": "WORKING_DIR"}
EXECUTION_ID = {"EXECUTION_ID": "execution.id"}


@dataclass(frozen=True)
class Refusal:
    reason: str  # completes "no automatic fix: …"


@dataclass(frozen=True)
class Place:
    """Where Pebble expressions stand that can move: a Python string literal holding
    them, as written — or, for a number input standing in code, that one expression
    (``piece`` None, ``conversion`` the builtin that reads the env value back)."""

    node: Any  # the ``ast`` string node (a whole implicit concatenation), or the masked name
    pieces: tuple[StringPiece, ...]
    piece: StringPiece | None  # the literal the expressions are in
    pebbles: tuple[PebbleSpan, ...]  # every construct in that literal, in order
    conversion: str | None = None  # "int" or "float"

    @property
    def key(self) -> int:
        """One move per literal (or per number in code): where it starts."""
        return self.piece.start if self.piece is not None else self.pebbles[0].start


@dataclass(frozen=True)
class EnvEntry:
    name: str
    expression: str  # the construct as the env value gets it: `{{ inputs.table }}`


@dataclass(frozen=True)
class Move:
    """Moving the expressions of one string literal into env: edits of the code
    (offsets in ``code.text``), the ``import os`` it needs, and the env entries to add
    (those the task already has are not repeated)."""

    place: Place
    names: tuple[str, ...]  # the env name of each of ``place.pebbles``
    edits: tuple[tuple[int, int, str], ...]
    insertions: tuple[tuple[int, str], ...]
    entries: tuple[EnvEntry, ...]


def expression_refusal(code: PythonCode, pebble: PebbleSpan, project: Project) -> Refusal | None:
    """Why this construct cannot move into env whatever surrounds it; None when it can."""
    from contractlint.flow.defaults import provider_kind

    if pebble.kind == "tag":
        return Refusal("a tag generates code; rewrite the logic in Python")
    if pebble.kind != "expression":
        return Refusal("a Pebble comment renders as nothing; delete it or make it a Python comment")
    inner = pebble.inner
    if _SECRET_CALL.search(inner):
        central = provider_kind(project)
        if central is not None:
            return Refusal(f"a secret belongs in {central}, not in the task (contract 2)")
    if pebble.text.startswith("{{-") or pebble.text.endswith("-}}"):
        return Refusal("whitespace control (`{{-`, `-}}`) also trims the text around it")
    if _ESCAPING.search(inner):
        return Refusal("its filter escapes the value for Python source, and through env the escapes would stay in "
                       "the value; drop the filter and move it by hand")
    block = _enclosing_block(code, pebble)
    if block is not None:
        return Refusal(f"it is inside `{block}`, and in env it would be rendered once, outside the block")
    if env_name(inner) is None and _kestra_set(pebble) is None:
        return Refusal("no env name can be made from it; move it by hand under a name you choose")
    return None


def env_name(inner: str) -> str | None:
    from contractlint.python.pebble import env_name_for, pebble_value_path

    return env_name_for(pebble_value_path(inner))


def _kestra_set(pebble: PebbleSpan) -> str | None:
    return KESTRA_SET.get(pebble.inner)


def _enclosing_block(code: PythonCode, pebble: PebbleSpan) -> str | None:
    """The opening tag of a Pebble block around ``pebble``, or a ``{% set %}`` before
    it that defines a name it reads."""
    open_tags: list[str] = []
    defined: set[str] = set()
    paths, _ = references(pebble.inner)
    for other in code.pebble:
        if other.start >= pebble.start:
            break
        if other.kind != "tag":
            continue
        words = other.inner.split(None, 1)
        if not words:
            continue
        tag = words[0].lower()
        if tag in _BLOCK_TAGS:
            open_tags.append(" ".join(other.text.split()))
        elif tag.startswith("end") and tag[3:] in _BLOCK_TAGS and open_tags:
            open_tags.pop()
        elif tag == "set" and len(words) > 1:
            defined.add(words[1].split("=", 1)[0].strip())
    if open_tags:
        return open_tags[-1]
    for path in paths:
        if path[0] in defined:
            return f"{{% set {path[0]} %}}"
    return None


def place_of(code: PythonCode, pebble: PebbleSpan) -> Place | Refusal:
    """The string literal ``pebble`` stands in; a refusal naming where it stands when
    that is not (wholly) inside one literal's text."""
    from contractlint.python.code import PythonSyntaxError
    from contractlint.python.lexical import string_pieces_between
    from contractlint.python.pebble import COMMENT, contexts

    try:
        analysis = code.parse()
    except PythonSyntaxError:
        return Refusal("the script does not parse")
    node = _outermost_string(code, analysis, pebble)
    if node is None:
        index = code.pebble.index(pebble)
        if contexts(code.raw, code.pebble)[index] == COMMENT:
            return Refusal("it is in a comment; delete it (Kestra renders comments too)")
        number = _number_in_code(code, analysis, pebble)
        if number is not None:
            return number
        return Refusal("it stands in code, not in a string: its value becomes Python syntax; read it from "
                       "`os.environ` and convert it by hand")
    start, end = code.node_offsets(node)
    pieces = string_pieces_between(code.text, start, end)
    if not pieces:
        return Refusal("the string it is in cannot be read exactly")
    piece = next((p for p in pieces if p.body_start <= pebble.start and pebble.end <= p.body_end), None)
    if piece is None:
        return Refusal("it is not inside one string literal")
    if any(a < pebble.end and pebble.start < b for a, b in piece.fields):
        return Refusal("it is inside an f-string replacement field, which is code")
    parent = analysis.parent(node)
    if isinstance(parent, ast.Expr):
        return Refusal("it is in a docstring or a string statement, whose value nothing reads")
    if any(isinstance(a, ast.pattern) for a in analysis.ancestors(node)):
        return Refusal("it is in a `case` pattern, where only literals may stand")
    inside = tuple(p for p in code.pebble if piece.body_start <= p.start and p.end <= piece.body_end)
    return Place(node=node, pieces=tuple(pieces), piece=piece, pebbles=inside)


# Input types whose rendering is a Python number literal, and the builtin that reads
# the same number back from the env value (Kestra validates the input: INT renders its
# digits, FLOAT Java's decimal or exponent form, both valid for Python).
NUMBER_TYPES = {"INT": "int", "FLOAT": "float"}
_INPUT_REFERENCE = re.compile(r"""inputs\s*(?:\.\s*(?P<attr>[A-Za-z_]\w*)|\[\s*(?:'(?P<sq>[^']*)'|"(?P<dq>[^"]*)")\s*\])""")


def _number_in_code(code: PythonCode, analysis: Any, pebble: PebbleSpan) -> Place | None:
    """A declared INT or FLOAT input, alone in its expression, standing in code as an
    operand: ``int(os.environ["LIMIT"])`` is the same number. Not where the rendered
    text's own precedence shows (``{{ n }} ** 2`` with a negative ``n``, an attribute
    of it)."""
    reference = _INPUT_REFERENCE.fullmatch(pebble.inner)
    if reference is None or code.flow is None:
        return None
    name = reference.group("attr") or reference.group("sq") or reference.group("dq")
    node = declared_inputs(code.flow).get(name)
    written = yn.get_string(node, "type") if node is not None else None
    conversion = NUMBER_TYPES.get(written.upper()) if written is not None else None
    if conversion is None:
        return None
    target = next(
        (n for n in analysis.nodes(ast.Name) if code.node_offsets(n) == (pebble.start, pebble.end)), None
    )
    if target is None:
        return None
    parent = analysis.parent(target)
    if isinstance(parent, (ast.Attribute, ast.Subscript, ast.Call)) and getattr(parent, "value", None) is target:
        return None
    if isinstance(parent, ast.Call) and parent.func is target:
        return None
    if isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Pow) and parent.left is target:
        return None
    if not isinstance(target.ctx, ast.Load):
        return None
    return Place(node=target, pieces=(), piece=None, pebbles=(pebble,), conversion=conversion)


def _outermost_string(code: PythonCode, analysis: Any, pebble: PebbleSpan) -> Any:
    """The string node (a literal, an f-string, an implicit concatenation) that holds
    ``pebble``, outermost first: a string inside an f-string's field is the f-string's
    (and where an older CPython places an f-string's parts over the whole f-string, the
    f-string itself wins)."""
    found = []
    for kind in (ast.Constant, ast.JoinedStr):
        for node in analysis.nodes(kind):
            if kind is ast.Constant and not isinstance(node.value, (str, bytes)):
                continue
            start, end = code.node_offsets(node)
            if start <= pebble.start and pebble.end <= end:
                found.append((start, -end, len(analysis.ancestors(node)), node))
    return min(found, key=lambda item: item[:3])[3] if found else None


# -- env names ---------------------------------------------------------------------------------


@dataclass
class EnvNames:
    """The names a task's env can take, and the entries that already give an
    expression: one per task, shared by the moves of one fix or one extraction."""

    taken: set[str]
    existing: dict[str, str]  # expression (inner, stripped) → the name that gives it
    added: dict[str, str] = field(default_factory=dict)  # expression → name chosen here
    runtime: set[str] = field(default_factory=set)  # `runtime-env`: what the runtime gives every task

    @classmethod
    def for_task(cls, code: PythonCode, project: Project) -> EnvNames:
        from contractlint.flow.defaults import env_providers
        from contractlint.python.code import PythonSyntaxError
        from contractlint.python.environ import env_facts
        from contractlint.rules.environment import ALWAYS_PROVIDED

        task, flow = code.task, code.flow
        own = task.value("env") if task is not None else None
        taken = {key for key in (yn.scalar_text(k) for k, _ in yn.items(own)) if key}
        existing: dict[str, str] = {}
        for key_node, value_node in yn.items(own):
            key, inner = yn.scalar_text(key_node), _whole_expression(value_node)
            if key and inner is not None:
                existing.setdefault(inner, key)
        if task is not None and flow is not None:
            for key, found in env_providers(task, flow, project).items():
                taken.add(key)
                inner = _whole_expression(found[0].value_node)
                if inner is not None and key not in {yn.scalar_text(k) for k, _ in yn.items(own)}:
                    existing.setdefault(inner, key)
        taken |= ALWAYS_PROVIDED
        try:
            taken |= {read.key for read in env_facts(code).reads if read.key is not None}
        except PythonSyntaxError:
            pass  # no reads to avoid: the script does not parse (and cannot be fixed)
        return cls(taken=taken, existing=existing, runtime=set(project.runtime_env))

    def fresh(self) -> EnvNames:
        """A copy without the names chosen since it was read."""
        return EnvNames(taken=set(self.taken), existing=dict(self.existing), runtime=set(self.runtime))

    def name_for(self, pebble: PebbleSpan) -> tuple[str, bool]:
        """(the env name for ``pebble``, whether an entry must be added for it)."""
        inner = pebble.inner
        kestra = _kestra_set(pebble)
        if kestra is not None:
            return kestra, False
        if inner in self.existing:
            return self.existing[inner], False
        if inner in self.added:
            return self.added[inner], False
        base = env_name(inner)
        assert base is not None  # expression_refusal said so
        for candidate in _candidates(base, inner):
            # What the runtime gives every task is not overridden — except
            # `EXECUTION_ID` (in the default `runtime-env`) by `{{ execution.id }}`.
            if candidate not in self.taken and (candidate not in self.runtime or EXECUTION_ID.get(candidate) == inner):
                self.taken.add(candidate)
                self.added[inner] = candidate
                return candidate, True
        raise AssertionError("unreachable: the candidates do not end")


def _candidates(base: str, inner: str):
    """``TABLE``, then ``INPUT_TABLE`` (the container's name, for a name the runtime
    already uses: ``inputs.path`` is not ``PATH``), then ``TABLE_2``, ``TABLE_3``…"""
    from contractlint.python.pebble import pebble_value_path

    yield base
    path = pebble_value_path(inner)
    container = {"inputs": "INPUT", "vars": "VAR", "labels": "LABEL", "envs": "ENV", "globals": "GLOBAL"}
    if path and path[0] in container and not base.startswith(container[path[0]] + "_"):
        yield f"{container[path[0]]}_{base}"
    number = 2
    while True:
        yield f"{base}_{number}"
        number += 1


def _whole_expression(node: Any) -> str | None:
    """The inner text of a scalar that is one Pebble expression and nothing else."""
    from contractlint.python.pebble import find_pebble

    text = yn.string_value(node) if yn.is_string(node) else None
    if text is None:
        return None
    spans = find_pebble(text)
    if len(spans) != 1 or spans[0].kind != "expression" or spans[0].start != 0 or spans[0].end != len(text):
        return None
    return spans[0].inner


def env_value(pebble: PebbleSpan) -> str:
    """The YAML text of an env value that renders as ``pebble`` does: a double-quoted
    scalar (JSON's escapes are YAML's)."""
    return json.dumps(pebble.text, ensure_ascii=False)


# -- the literal edits ---------------------------------------------------------------------


def plan_move(code: PythonCode, place: Place, names: EnvNames, project: Project) -> Move | Refusal:
    """The edits that move every expression of ``place`` into env."""
    from contractlint.rules.environment import environ_at

    for other in place.pebbles:
        refusal = expression_refusal(code, other, project)
        if refusal is not None:
            shown = " ".join(other.text.split())
            return Refusal(f"the same string holds `{shown}`, which cannot move: {refusal.reason}")
    piece = place.piece
    text = code.text
    if piece is None:
        environ = environ_at(code, place.node)
        if environ is None:
            return Refusal("the name `os` means something else where it stands")
        access, insertions = environ
        pebble = place.pebbles[0]
        name, new = names.name_for(pebble)
        entries = (EnvEntry(name, pebble.text),) if new else ()
        edit = (pebble.start, pebble.end, f'{place.conversion}({access}["{name}"])')
        return Move(place, (name,), (edit,), tuple(insertions), entries)
    for pebble in place.pebbles:
        if not piece.is_raw and _escaped(text, pebble.start):
            return Refusal("a backslash before it escapes its first character")
    if piece.is_bytes and len(place.pieces) > 1:
        return Refusal("it is in a bytes literal that is part of an implicit concatenation")
    environ = environ_at(code, place.node)
    if environ is None:
        return Refusal("the name `os` means something else where the string is")
    access, insertions = environ
    chosen = [names.name_for(pebble) for pebble in place.pebbles]
    entries = tuple(
        EnvEntry(name, pebble.text) for pebble, (name, new) in zip(place.pebbles, chosen) if new
    )
    labels = tuple(name for name, _ in chosen)
    whole = (
        len(place.pieces) == 1
        and len(place.pebbles) == 1
        and (piece.body_start, piece.body_end) == (place.pebbles[0].start, place.pebbles[0].end)
    )
    if whole:
        content = f'{access}["{labels[0]}"]' + (".encode()" if piece.is_bytes else "")
        if piece.start > 0 and _is_name_char(text[piece.start - 1]):
            content = " " + content
        edits = [(piece.start, piece.end, content)]
    elif piece.is_bytes or (not piece.is_fstring and _has_braces(text, piece, place.pebbles)):
        # No f-string: bytes have none, and doubling a brace writes `{{`, which Kestra
        # would render as Pebble. A concatenation in parentheses stands where the
        # literal stood.
        if len(place.pieces) > 1:
            return Refusal("it is in a string with braces (or bytes) that is part of an implicit concatenation")
        edits = [(piece.start, piece.end, _concatenation(code, piece, place.pebbles, labels, access))]
    else:
        edits = _fstring_edits(code, piece, place.pebbles, labels, access)
    if _adds_pebble(text, piece, edits):
        return Refusal("the rewritten string would hold `{{`, `{%` or `{#`, which Kestra renders as Pebble")
    return Move(place, labels, tuple(edits), tuple(insertions), entries)


def _escaped(text: str, offset: int) -> bool:
    count = 0
    while offset - count - 1 >= 0 and text[offset - count - 1] == "\\":
        count += 1
    return count % 2 == 1


def _is_name_char(char: str) -> bool:
    return char.isalnum() or char == "_"


def _has_braces(text: str, piece: StringPiece, pebbles: tuple[PebbleSpan, ...]) -> bool:
    """The literal's own text (outside the expressions) holds ``{`` or ``}``."""
    position = piece.body_start
    for pebble in (*pebbles, None):
        stop = pebble.start if pebble is not None else piece.body_end
        if "{" in text[position:stop] or "}" in text[position:stop]:
            return True
        if pebble is not None:
            position = pebble.end
    return False


def _fstring_edits(
    code: PythonCode, piece: StringPiece, pebbles: tuple[PebbleSpan, ...], labels: tuple[str, ...], access: str
) -> list[tuple[int, int, str]]:
    """Make the literal an f-string (its text has no braces of its own, or it is one
    already) with each expression a replacement field, quoted with the other quote."""
    text = code.text
    quote = "'" if piece.quote == '"' else '"'
    edits: list[tuple[int, int, str]] = []
    if not piece.is_fstring:
        u = piece.prefix.lower().find("u")
        if u != -1:
            edits.append((piece.start + u, piece.start + u + 1, "f"))  # `uf` is not a prefix; `u` changes nothing
        elif piece.start == piece.quote_start and piece.start > 0 and _is_name_char(text[piece.start - 1]):
            edits.append((piece.quote_start, piece.quote_start, " f"))  # `return"…"`
        else:
            edits.append((piece.quote_start, piece.quote_start, "f"))
    for pebble, label in zip(pebbles, labels):
        edits.append((pebble.start, pebble.end, f"{{{access}[{quote}{label}{quote}]}}"))
    return sorted(edits)


def _concatenation(
    code: PythonCode, piece: StringPiece, pebbles: tuple[PebbleSpan, ...], labels: tuple[str, ...], access: str
) -> str:
    """``("pre {}" + os.environ["X"] + " post")``, each literal part with the piece's own
    prefix and quotes; ``.encode()`` for bytes."""
    text = code.text
    opening = text[piece.start : piece.body_start]
    encode = ".encode()" if piece.is_bytes else ""
    parts: list[str] = []
    position = piece.body_start
    for pebble, label in zip(pebbles, labels):
        if pebble.start > position:
            parts.append(opening + text[position : pebble.start] + piece.delimiter)
        parts.append(f'{access}["{label}"]{encode}')
        position = pebble.end
    if position < piece.body_end:
        parts.append(opening + text[position : piece.body_end] + piece.delimiter)
    return "(" + " + ".join(parts) + ")"


def _adds_pebble(text: str, piece: StringPiece, edits: list[tuple[int, int, str]]) -> bool:
    """The literal as the edits leave it holds a Pebble construct (each edit is inside
    the literal, or touches it)."""
    from contractlint.fixes import apply_edits
    from contractlint.diagnostics import Edit, Span

    nowhere = Span(1, 1, 1, 1)
    rewritten = apply_edits(
        text[piece.start : piece.end],
        [Edit(start - piece.start, end - piece.start, content, nowhere) for start, end, content in edits],
    )
    return any(opener in rewritten for opener in ("{{", "{%", "{#"))


# -- the env edit --------------------------------------------------------------------------------


def env_edit(code: PythonCode, entries: tuple[EnvEntry, ...]) -> Edit | Refusal | None:
    """The YAML edit that adds ``entries`` to the task's ``env`` (None when there is
    nothing to add), keeping every other byte."""
    from contractlint.flow.edits import fill_empty_value, insert_entries, insert_mapping_before, shared_nodes

    if not entries:
        return None
    task, flow = code.task, code.flow
    if task is None or flow is None or code.file is not flow.source:
        return Refusal("the code is not written in the flow")
    source = flow.source
    pairs = [(entry.name, json.dumps(entry.expression, ensure_ascii=False)) for entry in entries]
    if any(yn.scalar_text(key) == "<<" for key, _ in yn.items(task.node)):
        return Refusal("the task merges keys from an anchor (`<<`)")
    shared = shared_nodes(flow.root)
    if id(task.node) in shared:
        return Refusal("the task is an anchor other places use")
    found = task.get("env")
    if found is None:
        index = _entry_index(task, code.key_node)
        if index is None:
            return Refusal("the script's place in the task cannot be found")
        edit = insert_mapping_before(source, task.node, index, "env", pairs)
        return edit if edit is not None else Refusal("the task's keys are not laid out one per line")
    key_node, env = found
    if yn.is_scalar(env) and yn.tag_of(env) == "tag:yaml.org,2002:null":
        edit = fill_empty_value(source, key_node, env, pairs)
        return edit if edit is not None else Refusal("the task's `env` is null")
    if not yn.is_mapping(env):
        return Refusal("the task's `env` is a template, not a mapping")
    if id(env) in shared:
        return Refusal("the task's `env` is an anchor other places use")
    keys = [yn.scalar_text(k) for k, _ in yn.items(env)]
    if len(set(keys)) != len(keys):
        return Refusal("the task's `env` has duplicate keys")
    if any(key is None or "{{" in key or "{%" in key or key == "<<" for key in keys):
        return Refusal("the task's `env` has templated or merged keys")
    edit = insert_entries(source, env, pairs)
    return edit if edit is not None else Refusal("the task's `env` is a flow mapping written over several lines")


def _entry_index(task: Task, key_node: Any) -> int | None:
    """The index of the task's entry that holds ``key_node`` (``script``, or the
    ``inputFiles`` whose key it is)."""
    for index, (key, value) in enumerate(yn.items(task.node)):
        if key is key_node:
            return index
        if yn.is_mapping(value) and any(inner is key_node for inner, _ in yn.items(value)):
            return index
    return None
