"""Where a ``# noqa: CODE`` comment that suppresses a diagnostic goes, and the edit
that writes it: what an editor's "suppress" action applies (and what an
``--add-noqa`` would).

The comment is read by ``suppressions`` exactly as every other ``noqa`` comment, so
its places are the ones ``suppressions`` reads:

* on the line: the line the diagnostic starts on or, in Python, the last line of the
  string or backslash-continued line it starts in (where ruff, and ``suppressions``,
  expect it). In an inline script written as a literal block (``script: |``) the
  comment is a Python comment of that script line.
* for a finding inside a task: on the line of the task's ``id:`` key, which covers the
  whole task (its keys, env, inline script and nested tasks).

A line that already holds a ``noqa`` comment with codes gets the code appended to it
(``# noqa: CL101, CL201``), never a second comment. Elsewhere the comment is added at
the end of the line. Whether a place works is then *checked*, not assumed: the edited
text is linted and the place is offered only when the diagnostic is gone and nothing
parses worse — a ``#`` at the end of a line inside a YAML block scalar, a quoted or
plain multi-line scalar, is data, not a comment, and such a place is never offered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contractlint.diagnostics import Diagnostic, Edit
from contractlint.source import SourceFile

if TYPE_CHECKING:
    from contractlint.engine import FileResult
    from contractlint.flow.model import Task
    from contractlint.suppressions import Directives, ParsedFile


@dataclass(frozen=True)
class NoqaEdit:
    code: str
    scope: str  # "line": the diagnostic's line; "task": the task's `id:` line
    line: int  # 1-based file line the comment is on
    task: str | None  # the task's id, for "task"
    edit: Edit  # an insertion in the decoded file text
    appended: bool  # added to an existing noqa comment

    def description(self, diagnostic_line: int) -> str:
        """What the action does, for a diagnostic that starts on ``diagnostic_line``."""
        comment = f"`# noqa: {self.code}`"
        if self.scope == "task":
            task = f"task '{self.task}'" if self.task is not None else "this task"
            if self.appended:
                return f"Suppress for {task}: add {self.code} to the `# noqa` comment on its `id:` line"
            return f"Suppress for {task} with {comment} on its `id:` line"
        where = "this line" if self.line == diagnostic_line else f"line {self.line}"
        if self.appended:
            return f"Suppress: add {self.code} to the `# noqa` comment on {where}"
        return f"Suppress with {comment} on {where}"


def candidates(source: SourceFile, kind: str, diagnostic: Diagnostic) -> list[NoqaEdit]:
    """The places a ``noqa`` comment for ``diagnostic`` may go, the narrowest first
    (unchecked: see ``noqa_edits``). ``kind`` is the ``FileResult`` kind."""
    if diagnostic.path != source.path:
        return []  # a finding in another file (a namespace file a task includes)
    parsed = _parse(source, kind)
    if parsed is None:
        return []
    from contractlint.suppressions import find_directives

    directives = find_directives(source, parsed)
    span = diagnostic.span
    line = min(max(span.line, 1), source.line_count)
    found = [_at_line(source, directives, _comment_line(parsed, line), diagnostic.code, "line", None)]
    task = _innermost_task(source, parsed, source.offset(line, max(1, span.column)))
    if task is not None:
        id_line = task.get("id")[0].start_mark.line + 1
        task_edit = _at_line(source, directives, id_line, diagnostic.code, "task", task.id)
        if task_edit.edit == found[0].edit:
            found = [task_edit]  # the same comment: it covers the task, say so
        else:
            found.append(task_edit)
    return found


def noqa_edits(
    source: SourceFile, before: FileResult, diagnostic: Diagnostic, lint: Callable[[bytes], FileResult]
) -> list[NoqaEdit]:
    """The places that do suppress ``diagnostic``: each candidate is applied to the
    text and linted (``lint``: the file's bytes → its result, with the file's
    settings); kept when the diagnostic is gone, nothing parses worse and the file is
    still the same kind."""
    from contractlint.fixes import apply_edits

    wanted = _identity(diagnostic)
    kept = []
    for candidate in candidates(source, before.kind, diagnostic):
        text = apply_edits(source.text, [candidate.edit])
        if not _reads_as_directive(source, text, before.kind, candidate):
            continue  # the `#` would be data (a quoted or plain scalar going on): it changes the file
        after = lint(source.encode(text))
        if after.kind != before.kind or after.parse_errors > before.parse_errors:
            continue
        if all(_identity(found) != wanted for found in after.diagnostics):
            kept.append(candidate)
    return kept


def _reads_as_directive(source: SourceFile, text: str, kind: str, candidate: NoqaEdit) -> bool:
    """``suppressions`` reads the code the candidate writes as a code of a ``noqa``
    comment on its line — not text of a string or scalar that happens to hold a ``#``."""
    from contractlint.suppressions import find_directives

    edited = SourceFile(path=source.path, text=text)
    parsed = _parse(edited, kind)
    if parsed is None:
        return False
    directive = find_directives(edited, parsed).by_line.get(candidate.line)
    start = candidate.edit.start
    end = start + len(candidate.edit.content)
    return directive is not None and any(
        code.code == candidate.code and start <= code.start and code.end <= end for code in directive.codes
    )


