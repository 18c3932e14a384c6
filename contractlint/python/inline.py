"""Find the inline Python of a flow: Script tasks' ``script`` and ``*.py`` input files."""

from __future__ import annotations

from collections.abc import Iterator

from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import Flow, Task
from contractlint.python.code import PythonCode, inline_code

# Tasks whose `script` property is Python source. Kestra keeps old type names
# working as aliases, so flows in the wild use all of them.
PYTHON_SCRIPT_TYPES = frozenset(
    {
        "io.kestra.plugin.scripts.python.Script",
        "io.kestra.core.tasks.scripts.Python",  # pre-0.9 scripts, `inputFiles`-based
    }
)


def is_python_script_task(task_type: str | None) -> bool:
    return task_type in PYTHON_SCRIPT_TYPES


def inline_python(flow: Flow) -> Iterator[PythonCode]:
    """Every piece of inline Python in the flow, in document order."""
    for task in flow.tasks:
        yield from task_python(flow, task)


def task_python(flow: Flow, task: Task) -> Iterator[PythonCode]:
    if is_python_script_task(task.type):
        pair = task.get("script")
        if pair and yn.is_string(pair[1]):
            yield inline_code(flow.source, flow, task, pair[0], pair[1], "script")
    # A `*.py` input file is Python whatever task runs it (python.Commands, a shell
    # task that calls `python main.py`, the legacy Python task).
    input_files = task.value("inputFiles")
    for key_node, value_node in yn.items(input_files):
        name = yn.scalar_text(key_node)
        if name and name.endswith(".py") and yn.is_string(value_node):
            yield inline_code(flow.source, flow, task, key_node, value_node, f"inputFiles.{name}")
