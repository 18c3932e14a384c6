"""The engine: one file's bytes in, its diagnostics out.

Each file is decoded once and parsed once (YAML node graph, libcst module per piece
of Python); every enabled rule reads the same parse. ``lint_bytes`` depends only on
the bytes, the path and the settings (plus, for CL203, the project modules it
reads), so files can be linted in any order, in parallel, or from a cache.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from contractlint.config import Settings
from contractlint.diagnostics import Diagnostic, Span
from contractlint.project import Project
from contractlint.rules import Rule, RuleContext, all_rules
from contractlint.source import SourceFile, UndecodableFile
from contractlint.suppressions import ParsedFile

if TYPE_CHECKING:
    from contractlint.python.code import PythonCode

PYTHON_SUFFIXES = (".py",)
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class FileResult:
    path: str  # display path
    kind: str  # "flow", "module", "yaml" (not a flow), "unreadable"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: SourceFile | None = None
    # YAML or Python that did not parse, counted whatever rules are selected: a fix
    # must never add one.
    parse_errors: int = 0
    # Literal secrets in the file (whatever rules ran): never printed by any output.
    redactions: tuple[Span, ...] = ()


def _without_fixes_in(diagnostics: list[Diagnostic], regions: list[tuple[int, int]]) -> list[Diagnostic]:
    """``diagnostics`` minus the fixes with an edit touching one of ``regions``."""
    if not regions:
        return diagnostics

    def touches(diagnostic: Diagnostic) -> bool:
        return any(
            edit.start <= end and start <= edit.end for edit in diagnostic.fix.edits for start, end in regions
        )

    return [replace(d, fix=None) if d.fix is not None and touches(d) else d for d in diagnostics]


class Linter:
    def __init__(self, settings: Settings, project: Project) -> None:
        self.settings = settings
        self.project = project
        self.rules: list[Rule] = [rule() for rule in all_rules() if rule.code in settings.enabled]
        self.contexts = {
            rule.code: RuleContext(options=settings.rule_options[rule.code], project=project) for rule in self.rules
        }
        self.flow_rules = [rule for rule in self.rules if rule.checks_flows()]
        self.module_rules = [r for r in self.rules if r.checks_python() and "module" in r.python_scope]
        self.inline_rules = [r for r in self.rules if r.checks_python() and "inline" in r.python_scope]

    # -- entry points --------------------------------------------------------------

    def lint_bytes(self, path: str, data: bytes) -> FileResult:
        from contractlint.rules.files import unreadable_file

        try:
            source = SourceFile.from_bytes(path, data)
        except UndecodableFile as error:
            found = [unreadable_file(path, str(error), Span(error.line, error.column, error.line, error.column + 1))]
            return FileResult(path, "unreadable", self._finish(path, found, None))
        suffix = PurePosixPath(path).suffix.lower()
        parsed = ParsedFile()  # what the suppression step reads noqa comments from
        if suffix in PYTHON_SUFFIXES:
            kind, found = "module", self._lint_module(source, parsed)
        elif suffix in YAML_SUFFIXES:
            kind, found = self._lint_yaml(source, parsed)
        else:
            raise ValueError(f"not a Python or YAML file: {path}")
        diagnostics = self._finish(path, found, source, parsed)
        if parsed.documents:
            from contractlint.flow.edits import duplicate_key_regions

            # YAML keeps the last of duplicate keys, a reader the first: no edit inside
            # (or under) such a mapping can know which text it changes.
            diagnostics = _without_fixes_in(diagnostics, duplicate_key_regions(parsed.documents))
        from contractlint.redaction import FileSecrets, file_secrets

        # Every excerpt of this file hides its secrets, whichever rule reported; no
        # message or fingerprint repeats one.
        redactions = file_secrets(source, parsed)
        if redactions:
            secrets = FileSecrets(source, redactions)
            diagnostics = [secrets.attach(d) for d in diagnostics]
        return FileResult(path, kind, diagnostics, source, parsed.parse_errors, redactions)

    def unreadable(self, path: str, reason: str) -> FileResult:
        from contractlint.rules.files import unreadable_file

        found = [unreadable_file(path, reason, Span(1, 1, 1, 1))]
        return FileResult(path, "unreadable", self._finish(path, found, None))

    def internal_error(self, path: str, error: Exception) -> FileResult:
        """The result of a file whose linting failed on a bug of ours: one diagnostic
        that says the file was not checked (whatever rules are selected)."""
        from contractlint.rules.files import internal_error

        return FileResult(path, "unreadable", [internal_error(path, error)])

    # -- per kind -------------------------------------------------------------------

    def _lint_module(self, source: SourceFile, parsed: ParsedFile) -> list[Diagnostic]:
        from contractlint.python.code import module_code

        code = module_code(source)
        parsed.codes.append(code)
        return self._lint_code(code, self.module_rules, parsed)

    def _lint_code(self, code: PythonCode, rules: list[Rule], parsed: ParsedFile) -> list[Diagnostic]:
        from contractlint.python.code import PythonSyntaxError
        from contractlint.rules.files import python_syntax_error

        try:
            code.module  # noqa: B018 - parse once, here, before any rule runs
        except PythonSyntaxError as error:
            parsed.parse_errors += 1
            return [python_syntax_error(code, error)]
        found: list[Diagnostic] = []
        for rule in rules:
            try:
                found.extend(rule.check_python(code, self.contexts[rule.code]))
            except RecursionError:
                # Nesting beyond even the raised recursion limit: say so at the code, and
                # let the other rules and files go on.
                return [python_syntax_error(code, PythonSyntaxError("nested too deeply to analyse", 1, 1))]
        return found

    def _lint_yaml(self, source: SourceFile, parsed: ParsedFile) -> tuple[str, list[Diagnostic]]:
        from contractlint.flow import yaml_nodes as yn
        from contractlint.flow.model import build_flow, is_flow_root
        from contractlint.python.inline import inline_python
        from contractlint.rules.files import duplicate_key, several_documents, yaml_syntax_error

        try:
            documents = yn.compose_documents(source)
        except yn.YamlError as error:
            parsed.parse_errors += 1
            return "yaml", [yaml_syntax_error(source, error)]
        parsed.documents = documents
        flows = [document for document in documents if is_flow_root(document)]
        if not flows:
            return "yaml", []  # CI workflows, compose files, server config: not ours
        root = flows[0]
        flow = build_flow(source, root)
        parsed.flow = flow
        found = [duplicate_key(flow, duplicate) for duplicate in yn.duplicate_keys(root)]
        if len(documents) > 1:
            # Kestra reads a flow file as one document: the others would be lost.
            other = next(document for document in documents if document is not root)
            found.append(several_documents(flow, other, len(documents)))
        for rule in self.flow_rules:
            found.extend(rule.check_flow(flow, self.contexts[rule.code]))
        # Inline code is parsed even when no rule reads it: a fix must not break it.
        for code in inline_python(flow):
            parsed.codes.append(code)
            found.extend(self._lint_code(code, self.inline_rules, parsed))
        return "flow", found

    # -- selection and suppression ----------------------------------------------------

    def _finish(
        self, path: str, found: list[Diagnostic], source: SourceFile | None, parsed: ParsedFile | None = None
    ) -> list[Diagnostic]:
        """Keep the enabled rules' diagnostics, apply per-file-ignores and ``noqa``
        comments (which needs the parse: the flow's tasks for task-level comments, the
        Python for its comments), add CL900 for unused ``noqa`` codes, and sort."""
        from contractlint.suppressions import apply_suppressions

        enabled = self.settings.enabled
        kept = [d for d in found if d.code in enabled]
        kept = apply_suppressions(kept, path, source, self.settings, parsed)
        return sorted(set(kept), key=lambda d: d.sort_key)
