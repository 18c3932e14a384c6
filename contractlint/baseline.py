"""Baselines: adopt contractlint on a codebase with existing findings.

``contractlint check --write-baseline FILE`` records every current diagnostic (after
``noqa`` and ``per-file-ignores``) in FILE and exits 0: the run reports them as hidden
by the baseline. ``contractlint check --baseline FILE`` then reports only diagnostics
that are not in it, and counts the entries that no longer match anything in the
files it linted, so the baseline can be shrunk (regenerate it to drop them). With
both options, the file named by ``--write-baseline`` is written and ``--baseline`` is
not read (``--baseline b.json --write-baseline b.json`` regenerates b.json, and works
when it does not exist yet).

A diagnostic matches an entry by path, code and fingerprint — never by line, so
entries survive edits elsewhere in the file. The fingerprint is a hash of the text
the finding is about (``Diagnostic.fingerprint_text``, whitespace runs collapsed so
re-indenting a task keeps it) and of the id of the task it is in, so a baseline never
holds source text, let alone a secret. Entries carry a count: with two identical findings in a file and one
baselined, one is still reported.

The file is JSON, one entry per line in a stable order (path, code, fingerprint), so
it diffs well in review::

    {
      "version": 1,
      "entries": [
        {"path": "flows/etl.yaml", "code": "CL102", "fingerprint": "3f7c0e1a9b2d4c55", "count": 1}
      ]
    }

Paths are relative to the baseline file's folder with ``/`` separators, so the same
baseline works from any working directory. A missing, unreadable or malformed
baseline is a usage error (exit status 2).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contractlint.config import ConfigError

if TYPE_CHECKING:
    from contractlint.diagnostics import Diagnostic
    from contractlint.reporters import RunReport

VERSION = 1
FINGERPRINT_LENGTH = 16  # hex digits of SHA-256

Key = tuple[str, str, str]  # (path relative to the baseline's folder, code, fingerprint)


@dataclass(frozen=True)
class BaselineOutcome:
    hidden: int  # diagnostics matched (or, when writing, recorded) and not reported
    stale: int  # entries for linted files that matched nothing
    written: Path | None = None
    entries: int = 0  # entries written

    @property
    def message(self) -> str:
        """One line for stderr after ``--write-baseline`` (empty otherwise)."""
        if self.written is None:
            return ""
        diagnostics = f"{self.hidden} diagnostic{'' if self.hidden == 1 else 's'}"
        entries = f"{self.entries} entr{'y' if self.entries == 1 else 'ies'}"
        return f"Wrote {diagnostics} ({entries}) to baseline {self.written}"


def fingerprint(diagnostic: Diagnostic) -> str:
    """A hash of the offending text (whitespace runs collapsed) and, for a finding in a
    flow, the task it is in: the same construct in two tasks is two findings."""
    normal = " ".join(diagnostic.fingerprint_text.split())
    task = diagnostic.task if diagnostic.task is not None else ""
    return hashlib.sha256(f"{task}\0{normal}".encode()).hexdigest()[:FINGERPRINT_LENGTH]


def apply(report: RunReport, baseline_path: Path | None, write_baseline_path: Path | None) -> BaselineOutcome:
    """Write the baseline (``write_baseline_path``) or filter ``report`` through one
    (``baseline_path``), updating ``report.baselined`` and ``report.stale_baseline``."""
    if write_baseline_path is not None:
        return _write(report, write_baseline_path)
    if baseline_path is None:
        return BaselineOutcome(hidden=0, stale=0)
    remaining = load(baseline_path)
    folder = _real_folder(baseline_path)
    hidden = 0
    for result in report.results:
        kept = []
        for diagnostic in sorted(result.diagnostics, key=lambda d: d.sort_key):
            key = key_of(diagnostic, folder)
            if remaining.get(key, 0) > 0:
                remaining[key] -= 1
                hidden += 1
            else:
                kept.append(diagnostic)
        result.diagnostics = kept
    linted = {relative_path(result.path, folder) for result in report.results}
    stale = sum(count for (path, _, _), count in remaining.items() if path in linted)
    report.baselined += hidden
    report.stale_baseline += stale
    return BaselineOutcome(hidden=hidden, stale=stale)


def key_of(diagnostic: Diagnostic, folder: str) -> Key:
    return (relative_path(diagnostic.path, folder), diagnostic.code, fingerprint(diagnostic))


def relative_path(display_path: str, folder: str) -> str:
    """A display path (relative to the working directory) relative to ``folder``."""
    real = os.path.realpath(display_path)
    try:
        relative = os.path.relpath(real, folder)
    except ValueError:  # another drive (Windows)
        relative = real
    return relative.replace(os.sep, "/")


def _real_folder(path: Path) -> str:
    return os.path.realpath(path.absolute().parent)


# -- reading and writing ------------------------------------------------------------------


# A baseline holds one short line per finding: a million findings fit.
MAX_BASELINE_BYTES = 128 * 1024 * 1024


def load(path: Path) -> Counter[Key]:
    from contractlint.source import UnreadablePath, read_file

    if not path.exists() and not path.is_symlink():
        raise ConfigError(
            f"baseline file {path} does not exist (create it with `contractlint check --write-baseline {path}`)"
        )
    try:
        raw = read_file(path, MAX_BASELINE_BYTES)
    except UnreadablePath as error:
        raise ConfigError(f"cannot read baseline file {path}: {error.reason}") from error
    try:
        text = raw.decode("utf-8-sig")  # an editor's BOM is not an error
    except UnicodeDecodeError as error:
        raise ConfigError(f"baseline file {path} is not UTF-8 text") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ConfigError(
            f"baseline file {path} is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    except RecursionError as error:
        raise ConfigError(f"baseline file {path} is not a contractlint baseline: nested too deeply") from error
    except ValueError as error:  # a number with more digits than Python converts
        reason = str(error).split(":")[0]
        raise ConfigError(f"baseline file {path} is not a contractlint baseline: {reason}") from error
    return _entries(data, path)


def _entries(data: Any, path: Path) -> Counter[Key]:
    def invalid(problem: str) -> ConfigError:
        return ConfigError(f"baseline file {path} is not a contractlint baseline: {problem}")

    if not isinstance(data, dict):
        raise invalid("expected a JSON object with 'version' and 'entries'")
    if "version" not in data:
        raise invalid("no 'version' key")
    if data["version"] != VERSION:
        raise ConfigError(
            f"baseline file {path} has version {data['version']!r}; this contractlint reads version {VERSION}"
        )
    unknown = sorted(set(data) - {"version", "entries"})
    if unknown:
        raise invalid(f"unknown key {', '.join(repr(k) for k in unknown)}; expected 'version' and 'entries'")
    entries = data.get("entries")
    if not isinstance(entries, list):
        raise invalid("'entries' must be a list")
    found: Counter[Key] = Counter()
    for index, entry in enumerate(entries):
        where = f"entries[{index}]"
        if not isinstance(entry, dict):
            raise invalid(f"{where} must be an object")
        for name in ("path", "code", "fingerprint"):
            if not isinstance(entry.get(name), str) or not entry[name]:
                raise invalid(f"{where}.{name} must be a non-empty string")
        count = entry.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise invalid(f"{where}.count must be an integer >= 1")
        extra = sorted(set(entry) - {"path", "code", "fingerprint", "count"})
        if extra:
            raise invalid(f"{where} has unknown key {', '.join(repr(k) for k in extra)}")
        found[(entry["path"], entry["code"], entry["fingerprint"])] += count
    return found


def render(counts: Counter[Key]) -> str:
    """The baseline file's text: stable order, one entry per line."""
    lines = []
    for path, code, print_ in sorted(counts):
        entry = {"path": path, "code": code, "fingerprint": print_, "count": counts[(path, code, print_)]}
        lines.append("    " + json.dumps(entry, ensure_ascii=False))
    body = ",\n".join(lines)
    return f'{{\n  "version": {VERSION},\n  "entries": [\n{body}\n  ]\n}}\n' if lines else (
        f'{{\n  "version": {VERSION},\n  "entries": []\n}}\n'
    )


def _write(report: RunReport, path: Path) -> BaselineOutcome:
    folder = _real_folder(path)
    counts: Counter[Key] = Counter(key_of(d, folder) for d in report.diagnostics)
    # A path that is not UTF-8 stays a JSON escape of its surrogate (``\udcff``), which
    # reads back as the same key.
    data = render(counts).encode("utf-8", errors="backslashreplace")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not path.is_file():
            raise ConfigError(f"cannot write baseline file {path}: not a regular file")
        if path.is_file():
            from contractlint.fixes import write_atomically

            write_atomically(path, data)
        else:
            # Non-blocking: a FIFO created meanwhile fails at once instead of hanging.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NONBLOCK", 0), 0o666)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
    except OSError as error:
        raise ConfigError(f"cannot write baseline file {path}: {error.strerror or error}") from error
    except ValueError as error:  # a NUL in the name
        raise ConfigError(f"cannot write baseline file {path}: {error}") from error
    hidden = sum(counts.values())
    for result in report.results:
        result.diagnostics = []
    report.baselined += hidden
    return BaselineOutcome(hidden=hidden, stale=0, written=path, entries=len(counts))
