"""Mutation fuzzing of real flows and modules: the mutations and the properties every
mutant must keep. Used by ``test_fuzz.py`` (hypothesis draws the mutations) and by
longer campaigns run by hand (``python tests/fuzzing.py N``).

Seeds are the blueprint corpus when ``../shared`` is there, else the fixture flows,
and real modules (the fixtures' and contractlint's own). A mutation is what breaks
linters in the wild: other line breaks (all of them, or one stray), BOMs, a repeated
line (a duplicate key), control characters, Pebble fragments, a noqa comment, an
environment read or a secret dropped into the file, a cut, an indentation change,
wide characters, another document, an anchor or tag, the file twice.

The properties, for every mutant:

* no internal error; every diagnostic's span lies inside the file;
* every output format renders (JSON and SARIF parse), and no output — excerpts,
  ``--diff`` included — shows a secret the mutation planted;
* ``--fix`` (safe, then unsafe): the result parses at least as well as the mutant
  and is the same kind of file; outside the regions the fixes replaced, every
  character is the mutant's; a second ``--fix`` changes nothing.
"""

from __future__ import annotations

import json
import os
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "kestra-blueprints" / "flows"
FIXTURES = REPO / "flows_fixtures"
PLANTED_SECRET = "PLANTEDsecret9f3k"

BREAKS = ["\n", "\r\n", "\r", "\x85", "\u2028", "\u2029"]
CONTROLS = ["\x00", "\x01", "\x07", "\x08", "\t", "\x0b", "\x0c", "\x1b", "\x1b[31m", "\x7f", "\x85", "\x9b",
            "\u200d", "\u202e", "\ufeff", "\udcff"]
PEBBLE = ["{{ '' }}", "{{ x }}", "{{ secret('API_TOKEN') }}", "{% if a %}", "{% endif %}", "{# note #}", "{{", "}}",
          "{%", "${x}", "{{ outputs.t.value }}", "{% raw %}", "'", '"']
NOQA = ["  # noqa: CL101", "  # noqa: CL202, CL900", "  # noqa: CL9", "  # noqa: CL201 CL202  # why", "  # NOQA:CL401"]
READS = ['os.getenv("A")', "os.environ.get('B', 'x')", 'getenv("C", "d")', "os.environ.get(k for k in 'AB')"]


