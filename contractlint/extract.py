"""``contractlint extract``: move a long inline script into a project module.

Contract 1 wants inline scripts thin: import a module function, call it, emit what it
returns. ``extract FLOW_FILE TASK_ID --module acme.stages.enrich`` does that move
mechanically, and refuses when it cannot be done exactly:

* The script's **Pebble** expressions move into the task's ``env`` and are read with
  ``os.environ[...]``, as CL103's fix moves them (``rules.pebble_env``): same names,
  same refusals (Pebble in code, tags, ``secret()`` where defaults or policies should
  give it). ``{% raw %}`` tags alone on their line are dropped (the module is not
  rendered) and a ``{# … #}`` comment alone on its line becomes a Python comment.
* The **module** (``<src root>/acme/stages/enrich.py``, under the ``src`` root the flow
  file's settings name: the one already holding the package, else the first that is
  not the project root itself, else the first; ``--src`` chooses) gets the script's
  leading imports, its top-level functions and classes that need nothing else from the
  script (so they can be imported and tested), and ``def run()`` holding the rest of
  the script in order. A ``Kestra.outputs({...})`` statement becomes
  ``outputs.update({...})`` and ``run`` returns the dictionary; ``print`` output
  stays where it is (the wrapper runs in the same process, so Kestra reads the same
  stdout). ``if __name__ == "__main__":`` at the top level is inlined: the script ran
  as ``__main__``. A ``global x`` in a nested function becomes ``nonlocal x``: what
  was a script variable is a variable of ``run``.
* The **task's script** becomes the wrapper: ``from acme.stages.enrich import run``,
  the call, and ``Kestra.outputs(run())`` when the script emitted outputs — with
  ``sys.path.insert(0, "src")`` first when the module's ``src`` root is not the
  folder Kestra's working directory mirrors (the project root, or the
  ``namespace-files`` folder holding it).

Refused (exit 2, nothing written): a module that exists (in any ``src`` root), a
script that does not parse, ``return``/``yield``/``await`` at its top level, a
``global`` statement at its top level or one a nested function needs for a name only
it binds, a relative or star import below the leading imports, ``globals()``,
``locals()``, ``vars()``, ``dir()``, ``exec``/``eval`` without a namespace, module
globals (``__file__``, ``__name__`` outside the main guard), a builtin name the script
assigns after reading it (in a function the read would fail), Pebble that cannot move,
and a result that does not parse or that still breaks contract 1. Both files are
checked before anything is written; the module is created without replacing anything
and the flow is written as ``--fix`` writes it (``fixes.write_file``); ``--diff`` prints
both as unified diffs and writes nothing.

Static only, like the linter: the script is parsed, never run.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import os
import sys
import tokenize
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contractlint.config import Settings
    from contractlint.diagnostics import Edit
    from contractlint.flow.model import Flow, Task
    from contractlint.project import Project
    from contractlint.python.code import PythonCode
    from contractlint.resolver import Resolver

KESTRA_OUTPUTS = "kestra.Kestra.outputs"
# Names a module has of its own, which a script run as __main__ has differently.
MODULE_GLOBALS = frozenset(
    {"__name__", "__file__", "__doc__", "__spec__", "__loader__", "__package__", "__builtins__", "__cached__",
     "__annotations__", "__dict__"}
)
# Builtins that read or run code in the caller's namespace.
NAMESPACE_CALLS = frozenset({"locals", "vars", "dir", "exec", "eval"})
RAW_TAGS = frozenset({"raw", "endraw", "verbatim", "endverbatim"})
CONTRACT_1 = ("CL101", "CL102", "CL103")
PARSE_CODES = ("CL001", "CL002", "CL003")


class ExtractError(Exception):
    """The extraction is refused; the message says why."""


@dataclass(frozen=True)
class ExtractRequest:
    flow_file: Path
    task_id: str
    module: str  # dotted name: acme.stages.enrich
    function: str = "run"
    script: str | None = None  # which Python of the task (`script`, `inputFiles.main.py`) when it has several
    src: Path | None = None  # the src root to write under; default: chosen from the settings


@dataclass
class Extraction:
    flow_path: Path
    flow_shown: str
    flow_before: bytes
    flow_after: bytes
    module_path: Path
    module_shown: str
    module_text: str
    packages: list[Path]  # folders to create, each with an empty __init__.py
    env_added: tuple[str, ...]
    returns_outputs: bool
    hoisted: tuple[str, ...]
    wrapper_lines: int
    notes: list[str] = field(default_factory=list)


# -- planning ---------------------------------------------------------------------------------


def plan_extraction(request: ExtractRequest, resolver: Resolver) -> Extraction:
    """Everything ``extract`` would write, checked; raises ``ExtractError``."""
    from contractlint.config import ConfigError
    from contractlint.project import display_path
    from contractlint.runner import build_linter, in_large_stack

    _check_names(request)
    path = request.flow_file
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExtractError(f"cannot read {path}: {error.strerror}") from error
    try:
        settings = resolver.settings_for(path)
        linter = build_linter(settings)
    except ConfigError as error:
        raise ExtractError(str(error)) from error
    shown = display_path(path)
    return in_large_stack(lambda: _plan(request, settings, linter, path, shown, data))


def _plan(request: ExtractRequest, settings: Settings, linter: Any, path: Path, shown: str, data: bytes) -> Extraction:
    from contractlint.project import display_path
    from contractlint.source import SourceFile, UndecodableFile

    try:
        source = SourceFile.from_bytes(shown, data)
    except UndecodableFile as error:
        raise ExtractError(f"{shown} is not UTF-8 text: {error}") from error
    flow, task = _find_task(source, request.task_id)
    code = _task_code(flow, task, request.script)
    project = linter.project
    root = _src_root(request, settings, project)
    module_path = root.joinpath(*request.module.split(".")).with_suffix(".py")
    _check_module_is_new(request.module, module_path, project)
    moved_script, entries = _move_pebble(code, project)
    module_text, facts = _module_text(moved_script, request, flow, task, code)
    _check_module(module_text, module_path)
    wrapper = _wrapper(request, facts, _sys_path_entry(root, settings))
    flow_text = _rewrite_flow(code, wrapper, entries)
    flow_after = source.encode(flow_text)
    _check_flow(linter, shown, data, flow_after, request.task_id)
    packages = _new_packages(root, request.module)
    notes = _notes(task, settings, root)
    return Extraction(
        flow_path=path,
        flow_shown=shown,
        flow_before=data,
        flow_after=flow_after,
        module_path=module_path,
        module_shown=display_path(module_path),
        module_text=module_text,
        packages=packages,
        env_added=tuple(entry.name for entry in entries),
        returns_outputs=facts.outputs_name is not None,
        hoisted=facts.hoisted,
        wrapper_lines=len([line for line in wrapper if line.strip()]),
        notes=notes,
    )


def _check_names(request: ExtractRequest) -> None:
    parts = request.module.split(".")
    if not all(part.isidentifier() and not keyword.iskeyword(part) for part in parts):
        raise ExtractError(f"--module {request.module!r} is not a dotted Python module name")
    if parts[0] in getattr(sys, "stdlib_module_names", ()) or parts[0] in sys.builtin_module_names:
        raise ExtractError(f"--module {request.module!r} would shadow the standard library's {parts[0]!r}")
    if not request.function.isidentifier() or keyword.iskeyword(request.function):
        raise ExtractError(f"--function {request.function!r} is not a Python identifier")


def _find_task(source: Any, task_id: str) -> tuple[Flow, Task]:
    from contractlint.flow import yaml_nodes as yn
    from contractlint.flow.model import build_flow, document_extents, is_flow_root

    try:
        documents = yn.compose_documents(source)
    except yn.YamlError as error:
        raise ExtractError(f"{source.path}:{error.line}:{error.column}: YAML does not parse: {error.message}") from error
    found: list[tuple[Flow, Task]] = []
    flows = 0
    for root, extent in zip(documents, document_extents(source, documents)):
        if not is_flow_root(root):
            continue
        flows += 1
        flow = build_flow(source, root, extent)
        found.extend((flow, task) for task in flow.tasks if task.id == task_id)
    if not flows:
        raise ExtractError(f"{source.path} holds no Kestra flow")
    if not found:
        raise ExtractError(f"{source.path} has no task with id {task_id!r}")
    if len(found) > 1:
        where = ", ".join(f"line {task.node.start_mark.line + 1}" for _, task in found)
        raise ExtractError(f"{source.path} has {len(found)} tasks with id {task_id!r} ({where})")
    return found[0]


def _task_code(flow: Flow, task: Task, label: str | None) -> PythonCode:
    from contractlint.flow import yaml_nodes as yn
    from contractlint.python.code import PythonSyntaxError
    from contractlint.python.inline import include_of, task_python

    codes = list(task_python(flow, task))
    if label is not None:
        codes = [code for code in codes if code.label == label]
    if not codes:
        script = task.value("script")
        if label is None and yn.is_string(script) and include_of(script.value) is not None:
            raise ExtractError(f"task {task.id!r} already reads its script from a namespace file")
        what = f"no inline Python {label!r}" if label is not None else "no inline Python script"
        raise ExtractError(f"task {task.id!r} has {what}")
    if len(codes) > 1:
        labels = ", ".join(code.label for code in codes)
        raise ExtractError(f"task {task.id!r} has several inline Python files ({labels}); name one with --script")
    code = codes[0]
    try:
        code.parse()
    except PythonSyntaxError as error:
        raise ExtractError(f"the script of task {task.id!r} does not parse (script line {error.line}: "
                           f"{error.message})") from error
    if not yn.is_string(code.value_node) or (code.key_node is not None and _in_flow_style(flow, task, code)):
        raise ExtractError(f"the script of task {task.id!r} is written inside a flow-style mapping")
    return code


def _in_flow_style(flow: Flow, task: Task, code: PythonCode) -> bool:
    from contractlint.flow import yaml_nodes as yn

    if task.node.flow_style:
        return True
    files = task.value("inputFiles")
    return code.label != "script" and yn.is_mapping(files) and bool(files.flow_style)


def _src_root(request: ExtractRequest, settings: Settings, project: Project) -> Path:
    roots = [Path(os.path.abspath(root)) for root in settings.src]
    if not roots:
        raise ExtractError("the settings name no `src` root to write the module under")
    if request.src is not None:
        wanted = Path(os.path.abspath(request.src))
        if wanted not in roots:
            listed = ", ".join(_shown_root(project, root) for root in roots)
            raise ExtractError(f"--src {request.src} is not one of the `src` roots of the settings ({listed})")
        return wanted
    parts = request.module.split(".")
    for depth in range(len(parts) - 1, 0, -1):  # a root that already holds the package
        for root in roots:
            if root.joinpath(*parts[:depth]).is_dir():
                return root
    project_root = Path(os.path.abspath(settings.root))
    for root in roots:
        if root != project_root and root.is_dir():
            return root
    return roots[0]


def _shown_root(project: Project, root: Path) -> str:
    shown = project.relative(root)
    return shown if shown not in ("", ".") else ". (the project root)"


def _check_module_is_new(dotted: str, module_path: Path, project: Project) -> None:
    existing = project.find_module(dotted)
    if module_path.exists() or module_path.with_suffix("").is_dir():
        raise ExtractError(f"module {dotted} already exists ({project.relative(module_path)}); choose another "
                           "--module")
    if existing is not None:
        raise ExtractError(f"module {dotted} already exists ({project.relative(existing)}); choose another --module")
    parts = dotted.split(".")
    for depth in range(1, len(parts)):
        folder = module_path.parents[len(parts) - 1 - depth]
        if folder.with_suffix(".py").is_file():
            raise ExtractError(f"{project.relative(folder.with_suffix('.py'))} is a module, so {dotted} cannot be a "
                               "module inside it")


def _new_packages(root: Path, dotted: str) -> list[Path]:
    parts = dotted.split(".")[:-1]
    return [root.joinpath(*parts[: depth + 1]) for depth in range(len(parts)) if not root.joinpath(*parts[: depth + 1]).exists()]


def _sys_path_entry(root: Path, settings: Settings) -> str | None:
    """The ``sys.path`` entry the wrapper adds: the ``src`` root relative to the folder
    Kestra's working directory mirrors — a ``namespace-files`` folder holding it, else
    the project root; None when that is the root itself (the script's own folder is
    on ``sys.path``)."""
    bases = [Path(os.path.abspath(folder)) for folder in settings.namespace_files if "{namespace}" not in str(folder)]
    bases.append(Path(os.path.abspath(settings.root)))
    for base in bases:
        try:
            relative = root.relative_to(base)
        except ValueError:
            continue
        return None if relative == Path(".") else relative.as_posix()
    raise ExtractError(f"the `src` root {root} is outside the project ({settings.root}): the task could not find it")


# -- Pebble ---------------------------------------------------------------------------------------


def _move_pebble(code: PythonCode, project: Project) -> tuple[str, tuple[Any, ...]]:
    """The script with its Pebble moved into env (the entries to add), or why not."""
    from contractlint.python.pebble import COMMENT, contexts
    from contractlint.rules.pebble_env import EnvNames, Move, Refusal, expression_refusal, place_of, plan_move

    names = EnvNames.for_task(code, project)
    edits: list[tuple[int, int, str]] = []
    entries: list[Any] = []
    done: set[int] = set()
    where = contexts(code.raw, code.pebble)
    for pebble, context in zip(code.pebble, where):
        line, _ = code.code_position(pebble.start)
        shown = " ".join(pebble.text.split())
        if context == COMMENT:
            continue  # in a Python comment: the module is not rendered, the text stays a comment
        if pebble.kind != "expression":
            edit = _drop_construct(code, pebble)
            if edit is None:
                raise ExtractError(f"Pebble `{shown}` (script line {line}) generates code; rewrite it in Python first")
            edits.append(edit)
            continue
        refusal = expression_refusal(code, pebble, project)
        place = place_of(code, pebble) if refusal is None else refusal
        if isinstance(place, Refusal):
            raise ExtractError(f"Pebble `{shown}` (script line {line}) cannot move into env: {place.reason}")
        if place.key in done:
            continue
        done.add(place.key)
        move = plan_move(code, place, names, project)
        if not isinstance(move, Move):
            raise ExtractError(f"Pebble `{shown}` (script line {line}) cannot move into env: {move.reason}")
        edits.extend(move.edits)
        entries.extend(move.entries)
    return _apply(code.raw, edits), tuple(entries)


def _drop_construct(code: PythonCode, pebble: Any) -> tuple[int, int, str] | None:
    """A ``{% raw %}``-like tag alone on its line is dropped (the module is not
    rendered); a one-line ``{# … #}`` alone on its line becomes a Python comment."""
    raw = code.raw
    line_start = raw.rfind("\n", 0, pebble.start) + 1
    line_end = raw.find("\n", pebble.end)
    line_end = len(raw) if line_end == -1 else line_end
    alone = not raw[line_start : pebble.start].strip() and not raw[pebble.end : line_end].strip()
    if not alone:
        return None
    if pebble.kind == "tag" and pebble.inner.split()[:1] and pebble.inner.split()[0].lower() in RAW_TAGS:
        return (line_start, min(line_end + 1, len(raw)), "")
    if pebble.kind == "comment" and "\n" not in pebble.text:
        return (pebble.start, pebble.end, f"# {pebble.inner}".rstrip())
    return None


# -- the module ---------------------------------------------------------------------------------


@dataclass
class ModuleFacts:
    outputs_name: str | None  # the dictionary `run` returns, when the script emitted outputs
    hoisted: tuple[str, ...]  # functions and classes moved to the module level
    imports_os: bool


def _module_text(script: str, request: ExtractRequest, flow: Flow, task: Task, code: PythonCode) -> tuple[str, ModuleFacts]:
    from contractlint.python.code import PythonSyntaxError, module_code
    from contractlint.source import SourceFile

    rewritten = module_code(SourceFile("<script>", script))
    try:
        analysis = rewritten.parse()
    except PythonSyntaxError as error:
        raise ExtractError(f"the script with its Pebble moved does not parse (line {error.line}: {error.message})"
                           ) from error
    tree = rewritten.tree
    edits: list[tuple[int, int, str]] = []
    guard = _main_guard(tree)
    _refuse_what_changes_meaning(rewritten, analysis, guard)
    edits += _globals_to_nonlocals(rewritten, analysis)
    outputs_name, replaced_roots, outputs_in = _outputs(rewritten, analysis, request.function)
    if outputs_name is not None:
        edits += [(start, end, f"{outputs_name}.update") for start, end in replaced_roots]
    header, body = _split(rewritten, tree)
    if any(_binds_top_level(analysis, request.function)):
        raise ExtractError(f"the script already binds {request.function!r} at its top level; choose another --function")
    hoisted = _hoistable(rewritten, analysis, header, body, outputs_in, guard)
    drop_kestra = outputs_name is not None and _kestra_unused(rewritten, analysis, replaced_roots, header)
    string_lines = _string_continuation_lines(script)
    indent = "\t" if _uses_tabs(script, string_lines) else "    "
    edited = _apply(script, edits)
    if edited != script:
        # The edits keep every line (they replace words): the line model still holds.
        assert edited.count("\n") == script.count("\n")
    lines = edited.split("\n")

    docstring = _docstring(rewritten, tree)
    header_lines = _header_lines(lines, rewritten, header, docstring, drop_kestra)
    imports_os = _binds_os(analysis) or "import os" in "\n".join(header_lines)
    needs_os = "os.environ[" in edited and not _binds_os(analysis)
    if needs_os:
        header_lines.append("import os")
    top = f'"""{request.function}() of task `{task.id}` of flow `{flow.ref or flow.id}`, moved out of its inline '
    top += 'script by `contractlint extract`."""\n'
    if header_lines:
        top += "\n" + "\n".join(header_lines).strip("\n") + "\n"
    definitions = ["\n".join(lines[body[statement][0] - 1 : body[statement][1]]).strip("\n") for statement in hoisted]
    definitions.append(
        "\n".join(_function_lines(request.function, lines, body, hoisted, guard, outputs_name, indent, string_lines,
                                  docstring))
    )
    module = top + "\n\n" + "\n\n\n".join(definitions) + "\n"
    names = tuple(_statement_name(statement) for statement in hoisted)
    return module, ModuleFacts(outputs_name=outputs_name, hoisted=names, imports_os=imports_os or needs_os)


def _apply(text: str, edits: list[tuple[int, int, str]]) -> str:
    from contractlint.diagnostics import Edit, Span
    from contractlint.fixes import apply_edits

    nowhere = Span(1, 1, 1, 1)
    return apply_edits(text, [Edit(start, end, content, nowhere) for start, end, content in edits])


def _main_guard(tree: ast.Module) -> ast.If | None:
    """``if __name__ == "__main__":`` at the top level, without ``else``: the body ran."""
    from contractlint.python.environ import is_main_guard

    for statement in tree.body:
        if isinstance(statement, ast.If) and is_main_guard(statement.test):
            if not isinstance(statement.test.ops[0], ast.Eq) or statement.orelse:
                raise ExtractError(f"line {statement.lineno}: a `__name__` test other than `if __name__ == "
                                   "\"__main__\":` changes meaning in a module")
            return statement
    return None


def _refuse_what_changes_meaning(code: PythonCode, analysis: Any, guard: ast.If | None) -> None:
    module_scope = analysis.module_scope
    guard_names = {id(node) for node in ast.walk(guard.test)} if guard is not None else set()
    for kind in (ast.Return, ast.Yield, ast.YieldFrom, ast.Await):
        for node in analysis.nodes(kind):
            if _function_scope(analysis, node) is None:
                word = {ast.Return: "return", ast.Yield: "yield", ast.YieldFrom: "yield from", ast.Await: "await"}[kind]
                raise ExtractError(f"line {node.lineno}: `{word}` at the top level of the script")
    for node in analysis.nodes(ast.Global):
        if analysis.scope_of(node) is module_scope:
            raise ExtractError(f"line {node.lineno}: a `global` statement at the top level of the script")
    for node in analysis.nodes(ast.ImportFrom):
        if node.level:
            raise ExtractError(f"line {node.lineno}: a relative import (the script has no package)")
        if any(alias.name == "*" for alias in node.names) and node not in _leading(code, code.tree):
            raise ExtractError(f"line {node.lineno}: `from {node.module} import *` below the leading imports")
    for node in analysis.nodes(ast.Name):
        if not isinstance(node.ctx, ast.Load) or id(node) in guard_names:
            continue
        bindings = analysis.lookup(node.id, analysis.scope_of(node))
        builtin = not bindings or all(binding.kind == "builtin" for binding in bindings)
        if node.id in MODULE_GLOBALS and builtin:
            raise ExtractError(f"line {node.lineno}: `{node.id}` is the script's own, and a module has another")
    for node in analysis.nodes(ast.Call):
        func = node.func
        if not isinstance(func, ast.Name) or not all(b.kind == "builtin" for b in analysis.bindings_of(func)):
            continue
        if func.id == "globals":
            raise ExtractError(f"line {node.lineno}: `globals()` would see the module's names, not the script's")
        if func.id in NAMESPACE_CALLS and analysis.scope_of(node) is module_scope:
            explicit = func.id in ("exec", "eval") and len(node.args) + len(node.keywords) >= 2
            if (func.id in ("vars", "dir") and node.args) or explicit:
                continue
            raise ExtractError(f"line {node.lineno}: `{func.id}()` reads the script's namespace, which becomes a "
                               "function's")
    _refuse_shadowed_builtins(code, analysis)


def _function_scope(analysis: Any, node: ast.AST) -> Any:
    """The function (or lambda) scope ``node`` runs in, None at the top level (or in a
    class body there)."""
    for scope in analysis.scope_chain(analysis.scope_of(node)):
        if scope.kind == "function":
            return scope
    return None


def _refuse_shadowed_builtins(code: PythonCode, analysis: Any) -> None:
    """A builtin name the script assigns: at the top level a read that runs before the
    assignment finds the builtin, in a function it is an unbound local. Accepted when
    every read is dominated by a binding — an earlier statement of the same block or of
    a block around it (a loop's, ``with``'s or ``except``'s own target covers its
    body) — and the name is never deleted."""
    module_scope = analysis.module_scope
    blocks = _blocks(code.tree)
    for name, bindings in module_scope.bindings.items():
        if not hasattr(builtins, name) or name.startswith("__"):
            continue
        top = [b for b in bindings if analysis.scope_of(b.node) is module_scope]
        if not top:
            continue
        reads = [
            node for node in analysis.nodes(ast.Name)
            if node.id == name and (isinstance(node.ctx, ast.Load) or isinstance(analysis.parent(node), ast.AugAssign))
            and any(b.scope is module_scope for b in analysis.lookup(name, analysis.scope_of(node)))
        ]
        deleted = any(b.kind == "del" for b in top)
        for read in reads:
            if deleted or not any(_dominates(analysis, blocks, binding, read) for binding in top):
                raise ExtractError(f"line {read.lineno}: the script assigns the builtin name `{name}` and reads it "
                                   "where the builtin may still be meant; in a function that read would fail")


# Statements that bind their names whenever they run to the end, and those that bind
# a target for the body they open.
_BINDS_ALWAYS = (ast.Assign, ast.AnnAssign, ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                 ast.ClassDef)
_BINDS_FOR_BODY = (ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.ExceptHandler)


def _blocks(tree: ast.Module) -> dict[int, tuple[int, int]]:
    """Every statement's block (the id of the list holding it) and its index there."""
    found: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody", "handlers", "cases"):
            block = getattr(node, name, None)
            if isinstance(block, list):
                for index, child in enumerate(block):
                    found[id(child)] = (id(block), index)
    return found


def _statement_of(analysis: Any, node: ast.AST) -> ast.AST:
    """The statement (or ``except`` clause, or ``case``) holding ``node``."""
    current: Any = node
    while not isinstance(current, (ast.stmt, ast.excepthandler, ast.match_case)):
        current = analysis.parent(current)
    return current


def _dominates(analysis: Any, blocks: dict[int, tuple[int, int]], binding: Any, read: ast.AST) -> bool:
    """``binding`` has happened whenever ``read`` runs, structurally (no flow analysis:
    what it rejects is a read that can run before any binding)."""
    bound = _statement_of(analysis, binding.statement if binding.statement is not None else binding.node)
    chain = [_statement_of(analysis, read)]
    while analysis.parent(chain[-1]) is not None and analysis.parent(chain[-1]) is not analysis.tree:
        chain.append(_statement_of(analysis, analysis.parent(chain[-1])))
    if isinstance(bound, _BINDS_FOR_BODY):
        return any(statement is bound for statement in chain[1:]) and _in_body(analysis, read, bound)
    if not isinstance(bound, _BINDS_ALWAYS):
        return False
    block, index = blocks.get(id(bound), (None, -1))
    return any(
        id(statement) in blocks and blocks[id(statement)][0] == block and blocks[id(statement)][1] > index
        for statement in chain
    )


def _in_body(analysis: Any, read: ast.AST, opener: ast.AST) -> bool:
    """``read`` is in the body ``opener`` binds for (not a loop's ``else``, its
    iterable, or a ``with``'s own expressions)."""
    current: Any = read
    while analysis.parent(current) is not opener:
        current = analysis.parent(current)
    return any(current is child for child in getattr(opener, "body", []))


def _top_statement(analysis: Any, node: ast.AST) -> ast.stmt | None:
    """The top-level statement of the script that holds ``node``."""
    current: Any = node
    while current is not None and not (isinstance(current, ast.stmt) and analysis.parent(current) is analysis.tree):
        current = analysis.parent(current)
    return current


def _globals_to_nonlocals(code: PythonCode, analysis: Any) -> list[tuple[int, int, str]]:
    """``global x`` in a nested function, for a script variable ``x``: ``nonlocal x``
    once the script is a function — when ``x`` is bound at the script's top level and
    no function in between binds it."""
    edits = []
    module_scope = analysis.module_scope
    for node in analysis.nodes(ast.Global):
        scope = analysis.scope_of(node)
        for name in node.names:
            bindings = module_scope.bindings.get(name, [])
            if not any(analysis.scope_of(b.node) is module_scope and b.kind != "del" for b in bindings):
                raise ExtractError(f"line {node.lineno}: `global {name}` names a variable only functions bind; in a "
                                   "module function it would not be the script's")
            current = scope.parent
            while current is not None and current is not module_scope:
                if current.kind == "function" and (name in current.bindings or name in current.declared):
                    raise ExtractError(f"line {node.lineno}: `global {name}` skips a function that binds `{name}`")
                current = current.parent
        start, _ = code.node_offsets(node)
        edits.append((start, start + len("global"), "nonlocal"))
    return edits


def _outputs(code: PythonCode, analysis: Any, function: str) -> tuple[str | None, list[tuple[int, int]], set[int]]:
    """The name of the outputs dictionary (None when the script emits no outputs), the
    offsets of each ``Kestra.outputs`` to replace, and the ids of the statements
    holding one (those cannot move to the module level)."""
    calls = []
    for node in analysis.nodes(ast.Attribute):
        if not any(name.name == KESTRA_OUTPUTS for name in analysis.qualified_names(node)):
            continue
        call = analysis.parent(node)
        statement = analysis.parent(call) if isinstance(call, ast.Call) else None
        if not (isinstance(call, ast.Call) and call.func is node and isinstance(statement, ast.Expr)
                and len(call.args) == 1 and not call.keywords and not isinstance(call.args[0], ast.Starred)):
            raise ExtractError(f"line {node.lineno}: `Kestra.outputs` is used other than as `Kestra.outputs({{…}})` on "
                               "a line of its own")
        calls.append(node)
    if not calls:
        return None, [], set()
    used = _names_in(code.tree) | {function}
    name = next(candidate for candidate in _outputs_names() if candidate not in used)
    holders: set[int] = set()
    for node in calls:
        top = _top_statement(analysis, node)
        if top is not None:
            holders.add(id(top))
    return name, [code.node_offsets(node) for node in calls], holders


def _names_in(tree: ast.AST) -> set[str]:
    """Every name the code writes: variables, parameters, definitions, imports."""
    found: set[str] = set()
    for node in ast.walk(tree):
        for attribute in ("id", "arg", "name", "asname"):
            value = getattr(node, attribute, None)
            if isinstance(value, str):
                found.add(value.split(".")[0])
    return found


def _outputs_names():
    yield from ("outputs", "kestra_outputs", "task_outputs")
    number = 2
    while True:
        yield f"outputs_{number}"
        number += 1


def _kestra_unused(code: PythonCode, analysis: Any, replaced: list[tuple[int, int]], header: list[ast.stmt]) -> bool:
    """``from kestra import Kestra`` serves nothing once its outputs calls are gone."""
    names = {
        alias.asname or alias.name
        for statement in header if isinstance(statement, ast.ImportFrom) and statement.module == "kestra"
        for alias in statement.names if alias.name == "Kestra"
    }
    if not names:
        return False
    starts = {start for start, _ in replaced}
    for node in analysis.nodes(ast.Name):
        if node.id in names and isinstance(node.ctx, ast.Load) and code.node_offsets(node)[0] not in starts:
            return False
    return True


def _leading(code: PythonCode, tree: ast.Module) -> list[ast.stmt]:
    """The docstring and the imports the script starts with, each on lines of their
    own (a line that also holds other code ends them)."""
    found: list[ast.stmt] = []
    for index, line in enumerate(code.statement_lines(tree.body)):
        if index == 0 and len(line) == 1 and _is_docstring(line[0]):
            found.append(line[0])
            continue
        if all(isinstance(statement, (ast.Import, ast.ImportFrom)) for statement in line):
            found.extend(line)
            continue
        break
    return found


def _is_docstring(statement: ast.stmt) -> bool:
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant) and isinstance(
        statement.value.value, str
    )


