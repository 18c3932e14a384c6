"""The tools of the MCP server (``contractlint mcp``): the check an agent runs on a flow
before it deploys it, as plain functions from JSON arguments to JSON results. Nothing
here imports the MCP SDK: ``mcp_server`` puts these tools on the wire, and the tests
and the benchmark can call them directly.

One engine: every tool works on a ``Workspace`` (the same linting as ``check``, with
parses kept warm between calls), and every diagnostic is the JSON reporter's own
(``json_format.diagnostic_dict``), so the findings, positions and fields are those of
``contractlint check --output-format json`` for the same files and settings.

* ``check`` takes drafts — files as the agent is about to write them, checked together
  (a draft stands for its file everywhere, also when CL203 follows a flow's script into
  a drafted module) — and paths of files or folders already in the project. Flows that
  import a drafted or named module are checked too, as ``check`` does for a module a
  pre-commit run names. The result says whether the files are *deployable*: no
  error-severity diagnostic left after ``noqa`` comments, ``per-file-ignores`` and the
  configured baseline — exactly when ``contractlint check`` on them would exit 0.
* ``fix`` applies the fixes (safe ones; unsafe ones on request) in memory, returns the
  fixed contents, a unified diff and the check of the fixed files, and writes the files
  only when asked.
* ``explain_rule`` and ``list_rules`` are ``contractlint rule`` and ``contractlint
  rules`` as data.

Every argument is checked against the tool's input schema, and every path against the
root, before anything is read: a bad request is a ``ToolError`` whose message names the
argument and what was expected — never the value, which may hold a secret. No result
holds a secret CL403 found: the diffs are built from masked text, a fixed file that
holds one is not returned, and every string of a result is masked with the secrets of
the files it is about.
"""

from __future__ import annotations

import json
import logging
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from contractlint.config import ConfigError
from contractlint.engine import FileResult
from contractlint.fixes import NotWritten
from contractlint.source import UnreadablePath
from contractlint.workspace import OutsideRoot, Workspace

LOG = logging.getLogger("contractlint.mcp")

MAX_CONTENT_BYTES = 1024 * 1024  # a flow or module is a few kilobytes; refuse what cannot be one
MAX_REQUEST_BYTES = 8 * 1024 * 1024  # all the drafts of one call
MAX_DRAFTS = 64
MAX_PATHS = 256
MAX_PATH_LENGTH = 4096
MIN_MASKED_SECRET = 4  # shorter literals are masked where they are shown (diffs), not searched for
SECRET_MASK = "********"
LINTABLE = (".yaml", ".yml", ".py")


WARM_UP_PATH = "contractlint-warm-up.yaml"
WARM_UP_FLOW = """id: warm-up
namespace: contractlint
tasks:
  - id: run
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os
      print(os.environ.get("REGION", "eu") or "eu")
"""


class ToolError(Exception):
    """A call the caller can correct (bad arguments, a path outside the root, a broken
    configuration): answered as a tool error the model reads, never a crash."""


# -- schemas -----------------------------------------------------------------------------------


@cache
def _published_defs() -> dict[str, Any]:
    """The diagnostic of the published JSON report schema, with what it refers to."""
    schema = json.loads((Path(__file__).parent / "schemas" / "check-output.schema.json").read_text(encoding="utf-8"))
    return {name: schema["$defs"][name] for name in ("diagnostic", "position")}


def _object(properties: dict[str, Any], required: list[str] | None = None, description: str = "") -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    schema["required"] = list(properties) if required is None else required
    if description:
        schema["description"] = description
    return schema


COUNT = {"type": "integer", "minimum": 0}
STRINGS = {"type": "array", "items": {"type": "string"}}

DRAFTS_INPUT = {
    "type": "array",
    "maxItems": MAX_DRAFTS,
    "description": "Files as you are about to write them, checked together before anything is written. Each draft "
    "stands for the file at its path — a new file or a change to an existing one — everywhere: when it is linted, "
    "and when CL203 follows a flow's script into a drafted module. The path decides the settings (the nearest "
    "configuration, per-file-ignores) and how modules resolve, exactly as `contractlint check --stdin-filename` does.",
    "items": _object(
        {
            "path": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_LENGTH,
                     "description": "Where the file goes: relative to the project root (or absolute, inside it); "
                     "a .yaml, .yml or .py name."},
            "content": {"type": "string", "description": "The whole file, as text (at most 1 MiB as UTF-8)."},
        }
    ),
}
PATHS_INPUT = {
    "type": "array",
    "maxItems": MAX_PATHS,
    "items": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_LENGTH},
    "description": "Files or folders already in the project (relative to the root), checked as they are on disk; "
    "folders are walked as `contractlint check` walks them (excludes and .gitignore apply).",
}