def seeds(examples_only: bool = False) -> list[tuple[str, str]]:
    """(file name, text) of every seed: real flows, real modules, and the rules'
    INVALID examples (flows and modules with findings, most of them fixable), which
    come last; ``examples_only``: those alone, once each."""
    from contractlint.rules import all_rules
    from contractlint.testing import example_path

    if examples_only:
        return [(Path(example_path(e)).name, e.code) for rule in all_rules() for e in rule.INVALID]
    flows = sorted(CORPUS.rglob("*.y*ml")) if CORPUS.is_dir() else []
    flows = flows or sorted(FIXTURES.rglob("*.y*ml"))
    modules = sorted(FIXTURES.rglob("*.py")) + sorted((REPO / "contractlint").glob("*.py"))[:12]
    found = [(path.name, path.read_bytes().decode("utf-8", errors="surrogateescape")) for path in flows + modules]
    examples = [(Path(example_path(e)).name, e.code) for rule in all_rules() for e in rule.INVALID]
    return found + examples * max(1, len(flows) // (4 * max(1, len(examples))))


# -- mutations ---------------------------------------------------------------------------------------


def _lines(text: str) -> list[str]:
    return text.split("\n")


def mutate(text: str, rng: random.Random, count: int = 1, python: bool = False) -> tuple[str, list[str]]:
    """``text`` with ``count`` random mutations; returns the text and their names.
    ``python``: the text is a module (a planted secret is written as Python)."""
    names = []
    for _ in range(count):
        name = rng.choice(sorted(MUTATIONS))
        text = (_python_secret if python and name == "secret" else MUTATIONS[name])(text, rng)
        names.append(name)
    return text, names


def _all_breaks(text: str, rng: random.Random) -> str:
    newline = rng.choice(BREAKS[1:])
    return text.replace("\n", newline)


def _mixed_breaks(text: str, rng: random.Random) -> str:
    return "".join(line + rng.choice(BREAKS) for line in _lines(text))[: len(text) + text.count("\n") * 2]


def _stray_break(text: str, rng: random.Random) -> str:
    if "\n" not in text:
        return text + "\r"
    positions = [i for i, char in enumerate(text) if char == "\n"]
    index = rng.choice(positions)
    return text[:index] + rng.choice(BREAKS[2:]) + text[index + 1 :]


def _insert(text: str, rng: random.Random, piece: str) -> str:
    index = rng.randrange(len(text) + 1)
    return text[:index] + piece + text[index:]


def _boms(text: str, rng: random.Random) -> str:
    return "\ufeff" * rng.randint(1, 3) + text


def _duplicate_line(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    index = rng.randrange(len(lines))
    return "\n".join(lines[: index + 1] + [lines[index]] + lines[index + 1 :])


def _duplicate_block(text: str, rng: random.Random) -> str:
    """Repeat a key with the lines under it (a duplicate key whose values differ)."""
    lines = _lines(text)
    keys = [i for i, line in enumerate(lines) if line.rstrip().endswith(":") and not line.lstrip().startswith("#")]
    if not keys:
        return _duplicate_line(text, rng)
    start = rng.choice(keys)
    indent = len(lines[start]) - len(lines[start].lstrip())
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent):
        end += 1
    return "\n".join(lines[:end] + lines[start:end] + lines[end:])


def _line_end(text: str, rng: random.Random, piece: str) -> str:
    lines = _lines(text)
    index = rng.randrange(len(lines))
    lines[index] += piece
    return "\n".join(lines)


def _line_start(text: str, rng: random.Random, piece: str) -> str:
    lines = _lines(text)
    index = rng.randrange(len(lines) + 1)
    return "\n".join(lines[:index] + [piece.rstrip("\n")] + lines[index:])


def _read(text: str, rng: random.Random) -> str:
    """An environment read where a script or module line is."""
    lines = _lines(text)
    candidates = [i for i, line in enumerate(lines) if line.strip() and not line.rstrip().endswith(":")]
    if not candidates:
        return text
    index = rng.choice(candidates)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines.insert(index, f"{indent}v = {rng.choice(READS)}")
    return "\n".join(lines)


def _script_read(text: str, rng: random.Random) -> str:
    """An environment read inside an inline script (a fixable CL201/CL202), when the
    flow has one."""
    lines = _lines(text)
    inside = []
    for index, line in enumerate(lines):
        if line.rstrip().endswith(("script: |", "script: |-", "script: >")):
            indent = len(line) - len(line.lstrip())
            following = index + 1
            while following < len(lines) and (not lines[following].strip() or
                                              len(lines[following]) - len(lines[following].lstrip()) > indent):
                if lines[following].strip():
                    inside.append(following)
                following += 1
    if not inside:
        return _read(text, rng)
    index = rng.choice(inside)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
    lines.insert(index, f"{indent}import os; v = {rng.choice(READS)}" if rng.random() < 0.3 else
                 f"{indent}v = {rng.choice(READS)}")
    return "\n".join(lines)


def _secret(text: str, rng: random.Random) -> str:
    """A credential under a secret-named key, where some key already is."""
    lines = _lines(text)
    candidates = [i for i, line in enumerate(lines) if ":" in line and not line.lstrip().startswith(("#", "-"))]
    index = rng.choice(candidates) if candidates else 0
    line = lines[index] if lines else ""
    indent = line[: len(line) - len(line.lstrip())]
    choices = [f"{indent}API_TOKEN: {PLANTED_SECRET}", f'{indent}password: "{PLANTED_SECRET}"',
               f"{indent}apiKey: [{PLANTED_SECRET}]", f'{indent}DB_PASSWORD = "{PLANTED_SECRET}"',
               f"{indent}url: postgresql://u:{PLANTED_SECRET}@db/x"]
    lines.insert(index, rng.choice(choices))
    return "\n".join(lines)


def _python_secret(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    index = rng.randrange(len(lines) + 1)
    indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())] if index < len(lines) else ""
    choices = [f'{indent}API_TOKEN = "{PLANTED_SECRET}"', f"{indent}connect(password='{PLANTED_SECRET}')",
               f'{indent}HEADERS = {{"X-Api-Key": "{PLANTED_SECRET}"}}', f'{indent}URL = "https://u:{PLANTED_SECRET}@h"']
    lines.insert(index, rng.choice(choices))
    return "\n".join(lines)


def _cut(text: str, rng: random.Random) -> str:
    if not text:
        return text
    start = rng.randrange(len(text))
    return text[:start] + text[start + rng.randint(1, 40) :]