def _identity(diagnostic: Diagnostic) -> tuple:
    # The comment goes at a line's end: it moves no finding (nor any line).
    return (diagnostic.code, diagnostic.span, diagnostic.message)


def _parse(source: SourceFile, kind: str) -> ParsedFile | None:
    """What ``suppressions`` reads comments from, parsed as the engine parses it."""
    from contractlint.suppressions import ParsedFile

    if kind == "module":
        from contractlint.python.code import module_code

        return ParsedFile(codes=[module_code(source)])
    if kind != "flow":
        return None  # YAML that is no flow, or that does not parse: no comment is read
    from contractlint.flow import yaml_nodes as yn
    from contractlint.flow.model import build_flow, document_extents, is_flow_root
    from contractlint.python.inline import inline_python

    try:
        documents = yn.compose_documents(source)
    except yn.YamlError:
        return None
    parsed = ParsedFile()
    for root, extent in zip(documents, document_extents(source, documents)):
        if is_flow_root(root):
            flow = build_flow(source, root, extent)
            parsed.flows.append(flow)
            parsed.codes.extend(inline_python(flow))
    return parsed


def _comment_line(parsed: ParsedFile, line: int) -> int:
    """The line whose comment ``suppressions`` applies to file ``line``: in Python, the
    last line of a string spanning lines or of a backslash continuation."""
    from contractlint.suppressions import noqa_comments

    for code in parsed.codes:
        first = code.code_map.first_line
        if code.code_map.exact and first <= line < first + len(code.line_starts):
            target = noqa_comments(code).line_map.get(line - first + 1)
            return line if target is None else first + target - 1
    return line


def _at_line(source: SourceFile, directives: Directives, line: int, code: str, scope: str,
             task: str | None) -> NoqaEdit:
    existing = directives.by_line.get(line)
    if existing is not None:
        at, content, appended = existing.end, f", {code}", True
    else:
        text = source.line_text(line)
        content_end = len(text.rstrip(" \t"))
        at = source.line_starts[line - 1] + content_end
        content, appended = (f"  # noqa: {code}" if content_end else f"# noqa: {code}"), False
    edit = Edit(start=at, end=at, content=content, span=source.span(at, at))
    return NoqaEdit(code=code, scope=scope, line=line, task=task, edit=edit, appended=appended)


def _innermost_task(source: SourceFile, parsed: ParsedFile, offset: int) -> Task | None:
    """The innermost task or trigger with an ``id`` key whose mapping holds ``offset``."""
    from contractlint.flow import yaml_nodes as yn

    found = None
    found_start = -1
    for flow in parsed.flows:
        for task in (*flow.tasks, *flow.triggers):
            if task.get("id") is None:
                continue
            start = task.node.start_mark.index
            if start <= offset < max(yn.end_offset(source, task.node), start + 1) and start > found_start:
                found, found_start = task, start
    return found
