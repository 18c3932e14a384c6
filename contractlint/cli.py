"""The command line: ``check``, ``extract``, ``rule``, ``rules``, ``mcp``, ``server`` and ``--version``.

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


class ConfigParam(click.ParamType):
    """``--config``: a file or a ``KEY = VALUE`` override. From ``CONTRACTLINT_CONFIG``
    one per line (click would split the variable at spaces, inside the TOML)."""

    name = "file|key=value"
    envvar_list_splitter = "\n"

    def convert(self, value, param, ctx):  # noqa: ANN001 - click's signature
        return value


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
@click.option("--output-format", "--format", "output_format", type=EnvChoice(["text", "json", "sarif", "github"]),
              envvar=["CONTRACTLINT_OUTPUT_FORMAT", "CONTRACTLINT_FORMAT"],
              help="Output format: text (default), json, sarif or github (--format is an alias).")
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path),
              envvar="CONTRACTLINT_OUTPUT_FILE", help="Write the report to this file instead of stdout.")
@click.option("--select", type=CODES, envvar="CONTRACTLINT_SELECT",
              help="Rule codes or prefixes to enable, replacing the configured set (comma-separated).")
@click.option("--extend-select", type=CODES, envvar="CONTRACTLINT_EXTEND_SELECT",
              help="Rule codes or prefixes to enable on top of the configured set.")
@click.option("--ignore", type=CODES, envvar="CONTRACTLINT_IGNORE",
              help="Rule codes or prefixes to disable (the longest matching prefix wins).")
@click.option("--config", "config", multiple=True, type=ConfigParam(), envvar="CONTRACTLINT_CONFIG",
              help="A configuration file (pyproject.toml or .contractlint.toml) to use for every file instead of "
                   "the nearest one, or a KEY = VALUE override in TOML syntax (e.g. \"select = ['CL2']\"); "
                   "may be repeated.")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
@click.option("--kestra-version", envvar="CONTRACTLINT_KESTRA_VERSION", metavar="MAJOR.MINOR",
              help="The Kestra version the flows target, e.g. 1.3 or 2.0 (default: the configured "
              "kestra-version, else the version of a pinned Kestra image next to the configuration, else 1.x).")
@click.option("--fix", is_flag=True, default=None, envvar="CONTRACTLINT_FIX", help="Apply safe fixes.")
@click.option("--unsafe-fixes/--no-unsafe-fixes", default=None, envvar="CONTRACTLINT_UNSAFE_FIXES",
              help="Also apply (with --fix) or show unsafe fixes.")
@click.option("--show-fixes", is_flag=True, help="List the fixes applied (with --fix) or available.")
@click.option("--exit-non-zero-on-fix", is_flag=True, help="Exit 1 when --fix changed something, even if nothing "
              "is left to report.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff; write nothing. Exit 1 when there is "
              "something to change.")
@click.option("--stdin-filename", help="Lint standard input as the file of this name.")
@click.option("--force-exclude/--no-force-exclude", default=None, envvar="CONTRACTLINT_FORCE_EXCLUDE",
              help="Apply exclude patterns to files named on the command line too (for pre-commit).")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Report only diagnostics not recorded in this baseline file (default: the `baseline` key).")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path),
              help="Record the current diagnostics in this baseline file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are diagnostics.")
@click.option("--statistics", is_flag=True, help="Show a count per rule instead of each diagnostic.")
@click.option("--show-source/--no-show-source", default=None, envvar="CONTRACTLINT_SHOW_SOURCE",
              help="Show the offending source lines (default: on a terminal).")
@click.option("--no-cache", is_flag=True, envvar="CONTRACTLINT_NO_CACHE",
              help="Lint every file, without reading or writing the cache of results.")
@click.option("--cache-dir", type=click.Path(file_okay=False, path_type=Path), envvar="CONTRACTLINT_CACHE_DIR",
              help="Where the results of unchanged files are kept (default: the `cache-dir` key, else "
                   ".contractlint_cache in the configuration's folder).")
@click.option("--show-settings", is_flag=True, help="Show the settings the first PATH is linted with, and where "
              "each value comes from; lint nothing.")
@click.option("--show-files", is_flag=True, help="List the files that would be linted; lint nothing.")
@click.option("-q", "--quiet", is_flag=True, help="Print diagnostics only: no summary line.")
@click.option("-v", "--verbose", is_flag=True, help="Say more: which imports CL203 could not follow, and why.")
@click.option("--color", "color_choice", type=click.Choice(["auto", "always", "never"]), default=None,
              help="Colour: auto (default: on a terminal, unless NO_COLOR is set), always or never.")
@click.option("--no-color", is_flag=True, help="No colour (the same as --color never).")
@click.pass_context
def check(ctx: click.Context, paths: tuple[str, ...], output_format: str | None, output_file: Path | None, select,
          extend_select, ignore, config: tuple[str, ...], isolated: bool, kestra_version: str | None,
          fix: bool | None,
          unsafe_fixes: bool | None, show_fixes: bool, exit_non_zero_on_fix: bool, diff: bool,
          stdin_filename: str | None, force_exclude: bool | None, baseline: Path | None,
          write_baseline: Path | None, exit_zero: bool, statistics: bool, show_source: bool | None,
          no_cache: bool, cache_dir: Path | None, show_settings: bool, show_files: bool, quiet: bool, verbose: bool, color_choice: str | None,
          no_color: bool) -> None:
    """Lint flows and Python modules under PATHS (default: the current directory; - is standard input)."""
    from contractlint.config import ConfigError
    from contractlint.reporters import ReportOptions, render
    from contractlint.runner import CheckRequest, print_internal_errors, run_check

    stdin_data = None
    if stdin_filename is not None or paths == ("-",):
        if paths not in ((), ("-",)):
            _fail("--stdin-filename lints standard input; do not also name paths")
        if not show_settings:
            from contractlint.source import MAX_FILE_BYTES

            if sys.stdin is None:
                _fail("standard input is closed")
            stdin_data = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)  # /dev/zero must not fill memory
            if len(stdin_data) > MAX_FILE_BYTES:
                _fail(f"standard input holds more than {MAX_FILE_BYTES // (1024 * 1024)} MB; such input is not linted")
    elif "-" in paths:
        _fail("'-' (standard input) cannot be mixed with other paths")
    if statistics and output_format in ("sarif", "github"):
        _fail(f"--statistics prints counts as text or json; it cannot be combined with --output-format {output_format}")
    cwd = Path.cwd()
    try:
        command_line = _command_line(ctx, config, isolated, select, extend_select, ignore, output_format,
                                     show_source, force_exclude, unsafe_fixes, kestra_version, cache_dir)
        from contractlint.resolver import Resolver

        resolver = Resolver(command_line, cwd, stdin_filename=stdin_filename)
        settings = resolver.run_settings()
        if statistics and settings.output_format in ("sarif", "github"):
            _fail(f"--statistics prints counts as text or json; the configured output format is "
                  f"{settings.output_format!r} ({settings.sources['output-format']})")
        if show_settings:
            target = stdin_filename if stdin_filename is not None else (paths[0] if paths else ".")
            _echo(_settings_report(resolver, target, settings.output_format))
            sys.exit(EXIT_CLEAN)
        if show_files:
            from contractlint.project import display_path
            from contractlint.runner import discover_files

            found = discover_files(paths or (".",), resolver)
            _echo("".join(display_path(path) + "\n" for path in found.files))
            for missing in found.missing:
                click.echo(f"warning: {missing}: no such file or directory", err=True)
            sys.exit(EXIT_CLEAN)
        request = CheckRequest(
            paths=paths or (".",),
            fix=bool(fix),
            diff=diff,
            stdin_filename=stdin_filename,
            stdin_data=stdin_data,
            baseline=baseline,
            write_baseline=write_baseline,
            cache=not no_cache,
        )
        run = run_check(request, resolver)
    except ConfigError as error:
        _fail(str(error))

    # With --fix on standard input the fixed source owns stdout and the report goes to
    # stderr, as with ruff.
    output_stream = sys.stderr if run.stdin_output is not None and not diff else sys.stdout
    to_terminal = output_file is None and output_stream is not None and output_stream.isatty()
    choice = "never" if no_color else (color_choice or "auto")
    color = choice == "always" or (choice == "auto" and to_terminal and not _no_color_env())
    show = settings.show_source if settings.show_source is not None else to_terminal
    options = ReportOptions(
        color=color,
        show_source=show,
        statistics=statistics,
        unsafe_fixes=settings.unsafe_fixes,
        quiet=quiet,
        srcroot=_source_root(run, resolver) if settings.output_format == "sarif" and not statistics else None,
        cwd=cwd,
        annotation_root=_annotation_root(),
        docs_url=settings.docs_url,
        show_fixes=show_fixes,
        fixed=run.fixed_by_file,
    )
    if diff:
        output = run.diff
    elif statistics:
        from contractlint.reporters.statistics import render_statistics

        output = render_statistics(run.report, options, settings.output_format)
    else:
        output = render(settings.output_format, run.report, options)
    from contractlint.reporters.text_format import printable

    if not quiet:
        for note in run.included:
            click.echo(printable(note), err=True)
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
    for warning in run.warnings:
        click.echo(f"warning: {printable(warning)}", err=True)
    if not quiet:
        for note in run.notes:
            click.echo(printable(note), err=True)
        for note in _import_notes(run, resolver, verbose):
            click.echo(printable(note), err=True)
    print_internal_errors(run)
    if run.internal_errors:
        sys.exit(EXIT_ERROR)
    if diff:
        sys.exit(EXIT_DIAGNOSTICS if run.diff else EXIT_CLEAN)  # as ruff: 1 only when something would change
    if exit_non_zero_on_fix and run.report.fixed:
        sys.exit(EXIT_DIAGNOSTICS)
    if exit_zero:
        sys.exit(EXIT_CLEAN)
    sys.exit(EXIT_DIAGNOSTICS if run.report.diagnostics else EXIT_CLEAN)


def _command_line(ctx: click.Context, config: tuple[str, ...], isolated: bool, select, extend_select, ignore,
                  output_format, show_source, force_exclude, unsafe_fixes, kestra_version, cache_dir=None):
    """The command line as the configuration layers see it: ``--config`` split into
    the file and the overrides (ruff's rule: an existing file is a file, anything else
    with ``=`` is an override), and where each flag's value came from."""
    from click.core import ParameterSource

    from contractlint.config import CommandLine, ConfigError

    files: list[Path] = []
    overrides: list[str] = []
    for value in config:
        if Path(value).exists() or "=" not in value:
            files.append(Path(value))
        else:
            overrides.append(value)
    if len(files) > 1:
        raise ConfigError(f"only one configuration file can be given: --config {files[0]} or --config {files[1]}")
    labels = {}
    for parameter, key, flag in (
        ("select", "select", "--select"), ("extend_select", "extend-select", "--extend-select"),
        ("ignore", "ignore", "--ignore"), ("output_format", "output-format", "--output-format"),
        ("show_source", "show-source", "--show-source"), ("force_exclude", "force-exclude", "--force-exclude"),
        ("unsafe_fixes", "unsafe-fixes", "--unsafe-fixes"), ("kestra_version", "kestra-version", "--kestra-version"),
        ("cache_dir", "cache-dir", "--cache-dir"),
    ):
        if ctx.get_parameter_source(parameter) == ParameterSource.ENVIRONMENT:
            option = next(p for p in ctx.command.params if p.name == parameter)
            names = option.envvar if isinstance(option.envvar, list) else [option.envvar]
            labels[key] = next((name for name in names if name in os.environ), names[0])
        else:
            labels[key] = flag
    return CommandLine(
        config=files[0] if files else None,
        overrides=tuple(overrides),
        isolated=isolated,
        select=select,
        extend_select=extend_select or (),
        ignore=ignore or (),
        output_format=output_format,
        show_source=show_source,
        force_exclude=force_exclude,
        unsafe_fixes=unsafe_fixes,
        labels=labels,
        extra={
            # As written: the target resolution parses it and names this flag (or variable) when it is wrong.
            **({"kestra-version": kestra_version} if kestra_version is not None else {}),
            # A setting: relative to the working directory, as every path on the command line.
            **({"cache-dir": Path(os.path.abspath(cache_dir))} if cache_dir is not None else {}),
        },
    )


