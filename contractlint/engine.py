"""The engine: one file's bytes in, its diagnostics out.

Each file is decoded once and parsed once (YAML node graph; CPython's ``ast`` and one
shared analysis per piece of Python); every enabled rule reads the same parse, and
the nodes Python rules check are handed to them from that one traversal. ``lint_bytes`` depends only on
the bytes, the path and the settings (plus, for CL203, the project modules it
reads), so files can be linted in any order, in parallel, or from a cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any

from contractlint.config import Settings
from contractlint.diagnostics import Diagnostic, Span
from contractlint.project import Project
from contractlint.rules import Rule, RuleContext, all_rules
from contractlint.source import SourceFile, UndecodableFile
from contractlint.suppressions import ParsedFile

if TYPE_CHECKING:
    from contractlint.flow.model import Flow
    from contractlint.python.code import PythonCode

PYTHON_SUFFIXES = (".py",)
YAML_SUFFIXES = (".yml", ".yaml")


@dataclass
class FileResult:
    path: str  # display path
    kind: str  # "flow", "module", "yaml" (not a flow), "unreadable"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: SourceFile | None = None
    # YAML or Python that did not parse, and broken flows (a flow document without
    # `id` or `namespace`), counted whatever rules are selected: a fix must never add one.
    parse_errors: int = 0
    # Literal secrets in the file (whatever rules ran): never printed by any output.
    redactions: tuple[Span, ...] = ()
    # Namespace files the flows include, when a diagnostic is in one: for excerpts.
    included: tuple[SourceFile, ...] = ()
    # The files the result depends on besides this one — modules CL203 followed,
    # included namespace files, and where a module was looked for and not found —
    # each with the digest of the content read (None: absent). See ``Project``.
    dependencies: tuple[tuple[str, str | None], ...] = ()
    # Kept when ``source`` is let go (``lean``), or read from the cache: the digest of
    # the bytes linted; the modules a flow's imports may load (None: not recorded);
    # and (display path, digest) of the files with diagnostics, whose text reporters
    # that show source read again, checked against the digest.
    digest: str | None = None
    imports: tuple[str, ...] | None = None
    texts: tuple[tuple[str, str], ...] = ()

    def lean(self) -> FileResult:
        """This result without the texts it holds (a large run keeps thousands): what
        the reporters need of them is kept in ``imports`` and ``texts``."""
        if self.source is None and not self.included:
            return self
        from contractlint.flow_index import imported_modules

        imports = self.imports
        if imports is None and self.kind == "flow" and self.source is not None:
            imports = tuple(sorted(imported_modules(self.source.text)))
        reported = {d.path for d in self.diagnostics}
        texts = list(self.texts)
        if self.source is not None and self.digest is not None and self.path in reported:
            texts.append((self.path, self.digest))
        digests = dict(self.dependencies)
        for included in self.included:
            digest = digests.get(os.path.abspath(included.path))
            if included.path in reported and digest is not None:
                texts.append((included.path, digest))
        return replace(self, source=None, included=(), imports=imports, texts=tuple(dict.fromkeys(texts)))


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
        self.include_rules = [r for r in self.rules if r.checks_python() and "include" in r.python_scope]

    # -- entry points --------------------------------------------------------------

    def lint_bytes(self, path: str, data: bytes) -> FileResult:
        """The file's result, with the files it depended on (``FileResult.dependencies``)."""
        with self.project.dependencies.collecting() as reads:
            result = self._lint_bytes(path, data)
        if reads:
            result.dependencies = tuple(sorted(reads.items()))
        return result

    def _lint_bytes(self, path: str, data: bytes) -> FileResult:
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
            regions = duplicate_key_regions(parsed.documents)
            own = [d for d in diagnostics if d.path == path]
            diagnostics = _without_fixes_in(own, regions) + [d for d in diagnostics if d.path != path]
        from contractlint.redaction import FileSecrets, file_secrets

        # Every excerpt of this file (and of the namespace files its flows include)
        # hides its secrets, whichever rule reported; no message or fingerprint repeats one.
        redactions = file_secrets(source, parsed)
        hiders = {path: FileSecrets(source, redactions)} if redactions else {}
        included = {code.file.path: code for code in parsed.includes}
        for shown, code in included.items():
            spans = file_secrets(code.file, ParsedFile(codes=[code]))
            if spans:
                hiders[shown] = FileSecrets(code.file, spans)
        if hiders:
            diagnostics = sorted(
                (hiders[d.path].attach(d) if d.path in hiders else d for d in diagnostics), key=lambda d: d.sort_key
            )
        sources = tuple(code.file for code in included.values())
        return FileResult(path, kind, diagnostics, source, parsed.parse_errors, redactions, sources)

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
            analysis = code.parse()  # once, here, before any rule runs
        except PythonSyntaxError as error:
            parsed.parse_errors += 1
            # What needs no syntax tree (line counts, Pebble) is still checked.
            found = [python_syntax_error(code, error)]
            for rule in rules:
                if not rule.needs_syntax_tree:
                    found.extend(rule.check_python(code, self.contexts[rule.code]))
            return found
        try:
            found = self._run_python_rules(code, rules, analysis)
        except RecursionError:
            # Nesting beyond even the raised recursion limit: say so at the code, and
            # let the other rules and files go on.
            return [python_syntax_error(code, PythonSyntaxError("nested too deeply to analyse", 1, 1))]
        return found

    def _run_python_rules(self, code: PythonCode, rules: list[Rule], analysis: Any) -> list[Diagnostic]:
        """Every rule over the one shared analysis: its whole-code check, then the
        nodes of the kinds it asked for (indexed by the single traversal)."""
        found: list[Diagnostic] = []
        for rule in rules:
            context = self.contexts[rule.code]
            found.extend(rule.check_python(code, context))
            for node_type in rule.node_types:
                for node in analysis.nodes(node_type):
                    found.extend(rule.check_node(node, code, context))
        return found

    def _lint_yaml(self, source: SourceFile, parsed: ParsedFile) -> tuple[str, list[Diagnostic]]:
        """Every document of the file that is a flow is linted as a flow of its own
        (Kestra's flow import and namespace sync split files on ``---``); the others —
        CI workflows, compose files, server config, Kestra Apps — are not ours."""
        from contractlint.flow import yaml_nodes as yn
        from contractlint.flow.model import build_flow, document_extents, is_flow_root, is_placeholder
        from contractlint.rules.files import duplicate_flow, duplicate_key, yaml_syntax_error

        try:
            documents = yn.compose_documents(source)
        except yn.YamlError as error:
            parsed.parse_errors += 1
            return "yaml", [yaml_syntax_error(source, error)]
        parsed.documents = documents
        found: list[Diagnostic] = []
        first_defined: dict[str, Flow] = {}
        for root, extent in zip(documents, document_extents(source, documents)):
            if not is_flow_root(root):
                continue
            flow = build_flow(source, root, extent)
            parsed.flows.append(flow)
            templated = flow.ref is not None and (is_placeholder(flow.id) or is_placeholder(flow.namespace))
            ref = None if templated else flow.ref
            if ref is not None and ref in first_defined:
                found.append(duplicate_flow(flow, first_defined[ref]))
            elif ref is not None:
                first_defined[ref] = flow
            if flow.broken:
                parsed.parse_errors += 1
            found.extend(duplicate_key(flow, duplicate) for duplicate in yn.duplicate_keys(root))
            for rule in self.flow_rules:
                found.extend(rule.check_flow(flow, self.contexts[rule.code]))
            found.extend(self._lint_inline(flow, parsed))
            found.extend(self._lint_includes(flow, parsed))
        return ("flow" if parsed.flows else "yaml"), found

    def _lint_inline(self, flow: Flow, parsed: ParsedFile) -> list[Diagnostic]:
        """The flow's inline Python, parsed even when no rule reads it: a fix must not
        break it."""
        from contractlint.python.inline import inline_python

        found: list[Diagnostic] = []
        for code in inline_python(flow):
            parsed.codes.append(code)
            found.extend(self._lint_code(code, self.inline_rules, parsed))
        return found

    def _lint_includes(self, flow: Flow, parsed: ParsedFile) -> list[Diagnostic]:
        """The namespace files the flow's tasks include (``{{ read('x.py') }}``), linted
        as those tasks' Python by the rules that need the task (CL203), and reported in
        the included file's coordinates. The module rules are not run here: the file is
        a module, and its own lint reports them once."""
        from contractlint.python.inline import included_python

        if not self.include_rules:
            return []
        found: list[Diagnostic] = []
        for code in included_python(flow, self.project):
            parsed.includes.append(code)
            for diagnostic in self._lint_include(code):
                parsed.included_by[diagnostic] = code.task.node.start_mark.index
                found.append(diagnostic)
        return found

    def _lint_include(self, code: PythonCode) -> list[Diagnostic]:
        """An included namespace file: its own file's ``noqa`` comments and
        ``per-file-ignores`` apply here (the flow file's, and the including task's
        ``noqa``, when the flow file's are applied). A file that does not parse is its
        module lint's to report (CL003); here it is skipped."""
        from contractlint.python.code import PythonSyntaxError
        from contractlint.suppressions import apply_suppressions

        try:
            analysis = code.parse()  # once, here, before any rule runs
        except PythonSyntaxError:
            return []
        found = self._run_python_rules(code, self.include_rules, analysis)
        kept = [d for d in found if d.code in self.settings.enabled]
        own = ParsedFile(codes=[code])
        return apply_suppressions(kept, code.file.path, code.file, self.settings, own, report_unused=False)

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
