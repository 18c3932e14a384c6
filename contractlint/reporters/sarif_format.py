"""``--format sarif``: a SARIF 2.1.0 log for GitHub code scanning and other consumers.

One run. ``tool.driver`` lists every registered rule (not only those that fired), with
short and full descriptions, help in text and Markdown, its default configuration,
tags and the properties GitHub reads (``precision``, ``problem.severity``, and
``security-severity`` for security rules); results point into it with
``ruleId``/``ruleIndex``. Fixes become SARIF ``fixes``. A finding its rule grades
(CL103: injection, leak, data, smell) carries the grade in its own ``level``,
``rank`` and ``properties`` (``contractlint/grade``, and for injection and leak a
``security-severity`` and the ``security`` tag): GitHub takes ``security-severity``
from rules only, so there the result's level is what sets one finding above another.

Locations are relative to ``%SRCROOT%``, which is the repository root (the CLI passes
the git top level of the linted files): code scanning resolves a relative URI against
the root of the repository it analyses, so alerts land on the right file whatever
folder the run started in. Regions are 1-based, columns count Unicode code points
(``columnKind``), end column exclusive.

What GitHub documents as limits is kept: ``fullDescription`` at most 1,024 characters
(the whole explanation is in ``help``), at most 25,000 results per run. Links
(``informationUri``, ``helpUri``) are given only when the ``docs-url`` setting says
where the documentation is published: a link to a page that does not exist is worse
than none.

``partialFingerprints`` identify a finding across commits without its line number:

* ``primaryLocationLineHash``: what GitHub computes itself when a SARIF file has none
  (a rolling hash of the 100 non-blank characters from the start of the line, with a
  count for repeated values), so alerts match those of an upload that let GitHub
  compute it;
* ``contractlint/v1``: a hash of the path, the code, the diagnostic's
  ``fingerprint_text`` and the number of identical findings before it in the file, so
  inserting unrelated lines above a finding does not make it a new alert.
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

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "contractlint/v1"
LINE_HASH_KEY = "primaryLocationLineHash"
MAX_RESULTS = 25_000  # GitHub code scanning's limit per run
MAX_MESSAGE = 4_000  # characters; longer messages are cut (ours are one line)
MAX_FULL_DESCRIPTION = 1_024  # GitHub's limit for fullDescription.text
LEVELS = {"error": "error", "warning": "warning", "info": "note", "note": "note"}

# A finding graded by its rule (CL103: what a Pebble expression splices into code) is
# placed by its grade, not only its rule: the result's `level` (what GitHub shows for
# an alert), its `rank` (0-100, SARIF's priority), and properties naming the grade and,
# for the security grades, a `security-severity` and the `security` tag. GitHub reads
# `security-severity` from rules only, so there the level is what tells them apart.
GRADE_LEVEL = {"injection": "error", "leak": "error", "data": "warning", "smell": "note"}
GRADE_RANK = {"injection": 90.0, "leak": 80.0, "data": 50.0, "smell": 10.0}
GRADE_SECURITY_SEVERITY = {"injection": "8.0", "leak": "7.0"}


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


def full_description(markdown: str) -> tuple[str, str]:
    """(text, markdown) of a rule's "What it does", within GitHub's 1,024 characters:
    whole paragraphs while they fit, else the first one cut at a sentence or word."""
    from contractlint.docs import markdown_to_text

    paragraphs = [part.strip() for part in markdown.strip().split("\n\n") if part.strip()]
    kept: list[str] = []
    for paragraph in paragraphs:
        candidate = "\n\n".join([*kept, paragraph])
        if len(candidate) > MAX_FULL_DESCRIPTION or len(markdown_to_text(candidate).strip()) > MAX_FULL_DESCRIPTION:
            break
        kept.append(paragraph)
    if not kept:
        kept = [_cut(paragraphs[0] if paragraphs else "", MAX_FULL_DESCRIPTION)]
    shown = "\n\n".join(kept)
    if len(kept) < len(paragraphs) and len(shown) + 2 <= MAX_FULL_DESCRIPTION:
        shown += " …"
    text = markdown_to_text(shown).strip()
    return _cut(text, MAX_FULL_DESCRIPTION), _cut(shown, MAX_FULL_DESCRIPTION)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    stop = head.rfind(". ")
    if stop > limit // 2:
        return head[: stop + 1]
    space = head.rfind(" ")
    return (head[:space] if space > 0 else head) + "…"


def rule_descriptors(options: ReportOptions | None = None) -> list[dict]:
    from contractlint.docs import explanation, markdown_to_text, rule_help_markdown, sections
    from contractlint.rules import all_rules

    options = options if options is not None else ReportOptions()
    descriptors = []
    for rule in all_rules():
        what = sections(explanation(rule)).get("What it does", rule.summary)
        help_markdown = rule_help_markdown(rule)
        configuration: dict = {"level": "error", "enabled": bool(rule.default_enabled)}
        if rule.options:
            configuration["parameters"] = {name: schema.get("default") for name, schema in rule.options.items()}
        tags = _tags(str(rule.contract))
        if rule.security_severity is not None and "security" not in tags:
            tags.append("security")
        properties: dict = {
            "tags": tags,
            "contract": str(rule.contract),
            "precision": rule.precision,
            "problem.severity": rule.problem_severity,
        }
        if rule.security_severity is not None:
            properties["security-severity"] = rule.security_severity
        if rule.fix is not None:
            properties["fix"] = rule.fix
        text, markdown = full_description(what)
        descriptor = {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": text, "markdown": markdown},
            "help": {"text": markdown_to_text(help_markdown).strip(), "markdown": help_markdown},
            "defaultConfiguration": configuration,
            "properties": properties,
        }
        url = options.rule_url(rule.code)
        if url is not None:
            descriptor["helpUri"] = url
        descriptors.append(descriptor)
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


def artifact_location(path: str, root: Path, cwd: Path | None = None) -> dict:
    """``path`` (a display path: relative to ``cwd``, default ``root``) as a SARIF
    artifact location: relative to %SRCROOT% (``root``) when inside it, an absolute file
    URI otherwise."""
    base = cwd if cwd is not None else root
    if PurePosixPath(path).is_absolute() or PureWindowsPath(path).is_absolute():
        absolute = Path(path).absolute()
    else:
        absolute = Path(os.path.normpath(base.absolute() / path))
    try:
        relative = absolute.relative_to(Path(os.path.normpath(root.absolute())))
    except ValueError:
        return {"uri": absolute.as_uri()}
    return {"uri": quote(os.fsencode(relative.as_posix()), safe="/"), "uriBaseId": SRCROOT}  # a name's bytes, %-encoded


# -- GitHub's primaryLocationLineHash ------------------------------------------------------

_BLOCK = 100  # characters hashed from the start of each line
_MULTIPLIER = 37
_MASK = (1 << 64) - 1  # the hash is a 64-bit integer that wraps
_END_OF_FILE = 65535


def line_hashes(text: str) -> list[str]:
    """The ``primaryLocationLineHash`` of every line of a file's text (as it is on disk,
    BOM included), computed as GitHub's code scanning computes it: line breaks ``\\r\\n``,
    ``\\r`` and ``\\n`` are one ``\\n``, spaces and tabs are skipped, and a line's value is
    the polynomial hash of the next 100 UTF-16 code units from its first character (the
    end of the file is one 65535 and then zeros), in hexadecimal, with ``:N`` counting
    the lines before it with the same value."""
    stream = text.replace("\r\n", "\n").replace("\r", "\n").replace(" ", "").replace("\t", "")
    units = list(memoryview(stream.encode("utf-16-le")).cast("H"))
    units.append(_END_OF_FILE)
    units.extend([0] * _BLOCK)
    # prefix[k]: the hash of units[:k]; the hash of a window is a difference of two.
    prefix = [0] * (len(units) + 1)
    value = 0
    for index, unit in enumerate(units):
        value = (value * _MULTIPLIER + unit) & _MASK
        prefix[index + 1] = value
    shift = pow(_MULTIPLIER, _BLOCK, 1 << 64)
    starts = [0]
    newline = ord("\n")
    for index, unit in enumerate(units[: len(units) - _BLOCK - 1]):
        if unit == newline:
            starts.append(index + 1)
    seen: Counter = Counter()
    hashes = []
    for start in starts:
        window = (prefix[start + _BLOCK] - prefix[start] * shift) & _MASK
        key = format(window, "x")
        seen[key] += 1
        hashes.append(f"{key}:{seen[key]}")
    return hashes


def region(span: Span) -> dict:
    return {
        "startLine": span.line,
        "startColumn": span.column,
        "endLine": span.end_line,
        "endColumn": span.end_column,
    }


def _message(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def result(diagnostic: Diagnostic, rule_index: int, fingerprint: str, root: Path, cwd: Path | None = None,
           line_hash: str | None = None) -> dict:
    location: dict = {
        "physicalLocation": {
            "artifactLocation": artifact_location(diagnostic.path, root, cwd),
            "region": region(diagnostic.span),
        }
    }
    if diagnostic.flow is not None:
        logical = [{"name": diagnostic.flow, "fullyQualifiedName": diagnostic.flow, "kind": "module"}]
        if diagnostic.task is not None:
            logical.append(
                {"name": diagnostic.task, "fullyQualifiedName": f"{diagnostic.flow}/{diagnostic.task}", "kind": "function"}
            )
        location["logicalLocations"] = logical
    prints = {FINGERPRINT_KEY: fingerprint}
    if line_hash is not None:
        prints[LINE_HASH_KEY] = line_hash
    found: dict = {
        "ruleId": diagnostic.code,
        "ruleIndex": rule_index,
        "level": _level(diagnostic.severity),
        "message": {"text": _message(diagnostic.message)},
        "locations": [location],
        "partialFingerprints": prints,
    }
    if diagnostic.grade is not None:
        found["level"] = GRADE_LEVEL.get(diagnostic.grade, found["level"])
        if diagnostic.grade in GRADE_RANK:
            found["rank"] = GRADE_RANK[diagnostic.grade]
        properties: dict = {"contractlint/grade": diagnostic.grade}
        if diagnostic.grade in GRADE_SECURITY_SEVERITY:
            properties["security-severity"] = GRADE_SECURITY_SEVERITY[diagnostic.grade]
            properties["tags"] = ["security"]
        found["properties"] = properties
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
                    {"artifactLocation": artifact_location(diagnostic.path, root, cwd), "replacements": replacements}
                ],
                "properties": {"applicability": fix.applicability},
            }
        ]
    return found


def _line_hash_lookup(run: RunReport, shown: list[Diagnostic]):
    """The line hash of each diagnostic's start line (None for a file without text)."""
    from contractlint.source import BOM, SourceFile

    sources = run.sources()
    cache: dict[str, list[str]] = {}

    def lookup(diagnostic: Diagnostic) -> str | None:
        source = sources.get(diagnostic.path)
        if not isinstance(source, SourceFile):
            return None
        if diagnostic.path not in cache:
            cache[diagnostic.path] = line_hashes((BOM if source.has_bom else "") + source.text)
        hashes = cache[diagnostic.path]
        line = diagnostic.span.line
        return hashes[line - 1] if 1 <= line <= len(hashes) else None

    return lookup


