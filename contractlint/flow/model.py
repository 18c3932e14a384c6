"""The flow model: which YAML documents are flows, and a flow's tasks, wherever
Kestra nests them.

Built from the positioned YAML node graph (``yaml_nodes``), never from constructed
data, so every task, key and value keeps its exact place in the file.

What is a task follows Kestra's own model classes (kestra-io/kestra,
``core/src/main/java/io/kestra/``): Jackson deserialises a property as a task when
the class declares it as ``Task`` or ``List<Task>``, and as something else (an
``Input``, a ``Condition``, a map of values) otherwise — even when that something
has an ``id`` and a ``type``. Where each key comes from is noted beside it below.
Plugins outside Kestra's core declare task lists under names of their own, so any
other list of task mappings under a task (an ``id`` and a plugin ``type``, a dotted
Java class name) is a list of tasks too; the non-task properties are never searched.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from contractlint.flow import yaml_nodes as yn
from contractlint.source import SourceFile

# Lists of tasks of the flow itself: models/flows/Flow.java `List<Task> tasks`,
# `List<Task> errors`, and `finally` (0.21) and `afterExecution` (0.22) of newer
# releases. `triggers` (`List<AbstractTrigger>`) are read separately.
FLOW_TASK_KEYS = ("tasks", "errors", "finally", "afterExecution")
# models/listeners/Listener.java (Kestra 0.x, deprecated, still in real repositories):
# `listeners: [{conditions: [...], tasks: [...]}]`; Flow.allTasks() counts these tasks
# with the flow's own (one id space).
LISTENER_TASK_KEY = "tasks"

# Properties of a task that are lists of tasks, by the model classes that declare them
# (plugin/core/flow/*.java and their io.kestra.core.tasks.flows.* aliases). These three
# hold tasks whatever the task's type: FlowableTask is an interface any plugin implements.
TASK_LIST_KEYS = {
    # Sequential, Parallel, ForEach, EachSequential, EachParallel, AllowFailure,
    # WorkingDirectory (extends Sequential), WaitFor, LoopUntil, Pause (deprecated
    # `tasks`), Template; Dag's `List<DagTask> tasks` holds `{task: …, dependsOn: …}`.
    "tasks": "List<Task> tasks",
    "errors": "FlowableTask.getErrors(): List<Task> errors",
    "finally": "FlowableTask `finally` (0.21): List<Task>",
}
# Lists of tasks of one flowable's own, by type (as the bundled flow schema checks them).
IF_TYPES = frozenset(("io.kestra.plugin.core.flow.If", "io.kestra.core.tasks.flows.If"))
SWITCH_TYPES = frozenset(("io.kestra.plugin.core.flow.Switch", "io.kestra.core.tasks.flows.Switch"))
TYPED_TASK_LIST_KEYS = {
    "then": IF_TYPES,  # If: List<Task> then
    "else": IF_TYPES,  # If: @JsonProperty("else") List<Task> _else
    "defaults": SWITCH_TYPES,  # Switch: List<Task> defaults
}
# Switch: `Map<String, List<Task>> cases`.
CASES_KEY = "cases"
# Dag.DagTask: `Task task` (the entry's task) beside `List<String> dependsOn`.
DAG_TASK_KEY = "task"

# Properties whose mappings are not tasks, though they may have an `id` and a `type`:
# never searched for tasks.
NOT_TASK_KEYS = {
    "onResume": "Pause: List<Input<?>> onResume (inputs asked when the execution resumes)",
    "inputs": "Subflow, ForEachItem: Map<String, Object> inputs (values for the subflow); flow: List<Input<?>>",
    "outputs": "Subflow: Map<String, Object> outputs; flow: List<Output>",
    "conditions": "AbstractTrigger, Listener: List<Condition> conditions",
    "taskRunner": "TaskRunner (a plugin with a type, no id)",
    "layout": "EE Apps (io.kestra.plugin.ee.apps.*): layout[].blocks[] are App blocks",
    "blocks": "EE Apps: App blocks",
}

# A plugin type: TaskInterface.getType() @Pattern, dotted Java identifiers; a task's
# type always has at least one dot (`io.kestra.plugin.core.log.Log`), unlike the
# enum types of inputs and outputs (`STRING`, `BOOLEAN`).
_PLUGIN_TYPE = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
# EE Apps are YAML documents with an `id` and a namespace that are not flows.
APP_TYPE_PREFIX = "io.kestra.plugin.ee.apps."


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
    source: SourceFile  # the whole file: a flow is one document of it
    root: Any
    id: str | None
    namespace: str | None
    tasks: list[Task] = field(default_factory=list)  # every task, nested ones included, document order
    triggers: list[Task] = field(default_factory=list)
    # Offsets of the flow's YAML document in the file (its comments and `---` included):
    # from the end of the document before it, or the start of the file.
    document: tuple[int, int] = (0, 0)

    @property
    def ref(self) -> str | None:
        """``namespace.id`` as Kestra names the flow (None when either is missing)."""
        if self.id is None or self.namespace is None:
            return None
        return f"{self.namespace}.{self.id}"

    @property
    def broken(self) -> bool:
        """A flow without ``id`` or ``namespace``: linted as a flow, refused by Kestra."""
        return yn.get(self.root, "id") is None or yn.get(self.root, "namespace") is None

    def holds(self, offset: int) -> bool:
        """``offset`` is in the flow's document."""
        return self.document[0] <= offset < self.document[1]