def _settings_report(resolver, target: str, output_format: str) -> str:
    from contractlint.config import describe_settings
    from contractlint.project import display_path

    import json

    settings = resolver.settings_for(target)
    rows = describe_settings(settings)
    configuration = str(settings.config_path) if settings.config_path is not None else None
    if output_format == "json":
        document = {
            "path": display_path(Path(target)),
            "configuration": configuration,
            "root": str(settings.root),
            "settings": {name: {"value": value, "source": source} for name, value, source in rows},
        }
        return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    lines = [
        f"Settings for {display_path(Path(target))}",
        f"  configuration: {configuration if configuration is not None else 'none (defaults)'}",
        f"  root:          {settings.root}",
        "",
    ]
    width = max(len(name) for name, _, _ in rows)
    for name, value, source in rows:
        lines.append(f"{name.ljust(width)} = {json.dumps(value, ensure_ascii=False)}  # {source}")
    return "\n".join(lines) + "\n"


def _source_root(run, resolver) -> Path:
    """SARIF's %SRCROOT%: the git work tree the linted files are in (the one most of
    them are in), else the folder of their configuration; code scanning resolves the
    URIs against the repository root, whatever folder the run started in."""
    from collections import Counter

    anchors: Counter = Counter()
    for result in run.report.results:
        top = resolver.git_top(result.path)
        anchors[top if top is not None else resolver.settings_for(result.path).root] += 1
    if not anchors:
        top = resolver.git_top(resolver.cwd)
        return top if top is not None else resolver.run_settings().root
    return min(anchors, key=lambda anchor: (-anchors[anchor], len(str(anchor)), str(anchor)))