def _split(code: PythonCode, tree: ast.Module) -> tuple[list[ast.stmt], dict[ast.stmt, tuple[int, int]]]:
    """The leading statements, and the lines (first, last; 1-based) of every other
    top-level statement: from the line after the one before it ends, so the comments
    above a statement go with it; the last takes the comments after it."""
    leading = _leading(code, tree)
    rest = tree.body[len(leading):]
    lines: dict[ast.stmt, tuple[int, int]] = {}
    previous_end = leading[-1].end_lineno if leading else 0
    total = len(code.line_starts)
    for index, statement in enumerate(rest):
        last = statement.end_lineno
        if index == len(rest) - 1:
            last = total
        lines[statement] = (previous_end + 1, last)
        previous_end = statement.end_lineno
    return leading, lines


def _binds_top_level(analysis: Any, name: str) -> list[Any]:
    return [b for b in analysis.module_scope.bindings.get(name, []) if analysis.scope_of(b.node) is analysis.module_scope]


def _binds_os(analysis: Any) -> bool:
    return any(
        b.is_import and b.qualified_names("os") == {_qualified("os")} for b in analysis.module_scope.bindings.get("os", [])
    )


def _qualified(name: str) -> Any:
    from contractlint.python.analysis import IMPORT, QualifiedName

    return QualifiedName(name, IMPORT)


