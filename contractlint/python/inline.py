"""Find the Python of a flow's tasks: Script tasks' ``script`` and ``*.py`` input
files written inline, and the namespace files they include instead.

A value that is wholly ``{{ read('scripts/etl.py') }}`` (optionally inside
``render(…)``), or a file URI (``nsfile:///scripts/etl.py``, Kestra 0.24+), is not
Python with a template in it: Kestra puts that file's content there. The file is
found under the ``namespace-files`` folders (in order; ``{namespace}`` in a folder
stands for the flow's namespace) and linted as the task's Python by the rules that
need the task (CL203), in its own coordinates. An include that does not resolve —
another namespace, an internal-storage URI, a computed path — is skipped.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import Flow, Task
from contractlint.python.code import PythonCode, inline_code, module_code
from contractlint.python.pebble import find_pebble, mask

if TYPE_CHECKING:
    from contractlint.project import Project

# Tasks whose `script` property is Python source. Kestra keeps old type names
# working as aliases, so flows in the wild use all of them.
PYTHON_SCRIPT_TYPES = frozenset(
    {
        "io.kestra.plugin.scripts.python.Script",
        "io.kestra.core.tasks.scripts.Python",  # pre-0.9 scripts, `inputFiles`-based
    }
)

# `read('path')`, `read('path', namespace='other')` or `render(read(…))`, the whole of
# one expression; the arguments are kept as written (Pebble string literals, or not).
_READ = re.compile(
    r"(?P<render>render\(\s*)?read\(\s*(?P<argument>[^(),]*?)\s*"
    r"(?:,\s*(?:namespace\s*=\s*)?(?P<namespace>[^(),]*?)\s*)?\)(?(render)\s*\))"
)
_STRING = re.compile(r"'([^'\\]*)'|\"([^\"\\]*)\"")
# Kestra 0.24's file protocol (`nsfile:///path`, `nsfile://namespace/path`, `file:///path`)
# and internal-storage URIs: a file fetched by Kestra, not source written here.
_FILE_URI = re.compile(r"(?P<scheme>nsfile|file|kestra)://(?P<rest>\S*)")


@dataclass(frozen=True)
class Include:
    """A value that names a file instead of holding source."""

    path: str | None  # the namespace file's path; None when it cannot be known statically
    rendered: bool  # inside `render(…)`: Pebble in the file is rendered first
    namespace: str | None = None  # another namespace's file (`read('p', namespace='x')`)


def is_python_script_task(task_type: str | None) -> bool:
    return task_type in PYTHON_SCRIPT_TYPES


def inline_python(flow: Flow) -> Iterator[PythonCode]:
    """Every piece of inline Python in the flow, in document order."""
    for task in flow.tasks:
        yield from task_python(flow, task)


def task_python(flow: Flow, task: Task) -> Iterator[PythonCode]:
    for key_node, value_node, label in _python_values(task):
        if include_of(value_node.value) is None:
            yield inline_code(flow.source, flow, task, key_node, value_node, label)


def included_python(flow: Flow, project: Project) -> Iterator[PythonCode]:
    """The namespace files the flow's tasks include as their Python, each as that
    task's code (its ``flow`` and ``task`` set) in the file's own coordinates. A file
    that cannot be read or parsed is left to its own lint."""
    for task in flow.tasks:
        for key_node, value_node, label in _python_values(task):
            include = include_of(value_node.value)
            if include is None or include.path is None:
                continue
            path = project.find_namespace_file(flow.namespace, include.path, include.namespace)
            source = project.source_file(path) if path is not None else None
            if source is None:
                continue
            shown = f"{label} ({source.path})"
            pebble = find_pebble(source.text) if include.rendered else []
            if pebble:
                # Kestra renders the file: its Pebble is masked as in an inline script.
                module = module_code(source)
                yield dataclasses.replace(
                    module, text=mask(source.text, pebble), pebble=pebble, label=shown, flow=flow, task=task,
                    key_node=key_node, value_node=value_node,
                )
                continue
            module = project.module_code(path)
            if module is not None:  # the module's own parse, shared
                yield dataclasses.replace(
                    module, label=shown, flow=flow, task=task, key_node=key_node, value_node=value_node
                )


def _python_values(task: Task) -> Iterator[tuple[Any, Any, str]]:
    """(key node, value node, label) of each string value of the task that Kestra
    runs as Python."""
    if is_python_script_task(task.type):
        pair = task.get("script")
        if pair and yn.is_string(pair[1]):
            yield pair[0], pair[1], "script"
    # A `*.py` input file is Python whatever task runs it (python.Commands, a shell
    # task that calls `python main.py`, the legacy Python task).
    input_files = task.value("inputFiles")
    for key_node, value_node in yn.items(input_files):
        name = yn.scalar_text(key_node)
        if name and name.endswith(".py") and yn.is_string(value_node):
            yield key_node, value_node, f"inputFiles.{name}"


def include_of(value: str) -> Include | None:
    """The file ``value`` stands for, when it is wholly a ``read()`` of one or a file
    URI; None when it is source."""
    text = value.strip()
    uri = _FILE_URI.fullmatch(text)
    if uri is not None:
        rest = uri.group("rest")
        if uri.group("scheme") != "nsfile":
            return Include(None, rendered=False)  # a host file or internal storage
        if rest.startswith("/"):
            return Include(rest.lstrip("/") or None, rendered=False)  # `nsfile:///path`: the flow's namespace
        namespace, _, path = rest.partition("/")  # `nsfile://other.ns/path`
        return Include(path or None, rendered=False, namespace=namespace)
    spans = find_pebble(text)
    if len(spans) != 1 or spans[0].kind != "expression" or spans[0].start != 0 or spans[0].end != len(text):
        return None
    read = _READ.fullmatch(spans[0].inner)
    if read is None:
        return None
    path = _literal(read.group("argument"))
    namespace = None
    if read.group("namespace") is not None:
        namespace = _literal(read.group("namespace"))
        if namespace is None:
            path = None  # a computed namespace: the file cannot be known
    return Include(path.lstrip("/") or None if path else None, read.group("render") is not None, namespace)


def _literal(argument: str) -> str | None:
    """The text of a Pebble string literal; None for any other expression."""
    literal = _STRING.fullmatch(argument)
    if literal is None:
        return None
    return literal.group(1) if literal.group(1) is not None else literal.group(2)