def _annotation_root() -> Path | None:
    """GitHub resolves annotation paths against the workspace (the checkout), not the
    step's working directory."""
    if "GITHUB_WORKSPACE" in os.environ and os.environ["GITHUB_WORKSPACE"]:
        return Path(os.environ["GITHUB_WORKSPACE"])
    return None


def _import_notes(run, resolver, verbose: bool) -> list[str]:
    from contractlint.flow_index import unresolved_imports

    found = unresolved_imports(run.report.results, resolver)
    if not found:
        return []
    if not verbose:
        count = len({name for name, _, _ in found})
        modules = "module that flow scripts import is" if count == 1 else "modules that flow scripts import are"
        return [f"note: {count} {modules} in no `src` root, so CL203 cannot check what they read (--verbose lists "
                "them)"]
    notes = []
    for name, flow, hint in found:
        notes.append(f"note: {flow} imports {name}, which no `src` root holds{hint}")
    return notes


def _echo(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


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


@main.command("extract")
@click.argument("flow_file", type=click.Path(dir_okay=False, path_type=Path))
@click.argument("task_id")
@click.option("--module", "module", required=True, metavar="DOTTED.NAME",
              help="The module to create under a `src` root, e.g. acme.stages.enrich.")
@click.option("--function", "function", default="run", show_default=True, help="The function the script becomes.")
@click.option("--script", "script", metavar="LABEL",
              help="Which Python of the task, when it has several: `script` or `inputFiles.NAME.py`.")
@click.option("--src", "src", type=click.Path(file_okay=False, path_type=Path),
              help="The `src` root to write under (one of the settings'; default: the one holding the package, "
              "else the first that is not the project root).")
@click.option("--diff", is_flag=True, help="Print both files as unified diffs; write nothing.")
@click.option("--config", "config", multiple=True, type=ConfigParam(), envvar="CONTRACTLINT_CONFIG",
              help="A configuration file, or a KEY = VALUE override (as for check).")
@click.option("--isolated", is_flag=True, help="Ignore every configuration file.")
def extract_command(flow_file: Path, task_id: str, module: str, function: str, script: str | None,
                    src: Path | None, diff: bool, config: tuple[str, ...], isolated: bool) -> None:
    """Move the inline script of task TASK_ID in FLOW_FILE into a module function, leaving a
    thin wrapper that imports it, calls it and emits its outputs. Exit 2 when it cannot be
    done exactly (nothing is written then)."""
    from contractlint.config import CommandLine, ConfigError
    from contractlint.extract import ExtractError, ExtractRequest, diff_text, plan_extraction, write_extraction
    from contractlint.resolver import Resolver

    files = [Path(value) for value in config if Path(value).exists() or "=" not in value]
    overrides = tuple(value for value in config if not (Path(value).exists() or "=" not in value))
    if len(files) > 1:
        _fail(f"only one configuration file can be given: --config {files[0]} or --config {files[1]}")
    request = ExtractRequest(flow_file=flow_file, task_id=task_id, module=module, function=function, script=script,
                             src=src)
    try:
        resolver = Resolver(CommandLine(config=files[0] if files else None, overrides=overrides, isolated=isolated),
                            Path.cwd())
        extraction = plan_extraction(request, resolver)
        if diff:
            _echo(diff_text(extraction))
            sys.exit(EXIT_CLEAN)
        write_extraction(extraction)
    except (ConfigError, ExtractError) as error:
        _fail(str(error))
    env = f"; the task's env gained {', '.join(extraction.env_added)}" if extraction.env_added else ""
    hoisted = f", with {', '.join(extraction.hoisted)} at module level" if extraction.hoisted else ""
    _echo(
        f"Moved the script of task {task_id!r} of {extraction.flow_shown} into {extraction.module_shown}: "
        f"{function}(){hoisted}{env}. The task runs a {extraction.wrapper_lines}-line wrapper.\n"
    )
    for note in extraction.notes:
        click.echo(note, err=True)


@main.command("server")
def server_command() -> None:
    """Run the language server over standard input and output (extra: contractlint[lsp])."""
    import importlib.util

    missing = [name for name in ("pygls", "lsprotocol") if importlib.util.find_spec(name) is None]
    if missing:
        _fail(f"`contractlint server` needs the lsp extra ({', '.join(missing)} is not installed): "
              "pip install 'contractlint[lsp]'")
    from contractlint.lsp.server import main as serve

    serve()


@main.command("rule")
@click.argument("code_or_name")
@click.option("--format", "output_format", type=click.Choice(["text", "markdown", "json"]), default="text",
              help="text (default; coloured on a terminal), markdown (the rules/ page) or json.")
def rule_command(code_or_name: str, output_format: str) -> None:
    """Explain one rule: what it does, why, a bad and a good example, options and fix.
    A code prefix (CL2) lists the rules it selects."""
    from contractlint import docs
    from contractlint.rules import all_rules, rule_by_code_or_name

    rule = rule_by_code_or_name(code_or_name.strip())
    prefix = code_or_name.strip().upper()
    selected = tuple(r for r in all_rules() if prefix and r.code.startswith(prefix))
    if rule is None and selected:
        click.echo(docs.rules_listing(output_format, selected), nl=False)
        return
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


MCP_EXTRA = "pip install 'contractlint[mcp]'"


@main.command("mcp")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path), default=None,
              help="The project the server checks (default: the working directory). No file outside it is read or "
              "written.")