def sarif_log(run: RunReport, options: ReportOptions) -> dict:
    root = options.srcroot if options.srcroot is not None else (options.cwd or Path.cwd())
    cwd = options.cwd if options.cwd is not None else Path.cwd()
    rules = rule_descriptors(options)
    index = {descriptor["id"]: position for position, descriptor in enumerate(rules)}
    diagnostics = run.diagnostics
    for diagnostic in diagnostics:  # a code no registered rule claims: describe it anyway
        if diagnostic.code not in index:
            index[diagnostic.code] = len(rules)
            rules.append({"id": diagnostic.code, "name": diagnostic.name,
                          "shortDescription": {"text": diagnostic.name}})
    shown = diagnostics[:MAX_RESULTS]
    prints = fingerprints(shown)
    line_hash = _line_hash_lookup(run, shown)
    driver: dict = {"name": "contractlint", "version": __version__, "semanticVersion": __version__}
    if options.docs_url is not None:
        driver["informationUri"] = options.docs_url
    driver["rules"] = rules
    sarif_run: dict = {
        "tool": {"driver": driver},
        "originalUriBaseIds": {SRCROOT: {"uri": srcroot_uri(root)}},
        "columnKind": "unicodeCodePoints",
        "results": [
            result(d, index[d.code], fingerprint, root, cwd, line_hash(d)) for d, fingerprint in zip(shown, prints)
        ],
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
