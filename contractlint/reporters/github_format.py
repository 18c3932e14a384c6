"""``--format github``: one GitHub Actions workflow command per diagnostic, which the
runner turns into an annotation on the pull request:

    ::error file=flows/seo.yaml,line=23,col=7,endLine=23,endColumn=30,title=CL101 inline-script-too-long::message

Escaping follows actions/toolkit's ``command.ts``: in the message (``escapeData``)
``%`` → ``%25``, CR → ``%0D``, LF → ``%0A``; in property values
(``escapeProperty``) also ``:`` → ``%3A`` and ``,`` → ``%2C``. GitHub accepts
``col``/``endColumn`` only when the annotation starts and ends on one line, so a
span over several lines is annotated by lines alone. No summary line: the runner
would print it as noise in the log.

GitHub resolves ``file=`` against the workspace (the checkout), not against the step's
``working-directory``: when the CLI passes ``annotation_root`` (``GITHUB_WORKSPACE``),
paths are relative to it, so annotations land on the file from any folder.
"""

from __future__ import annotations

from contractlint.diagnostics import Diagnostic
from contractlint.reporters import ReportOptions, RunReport

LEVELS = {"error": "error", "warning": "warning"}  # anything else is a notice


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diagnostic: Diagnostic, path: str | None = None) -> str:
    span = diagnostic.span
    level = LEVELS[diagnostic.severity] if diagnostic.severity in LEVELS else "notice"
    shown = path if path is not None else diagnostic.path
    properties: list[tuple[str, object]] = [("file", shown), ("line", span.line)]
    if span.end_line == span.line:
        properties += [("col", span.column), ("endLine", span.end_line), ("endColumn", span.end_column)]
    else:
        properties.append(("endLine", span.end_line))
    properties.append(("title", f"{diagnostic.code} {diagnostic.name}"))
    rendered = ",".join(f"{key}={escape_property(str(value))}" for key, value in properties)
    return f"::{level} {rendered}::{escape_data(diagnostic.message)}"


def workspace_path(path: str, options: ReportOptions) -> str:
    """``path`` (a display path) relative to ``options.annotation_root`` when inside it."""
    if options.annotation_root is None:
        return path
    absolute = options.absolute(path)
    try:
        return absolute.relative_to(options.annotation_root.absolute()).as_posix()
    except ValueError:
        return absolute.as_posix()


def render(run: RunReport, options: ReportOptions) -> str:
    return "".join(
        annotation(diagnostic, workspace_path(diagnostic.path, options)) + "\n" for diagnostic in run.diagnostics
    )