def _hoistable(
    code: PythonCode, analysis: Any, header: list[ast.stmt], body: dict[ast.stmt, tuple[int, int]],
    outputs_in: set[int], guard: ast.If | None,
) -> list[ast.stmt]:
    """Top-level functions and classes that need nothing of the script but its leading
    imports, the builtins and each other: they move to the module level (importable,
    testable) in their order."""
    module_scope = analysis.module_scope
    header_bindings = {
        id(b) for name, bindings in module_scope.bindings.items() for b in bindings
        if b.is_import and any(b.statement is statement for statement in header)
    }
    candidates = [
        statement for statement in body
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
        and id(statement) not in outputs_in and statement is not guard
        and len(module_scope.bindings.get(statement.name, [])) == 1
        and not any(isinstance(node, (ast.Global, ast.Nonlocal)) for node in ast.walk(statement))
    ]
    hoisted = {id(statement) for statement in candidates}
    changed = True
    while changed:
        changed = False
        for statement in candidates:
            if id(statement) not in hoisted:
                continue
            for node in ast.walk(statement):
                if not isinstance(node, ast.Name) or not isinstance(node.ctx, ast.Load):
                    continue
                for binding in analysis.lookup(node.id, analysis.scope_of(node)):
                    if binding.scope is not module_scope:
                        continue
                    fine = id(binding) in header_bindings or (
                        binding.kind in ("def", "class") and id(binding.node) in hoisted
                    )
                    if not fine:
                        hoisted.discard(id(statement))
                        changed = True
                        break
                if id(statement) not in hoisted:
                    break
    return [statement for statement in candidates if id(statement) in hoisted]


