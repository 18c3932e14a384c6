"""What Kestra 2.0 changes in a flow: the tables and the walks the migration rules
(CL6xx) share.

Sources, cited where each table is used: the Kestra 2.0 migration guide
(kestra-io/docs ``migration-guide/v2.0.0/*``: "ForEach Replaced by Loop",
"pluginDefaults Removed", "Trigger Conditions Redesign", "json() Function Removed",
"Check.condition Renamed to when", "local.Delete recursive Default", "SDK
Authentication Required", "Git Dashboard Tasks Moved to EE", and the index's notes on
``execution.Count``/``Resume``/``trigger.Toggle``/``log.Fetch`` and ``CANCELED``),
its step-by-step tutorial (what the official ``kestra-migrate`` tool rewrites and
what it only flags), and Kestra's own sources: the ``@Plugin(aliases = …)`` of the
core plugins (removed in 2.0 with the core task and trigger aliases), ``ForEach``'s
``concurrencyLimit`` default (1) and ``Loop``'s (0, unlimited).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from contractlint.flow import yaml_nodes as yn

if TYPE_CHECKING:
    from contractlint.flow.model import Flow, Task
    from contractlint.source import SourceFile

CORE = "io.kestra.plugin.core."

# -- renamed types (CL611) -------------------------------------------------------------

# Legacy name → 2.0 name. The `io.kestra.core.*` names (and `io.kestra.plugin.fs.http.*`)
# are the aliases Kestra's core plugins declared since 0.17 (`@Plugin(aliases = …)`) and
# 2.0 removes; the others are the renames the migration tutorial lists as automated
# (deprecated `io.kestra.plugin.core.*` names, plugins moved to their own packages).
# Every new name already exists on 1.3.
TYPE_RENAMES: dict[str, str] = {
    "io.kestra.core.tasks.debugs.Return": CORE + "debug.Return",
    "io.kestra.core.tasks.executions.Fail": CORE + "execution.Fail",
    "io.kestra.core.tasks.executions.Labels": CORE + "execution.Labels",
    "io.kestra.core.tasks.flows.AllowFailure": CORE + "flow.AllowFailure",
    "io.kestra.core.tasks.flows.Dag": CORE + "flow.Dag",
    "io.kestra.core.tasks.flows.If": CORE + "flow.If",
    "io.kestra.core.tasks.flows.Parallel": CORE + "flow.Parallel",
    "io.kestra.core.tasks.flows.Pause": CORE + "flow.Pause",
    "io.kestra.core.tasks.flows.Sequential": CORE + "flow.Sequential",
    "io.kestra.core.tasks.flows.Subflow": CORE + "flow.Subflow",
    "io.kestra.core.tasks.flows.Flow": CORE + "flow.Subflow",
    "io.kestra.core.tasks.flows.Switch": CORE + "flow.Switch",
    "io.kestra.core.tasks.flows.WorkingDirectory": CORE + "flow.WorkingDirectory",
    "io.kestra.core.tasks.flows.Worker": CORE + "flow.WorkingDirectory",
    "io.kestra.core.tasks.log.Log": CORE + "log.Log",
    "io.kestra.core.tasks.storages.Concat": CORE + "storage.Concat",
    "io.kestra.core.tasks.storages.DeduplicateItems": CORE + "storage.DeduplicateItems",
    "io.kestra.core.tasks.storages.Delete": CORE + "storage.Delete",
    "io.kestra.core.tasks.storages.FilterItems": CORE + "storage.FilterItems",
    "io.kestra.core.tasks.storages.Reverse": CORE + "storage.Reverse",
    "io.kestra.core.tasks.storages.Size": CORE + "storage.Size",
    "io.kestra.core.tasks.storages.Split": CORE + "storage.Split",
    "io.kestra.core.tasks.storages.Purge": CORE + "execution.PurgeExecutions",
    "io.kestra.core.tasks.storages.PurgeExecution": CORE + "storage.PurgeCurrentExecutionFiles",
    "io.kestra.core.tasks.templating.TemplatedTask": CORE + "templating.TemplatedTask",
    "io.kestra.core.models.triggers.types.Flow": CORE + "trigger.Flow",
    "io.kestra.core.models.triggers.types.Schedule": CORE + "trigger.Schedule",
    "io.kestra.core.models.triggers.types.Webhook": CORE + "trigger.Webhook",
    "io.kestra.plugin.fs.http.Download": CORE + "http.Download",
    "io.kestra.plugin.fs.http.Request": CORE + "http.Request",
    "io.kestra.plugin.fs.http.Trigger": CORE + "http.Trigger",
    # Deprecated `io.kestra.plugin.core` names.
    CORE + "storage.Purge": CORE + "execution.PurgeExecutions",
    CORE + "storage.PurgeExecution": CORE + "storage.PurgeCurrentExecutionFiles",
    # Echo is Log with `format` called `message` (RENAMED_PROPERTIES below).
    "io.kestra.core.tasks.debugs.Echo": CORE + "log.Log",
    CORE + "debug.Echo": CORE + "log.Log",
    # Removed from core in 2.0; its replacement lives in the Kestra plugin (same properties).
    "io.kestra.core.tasks.log.Fetch": "io.kestra.plugin.kestra.logs.Fetch",
    CORE + "log.Fetch": "io.kestra.plugin.kestra.logs.Fetch",
    # Plugins that moved.
    "io.kestra.plugin.notifications.slack.SlackIncomingWebhook": "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
    "io.kestra.plugin.notifications.slack.SlackExecution": "io.kestra.plugin.slack.notifications.SlackExecution",
    "io.kestra.plugin.notifications.mail.MailSend": "io.kestra.plugin.email.MailSend",
    "io.kestra.plugin.notifications.discord.DiscordExecution": "io.kestra.plugin.discord.DiscordExecution",
    "io.kestra.plugin.slack.SlackIncomingWebhook": "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
    "io.kestra.plugin.slack.SlackExecution": "io.kestra.plugin.slack.notifications.SlackExecution",
    "io.kestra.plugin.kubernetes.PodCreate": "io.kestra.plugin.kubernetes.core.PodCreate",
    "io.kestra.plugin.datagen.Generate": "io.kestra.plugin.datagen.core.Generate",
    "io.kestra.plugin.astradb.Query": "io.kestra.plugin.cassandra.astradb.Query",
}
# Properties a rename changes too: (old type → (old key, new key)).
RENAMED_PROPERTIES: dict[str, tuple[str, str]] = {
    "io.kestra.core.tasks.debugs.Echo": ("format", "message"),
    CORE + "debug.Echo": ("format", "message"),
}
# Template was inlined, Subflow runs another flow: a rename, but not a safe one.
TEMPLATE_TYPES = ("io.kestra.core.tasks.flows.Template", CORE + "flow.Template")

# -- removed types (CL602) -------------------------------------------------------------

LOOP = CORE + "flow.Loop"
FOREACH_FAMILY = {
    CORE + "flow.ForEach": "ForEach",
    CORE + "flow.EachSequential": "EachSequential",
    CORE + "flow.EachParallel": "EachParallel",
    CORE + "flow.ForEachItem": "ForEachItem",
    "io.kestra.core.tasks.flows.EachSequential": "EachSequential",
    "io.kestra.core.tasks.flows.EachParallel": "EachParallel",
    "io.kestra.core.tasks.flows.ForEachItem": "ForEachItem",
}
# Removed type → what to write instead (the guide's index and tutorial, the 2.0
# plugins post for the Kestra-plugin replacements).
REMOVED_TYPES: dict[str, str] = {
    CORE + "execution.Count": "use io.kestra.plugin.kestra.executions.Count (the Kestra plugin, through the API)",
    "io.kestra.core.tasks.executions.Counts": "use io.kestra.plugin.kestra.executions.Count (the Kestra plugin)",
    CORE + "execution.Resume": "use io.kestra.plugin.kestra.executions.Resume (the Kestra plugin, through the API)",
    CORE + "trigger.Toggle": "use io.kestra.plugin.kestra.triggers.Toggle (the Kestra plugin, through the API)",
    "io.kestra.core.tasks.trigger.Toggle": "use io.kestra.plugin.kestra.triggers.Toggle (the Kestra plugin)",
    "io.kestra.plugin.git.Push": "use io.kestra.plugin.git.PushFlows and io.kestra.plugin.git.PushNamespaceFiles",
    "io.kestra.plugin.scripts.nashorn.Eval": "migrate to io.kestra.plugin.graalvm.js (GraalJS) or another script task",
    "io.kestra.plugin.scripts.nashorn.FileTransform": "migrate to io.kestra.plugin.graalvm.js (GraalJS) or another "
    "script task",
    CORE + "state.Get": "use io.kestra.plugin.core.kv.Get (`key` instead of `name`; the value is a string)",
    CORE + "state.Set": "use io.kestra.plugin.core.kv.Set (`key` and `value` instead of `name` and `data`; it "
    "replaces the value where state.Set merged it)",
    CORE + "state.Delete": "use io.kestra.plugin.core.kv.Delete (`key` instead of `name`)",
    "io.kestra.core.tasks.states.Get": "use io.kestra.plugin.core.kv.Get (`key` instead of `name`)",
    "io.kestra.core.tasks.states.Set": "use io.kestra.plugin.core.kv.Set (`key` and `value` instead of `name` and `data`)",
    "io.kestra.core.tasks.states.Delete": "use io.kestra.plugin.core.kv.Delete (`key` instead of `name`)",
    CORE + "storage.LocalFiles": "use `inputFiles` and `outputFiles` on io.kestra.plugin.core.flow.WorkingDirectory or "
    "the script task",
    "io.kestra.core.tasks.storages.LocalFiles": "use `inputFiles` and `outputFiles` on "
    "io.kestra.plugin.core.flow.WorkingDirectory or the script task",
    "io.kestra.core.tasks.scripts.Bash": "use io.kestra.plugin.scripts.shell.Commands or shell.Script",
    "io.kestra.core.tasks.scripts.Python": "use io.kestra.plugin.scripts.python.Commands or python.Script",
    "io.kestra.core.tasks.scripts.Node": "use io.kestra.plugin.scripts.node.Commands or node.Script",
    "io.kestra.plugin.dbt.cli.Build": "use io.kestra.plugin.dbt.cli.DbtCLI with `commands: [dbt build]` "
    "(`dockerOptions.image` becomes `containerImage`, `dbtPath` goes)",
}
# Moved to the Enterprise git plugin (the guide's "Git Dashboard Tasks Moved to EE").
EE_GIT_TYPES = {
    "io.kestra.plugin.git.SyncDashboards": "io.kestra.plugin.ee.git.SyncDashboards",
    "io.kestra.plugin.git.PushDashboards": "io.kestra.plugin.ee.git.PushDashboards",
}

# -- triggers (CL603, CL604) -----------------------------------------------------------

TRIGGER_SCHEDULE = (CORE + "trigger.Schedule", "io.kestra.core.models.triggers.types.Schedule")
TRIGGER_WEBHOOK = (CORE + "trigger.Webhook", "io.kestra.core.models.triggers.types.Webhook")
TRIGGER_FLOW = (CORE + "trigger.Flow", "io.kestra.core.models.triggers.types.Flow")
CONDITION_PREFIXES = (CORE + "condition.", "io.kestra.core.models.conditions.types.")
# Conditions that have a `when` form (the guide's "What replaces what" table).
WHEN_CONDITIONS = ("Expression", "Variable", "DayWeek", "DayWeekInMonth", "Weekend", "PublicHoliday",
                   "DateTimeBetween", "TimeBetween", "HasRetryAttempt", "Not", "Or")

# -- tasks calling the Kestra API (CL606) ----------------------------------------------

# From the guide's "SDK Authentication Required" page and the official migration
# tool's list of tasks that reach the API on every run.
SDK_AUTH_TYPES = frozenset({
    "io.kestra.plugin.git.SyncFlows", "io.kestra.plugin.git.SyncFlow", "io.kestra.plugin.git.Sync",
    "io.kestra.plugin.git.SyncDashboards", "io.kestra.plugin.git.PushFlows", "io.kestra.plugin.git.PushDashboards",
    "io.kestra.plugin.git.NamespaceSync", "io.kestra.plugin.git.TenantSync", "io.kestra.plugin.ai.KestraFlow",
    "io.kestra.plugin.ee.git.SyncApps", "io.kestra.plugin.ee.git.SyncBlueprints", "io.kestra.plugin.ee.git.SyncUnitTests",
    "io.kestra.plugin.ee.git.PushApps", "io.kestra.plugin.ee.git.PushBlueprints", "io.kestra.plugin.ee.git.PushUnitTests",
})
SDK_AUTH_PREFIX = "io.kestra.plugin.kestra."
# Tasks that reach the API only when a property is true.
SDK_AUTH_WHEN = {"io.kestra.plugin.git.SyncNamespaceFiles": "includeChildNamespaces"}

# -- reserved flow ids (CL619) ---------------------------------------------------------

# Reserved since Kestra 1.0 (the 1.0 migration guide), refused by 2.0 as well.
RESERVED_FLOW_IDS = frozenset(
    {"pause", "resume", "force-run", "change-status", "kill", "executions", "search", "source", "disable", "enable"}
)

# -- walking a flow --------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    """A mapping of the flow, the key it is the value of (or the index in a list), and
    the task (or trigger) it belongs to."""

    node: Any
    key: str | int | None
    parent: Any  # the node holding it
    task: Task | None


# The walks below are shared by the CL6xx rules of one flow: computed once per flow.
_PLACES: weakref.WeakKeyDictionary[Flow, list[Place]] = weakref.WeakKeyDictionary()
_STRINGS: weakref.WeakKeyDictionary[Flow, list[Any]] = weakref.WeakKeyDictionary()


def places(flow: Flow) -> list[Place]:
    """Every mapping of the flow document once, in document order, with its owner: the
    innermost task or trigger whose mapping contains it (None at the flow level)."""
    if flow not in _PLACES:
        _PLACES[flow] = list(_walk_places(flow))
    return _PLACES[flow]


def flow_strings(flow: Flow) -> list[Any]:
    """``string_values`` of the whole flow document, computed once."""
    if flow not in _STRINGS:
        _STRINGS[flow] = list(string_values(flow.root))
    return _STRINGS[flow]


def _walk_places(flow: Flow) -> Iterator[Place]:
    owners = {id(task.node): task for task in (*flow.tasks, *flow.triggers)}
    seen: set[int] = set()
    stack: list[tuple[Any, str | int | None, Any, Task | None]] = [(flow.root, None, None, None)]
    while stack:
        node, key, parent, owner = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if yn.is_mapping(node):
            owner = owners.get(id(node), owner)
            yield Place(node, key, parent, owner)
            for key_node, value_node in reversed(node.value):
                if yn.is_mapping(value_node) or yn.is_sequence(value_node):
                    stack.append((value_node, yn.scalar_text(key_node), node, owner))
        elif yn.is_sequence(node):
            for index in range(len(node.value) - 1, -1, -1):
                stack.append((node.value[index], index, node, owner))


def string_values(root: Any) -> Iterator[Any]:
    """Every string scalar that is a value (not a key), each node once: what Kestra may
    render with Pebble."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        if yn.is_mapping(node):
            stack.extend(value for _, value in reversed(node.value))
        elif yn.is_sequence(node):
            stack.extend(reversed(node.value))
        elif yn.is_string(node):
            yield node