CHECK_INPUT = _object({"drafts": DRAFTS_INPUT, "paths": PATHS_INPUT}, required=[])
FIX_INPUT = _object(
    {
        "drafts": DRAFTS_INPUT,
        "paths": PATHS_INPUT,
        "unsafe": {"type": "boolean", "default": False,
                   "description": "Also apply unsafe fixes: they may change behaviour (e.g. a default dropped from "
                   "os.environ.get, so a missing variable raises). Review their diff."},
        "write": {"type": "boolean", "default": False,
                  "description": "Write each file the fixes changed (atomically, inside the project root only). "
                  "Default: write nothing and return the fixed contents."},
    },
    required=[],
)
EXPLAIN_INPUT = _object(
    {"rule": {"type": "string", "minLength": 1, "maxLength": 100,
              "description": "A rule code (CL203) or name (env-not-provided)."}}
)
LIST_INPUT = _object(
    {
        "prefix": {"type": "string", "maxLength": 100,
                   "description": "Only the rules whose code starts with this (CL2: contract 4's environment rules)."},
        "path": {"type": "string", "minLength": 1, "maxLength": MAX_PATH_LENGTH,
                 "description": "A file or folder of the project: say which rules are enabled for it by the "
                 "settings that apply there."},
    },
    required=[],
)

FILE_OUTPUT = _object(
    {
        "path": {"type": "string", "description": "Relative to the project root, with / separators."},
        "origin": {"enum": ["draft", "disk", "dependent"],
                   "description": "draft: your content; disk: the file as it is; dependent: a flow on disk checked "
                   "because it imports a drafted or named module."},
        "kind": {"enum": ["flow", "module", "yaml", "unreadable"],
                 "description": "yaml: a YAML file that holds no Kestra flow (nothing checked as a flow)."},
        "diagnostics": COUNT,
        "blocking": COUNT,
        "why": {"type": ["string", "null"], "description": "Why a dependent flow is checked."},
    }
)
RULE_FINDING_OUTPUT = _object(
    {
        "name": {"type": "string"},
        "contract": {"type": "string"},
        "summary": {"type": "string", "description": "What the rule reports."},
        "reason": {"type": "string", "description": "What to do about it, in one line."},
        "count": COUNT,
        "blocks": {"type": "boolean", "description": "Its findings keep the files from being deployable."},
        "fixable": {**COUNT, "description": "Findings `fix` fixes with safe fixes."},
        "unsafe_fixable": {**COUNT, "description": "Findings whose fix needs `fix` with unsafe=true."},
    }
)
CHECK_PROPERTIES: dict[str, Any] = {
    "deployable": {"type": "boolean",
                   "description": "True when nothing blocks: no error-severity diagnostic is left after noqa "
                   "comments, per-file-ignores and the configured baseline (`contractlint check` would exit 0)."},
    "verdict": {"type": "string", "description": "The result in one line, with what to do next."},
    "summary": _object(
        {"files": COUNT, "diagnostics": COUNT, "blocking": COUNT, "fixable": COUNT, "unsafe_fixable": COUNT,
         "baselined": {**COUNT, "description": "Diagnostics hidden by the configured baseline."}}
    ),
    "files": {"type": "array", "items": {"$ref": "#/$defs/file"}},
    "diagnostics": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"},
                    "description": "As `contractlint check --output-format json` gives them, sorted by path and "
                    "position; lines and columns are 1-based, columns in Unicode code points, end column exclusive."},
    "rules": {"type": "object", "additionalProperties": {"$ref": "#/$defs/rule_finding"},
              "description": "Each rule reported, by code, with a one-line reason to act on."},
    "notes": {**STRINGS, "description": "What else to know: flows checked because they import a module, imports "
              "CL203 cannot follow, files that hold no flow."},
}
CHECK_REPORT = _object(CHECK_PROPERTIES)