def _statement_name(statement: ast.stmt) -> str:
    return getattr(statement, "name", "")


def _docstring(code: PythonCode, tree: ast.Module) -> str | None:
    leading = _leading(code, tree)
    if leading and _is_docstring(leading[0]):
        return code.source_text(leading[0])
    return None


def _header_lines(
    lines: list[str], code: PythonCode, header: list[ast.stmt], docstring: str | None, drop_kestra: bool
) -> list[str]:
    """The script's leading lines without its docstring (it goes to the function) and,
    when no longer needed, ``from kestra import Kestra``."""
    if not header:
        return []
    start = 1
    kept: list[str] = []
    skip: set[int] = set()
    for statement in header:
        if docstring is not None and statement is header[0]:
            skip.update(range(statement.lineno, statement.end_lineno + 1))
        if drop_kestra and isinstance(statement, ast.ImportFrom) and statement.module == "kestra" and [
            a.name for a in statement.names
        ] == ["Kestra"]:
            skip.update(range(statement.lineno, statement.end_lineno + 1))
    for number in range(start, header[-1].end_lineno + 1):
        if number not in skip:
            kept.append(lines[number - 1].rstrip())
    while kept and not kept[0].strip():
        kept.pop(0)
    return kept


def _string_continuation_lines(text: str) -> set[int]:
    """Lines that start inside a string literal (the second and later lines of a
    multi-line string): their leading spaces are the string's, never re-indented."""
    import warnings

    inside: set[int] = set()
    fstring_start = getattr(tokenize, "FSTRING_START", None)
    fstring_end = getattr(tokenize, "FSTRING_END", None)
    depth = 0
    opened_line = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        except (tokenize.TokenError, SyntaxError) as error:
            raise ExtractError(f"the script cannot be tokenized to re-indent it ({error})") from error
        for token in tokens:
            if token.type == tokenize.STRING and token.end[0] > token.start[0]:
                inside.update(range(token.start[0] + 1, token.end[0] + 1))
            elif fstring_start is not None and token.type == fstring_start:
                if depth == 0:
                    opened_line = token.start[0]
                depth += 1
            elif fstring_end is not None and token.type == fstring_end:
                depth -= 1
                if depth == 0 and token.end[0] > opened_line:
                    inside.update(range(opened_line + 1, token.end[0] + 1))
    return inside


