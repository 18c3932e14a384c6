"""``--format sarif``: a SARIF 2.1.0 log for GitHub code scanning and other consumers.

One run. ``tool.driver`` lists every registered rule (not only those that fired), with
short and full descriptions, help in text and Markdown, its default configuration and
tags; results point into it with ``ruleId``/``ruleIndex``. Locations are relative to
``%SRCROOT%`` (the folder display paths are relative to: the working directory), with
1-based regions whose columns count Unicode code points (``columnKind``), end column
exclusive as SARIF wants. Fixes become SARIF ``fixes``.

``partialFingerprints`` identify a finding across commits without its line number:
a hash of the path, the code, the diagnostic's ``fingerprint_text`` and the number of
identical findings before it in the file, so inserting unrelated lines above a finding
does not make it a new alert.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path, PurePosixPath, PureWindowsPath
from urllib.parse import quote

from contractlint import __version__
from contractlint.diagnostics import Diagnostic, Span
from contractlint.reporters import ReportOptions, RunReport

# The project's home page; there is no public repository yet. Used for the tool's
# `informationUri` and, with `/blob/main/rules/<CODE>.md`, for each rule's `helpUri`.
INFORMATION_URI = "https://github.com/contractlint/contractlint"
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "contractlint/v1"
MAX_RESULTS = 25_000  # GitHub code scanning's limit per run
MAX_MESSAGE = 4_000  # characters; longer messages are cut (ours are one line)
LEVELS = {"error": "error", "warning": "warning", "info": "note", "note": "note"}


def help_uri(code: str) -> str:
    return f"{INFORMATION_URI}/blob/main/rules/{code}.md"


def _level(severity: str) -> str:
    return LEVELS[severity] if severity in LEVELS else "warning"


def _tags(contract: str) -> list[str]:
    tags = []
    for part in (p.strip() for p in contract.split(",")):
        if part == "security":
            tags.append("security")
        elif part in ("—", "-", ""):
            tags.append("input")
        else:
            tags.append(f"contract-{part}")
    return tags


def rule_descriptors() -> list[dict]:
    from contractlint.docs import explanation, markdown_to_text, rule_help_markdown, sections
    from contractlint.rules import all_rules

    descriptors = []
    for rule in all_rules():
        what = sections(explanation(rule)).get("What it does", rule.summary)
        help_markdown = rule_help_markdown(rule)
        configuration: dict = {"level": "error", "enabled": bool(rule.default_enabled)}
        if rule.options:
            configuration["parameters"] = {name: schema.get("default") for name, schema in rule.options.items()}
        properties: dict = {"tags": _tags(str(rule.contract)), "contract": str(rule.contract)}
        if "security" in properties["tags"]:
            properties["security-severity"] = "8.0"
        if rule.fix is not None:
            properties["fix"] = rule.fix
        descriptors.append(
            {
                "id": rule.code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": markdown_to_text(what).strip(), "markdown": what},
                "help": {"text": markdown_to_text(help_markdown).strip(), "markdown": help_markdown},
                "helpUri": help_uri(rule.code),
                "defaultConfiguration": configuration,
                "properties": properties,
            }
        )
    return descriptors


def fingerprints(diagnostics: list[Diagnostic]) -> list[str]:
    """One fingerprint per diagnostic (in the given order): stable under line moves."""
    seen: Counter = Counter()
    ordinal: dict[int, int] = {}
    for index, diagnostic in sorted(enumerate(diagnostics), key=lambda item: item[1].sort_key):
        key = (diagnostic.path, diagnostic.code, diagnostic.fingerprint_text)
        ordinal[index] = seen[key]
        seen[key] += 1
    found = []
    for index, diagnostic in enumerate(diagnostics):
        material = "\0".join((diagnostic.path, diagnostic.code, diagnostic.fingerprint_text, str(ordinal[index])))
        # surrogateescape: a file name that is not UTF-8 hashes as its bytes.
        found.append(hashlib.sha256(material.encode("utf-8", errors="surrogateescape")).hexdigest()[:32])
    return found


def srcroot_uri(root: Path) -> str:
    uri = root.absolute().as_uri()
    return uri if uri.endswith("/") else uri + "/"


def artifact_location(path: str, root: Path) -> dict:
    """``path`` (a display path) as a SARIF artifact location: relative to %SRCROOT%
    when inside it, an absolute file URI otherwise."""
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        return {"uri": Path(path).absolute().as_uri()}
    if path == ".." or path.startswith("../"):
        return {"uri": Path(os.path.normpath(root.absolute() / path)).as_uri()}
    return {"uri": quote(os.fsencode(path), safe="/"), "uriBaseId": SRCROOT}  # a name's bytes, %-encoded


def region(span: Span) -> dict:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _message(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def result(diagnostic: Diagnostic, rule_index: int, fingerprint: str, root: Path) -> dict:
    location: dict = {
        "physicalLocation": {"artifactLocation": artifact_location(diagnostic.path, root), "region": region(diagnostic.span)}
    }
    if diagnostic.flow is not None:
        logical = [{"name": diagnostic.flow, "fullyQualifiedName": diagnostic.flow, "kind": "module"}]
        if diagnostic.task is not None:
            logical.append(
                {"name": diagnostic.task, "fullyQualifiedName": f"{diagnostic.flow}/{diagnostic.task}", "kind": "function"}
            )
        location["logicalLocations"] = logical
    found: dict = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _level(diagnostic.severity),
        "message": {"text": _message(diagnostic.message)},
        "locations": [location],
        "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
    }
    fix = diagnostic.fix
    if fix is not None and fix.edits:
        replacements = []
        for edit in sorted(fix.edits, key=lambda e: (e.start, e.end)):
            replacement: dict = {"deletedRegion": region(edit.span)}
            if edit.content:
                replacement["insertedContent"] = {"text": edit.content}
            replacements.append(replacement)
        found["fixes"] = [
            {
                "description": {"text": fix.description},
                "artifactChanges": [
                    {"artifactLocation": artifact_location(diagnostic.path, root), "replacements": replacements}
                ],
                "properties": {"applicability": fix.applicability},
            }
        ]
    return found


def sarif_log(run: RunReport, options: ReportOptions) -> dict:
    root = options.srcroot if options.srcroot is not None else Path.cwd()
    rules = rule_descriptors()
    index = {descriptor["id"]: position for position, descriptor in enumerate(rules)}
    diagnostics = run.diagnostics
    for diagnostic in diagnostics:  # a code no registered rule claims: describe it anyway
        if diagnostic.code not in index:
            index[diagnostic.code] = len(rules)
            rules.append({"id": diagnostic.code, "name": diagnostic.name,
                          "shortDescription": {"text": diagnostic.name}, "helpUri": help_uri(diagnostic.code)})
    shown = diagnostics[:MAX_RESULTS]
    prints = fingerprints(shown)
    sarif_run: dict = {
        "tool": {
            "driver": {
                "name": "contractlint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "originalUriBaseIds": {SRCROOT: {"uri": srcroot_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "results": [result(d, index[d.code], fingerprint, root) for d, fingerprint in zip(shown, prints)],
    }
    if len(diagnostics) > MAX_RESULTS:
        sarif_run["invocations"] = [
            {
                "executionSuccessful": True,
                "toolExecutionNotifications": [
                    {
                        "level": "warning",
                        "message": {
                            "text": f"{len(diagnostics) - MAX_RESULTS} of {len(diagnostics)} results were left out: "
                            f"GitHub code scanning accepts at most {MAX_RESULTS} results per run"
                        },
                    }
                ],
            }
        ]
    return {"$schema": SARIF_SCHEMA_URI, "version": SARIF_VERSION, "runs": [sarif_run]}


def render(run: RunReport, options: ReportOptions) -> str:
    return json.dumps(sarif_log(run, options), indent=2, ensure_ascii=False) + "\n"