def _indent(text: str, rng: random.Random) -> str:
    lines = _lines(text)
    index = rng.randrange(len(lines))
    lines[index] = rng.choice([" ", "\t", ""]) + (lines[index][1:] if rng.random() < 0.5 else lines[index])
    return "\n".join(lines)


WIDE = ["é", "€", "😀", "e\u0301", "中文", "\u00a0", "\u3000", "\U0001d11e"]

MUTATIONS = {
    "all breaks": _all_breaks,
    "mixed breaks": _mixed_breaks,
    "stray break": _stray_break,
    "boms": _boms,
    "bom inside": lambda text, rng: _insert(text, rng, "\ufeff"),
    "duplicate line": _duplicate_line,
    "duplicate key": _duplicate_block,
    "control": lambda text, rng: _insert(text, rng, rng.choice(CONTROLS)),
    "pebble": lambda text, rng: _insert(text, rng, rng.choice(PEBBLE)),
    "noqa": lambda text, rng: _line_end(text, rng, rng.choice(NOQA)),
    "read": _read,
    "script read": _script_read,
    "secret": _secret,
    "cut": _cut,
    "no final newline": lambda text, rng: text.rstrip("\r\n\x85\u2028\u2029"),
    "document": lambda text, rng: _line_start(text, rng, rng.choice(["---\n", "...\n", "--- |\n", "%YAML 1.2\n---\n"])),
    "anchor": lambda text, rng: _insert(text, rng, rng.choice([" &a", " *a", " !!str", " !tag", " <<: *a"])),
    "twice": lambda text, rng: text + "\n" + text,
    "wide characters": lambda text, rng: _insert(text, rng, rng.choice(WIDE)),
    "indent": _indent,
}


def encode(text: str) -> bytes:
    """The mutant's bytes (a surrogate stands for an undecodable byte)."""
    return text.encode("utf-8", errors="surrogateescape")


# -- properties --------------------------------------------------------------------------------------


@dataclass
class Failure:
    property: str
    detail: str


@dataclass
class Checked:
    failures: list[Failure] = field(default_factory=list)
    fixed: int = 0  # fixes applied (safe and unsafe runs)


def check(linter, name: str, data: bytes, planted: bool = False) -> Checked:  # noqa: ANN001 - a Linter
    """Lint, render and fix one mutant; every property it breaks is a Failure."""
    from contractlint.reporters import ReportOptions, RunReport, render
    from contractlint.runner import fix_text, redacted, unified_diff

    checked = Checked()
    fail = checked.failures.append
    try:
        result = linter.lint_bytes(name, data)
    except Exception as error:  # noqa: CL302 - the property under test: reported as a failure
        fail(Failure("no internal error", f"lint: {error!r}"))
        return checked
    source = result.source
    for diagnostic in result.diagnostics:
        problem = _outside(diagnostic.span, source)
        if problem:
            fail(Failure("positions inside the file", f"{diagnostic.code} {diagnostic.span}: {problem}"))
    outputs: dict[str, str] = {}
    report = RunReport(results=[result])
    for output_format in ("text", "json", "sarif", "github"):
        for show_source in (True, False) if output_format == "text" else (False,):
            options = ReportOptions(color=show_source, show_source=show_source, unsafe_fixes=True)
            try:
                outputs[f"{output_format}{show_source}"] = render(output_format, report, options)
            except Exception as error:  # noqa: CL302 - reported as a failure
                fail(Failure("every format renders", f"{output_format}: {error!r}"))
    for key in ("jsonFalse", "sarifFalse"):
        if key in outputs:
            try:
                json.loads(outputs[key].encode("utf-8", errors="backslashreplace"))
            except ValueError as error:
                fail(Failure("JSON and SARIF parse", f"{key}: {error}"))
    if source is None:
        _no_secret(outputs, planted, fail)
        return checked
    previous = result
    for unsafe in (False, True):
        try:
            outcome = fix_text(linter, previous, unsafe)
        except Exception as error:  # noqa: CL302 - reported as a failure
            fail(Failure("no internal error", f"fix (unsafe={unsafe}): {error!r}"))
            return checked
        original = previous.source.text
        if outcome.text == original:
            continue
        checked.fixed += outcome.applied
        fixed = linter.lint_bytes(name, source.encode(outcome.text))
        if fixed.parse_errors > previous.parse_errors or fixed.kind != previous.kind:
            fail(Failure("fixed file parses as well", f"unsafe={unsafe}: {previous.parse_errors} → {fixed.parse_errors}"
                                                         f" errors, {previous.kind} → {fixed.kind}"))
        if outcome.trail is None or not outcome.trail.outside_unchanged(original, outcome.text):
            fail(Failure("bytes outside edits unchanged", f"unsafe={unsafe}"))
        else:
            problem = _lines_kept(original, outcome.text, outcome.trail.regions)
            if problem:
                fail(Failure("bytes outside edits unchanged", f"unsafe={unsafe}: {problem}"))
        try:
            outputs[f"diff{unsafe}"] = unified_diff(
                redacted(previous.source, previous.redactions), redacted(fixed.source, fixed.redactions), name,
                previous.source.line_break)
        except Exception as error:  # noqa: CL302 - reported as a failure
            fail(Failure("every format renders", f"diff: {error!r}"))
        again = fix_text(linter, fixed, unsafe)
        if again.text != outcome.text:
            fail(Failure("second fix changes nothing", f"unsafe={unsafe}: {again.applied} more applied"))
        previous = fixed
    _no_secret(outputs, planted, fail)
    return checked