def _uses_tabs(text: str, string_lines: set[int]) -> bool:
    return any(
        line.startswith("\t") for number, line in enumerate(text.split("\n"), start=1) if number not in string_lines
    )


def _function_lines(
    function: str, lines: list[str], body: dict[ast.stmt, tuple[int, int]], hoisted: list[ast.stmt],
    guard: ast.If | None, outputs_name: str | None, indent: str, string_lines: set[int], docstring: str | None,
) -> list[str]:
    """``def run():`` and the script's statements, in order, one level deeper (blank
    lines between them at most one, as inside a function)."""
    moved = {id(statement) for statement in hoisted}
    shifted: list[tuple[str, bool]] = []  # (line, inside a string)
    for statement in (statement for statement in body if id(statement) not in moved):
        first, last = body[statement]
        remove, start = "", first
        if statement is guard:
            for number in range(first, guard.lineno):  # the comments above the guard
                shifted.append((_shifted(lines[number - 1], number, "", indent, string_lines), number in string_lines))
            head = guard.body[0]
            if head.lineno == guard.lineno:  # `if __name__ == "__main__": main()`
                text = lines[guard.lineno - 1]
                shifted.append((indent + text[text.index(":", len(text) - len(text.lstrip())) + 1 :].strip(), False))
                continue
            line = lines[head.lineno - 1]
            remove, start = line[: len(line) - len(line.lstrip())], guard.lineno + 1
        for number in range(start, last + 1):
            shifted.append((_shifted(lines[number - 1], number, remove, indent, string_lines), number in string_lines))
    statements: list[str] = []
    for line, in_string in shifted:
        if not in_string and not line and (not statements or not statements[-1]):
            continue  # no blank line first, none doubled
        statements.append(line)
    while statements and not statements[-1]:
        statements.pop()
    out = [f"def {function}()" + (" -> dict:" if outputs_name is not None else " -> None:")]
    if docstring is not None:
        out.append(indent + docstring.replace("\n", "\n" + indent))
    if outputs_name is not None:
        out.append(f"{indent}{outputs_name}: dict = {{}}")
    out += statements
    if outputs_name is not None:
        out.append(f"{indent}return {outputs_name}")
    if len(out) == 1:
        out.append(indent + "pass")
    return out


