"""The command line: ``check``, ``rule``, ``rules`` and ``--version``.

Exit status: 0 no diagnostics, 1 diagnostics, 2 usage error, invalid
configuration or internal error (click's own usage errors exit 2 as well).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from contractlint import __version__

EXIT_CLEAN, EXIT_DIAGNOSTICS, EXIT_ERROR = 0, 1, 2


class CodesParam(click.ParamType):
    """A comma-separated list of rule codes or prefixes."""

    name = "codes"

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        from contractlint.config import parse_codes

        return value if isinstance(value, tuple) else parse_codes(value)


CODES = CodesParam()


class EnvChoice(click.Choice):
    """A choice that, when wrong, names the environment variable it may have come from."""

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        if value in self.choices:
            return value
        source = f" (from {param.opts[-1]} or {param.envvar})" if param is not None and param.envvar else ""
        self.fail(f"{value!r} is not one of {', '.join(map(repr, self.choices))}{source}", param, ctx)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", "-V", prog_name="contractlint", message="%(prog)s %(version)s")
def main() -> None:
    """Lint Kestra flows and the Python modules they call against the pipeline contracts."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--format", "output_format", type=EnvChoice(["text", "json", "sarif", "github"]),
              envvar="CONTRACTLINT_FORMAT", help="Output format (default: text).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              envvar="CONTRACTLINT_OUTPUT_FILE", help="Write the report to this file instead of stdout.")
@click.option("--select", type=CODES, envvar="CONTRACTLINT_SELECT",
              help="Rule codes or prefixes to enable, replacing the configured set (comma-separated).")
@click.option("--extend-select", type=CODES, envvar="CONTRACTLINT_EXTEND_SELECT",
              help="Rule codes or prefixes to enable on top of the configured set.")
@click.option("--ignore", type=CODES, envvar="CONTRACTLINT_IGNORE",
              help="Rule codes or prefixes to disable (the longest matching prefix wins).")
@click.option("--config", type=click.Path(dir_okay=False, path_type=Path), envvar="CONTRACTLINT_CONFIG",
              help="Config file (pyproject.toml or .contractlint.toml) instead of the nearest one.")
@click.option("--fix", is_flag=True, default=None, envvar="CONTRACTLINT_FIX", help="Apply safe fixes.")
@click.option("--unsafe-fixes", is_flag=True, default=None, envvar="CONTRACTLINT_UNSAFE_FIXES",
              help="Also apply (with --fix) or show unsafe fixes.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing.")
@click.option("--stdin-filename", help="Lint standard input as the file of this name.")
@click.option("--force-exclude", is_flag=True, default=None, envvar="CONTRACTLINT_FORCE_EXCLUDE",
              help="Apply exclude patterns to files named on the command line too (for pre-commit).")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only diagnostics not recorded in this baseline file.")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current diagnostics in this baseline file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are diagnostics.")
@click.option("--statistics", is_flag=True, help="Show a count per rule instead of each diagnostic.")
@click.option("--show-source/--no-show-source", default=None, envvar="CONTRACTLINT_SHOW_SOURCE",
              help="Show the offending source lines (default: on a terminal).")
@click.option("-q", "--quiet", is_flag=True, help="Print diagnostics only: no summary line.")
@click.option("--no-color", is_flag=True, help="No colour (also when NO_COLOR is set).")
def check(paths: tuple[str, ...], output_format: str | None, output_file: Path | None, select, extend_select,
          ignore, config: Path | None, fix: bool | None, unsafe_fixes: bool | None, diff: bool,
          stdin_filename: str | None, force_exclude: bool | None, baseline: Path | None,
          write_baseline: Path | None, exit_zero: bool, statistics: bool, show_source: bool | None,
          quiet: bool, no_color: bool) -> None:
    """Lint flows and Python modules under PATHS (default: the current directory)."""
    from contractlint.config import CommandLine, ConfigError, resolve_settings
    from contractlint.reporters import ReportOptions, render
    from contractlint.runner import CheckRequest, print_internal_errors, run_check

    stdin_data = None
    if stdin_filename is not None or paths == ("-",):
        if paths not in ((), ("-",)):
            _fail("--stdin-filename lints standard input; do not also name paths")
        from contractlint.source import MAX_FILE_BYTES

        if sys.stdin is None:
            _fail("standard input is closed")
        stdin_data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)  # /dev/zero must not fill memory
        if len(stdin_data) > MAX_FILE_BYTES:
            _fail(f"standard input holds more than {MAX_FILE_BYTES // (1024 * 1024)} MB; such input is not linted")
    elif stdin_filename is None and "-" in paths:
        _fail("'-' (standard input) cannot be mixed with other paths")
    try:
        settings = resolve_settings(
            CommandLine(
                config=config,
                select=select,
                extend_select=extend_select or (),
                ignore=ignore or (),
                output_format=output_format,
                show_source=show_source,
                force_exclude=force_exclude,
                unsafe_fixes=unsafe_fixes,
            ),
            Path.cwd(),
        )
        request = CheckRequest(
            paths=paths or (".",),
            fix=bool(fix),
            diff=diff,
            stdin_filename=stdin_filename,
            stdin_data=stdin_data,
            baseline=baseline,
            write_baseline=write_baseline,
        )
        run = run_check(request, settings)
    except ConfigError as error:
        _fail(str(error))

    # With --fix on standard input the fixed source owns stdout and the report goes to
    # stderr, as with ruff.
    output_stream = sys.stderr if run.stdin_output is not None and not diff else sys.stdout
    to_terminal = output_file is None and output_stream is not None and output_stream.isatty()
    color = to_terminal and not no_color and not _no_color_env()
    show = settings.show_source if settings.show_source is not None else to_terminal
    options = ReportOptions(
        color=color,
        show_source=show,
        statistics=statistics,
        unsafe_fixes=settings.unsafe_fixes,
        quiet=quiet,
        srcroot=Path.cwd(),
    )
    if diff:
        output = run.diff
    elif statistics and settings.output_format in ("text", "json"):
        from contractlint.reporters.statistics import render_statistics

        output = render_statistics(run.report, options, settings.output_format)
    else:
        output = render(settings.output_format, run.report, options)
    if run.stdin_output is not None and not diff:
        _write(sys.stdout, run.stdin_output, "standard output")
    if output_file is not None:
        try:
            output_file.parent.mkdir(parents=True, exist_ok=True)
            output_file.write_bytes(encoded(output))
        except OSError as error:
            _fail(f"cannot write {output_file}: {error.strerror or error}")
    else:
        _write(output_stream, encoded(output), "standard output" if output_stream is sys.stdout else "standard error")
    from contractlint.reporters.text_format import printable

    for warning in run.warnings:
        click.echo(f"warning: {printable(warning)}", err=True)
    if not quiet:
        for note in run.notes:
            click.echo(printable(note), err=True)
    print_internal_errors(run)
    if run.internal_errors:
        sys.exit(EXIT_ERROR)
    if exit_zero:
        sys.exit(EXIT_CLEAN)
    sys.exit(EXIT_DIAGNOSTICS if run.report.diagnostics else EXIT_CLEAN)