def _outside(span, source) -> str:  # noqa: ANN001 - a Span and a SourceFile or None
    if source is None:
        return "" if (span.line, span.column) == (1, 1) or span.line >= 1 else "before the file"
    if not 1 <= span.line <= span.end_line <= source.line_count:
        return f"lines outside 1..{source.line_count}"
    if (span.end_line, span.end_column) < (span.line, span.column):
        return "ends before it starts"
    if not 1 <= span.column <= len(source.line_text(span.line)) + 1:
        return f"column outside line {span.line} (length {len(source.line_text(span.line))})"
    if not 1 <= span.end_column <= len(source.line_text(span.end_line)) + 1:
        return f"end column outside line {span.end_line} (length {len(source.line_text(span.end_line))})"
    return ""


def _lines_kept(original: str, fixed: str, regions) -> str:  # noqa: ANN001 - EditTrail regions
    """Independently of the trail's own check: each line of the original that no
    region touches is in the fixed text, in order."""
    untouched = []
    start = 0
    for line in original.splitlines(keepends=True):
        end = start + len(line)
        if not any(a <= end and start <= b for a, b, _, _ in regions):
            untouched.append(line)
        start = end
    position = 0
    for line in untouched:
        found = fixed.find(line, position)
        if found == -1:
            return f"line {line!r} lost"
        position = found + len(line)
    return ""


PLANTED_FORMS = (
    f"API_TOKEN: {PLANTED_SECRET}", f'password: "{PLANTED_SECRET}"', f"apiKey: [{PLANTED_SECRET}]",
    f'DB_PASSWORD = "{PLANTED_SECRET}"', f"url: postgresql://u:{PLANTED_SECRET}@db/x",
    f'API_TOKEN = "{PLANTED_SECRET}"', f"connect(password='{PLANTED_SECRET}')",
    f'HEADERS = {{"X-Api-Key": "{PLANTED_SECRET}"}}', f'URL = "https://u:{PLANTED_SECRET}@h"',
)


def planted_intact(data: bytes) -> bool:
    """A planted secret is still a line as planted (a later mutation may have cut it,
    or broken its key's name: then it is no longer plainly a credential)."""
    from contractlint.source import YAML_LINE_BREAK

    text = data.decode("utf-8", errors="replace")
    return any(line.strip(" \t\ufeff") in PLANTED_FORMS for line in YAML_LINE_BREAK.split(text))


def _no_secret(outputs: dict[str, str], planted: bool, fail) -> None:  # noqa: ANN001 - a callable
    if not planted:
        return
    for key, output in outputs.items():
        if PLANTED_SECRET in output:
            fail(Failure("no secret in any output", key))