def _shifted(line: str, number: int, remove: str, indent: str, string_lines: set[int]) -> str:
    if number in string_lines:
        return line
    if not line.strip():
        return ""
    if remove and line.startswith(remove):
        line = line[len(remove) :]
    return indent + line.rstrip()


def _check_module(text: str, path: Path) -> None:
    """The module parses, and its scopes are what CPython's compiler accepts (its symbol
    table judges ``nonlocal``), as the linter parses any module: code for a newer
    Python than this one is read as that Python would read it. Read, never run."""
    from contractlint.python.code import PythonSyntaxError, module_code
    from contractlint.source import SourceFile

    try:
        module_code(SourceFile(str(path), text)).parse()
    except PythonSyntaxError as error:
        raise ExtractError(f"the module would not compile (line {error.line}: {error.message}); nothing written"
                           ) from error


# -- the flow ---------------------------------------------------------------------------------------


def _wrapper(request: ExtractRequest, facts: ModuleFacts, sys_path: str | None) -> list[str]:
    lines = []
    if sys_path is not None:
        import json

        entry = json.dumps(sys_path, ensure_ascii=False)
        lines += ["import sys", "", f"sys.path.insert(0, {entry})  # the project's modules, from its namespace files"]
    lines.append(f"from {request.module} import {request.function}")
    if facts.outputs_name is not None:
        lines += ["from kestra import Kestra", "", f"Kestra.outputs({request.function}())"]
    else:
        lines += ["", f"{request.function}()"]
    return lines