def _no_color_env() -> bool:
    """NO_COLOR set to a non-empty value (https://no-color.org): no colour."""
    return "NO_COLOR" in os.environ and os.environ["NO_COLOR"] != ""


def encoded(output: str) -> bytes:
    """A report as UTF-8 whatever the locale says. A file name that is not UTF-8 is a
    surrogate in ``output``: it becomes the JSON escape ``\\udcff`` (which reads back
    as the same name) instead of a raw byte that no JSON parser accepts."""
    return output.encode("utf-8", errors="backslashreplace")


def _write(stream, data: bytes, name: str) -> None:  # noqa: ANN001 - a text stream with a buffer
    """Write ``data`` to ``stream``; a stream that takes no more (a full disk,
    ``/dev/full``, a closed pipe) is one error line and exit status 2."""
    if stream is None:  # started with the descriptor closed
        _fail(f"cannot write the report to {name}: it is closed")
    try:
        stream.flush()
        stream.buffer.write(data)
        stream.flush()
    except BrokenPipeError:
        _silence(stream)
        sys.exit(EXIT_ERROR)  # the reader is gone (`| head`): nobody to tell
    except OSError as error:
        _silence(stream)
        _fail(f"cannot write the report to {name}: {error.strerror or error}")


def _silence(stream) -> None:  # noqa: ANN001 - a text stream
    """Point a broken stream at /dev/null, so that flushing it at exit cannot fail again."""
    try:
        descriptor = os.open(os.devnull, os.O_WRONLY)
        os.dup2(descriptor, stream.fileno())
        os.close(descriptor)
    except (OSError, ValueError, AttributeError):  # io.UnsupportedOperation is both of the first
        return  # not a real file (a test's capture): nothing is flushed at exit


def _fail(message: str) -> None:
    from contractlint.reporters.text_format import printable

    click.echo(f"error: {printable(message)}", err=True)
    sys.exit(EXIT_ERROR)


@main.command("rule")
@click.argument("code_or_name")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              help="text (default; coloured on a terminal), markdown (the rules/ page) or json.")
def rule_command(code_or_name: str, output_format: str) -> None:
    """Explain one rule: what it does, why, a bad and a good example, options and fix."""
    from contractlint import docs
    from contractlint.rules import all_rules, rule_by_code_or_name

    rule = rule_by_code_or_name(code_or_name.strip())
    if rule is None:
        import difflib

        keys = [r.code for r in all_rules()] + [r.name for r in all_rules()]
        close = difflib.get_close_matches(code_or_name.strip(), keys, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        _fail(f"unknown rule {code_or_name!r}{hint} (`contractlint rules` lists them)")
    if output_format == "json":
        import json

        click.echo(json.dumps(docs.rule_json(rule), indent=2, ensure_ascii=False))
    elif output_format == "markdown":
        click.echo(docs.rule_markdown(rule), nl=False)
    else:
        style = None
        if sys.stdout.isatty() and not _no_color_env():
            from contractlint.reporters.text_format import Style

            style = Style(color=True)
        click.echo(docs.rule_text(rule, style), nl=False)


@main.command("rules")
@click.option("--format", "output_format", type=click.Choice(["text", "json", "markdown"]), default="text",
              help="text (default), json or markdown (a table).")
def rules_command(output_format: str) -> None:
    """List every rule."""
    from contractlint.docs import rules_listing

    click.echo(rules_listing(output_format), nl=False)