def mcp_command(root: Path | None) -> None:
    """Serve contractlint to an agent: a Model Context Protocol server over stdio with the tools check, fix,
    explain_rule and list_rules (needs the mcp extra)."""
    serve = _require_sdk("mcp", "2", "contractlint mcp", MCP_EXTRA, "contractlint.mcp_server").serve
    root = Path(os.path.realpath(root if root is not None else Path.cwd()))
    os.chdir(root)  # display paths are relative to the root, and the engine reads them against the working directory
    if sys.stdin.isatty():
        click.echo(f"contractlint mcp: serving the Model Context Protocol on stdio for {root}; an MCP client starts "
                   "this command (see the README), Ctrl-D stops it", err=True)
    try:
        serve(root)
    except KeyboardInterrupt:
        sys.exit(EXIT_CLEAN)


def _require_sdk(distribution: str, major: str, command: str, extra: str, module: str):  # noqa: ANN202
    """``module`` (our layer over an optional SDK), imported; exit 2 naming the extra
    to install when the SDK (or one of its dependencies) is missing or of another major
    version. Only the command that needs the SDK imports it: ``check`` never does."""
    import importlib
    from importlib import metadata

    try:
        version = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        version = None  # not installed, or a source tree on the path: the import decides
    if version is not None and version.split(".")[0] != major:
        _fail(f"`{command}` needs {distribution} {major}.x, and {distribution} {version} is installed: {extra}")
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name is not None and error.name.partition(".")[0] == "contractlint":
            raise  # our own module missing: a broken installation, not a missing extra
        _fail(f"`{command}` needs the {distribution!r} package, which is not installed ({error}): {extra}")