# -- which documents are flows -------------------------------------------------------


def is_flow_root(root: Any) -> bool:
    """The document is linted as a flow: a mapping with ``id`` and ``namespace`` at
    the top (a flow), or with one of them and tasks or triggers (a broken flow, whose
    missing key CL002 reports). Kestra Apps and test suites, which also have both, are
    not flows."""
    if not yn.is_mapping(root) or _is_app_or_test(root):
        return False
    has_id = yn.get(root, "id") is not None
    has_namespace = yn.get(root, "namespace") is not None
    if has_id and has_namespace:
        return True
    return (has_id or has_namespace) and any(_holds_tasks(yn.get_value(root, key)) for key in ("tasks", "triggers"))


def _is_app_or_test(root: Any) -> bool:
    kind = yn.get_string(root, "type")
    if kind is not None and kind.startswith(APP_TYPE_PREFIX):
        return True
    # A unit test suite (Kestra 0.23+): `id`, `namespace`, `flowId`, `testCases`.
    return yn.get(root, "flowId") is not None and yn.get(root, "testCases") is not None


def _holds_tasks(node: Any) -> bool:
    """A non-empty list of mappings, each with an ``id`` or a ``type``, one at least
    with both: tasks as a flow lists them (a task may miss one key: CL002 says so)."""
    elements = yn.elements(node)
    if not elements or not all(yn.is_mapping(element) for element in elements):
        return False
    if not all(yn.get(element, "id") or yn.get(element, "type") for element in elements):
        return False
    return any(looks_like_task(element) for element in elements)


def looks_like_task(node: Any) -> bool:
    """A mapping with a scalar ``id`` and a plugin ``type`` (a dotted class name)."""
    if not yn.is_mapping(node):
        return False
    kind = yn.scalar_text(yn.get_value(node, "type"))
    return yn.scalar_text(yn.get_value(node, "id")) is not None and kind is not None and bool(_PLUGIN_TYPE.fullmatch(kind))


def is_placeholder(text: str) -> bool:
    """The whole value is one ``${…}`` placeholder (Terraform ``templatefile``,
    envsubst): the file is a template and the real value comes later."""
    text = text.strip()
    if not text.startswith("${") or not text.endswith("}"):
        return False
    depth = 0
    for index, char in enumerate(text):
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index == len(text) - 1
    return False


def document_extents(source: SourceFile, roots: list[Any]) -> list[tuple[int, int]]:
    """Where each document of the file is: from the end of the one before (the start
    of the file for the first) to the end of its own root, the last one to the end of
    the file."""
    extents: list[tuple[int, int]] = []
    start = 0
    for index, root in enumerate(roots):
        end = len(source.text) + 1 if index == len(roots) - 1 else max(root.end_mark.index, start + 1)
        extents.append((start, end))
        start = end
    return extents