def _rewrite_flow(code: PythonCode, wrapper: list[str], entries: tuple[Any, ...]) -> str:
    from contractlint.fixes import apply_edits
    from contractlint.rules.pebble_env import Refusal, env_edit

    source = code.file
    edits: list[Edit] = [_script_edit(code, wrapper)]
    yaml_edit = env_edit(code, entries)
    if isinstance(yaml_edit, Refusal):
        raise ExtractError(f"the script's Pebble cannot move into the task's env: {yaml_edit.reason}")
    if yaml_edit is not None:
        edits.append(yaml_edit)
    return apply_edits(source.text, edits)


def _script_edit(code: PythonCode, wrapper: list[str]) -> Edit:
    """Replace the script's text: inside a literal block, its lines (the header and
    what follows the block stay); any other scalar becomes a literal block."""
    from contractlint.flow import yaml_nodes as yn

    source = code.file
    node = code.value_node
    start = yn.start_offset(node)
    end = yn.end_offset(source, node)
    newline = source.newline_at(start)
    if code.code_map.exact and node.style == "|":
        indent = " " * code.code_map.indent if code.code_map.indent else " " * (code.key_node.start_mark.column + 2)
        content_start = source.next_line_start(start)
        body = newline.join(indent + line if line else "" for line in wrapper)
        return source.edit(content_start, end, body)
    indent = " " * (code.key_node.start_mark.column + 2)
    block = "|" + newline + newline.join(indent + line if line else "" for line in wrapper)
    return source.edit(start, end, block)


