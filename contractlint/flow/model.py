"""The flow model: a Kestra flow's tasks, wherever Kestra nests them.

Built from the positioned YAML node graph (``yaml_nodes``), never from constructed
data, so every task, key and value keeps its exact place in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from contractlint.flow import yaml_nodes as yn
from contractlint.source import SourceFile

# Keys under which Kestra nests lists of tasks (in a flow or in a flowable task).
TASK_LIST_KEYS = ("tasks", "errors", "finally", "afterExecution", "then", "else", "defaults")
FLOW_TASK_KEYS = ("tasks", "errors", "finally", "afterExecution")


@dataclass(eq=False)
class Task:
    node: Any  # the task's mapping node
    id: str | None  # scalar text of `id` (None when missing or not a scalar)
    type: str | None  # scalar text of `type`
    path: tuple[str | int, ...]  # keys and indexes from the flow root
    parent: Task | None = None
    is_trigger: bool = False

    @property
    def location(self) -> str:
        """``tasks[0].then[1]``: where the task sits, for messages."""
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
        return text

    def get(self, key: str) -> tuple[Any, Any] | None:
        return yn.get(self.node, key)

    def value(self, key: str) -> Any:
        return yn.get_value(self.node, key)

    @property
    def ancestors(self) -> Iterator[Task]:
        task = self.parent
        while task is not None:
            yield task
            task = task.parent


@dataclass(eq=False)
class Flow:
    source: SourceFile
    root: Any
    id: str | None
    namespace: str | None
    tasks: list[Task] = field(default_factory=list)  # every task, nested ones included, document order
    triggers: list[Task] = field(default_factory=list)

    @property
    def ref(self) -> str | None:
        """``namespace.id`` as Kestra names the flow (None when either is missing)."""
        if self.id is None or self.namespace is None:
            return None
        return f"{self.namespace}.{self.id}"


def is_flow_root(root: Any) -> bool:
    """A flow is a YAML mapping with both ``id`` and ``namespace`` at the top."""
    return yn.is_mapping(root) and yn.get(root, "id") is not None and yn.get(root, "namespace") is not None


def build_flow(source: SourceFile, root: Any) -> Flow:
    flow = Flow(
        source=source,
        root=root,
        id=yn.scalar_text(yn.get_value(root, "id")),
        namespace=yn.scalar_text(yn.get_value(root, "namespace")),
    )
    seen: set[int] = set()  # an aliased task is one task, and alias cycles must end
    # Work list of (container node, path, parent task, how to read the container).
    pending: list[tuple[Any, tuple[str | int, ...], Task | None, str]] = []
    for key in FLOW_TASK_KEYS:
        pair = yn.get(root, key)
        if pair:
            pending.append((pair[1], (key,), None, "list"))
    found: list[Task] = []
    while pending:
        container, path, parent, kind = pending.pop(0)
        for task_node, task_path in _task_nodes(container, path, kind):
            if id(task_node) in seen:
                continue
            seen.add(id(task_node))
            task = Task(
                node=task_node,
                id=yn.scalar_text(yn.get_value(task_node, "id")),
                type=yn.scalar_text(yn.get_value(task_node, "type")),
                path=task_path,
                parent=parent,
            )
            found.append(task)
            pending.extend(_child_containers(task))
    flow.tasks = sorted(found, key=lambda t: t.node.start_mark.index)
    triggers = yn.get_value(root, "triggers")
    for index, node in enumerate(yn.elements(triggers)):
        if yn.is_mapping(node):
            flow.triggers.append(
                Task(
                    node=node,
                    id=yn.scalar_text(yn.get_value(node, "id")),
                    type=yn.scalar_text(yn.get_value(node, "type")),
                    path=("triggers", index),
                    is_trigger=True,
                )
            )
    return flow


def _task_nodes(container: Any, path: tuple, kind: str) -> Iterator[tuple[Any, tuple]]:
    if kind == "list":
        for index, element in enumerate(yn.elements(container)):
            if not yn.is_mapping(element):
                continue
            inner = yn.get_value(element, "task")
            if yn.is_mapping(inner) and yn.get(element, "type") is None:
                # Dag: `tasks: [{task: {...}, dependsOn: [...]}]`
                yield inner, (*path, index, "task")
            else:
                yield element, (*path, index)
    elif kind == "generic":
        # Any other list whose items look like tasks (a mapping with `id` and `type`).
        for index, element in enumerate(yn.elements(container)):
            if yn.is_mapping(element) and yn.get(element, "id") and yn.get(element, "type"):
                yield element, (*path, index)


def _child_containers(task: Task) -> Iterator[tuple[Any, tuple, Task, str]]:
    for key_node, value_node in yn.items(task.node):
        key = key_node.value if yn.is_scalar(key_node) else None
        if key is None:
            continue
        if key in TASK_LIST_KEYS and yn.is_sequence(value_node):
            yield value_node, (*task.path, key), task, "list"
        elif key == "cases" and yn.is_mapping(value_node):
            for case_key, case_value in value_node.value:
                if yn.is_scalar(case_key) and yn.is_sequence(case_value):
                    yield case_value, (*task.path, "cases", case_key.value), task, "list"
        elif yn.is_sequence(value_node):
            yield value_node, (*task.path, key), task, "generic"