def _with_defs(schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    defs = {**_published_defs(), "file": FILE_OUTPUT, "rule_finding": RULE_FINDING_OUTPUT, **extra}
    return {**schema, "$defs": defs}


FIXED_FILE_OUTPUT = _object(
    {
        "path": {"type": "string"},
        "origin": {"enum": ["draft", "disk"]},
        "changed": {"type": "boolean"},
        "applied": {**COUNT, "description": "Fixes applied."},
        "content": {"type": ["string", "null"],
                    "description": "The fixed file, when the fixes changed it (null otherwise, or when withheld)."},
        "withheld": {"type": ["string", "null"], "description": "Why the fixed content is not returned."},
        "diff": {"type": "string", "description": "Unified diff of the fixes (secrets masked)."},
        "written": {"type": "boolean"},
        "refused": {"type": "array", "items": {"$ref": "#/$defs/diagnostic"},
                    "description": "Findings whose fix was not applied: the result would not parse."},
    }
)


def _fix_output() -> dict[str, Any]:
    return _with_defs(
        _object(
            {
                "applied": COUNT,
                "unsafe": {"type": "boolean", "description": "Whether unsafe fixes were applied."},
                "files": {"type": "array", "items": {"$ref": "#/$defs/fixed_file"}},
                "diff": {"type": "string", "description": "The unified diff of every file (secrets masked)."},
                "written": {**STRINGS, "description": "The files written (with write=true)."},
                "after": {"$ref": "#/$defs/check",
                          "description": "The check of the fixed contents: what is left, and whether they are "
                          "deployable."},
                "notes": STRINGS,
            }
        ),
        fixed_file=FIXED_FILE_OUTPUT,
        check=CHECK_REPORT,
    )


RULE_OUTPUT = _object(
    {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "contract": {"type": "string"},
        "summary": {"type": "string"},
        "remedy": {"type": "string", "description": "What to do about a finding, in one line."},
        "fix": {"enum": ["safe", "unsafe", "sometimes", None]},
        "fix_text": {"type": "string"},
        "contract_text": {"type": "string", "description": "The contract the rule enforces."},
        "default_enabled": {"type": "boolean"},
        "kestra_min": {"type": ["string", "null"]},
        "kestra_opt_in": {"type": "boolean"},
        "kestra_targets": {"type": "string"},
        "options": {"type": "object", "description": "The rule's options ([tool.contractlint.rules.CODE]), as "
                    "JSON Schema with defaults."},
        "explanation": {"type": "string", "description": "Markdown: what it does, why, an example and what to "
                        "write instead."},
        "examples": {"type": "object", "description": "The tested examples: invalid (reported, with position and "
                     "fixed text) and valid."},
    }
)
LISTED_RULE = _object(
    {
        "code": {"type": "string"},
        "name": {"type": "string"},
        "contract": {"type": "string"},
        "summary": {"type": "string"},
        "remedy": {"type": "string"},
        "fix": {"enum": ["safe", "unsafe", "sometimes", None]},
        "default_enabled": {"type": "boolean"},
        "kestra_min": {"type": ["string", "null"]},
        "options": {"type": "object", "description": "Option name → default."},
        "enabled": {"type": ["boolean", "null"], "description": "With a path: enabled by the settings there."},
    }
)
LIST_OUTPUT = _object(
    {
        "rules": {"type": "array", "items": LISTED_RULE},
        "configuration": {"type": ["string", "null"],
                          "description": "With a path: the configuration file whose settings apply there."},
    }
)

READ_ONLY = {"readOnlyHint": True, "openWorldHint": False}


@dataclass(frozen=True)
class ToolSpec:
    name: str
    title: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    annotations: dict[str, Any]
    handler: Callable[[Tools, dict[str, Any]], dict[str, Any]]


def _specs() -> list[ToolSpec]:
    return [
        ToolSpec(
            "check",
            "Check Kestra flows and modules before deploying",
            "Lint Kestra flow YAML and the Python modules its scripts call against the pipeline contracts, before "
            "you deploy: pass the flow (and any module you wrote or changed) as drafts — content first, nothing is "
            "written — and/or paths of files already in the project. Drafts are checked together: a flow's script "
            "is followed into a drafted module (CL203). Returns `deployable` (deploy only when true), a one-line "
            "`verdict`, the diagnostics with exact positions and fixes, and for each rule a `reason` saying what to "
            "do. If not deployable: call `fix` for what has fixes, change the rest as the reasons say, check again.",
            CHECK_INPUT,
            _with_defs(CHECK_REPORT),
            {"title": "Check before deploying", **READ_ONLY},
            lambda tools, arguments: tools.check(arguments),
        ),
        ToolSpec(
            "fix",
            "Fix what contractlint can fix",
            "Apply contractlint's automatic fixes to drafts and/or project files, in memory: safe fixes by "
            "default, unsafe ones too with unsafe=true. Returns each changed file's fixed content and a unified "
            "diff, and `after`: the check of the fixed contents (`after.deployable`, what is left). Writes nothing "
            "unless write=true, and then only the files the fixes changed, inside the project root. Use the fixed "
            "content as your new draft.",
            FIX_INPUT,
            _fix_output(),
            {"title": "Fix (writes only with write=true)", "readOnlyHint": False, "destructiveHint": True,
             "idempotentHint": True, "openWorldHint": False},
            lambda tools, arguments: tools.fix(arguments),
        ),
        ToolSpec(
            "explain_rule",
            "Explain a contractlint rule",
            "What a rule (by code, e.g. CL203, or name) reports and why, what to write instead, its options, its "
            "fix and its tested examples — `contractlint rule CODE` as data.",
            EXPLAIN_INPUT,
            RULE_OUTPUT,
            {"title": "Explain a rule", **READ_ONLY},
            lambda tools, arguments: tools.explain_rule(arguments),
        ),
        ToolSpec(
            "list_rules",
            "List contractlint's rules",
            "Every rule (or those whose code starts with `prefix`): code, name, contract, summary, remedy, fix and "
            "options — `contractlint rules` as data. With `path`, also which rules the settings there enable.",
            LIST_INPUT,
            LIST_OUTPUT,
            {"title": "List the rules", **READ_ONLY},
            lambda tools, arguments: tools.list_rules(arguments),
        ),
    ]


INSTRUCTIONS = (
    "contractlint checks Kestra flows and the Python modules they call against the team's pipeline contracts. "
    "Before you deploy a flow (or sync it to Kestra), call `check` with the flow — and every module you wrote or "
    "changed — as drafts. Deploy only when `deployable` is true. Otherwise call `fix` and use its fixed contents, "
    "change what is left as each rule's `reason` says (`explain_rule` gives the details), and check again."
)


# -- argument checks ---------------------------------------------------------------------------------


@cache
def _validator(name: str) -> Any:
    from jsonschema import Draft202012Validator

    spec = next(spec for spec in _specs() if spec.name == name)
    return Draft202012Validator(spec.input_schema)


def validate_arguments(name: str, arguments: Any) -> dict[str, Any]:
    """The arguments, when they match the tool's input schema; else ``ToolError`` naming
    the argument and what was expected (never the value given)."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ToolError("the arguments must be a JSON object")
    errors = sorted(_validator(name).iter_errors(arguments), key=lambda error: list(error.absolute_path))
    if errors:
        problems = [_describe(error) for error in errors[:3]]
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise ToolError(f"invalid arguments for {name}: " + "; ".join(problems) + more)
    return arguments


def _where(path: Any) -> str:
    where = ""
    for part in path:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return where or "arguments"


_ARTICLES = {"array": "an array", "object": "an object", "integer": "an integer", "string": "a string",
             "boolean": "a boolean (true or false)", "number": "a number", "null": "null"}


def _describe(error: Any) -> str:
    """One schema violation in words, from the schema's side only."""
    where = _where(error.absolute_path)
    kind = error.validator
    expected = error.validator_value
    if kind == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        return f"{where} must be " + " or ".join(_ARTICLES[k] if k in _ARTICLES else str(k) for k in kinds)
    if kind == "required":
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = [key for key in expected if key not in instance]
        return f"{where} needs {', '.join(repr(key) for key in missing)}"
    if kind == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(key for key in error.instance if key not in known) if isinstance(error.instance, dict) else []
        names = ", ".join(repr(key[:60]) for key in unknown[:5])
        return f"{where} has unknown {'key' if len(unknown) == 1 else 'keys'} {names} (known: {', '.join(known)})"
    if kind == "minLength":
        return f"{where} must not be empty" if expected == 1 else f"{where} must be at least {expected} characters"
    if kind == "maxLength":
        return f"{where} is longer than {expected} characters"
    if kind == "maxItems":
        return f"{where} has more than {expected} items"
    if kind == "enum":
        return f"{where} must be one of {', '.join(json.dumps(value) for value in expected)}"
    return f"{where} does not match the schema ({kind})"


# -- the tools ----------------------------------------------------------------------------------------


@dataclass
class Target:
    """A file a call is about: a draft, a file on disk, or a flow checked because it
    imports a drafted or named module."""

    path: Path  # resolved
    origin: str  # "draft", "disk" or "dependent"
    why: str | None = None
    unreadable: str | None = None  # why a named file or folder cannot be read: CL000, as `check` reports it


class Tools:
    """The tools over one workspace. Not thread-safe: the server makes one call at a
    time. They run in the root (the working directory must be the root: display paths
    are relative to it, and the engine reads them against the working directory)."""

    def __init__(self, root: Path) -> None:
        self.workspace = Workspace(root)
        if Path(os.path.realpath(Path.cwd())) != self.workspace.root:
            raise ValueError(f"the tools run in their root {self.workspace.root}, not in {Path.cwd()}")
        self.specs = {spec.name: spec for spec in _specs()}

    def call(self, name: str, arguments: Any) -> dict[str, Any]:
        """Run tool ``name``: its result, or ``ToolError`` for a call the caller can
        correct (unknown tool, bad arguments, a path outside the root, a configuration
        that does not load)."""
        if name not in self.specs:
            raise ToolError(f"unknown tool {name[:100]!r}; the tools are {', '.join(self.specs)}")
        checked = validate_arguments(name, arguments)
        try:
            return self.specs[name].handler(self, checked)
        except ConfigError as error:
            raise ToolError(f"the project's configuration does not load: {error}") from error

    def warm_up(self) -> None:
        """Load what a first call needs — the YAML and Python parsers, the rules, the
        schema validators, the fixers — by checking and fixing a small flow in memory
        (nothing is written), so that the agent's first check is as fast as the next."""
        drafts = [{"path": WARM_UP_PATH, "content": WARM_UP_FLOW}]
        self.call("check", {"drafts": drafts})
        self.call("fix", {"drafts": drafts, "unsafe": True})

    # -- check ---------------------------------------------------------------------------------

    def check(self, arguments: dict[str, Any]) -> dict[str, Any]:
        drafts, named = self._inputs(arguments)
        with self._drafts(drafts):
            targets, notes = self._targets(drafts, named)
            targets += self._dependents(targets, notes)
            results = self._lint(targets)
            return _masked(self._report(targets, results, notes), self._secrets(results))

    # -- fix -----------------------------------------------------------------------------------

    def fix(self, arguments: dict[str, Any]) -> dict[str, Any]:
        from contractlint.runner import NEW_READ_CODE

        unsafe = arguments.get("unsafe", False)
        write = arguments.get("write", False)
        drafts, named = self._inputs(arguments)
        with self._drafts(drafts):
            targets, notes = self._targets(drafts, named)
            fixed = {}
            for target in targets:
                if target.unreadable is not None:
                    continue
                try:
                    fixed[target.path] = self._guarded(target.path, lambda t=target: self.workspace.fix(
                        t.path, None, unsafe))
                except UnreadablePath:
                    continue  # unreadable: the check after says so (CL000)
            changed = [item for item in fixed.values() if item.changed]
            dependents = self._dependents(targets, notes)
            # What CL203 said before the fixes, to tell which of its findings they caused.
            before_reads = {item.path: item.original.diagnostics for item in fixed.values() if item.original}
            if changed:
                for target, result in zip(dependents, self._lint(dependents)):
                    before_reads[target.path] = result.diagnostics
            for item in changed:
                self.workspace.set_draft(item.path, item.after)  # the check after sees the fixed files
            self.workspace.refresh()
            after_targets = targets + dependents
            after = self._lint(after_targets)
            written: list[str] = []
            if write:
                written = self._write(changed, {t.path: t.origin for t in targets}, notes)
            for target, result in zip(after_targets, after):
                known = {d.message for d in before_reads.get(target.path, []) if d.code == NEW_READ_CODE}
                for diagnostic in result.diagnostics:
                    if diagnostic.code == NEW_READ_CODE and diagnostic.message not in known:
                        span = diagnostic.span
                        notes.append(f"{diagnostic.path}:{span.line}:{span.column}: {NEW_READ_CODE} is new after "
                                     f"the fixes: a fix made a default into a required read. {diagnostic.message}")
            report = self._report(after_targets, after, [])
            files = [self._fixed_file(target, fixed[target.path], written) for target in targets
                     if target.path in fixed]
            secrets = self._secrets(after) | {
                secret for item in fixed.values() if item.original is not None
                for secret in _secret_texts(item.original)
            }
            result = {
                "applied": sum(item.applied for item in fixed.values()),
                "unsafe": unsafe,
                "files": files,
                "diff": "".join(entry["diff"] for entry in files),
                "written": written,
                "after": report,
                "notes": notes,
            }
            return _masked(result, secrets)

    def _fixed_file(self, target: Target, item: Any, written: list[str]) -> dict[str, Any]:
        from contractlint.reporters.json_format import diagnostic_dict

        shown = self.workspace.shown(item.path)
        withheld = None
        content = None
        if item.changed:
            if item.result.redactions or (item.original is not None and item.original.redactions):
                line = (item.result.redactions or item.original.redactions)[0].line
                withheld = (f"the file holds a literal secret (CL403, line {line}), which no result shows: put it "
                            "in Kestra's secret store and reference it as {{ secret('NAME') }}, or call fix with "
                            "write=true to have the fixed file written")
            else:
                content = item.after.decode("utf-8")
        return {
            "path": shown,
            "origin": "draft" if target.origin == "draft" else "disk",
            "changed": item.changed,
            "applied": item.applied,
            "content": content,
            "withheld": withheld,
            "diff": item.diff,
            "written": shown in written,
            "refused": [diagnostic_dict(d, self._options(item.path)) for d in item.outcome.refused],
        }

    def _write(self, changed: list[Any], origins: dict[Path, str], notes: list[str]) -> list[str]:
        written = []
        for item in changed:
            shown = self.workspace.shown(item.path)
            if origins[item.path] == "disk":
                try:
                    current = item.path.read_bytes()
                except OSError:
                    current = None
                if current != item.before:
                    notes.append(f"{shown} changed on disk while it was being fixed: not written")
                    continue
            try:
                self.workspace.write(item.path, item.after)
            except NotWritten as error:
                notes.append(f"{shown} could not be written: {error.reason}")
                continue
            except OSError as error:  # its folder could not be made
                notes.append(f"{shown} could not be written: {error.strerror or error}")
                continue
            written.append(shown)
        return written

    # -- explain_rule, list_rules ---------------------------------------------------------------

    def explain_rule(self, arguments: dict[str, Any]) -> dict[str, Any]:
        from contractlint import docs
        from contractlint.rules import all_rules, rule_by_code_or_name

        key = arguments["rule"].strip()
        rule = rule_by_code_or_name(key)
        if rule is None:
            prefix = key.upper()
            if prefix and any(r.code.startswith(prefix) for r in all_rules()):
                raise ToolError(f"{key!r} names several rules: list_rules with prefix={prefix!r} lists them")
            import difflib

            keys = [r.code for r in all_rules()] + [r.name for r in all_rules()]
            close = difflib.get_close_matches(key, keys, n=3, cutoff=0.6)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ToolError(f"unknown rule {key[:100]!r}{hint} (list_rules lists them)")
        return {**docs.rule_json(rule), "fix_text": docs.fix_text(rule), "contract_text": docs.contract_line(rule)}

    def list_rules(self, arguments: dict[str, Any]) -> dict[str, Any]:
        from contractlint.docs import rule_listing_json
        from contractlint.rules import all_rules

        prefix = arguments.get("prefix", "").strip().upper()
        enabled: frozenset[str] | None = None
        configuration = None
        if "path" in arguments:
            resolved = self._resolve(arguments["path"], "path")
            self.workspace.refresh()
            settings = self.workspace.engine(resolved).settings
            enabled = settings.enabled
            if settings.config_path is not None:
                configuration = _relative(settings.config_path, self.workspace.root)
        rules = [
            {**rule_listing_json(rule), "enabled": None if enabled is None else rule.code in enabled}
            for rule in all_rules()
            if rule.code.startswith(prefix)
        ]
        if not rules:
            raise ToolError(f"no rule code starts with {prefix[:100]!r} (rule codes are CL000 to CL900)")
        return {"rules": rules, "configuration": configuration}

    # -- inputs --------------------------------------------------------------------------------

    def _resolve(self, given: str, where: str) -> Path:
        try:
            return self.workspace.resolve(given)
        except OutsideRoot as error:
            raise ToolError(f"{where}: {given[:200]!r} is outside the project root {self.workspace.root}: only "
                            "files inside it are read or written") from error
        except (OSError, ValueError) as error:  # an embedded NUL, a name the file system refuses
            raise ToolError(f"{where}: {given[:200]!r} is not a usable path ({error.__class__.__name__})") from error

    def _inputs(self, arguments: dict[str, Any]) -> tuple[dict[Path, bytes], list[tuple[Path, str]]]:
        """The drafts (resolved path → content) and the named paths, checked."""
        drafts: dict[Path, bytes] = {}
        first: dict[Path, int] = {}
        total = 0
        for index, draft in enumerate(arguments.get("drafts", [])):
            where = f"drafts[{index}]"
            path = self._resolve(draft["path"], f"{where}.path")
            if not path.name.lower().endswith(LINTABLE):
                raise ToolError(f"{where}.path: {draft['path'][:200]!r} is not a .yaml, .yml or .py name: the "
                                "suffix says whether the content is a flow or a module")
            if path.is_dir():
                raise ToolError(f"{where}.path: {draft['path'][:200]!r} is a folder")
            if path in first:
                raise ToolError(f"{where}.path: the same file as drafts[{first[path]}].path")
            first[path] = index
            text = draft["content"]
            if "\x00" in text:
                raise ToolError(f"{where}.content: contains a NUL character: binary content is not checked")
            try:
                data = text.encode("utf-8")
            except UnicodeEncodeError as error:
                raise ToolError(f"{where}.content: not valid Unicode text (a lone surrogate at character "
                                f"{error.start})") from error
            if len(data) > MAX_CONTENT_BYTES:
                raise ToolError(f"{where}.content: {len(data)} bytes; the limit is {MAX_CONTENT_BYTES} bytes (1 MiB)")
            total += len(data)
            if total > MAX_REQUEST_BYTES:
                raise ToolError(f"drafts: more than {MAX_REQUEST_BYTES} bytes in all; check fewer files at once")
            drafts[path] = data
        named = []
        for index, given in enumerate(arguments.get("paths", [])):
            where = f"paths[{index}]"
            path = self._resolve(given, where)
            if path.exists() and not path.is_dir() and not path.is_file():
                raise ToolError(f"{where}: {given[:200]!r} is not a regular file or a folder")  # a FIFO would block
            if path.is_file() and not path.name.lower().endswith(LINTABLE):
                raise ToolError(f"{where}: {given[:200]!r} is not a .yaml, .yml or .py file")
            named.append((path, where))
        if not drafts and not named:
            raise ToolError("nothing to check: give `drafts` (files you are about to write, with their content), "
                            "`paths` (files or folders in the project), or both")
        return drafts, named

    @contextmanager
    def _drafts(self, drafts: dict[Path, bytes]) -> Iterator[None]:
        """The call's drafts stand for their files while it runs, and only then; what
        changed since the last call (on disk, or drafts then and now) is read again."""
        for path, data in drafts.items():
            self.workspace.set_draft(path, data)
        self.workspace.refresh()
        try:
            yield
        finally:
            for path in list(self.workspace.drafts):
                self.workspace.drop_draft(path)

    # -- linting -------------------------------------------------------------------------------

    def _targets(self, drafts: dict[Path, bytes], named: list[tuple[Path, str]]) -> tuple[list[Target], list[str]]:
        workspace = self.workspace
        notes: list[str] = []
        targets: dict[Path, Target] = {}
        run = workspace.resolver.run_settings()
        for path in drafts:
            if run is not None and run.force_exclude and workspace.is_excluded(path):
                notes.append(f"{workspace.shown(path)} is excluded by the settings (force-exclude): not checked")
                continue
            targets[path] = Target(path, "draft")
        for path, _ in named:
            if path in targets:
                continue
            if not path.exists():
                targets[path] = Target(path, "disk", unreadable="no such file or directory")
                continue
            found = workspace.discover([path])
            for file in found.files:
                targets.setdefault(file, Target(file, "disk"))
            for where, problem in found.errors:
                unreadable = Path(os.path.abspath(where))
                targets.setdefault(unreadable, Target(unreadable, "disk", unreadable=problem))
            if not found.files and path.is_file():
                notes.append(f"{workspace.shown(path)} is excluded by the settings (force-exclude): not checked")
        return list(targets.values()), notes

    def _dependents(self, targets: list[Target], notes: list[str]) -> list[Target]:
        """Flows that import a drafted or named module (not already checked): a change to
        the module can break them (CL203)."""
        modules = [t.path for t in targets if t.path.suffix == ".py" and not t.unreadable and t.origin != "dependent"]
        if not modules:
            return []
        found = []
        for dependent in self.workspace.flows_importing(modules, skip={t.path for t in targets}):
            why = dependent.reason(self.workspace.shown(dependent.path))
            notes.append(f"{self.workspace.shown(dependent.flow)} is checked too: {why}")
            found.append(Target(dependent.flow, "dependent", why))
        return found

    def _lint(self, targets: list[Target]) -> list[FileResult]:
        results = []
        for target in targets:
            if target.unreadable is not None:
                linter = self.workspace.engine(target.path)
                results.append(linter.unreadable(self.workspace.shown(target.path), target.unreadable))
            else:
                results.append(self._guarded(target.path, lambda t=target: self.workspace.check(t.path)))
        return results

    def _guarded(self, path: Path, work: Callable[[], Any]) -> Any:
        """``work`` on ``path``; an exception of ours (a bug) is logged with its
        traceback and answered as a tool error that says so."""
        try:
            return work()
        except (ToolError, ConfigError, OSError):
            raise
        except Exception as error:  # noqa: CL302 - a bug of ours: logged, and the call fails with a tool error
            LOG.error("internal error on %s:\n%s", path, "".join(traceback.format_exception(error)))
            raise ToolError(f"internal error while checking {self.workspace.shown(path)} ({error.__class__.__name__}): "
                            "this is a bug in contractlint; please report it with the file") from error

    def _options(self, path: Path | str) -> Any:
        from contractlint.reporters import ReportOptions

        return ReportOptions(docs_url=self.workspace.resolver.settings_for(path).docs_url)

    def _report(self, targets: list[Target], results: list[FileResult], notes: list[str]) -> dict[str, Any]:
        from contractlint.fixes import applicable
        from contractlint.flow_index import unresolved_imports
        from contractlint.reporters.json_format import diagnostic_dict, unsafe_only
        from contractlint.rules import all_rules

        report = self.workspace.report(results)
        notes = list(notes)
        run = self.workspace.resolver.run_settings()
        if run is not None and run.not_applicable:
            from contractlint.target import not_applicable_note

            notes.append(not_applicable_note(run.not_applicable, run.target).removeprefix("note: "))
        for name, flow, hint in unresolved_imports(report.results, self.workspace.resolver):
            if self.workspace.engine(self.workspace.resolve(flow)).project.find_module(name) is not None:
                continue  # a drafted module: found through the drafts
            notes.append(f"{flow} imports {name}, which no `src` root holds{hint}: CL203 cannot check what it reads")
        diagnostics: list[dict[str, Any]] = []
        files = []
        by_rule: dict[str, list[Any]] = {}
        for target, result in zip(targets, report.results):
            options = self._options(result.path)
            blocking = [d for d in result.diagnostics if d.severity == "error"]
            files.append({
                "path": result.path,
                "origin": target.origin,
                "kind": result.kind,
                "diagnostics": len(result.diagnostics),
                "blocking": len(blocking),
                "why": target.why,
            })
            if result.kind == "yaml":
                notes.append(f"{result.path} holds no Kestra flow (no document with `id`, `namespace` and `tasks`): "
                             "nothing in it was checked as a flow")
            for diagnostic in result.diagnostics:
                diagnostics.append((diagnostic.sort_key, diagnostic_dict(diagnostic, options)))
                by_rule.setdefault(diagnostic.code, []).append(diagnostic)
        ordered = [entry for _, entry in sorted(diagnostics, key=lambda item: item[0])]
        rules_by_code = {rule.code: rule for rule in all_rules()}
        rules = {}
        for code in sorted(by_rule):
            found = by_rule[code]
            rule = rules_by_code[code]
            rules[code] = {
                "name": rule.name,
                "contract": rule.contract,
                "summary": rule.summary,
                "reason": _remedy(code),
                "count": len(found),
                "blocks": any(d.severity == "error" for d in found),
                "fixable": sum(1 for d in found if applicable(d, False)),
                "unsafe_fixable": sum(1 for d in found if unsafe_only(d, False)),
            }
        all_found = report.diagnostics
        blocking = sum(1 for d in all_found if d.severity == "error")
        summary = {
            "files": len(report.results),
            "diagnostics": len(all_found),
            "blocking": blocking,
            "fixable": sum(1 for d in all_found if applicable(d, False)),
            "unsafe_fixable": sum(1 for d in all_found if unsafe_only(d, False)),
            "baselined": report.baselined,
        }
        return {
            "deployable": blocking == 0,
            "verdict": _verdict(summary, files, rules),
            "summary": summary,
            "files": files,
            "diagnostics": ordered,
            "rules": rules,
            "notes": notes,
        }

    # -- secrets -------------------------------------------------------------------------------

    def _secrets(self, results: list[FileResult]) -> set[str]:
        return {secret for result in results for secret in _secret_texts(result)}


def _remedy(code: str) -> str:
    from contractlint.remedies import REMEDIES

    return REMEDIES[code] if code in REMEDIES else f"See explain_rule {code}."


def _verdict(summary: dict[str, int], files: list[dict[str, Any]], rules: dict[str, Any]) -> str:
    checked = f"{summary['files']} file{'' if summary['files'] == 1 else 's'}"
    hidden = f" ({summary['baselined']} hidden by the baseline)" if summary["baselined"] else ""
    if summary["blocking"] == 0:
        return f"deployable: nothing blocks in {checked}{hidden}"
    where = [entry["path"] for entry in files if entry["blocking"]]
    places = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
    codes = ", ".join(_counted(code, entry["count"]) for code, entry in rules.items() if entry["blocks"])
    count = summary["blocking"]
    advice = []
    if summary["fixable"]:
        advice.append(f"{summary['fixable']} with a safe fix (call fix)")
    if summary["unsafe_fixable"]:
        advice.append(f"{summary['unsafe_fixable']} with an unsafe fix (fix with unsafe=true; review the diff)")
    rest = count - summary["fixable"] - summary["unsafe_fixable"]
    if rest > 0:
        advice.append(f"{rest} to change as each rule's reason says")
    return (f"not deployable: {count} finding{'' if count == 1 else 's'} block{'s' if count == 1 else ''} in "
            f"{places} ({codes}){hidden}; {', '.join(advice)}; then check again")


def _counted(code: str, count: int) -> str:
    return f"{code} ×{count}" if count > 1 else code


def _secret_texts(result: FileResult) -> set[str]:
    """The literal secrets of a file (CL403's), as they may appear in a string: each
    value whole, and each of its lines, quotes and surrounding blanks removed."""
    source = result.source
    if source is None or not result.redactions:
        return set()
    found = set()
    for span in result.redactions:
        start = source.offset(span.line, span.column)
        end = source.offset(span.end_line, span.end_column)
        text = source.text[start:end]
        for piece in [text, *text.splitlines()]:
            piece = piece.strip().strip("\"'").strip()
            if len(piece) >= MIN_MASKED_SECRET:
                found.add(piece)
    return found


def _masked(value: Any, secrets: set[str]) -> Any:
    """``value`` with every occurrence of a secret in any string replaced by the mask."""
    if not secrets:
        return value
    ordered = sorted(secrets, key=len, reverse=True)

    def mask(item: Any) -> Any:
        if isinstance(item, str):
            for secret in ordered:
                if secret in item:
                    item = item.replace(secret, SECRET_MASK)
            return item
        if isinstance(item, dict):
            return {key: mask(entry) for key, entry in item.items()}
        if isinstance(item, list):
            return [mask(entry) for entry in item]
        return item

    return mask(value)


def _relative(path: Path, root: Path) -> str:
    absolute = Path(os.path.abspath(path))
    return absolute.relative_to(root).as_posix() if absolute.is_relative_to(root) else absolute.as_posix()