def check_cli(folder: Path, name: str, data: bytes, planted: bool = False) -> list[Failure]:
    """The mutant as a file on disk through the command line (click's runner, in this
    process): every format, then ``--fix --unsafe-fixes`` twice. Exit status 0 or 1,
    JSON and SARIF parse, the fixed file parses as well, the second run changes nothing."""
    from click.testing import CliRunner

    from contractlint.cli import main

    failures: list[Failure] = []
    path = folder / name
    path.write_bytes(data)
    runner = CliRunner()
    previous = os.getcwd()
    os.chdir(folder)
    try:
        def invoke(*args: str):
            return runner.invoke(main, ["check", name, "--extend-select", "CL900", *args], catch_exceptions=True)

        for args in (("--show-source",), ("--format", "json"), ("--format", "sarif"), ("--format", "github"),
                     ("--diff", "--unsafe-fixes"), ("--statistics",)):
            result = invoke(*args)
            if result.exception is not None and not isinstance(result.exception, SystemExit):
                failures.append(Failure("no internal error", f"cli {args}: {result.exception!r}"))
            elif result.exit_code not in (0, 1):
                failures.append(Failure("no internal error", f"cli {args}: exit {result.exit_code}: {result.stderr[:200]}"))
            if args[-1] in ("json", "sarif"):
                try:
                    json.loads(result.stdout_bytes)
                except ValueError as error:
                    failures.append(Failure("JSON and SARIF parse", f"cli {args}: {error}"))
            if planted and PLANTED_SECRET in result.stdout_bytes.decode("utf-8", "replace") + result.stderr:
                failures.append(Failure("no secret in any output", f"cli {args}"))
        before = invoke("--format", "json")
        first = invoke("--fix", "--unsafe-fixes", "--format", "json")
        after_first = path.read_bytes()
        second = invoke("--fix", "--unsafe-fixes", "--format", "json")
        if path.read_bytes() != after_first:
            failures.append(Failure("second fix changes nothing", "cli"))
        for result in (first, second):
            if result.exit_code not in (0, 1):
                failures.append(Failure("no internal error", f"cli --fix: exit {result.exit_code}: {result.stderr[:200]}"))
        if after_first != data:
            errors = [_parse_errors(r) for r in (before, first)]
            if errors[1] > errors[0]:
                failures.append(Failure("fixed file parses as well", f"cli: {errors[0]} → {errors[1]}"))
    finally:
        os.chdir(previous)
        path.unlink()
    return failures


def _parse_errors(result) -> int:  # noqa: ANN001 - a click Result
    try:
        document = json.loads(result.stdout_bytes)
    except ValueError:
        return 10**6
    return sum(1 for d in document["diagnostics"] if d["code"] in ("CL000", "CL001", "CL003"))


# -- a campaign by hand -------------------------------------------------------------------------------


def campaign(count: int, seed: int = 0, cli_every: int = 10, fixable_only: bool = False) -> dict:
    """``count`` mutants of random seeds, each checked; a summary of what failed.
    ``fixable_only``: only seeds that have fixes (to exercise ``--fix`` hardest)."""
    import tempfile
    from collections import Counter

    from contractlint.config import CommandLine, settings_from_table
    from contractlint.runner import build_linter, in_large_stack

    rng = random.Random(seed)
    pool = seeds()
    with tempfile.TemporaryDirectory() as folder:
        linter = build_linter(settings_from_table({}, Path(folder), None, CommandLine(extend_select=("CL900",))))
        if fixable_only:
            pool = [(name, text) for name, text in pool
                    if any(d.fix for d in in_large_stack(lambda: linter.lint_bytes(name, encode(text))).diagnostics)]
        failures: Counter = Counter()
        examples: dict[str, tuple] = {}
        fixed = mutants_fixed = 0

        def run() -> None:
            nonlocal fixed, mutants_fixed
            for number in range(count):
                name, text = rng.choice(pool)
                mutant, names = mutate(text, rng, rng.choice([1, 1, 2, 3]), python=name.endswith(".py"))
                planted = "secret" in names and planted_intact(encode(mutant))
                checked = check(linter, name, encode(mutant), planted=planted)
                fixed += checked.fixed
                mutants_fixed += bool(checked.fixed)
                if cli_every and number % cli_every == 0:
                    checked.failures.extend(check_cli(Path(folder), name, encode(mutant), planted))
                for failure in checked.failures:
                    failures[failure.property] += 1
                    examples.setdefault(failure.property + ": " + failure.detail[:60], (name, names, mutant, number))

        in_large_stack(run)
    return {"mutants": count, "fixes applied": fixed, "mutants fixed": mutants_fixed, "failures": dict(failures),
            "examples": examples}


if __name__ == "__main__":
    # python tests/fuzzing.py [COUNT [SEED [fixable]]]
    summary = campaign(int(sys.argv[1]) if len(sys.argv) > 1 else 1000, int(sys.argv[2]) if len(sys.argv) > 2 else 0,
                       fixable_only=len(sys.argv) > 3 and sys.argv[3] == "fixable")
    examples = summary.pop("examples")
    print(json.dumps(summary, indent=2))
    for key, (name, names, mutant, number) in list(examples.items())[:40]:
        print(f"--- {key}\n    {name} {names} #{number}\n    {mutant[:300]!r}")