# -- Pebble code in YAML values --------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """A piece of a Pebble expression or tag body: ``code`` or a ``string`` literal
    (quotes included); offsets in the text scanned. ``group`` numbers the expression
    or tag it belongs to."""

    kind: str
    start: int
    end: int
    group: int


_VERBATIM = re.compile(r"\{%-?\s*verbatim\s*-?%\}")
_ENDVERBATIM = re.compile(r"\{%-?\s*endverbatim\s*-?%\}")


def pebble_parts(text: str) -> list[Part]:
    """The code and string-literal pieces of every Pebble expression (``{{ }}``) and tag
    (``{% %}``) of ``text``; comments, ``{% raw %}`` and ``{% verbatim %}`` sections are
    text, not Pebble."""
    from contractlint.python.pebble import find_pebble

    parts: list[Part] = []
    verbatim_until = -1
    for group, span in enumerate(find_pebble(text)):
        if span.start < verbatim_until:
            continue
        if span.kind == "tag" and _VERBATIM.fullmatch(span.text):
            end = _ENDVERBATIM.search(text, span.end)
            verbatim_until = end.end() if end is not None else len(text)
            continue
        if span.kind == "comment" or (span.kind == "tag" and re.fullmatch(r"\{%-?\s*(end)?raw\s*-?%\}", span.text)):
            continue
        parts.extend(_body_parts(text, span.start + 2, span.end - 2, group))
    return parts


def _body_parts(text: str, start: int, end: int, group: int) -> list[Part]:
    parts: list[Part] = []
    index = code_start = start
    while index < end:
        char = text[index]
        if char in "'\"":
            if index > code_start:
                parts.append(Part("code", code_start, index, group))
            close = index + 1
            while close < end and text[close] != char:
                close += 2 if text[close] == "\\" else 1
            close = min(close + 1, end)
            parts.append(Part("string", index, close, group))
            index = code_start = close
            continue
        index += 1
    if end > code_start:
        parts.append(Part("code", code_start, end, group))
    return parts


@dataclass(frozen=True)
class TokenEdit:
    """Replace ``text[start:end]`` (file offsets) with ``content``."""

    start: int
    end: int
    content: str


def pebble_edits(
    source: SourceFile, node: Any, finder: Any
) -> tuple[list[TokenEdit], bool]:
    """What ``finder`` (``parts, text -> [(start, end, replacement)]``) wants to change in
    the Pebble of a string scalar, in file offsets, and whether those offsets are exact.

    The finder runs on the scalar's value (what Kestra renders) and on its text in the
    file; when both give the same changes in the same order, the file offsets are the
    edits. Otherwise (escapes of a double-quoted scalar that move the Pebble around)
    the changes are returned at the scalar's start, with ``exact`` False: report them,
    do not edit."""
    start = yn.start_offset(node)
    raw = source.text[start : yn.end_offset(source, node)]
    wanted = finder(pebble_parts(node.value), node.value)
    if not wanted:
        return [], True
    found = finder(pebble_parts(raw), raw)
    same = [(node.value[a:b], c) for a, b, c in wanted] == [(raw[a:b], c) for a, b, c in found]
    if same:
        return [TokenEdit(start + a, start + b, c) for a, b, c in found], True
    return [TokenEdit(start, start, c) for _, _, c in wanted], False


# -- trigger conditions as a `when` expression (CL603) ---------------------------------


def condition_name(plugin_type: str | None) -> str | None:
    """``io.kestra.plugin.core.condition.DayWeekCondition`` → ``DayWeek``."""
    for prefix in CONDITION_PREFIXES:
        if plugin_type and plugin_type.startswith(prefix):
            return plugin_type[len(prefix):].removesuffix("Condition")
    return None


def when_expression(conditions: list[Any]) -> str | None:
    """The ``when`` expression that replaces a Schedule/Webhook trigger's ``conditions``,
    as the guide's "What replaces what" table writes it (and the official migration
    tool produces it), or None when one of them has no such form."""
    parts = [_when_part(node) for node in conditions]
    if not parts or any(part is None for part in parts):
        return None
    body = parts[0] if len(parts) == 1 else " and ".join(f"({part})" for part in parts)
    return "{{ " + body + " }}"


def _unwrap(text: str) -> str:
    text = text.strip()
    if text.startswith("{{") and text.endswith("}}"):
        return text[2:-2].strip()
    return text


def _text(node: Any, key: str) -> str:
    return yn.scalar_text(yn.get_value(node, key)) or ""


def _when_part(node: Any) -> str | None:
    if not yn.is_mapping(node):
        return None
    name = condition_name(yn.get_string(node, "type"))
    if name in ("Expression", "Variable"):
        expression = _text(node, "expression")
        return _unwrap(expression) if expression else None
    if name == "DayWeek":
        day = _text(node, "dayOfWeek")
        return f"dayOfWeek(trigger.date) == '{day}'" if day else None
    if name == "DayWeekInMonth":
        day, position = _text(node, "dayOfWeek"), _text(node, "dayInMonth")
        return f"isDayWeekInMonth(trigger.date, '{day}', '{position}')" if day and position else None
    if name == "Weekend":
        return "isWeekend(trigger.date)"
    if name == "PublicHoliday":
        country, division = _text(node, "country"), _text(node, "subDivision")
        if not country:
            return "isPublicHoliday(trigger.date)"
        return f"isPublicHoliday(trigger.date, '{country}'" + (f", '{division}')" if division else ")")
    if name == "DateTimeBetween":
        after, before = _text(node, "after"), _text(node, "before")
        bounds = ([f"trigger.date > '{after}'"] if after else []) + ([f"trigger.date < '{before}'"] if before else [])
        return " and ".join(bounds) or None
    if name == "TimeBetween":
        hours = []
        for key, operator in (("after", ">="), ("before", "<")):
            value = _text(node, key)
            if value:
                hour = _whole_hour(value)
                if hour is None:
                    return None  # hourOfDay() cannot express minutes
                hours.append(f"hourOfDay(trigger.date) {operator} {hour}")
        return " and ".join(hours) or None
    if name == "HasRetryAttempt":
        return "hasRetryAttempt == true"
    if name in ("Not", "Or"):
        inner = [_when_part(child) for child in yn.elements(yn.get_value(node, "conditions"))]
        if not inner or any(part is None for part in inner):
            return None
        if name == "Or":
            return inner[0] if len(inner) == 1 else " or ".join(f"({part})" for part in inner)
        # 1.x evaluated a Not's conditions as an AND, then negated it.
        return f"not ({inner[0]})" if len(inner) == 1 else "not (" + " and ".join(f"({p})" for p in inner) + ")"
    return None


def _whole_hour(text: str) -> int | None:
    text = text.strip().removesuffix("Z")
    offset = max(text.rfind("+"), text.rfind("-"))
    if offset > 0:
        text = text[:offset]
    pieces = text.split(":")
    if not 1 <= len(pieces) <= 3 or not all(piece.isdigit() for piece in pieces):
        return None
    hour = int(pieces[0])
    if hour > 23 or any(int(piece) for piece in pieces[1:]):
        return None
    return hour