# -- building a flow ----------------------------------------------------------------


def build_flow(source: SourceFile, root: Any, document: tuple[int, int] | None = None) -> Flow:
    """The flow of ``root``; ``document`` is where its YAML document is in the file
    (default: the whole file)."""
    flow = Flow(
        source=source,
        root=root,
        id=yn.scalar_text(yn.get_value(root, "id")),
        namespace=yn.scalar_text(yn.get_value(root, "namespace")),
        document=document if document is not None else (0, len(source.text) + 1),
    )
    seen: set[int] = set()  # an aliased task is one task, and alias cycles must end
    # Work list of (task node, path, parent task), breadth first.
    pending: deque[tuple[Any, tuple[str | int, ...], Task | None]] = deque()
    for key in FLOW_TASK_KEYS:
        pending.extend((node, path, None) for node, path in _list_tasks(yn.get_value(root, key), (key,)))
    for index, listener in enumerate(yn.elements(yn.get_value(root, "listeners"))):
        tasks = yn.get_value(listener, LISTENER_TASK_KEY)
        pending.extend((node, path, None) for node, path in _list_tasks(tasks, ("listeners", index, LISTENER_TASK_KEY)))
    found: list[Task] = []
    while pending:
        task_node, task_path, parent = pending.popleft()
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
        pending.extend((node, path, task) for node, path in _child_tasks(task))
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


def _list_tasks(container: Any, path: tuple) -> Iterator[tuple[Any, tuple]]:
    """The tasks of a property Kestra declares as a list of tasks: every mapping in
    it (a task missing its id or type is still one, for CL002 to report), and the
    ``task`` of a Dag entry."""
    for index, element in enumerate(yn.elements(container)):
        if not yn.is_mapping(element):
            continue
        inner = yn.get_value(element, DAG_TASK_KEY)
        if yn.is_mapping(inner) and yn.get(element, "type") is None:
            yield inner, (*path, index, DAG_TASK_KEY)  # Dag: `{task: {...}, dependsOn: [...]}`
        else:
            yield element, (*path, index)


def _child_tasks(task: Task) -> Iterator[tuple[Any, tuple]]:
    for key_node, value_node in yn.items(task.node):
        key = key_node.value if yn.is_scalar(key_node) else None
        if key is None or key in NOT_TASK_KEYS:
            continue
        typed = key in TYPED_TASK_LIST_KEYS and task.type in TYPED_TASK_LIST_KEYS[key]
        if (key in TASK_LIST_KEYS or typed) and yn.is_sequence(value_node):
            yield from _list_tasks(value_node, (*task.path, key))
        elif key == CASES_KEY and task.type in SWITCH_TYPES and yn.is_mapping(value_node):
            for case_key, case_value in value_node.value:
                if yn.is_scalar(case_key) and yn.is_sequence(case_value):
                    yield from _list_tasks(case_value, (*task.path, CASES_KEY, case_key.value))
        elif yn.is_sequence(value_node) or yn.is_mapping(value_node):
            yield from _task_lists_within(value_node, (*task.path, key))


def _task_lists_within(node: Any, path: tuple) -> Iterator[tuple[Any, tuple]]:
    """Task mappings in lists anywhere under a property that is not a known task list
    (a plugin's own name for one, or one nested in its configuration), without
    entering the properties that are known not to hold tasks."""
    seen: set[int] = set()
    stack: list[tuple[Any, tuple]] = [(node, path)]
    while stack:
        current, where = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if yn.is_sequence(current):
            for index, element in reversed(list(enumerate(current.value))):
                if looks_like_task(element):
                    yield element, (*where, index)
                elif yn.is_sequence(element) or yn.is_mapping(element):
                    stack.append((element, (*where, index)))
        elif yn.is_mapping(current):
            for key_node, value_node in reversed(current.value):
                key = yn.scalar_text(key_node)
                if key is None or key in NOT_TASK_KEYS:
                    continue
                if yn.is_sequence(value_node) or yn.is_mapping(value_node):
                    stack.append((value_node, (*where, key)))