def _check_flow(linter: Any, shown: str, before: bytes, after: bytes, task_id: str) -> None:
    """The rewritten flow parses as well as it did and the task's script keeps
    contract 1 (CL101, CL102 and CL103 run whatever the settings select)."""
    from contractlint.runner import build_linter

    settings = linter.settings
    checking = build_linter(replace(settings, enabled=frozenset(settings.enabled) | set(CONTRACT_1) | set(PARSE_CODES)))
    old = checking.lint_bytes(shown, before)
    new = checking.lint_bytes(shown, after)
    if new.kind != "flow" or new.parse_errors > old.parse_errors:
        raise ExtractError("internal error: the rewritten flow does not parse; nothing written")
    left = [d for d in new.diagnostics if d.code in CONTRACT_1 and d.task == task_id]
    if left:
        raise ExtractError(f"internal error: the wrapper would still be reported ({left[0].code}: {left[0].message}); "
                           "nothing written")


def _notes(task: Task, settings: Settings, root: Path) -> list[str]:
    from contractlint.flow import yaml_nodes as yn

    namespace_files = task.value("namespaceFiles")
    enabled = yn.scalar_text(yn.get_value(namespace_files, "enabled")) if yn.is_mapping(namespace_files) else None
    if enabled is not None and enabled.lower() == "true":
        return []
    return [
        "note: Kestra runs the script in a working directory of its own: the module must be there at run time — "
        "sync the project to namespace files and set `namespaceFiles: {enabled: true}` on the task, or install "
        "the package in the task's container image (README: extract)"
    ]


# -- writing -------------------------------------------------------------------------------------------


def diff_text(extraction: Extraction) -> str:
    """Both files as unified diffs, the module from /dev/null."""
    from contractlint.runner import unified_diff

    flow = unified_diff(
        extraction.flow_before.decode("utf-8-sig"), extraction.flow_after.decode("utf-8-sig"), extraction.flow_shown
    )
    import difflib

    module = "".join(
        difflib.unified_diff([], extraction.module_text.splitlines(keepends=True), fromfile="/dev/null",
                             tofile=f"b/{extraction.module_shown}")
    )
    return flow + module


def write_extraction(extraction: Extraction) -> None:
    """Create the module (never replacing a file) and its packages, then write the
    flow as ``--fix`` writes a user's file; if the flow cannot be written, remove what
    was created."""
    from contractlint.fixes import NotWritten, create_file, write_file

    try:
        current = extraction.flow_path.read_bytes()
    except OSError as error:
        raise ExtractError(f"cannot read {extraction.flow_shown}: {error.strerror}") from error
    if current != extraction.flow_before:
        raise ExtractError(f"{extraction.flow_shown} changed while it was being read; nothing written")
    created: list[Path] = []
    target = extraction.module_path
    try:
        for folder in extraction.packages:
            target = folder
            folder.mkdir()
            created.append(folder)
            target = folder / "__init__.py"
            create_file(target, b"")
            created.append(target)
        target = extraction.module_path
        target.parent.mkdir(parents=True, exist_ok=True)
        create_file(target, extraction.module_text.encode("utf-8"))
        created.append(target)
        target = extraction.flow_path
        write_file(target, extraction.flow_after, current)
    except (OSError, NotWritten) as error:
        for path in reversed(created):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()
        reason = error.reason if isinstance(error, NotWritten) else error.strerror or str(error)
        raise ExtractError(f"cannot write {target}: {reason}; nothing written") from error
