"""Configuration: what each key means, where its value comes from, and the settings
one configuration resolves to.

Every key is one ``Key`` in ``KEYS``: its name, JSON Schema, default, how a value
becomes a setting (paths are resolved against the folder of the layer that set them),
and whether it is per project or per run. Validation, ``--config KEY=VALUE``,
``--show-settings`` and the attribute a setting is read by (``settings.per_file_ignores``
for ``per-file-ignores``) all come from that entry, so adding a key is adding an entry.

A value comes from the highest of these layers that sets it (``Layer``):

1. the defaults;
2. one configuration file: ``.contractlint.toml`` (keys at top level) or a
   ``pyproject.toml`` with a ``[tool.contractlint]`` table — which one applies to a
   path is the resolver's business (``contractlint.resolver``);
3. ``--config KEY=VALUE`` overrides (TOML syntax, as ruff's);
4. flags, and the ``CONTRACTLINT_*`` environment variables click reads for them (the
   flag wins over its variable).

Rule selection composes across the layers instead (``select`` replaces what lower
layers chose, ``extend-select`` and ``ignore`` adjust it, the longest prefix wins), and
``rules.<CODE>.<option>`` merge option by option. Project keys apply to the files under
their configuration; run keys (output format, source excerpts, unsafe fixes…) are taken
from the configuration of the working directory, as ruff takes them.
"""

from __future__ import annotations

import functools
import os
import stat
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contractlint.discovery import DEFAULT_EXCLUDES
from contractlint.target import DEFAULT_TARGET, EDITIONS, VERSION_EXPECTED, VERSION_PATTERN, KestraTarget

FORMATS = ("text", "json", "sarif", "github")
DEFAULT_RUNTIME_ENV = ("EXECUTION_ID",)
DEFAULT_SRC = (".", "src")
CONFIG_FILE_NAMES = (".contractlint.toml", "pyproject.toml")  # in one folder, the first wins
MAX_CONFIG_BYTES = 4 * 1024 * 1024  # a configuration is a few hundred bytes; refuse what cannot be one

DEFAULT_SOURCE = "default"
OVERRIDE_SOURCE = "--config"


class ConfigError(Exception):
    """Invalid configuration or usage: reported on stderr, exit status 2."""


# -- the keys --------------------------------------------------------------------------


def _as_tuple(value: Any, base: Path, where: str) -> tuple:
    return tuple(value)


def _as_frozenset(value: Any, base: Path, where: str) -> frozenset:
    return frozenset(value)


def _as_paths(value: Any, base: Path, where: str) -> tuple[Path, ...]:
    return tuple(base / entry for entry in value)


def _as_path(value: Any, base: Path, where: str) -> Path | None:
    return None if value is None else base / value


POLICIES_SCHEMA: dict[str, Any] = {
    "type": "array",
    "items": {
        "anyOf": [
            {"type": "string"},
            {
                "type": "object",
                "properties": {"path": {"type": "string"}, "namespace": {"type": "string"}},
                "required": ["path"],
                "additionalProperties": False,
            },
        ],
        "x-expected": 'a path, or a table { path = "…", namespace = "…" }',
    },
}


def _as_policies(value: Any, base: Path, where: str) -> tuple[tuple[Path, str | None], ...]:
    """Policy files with the namespace each is scoped to (None: every namespace)."""
    return tuple(
        (base / entry, None) if isinstance(entry, str) else (base / entry["path"], entry.get("namespace"))
        for entry in value
    )


def _as_codes(value: Any, base: Path, where: str) -> tuple[str, ...]:
    codes = tuple(str(code).strip().upper() for code in value)
    for code in codes:
        check_selector(code, where)
    return codes


def _as_globs(value: Any, base: Path, where: str) -> tuple[str, ...]:
    for pattern in value:
        _check_glob(pattern, where)
    return tuple(value)


def _as_per_file_ignores(value: Any, base: Path, where: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    found = []
    for pattern, selectors in value.items():
        entry = f"{where}: {pattern!r}"
        _check_glob(pattern, entry)
        found.append((pattern, _as_codes(selectors, base, entry)))
    return tuple(found)


def _identity(value: Any, base: Path, where: str) -> Any:
    return value


STRING_LIST = {"type": "array", "items": {"type": "string"}}


@dataclass(frozen=True)
class Key:
    name: str  # as written in a configuration file
    schema: dict[str, Any]  # JSON Schema of the value as written
    default: Any  # as written (None: not set)
    help: str
    # The value as written → the setting (``base``: the folder paths are relative to;
    # ``where``: names the file and key in errors).
    convert: Callable[[Any, Path, str], Any] = _identity
    scope: str = "project"  # "project": per configuration; "run": one value per run
    aliases: tuple[str, ...] = ()  # older names, still read

    @property
    def attribute(self) -> str:
        return self.name.replace("-", "_")


KEYS: tuple[Key, ...] = (
    Key("select", STRING_LIST, None, "rule codes or prefixes to enable, replacing the default set",
        _as_codes),
    Key("extend-select", STRING_LIST, [], "rule codes or prefixes to enable on top of `select`", _as_codes),
    Key("ignore", STRING_LIST, [], "rule codes or prefixes to disable (the longest matching prefix wins)",
        _as_codes),
    Key("exclude", STRING_LIST, list(DEFAULT_EXCLUDES), "globs of files and folders not to lint (replaces the "
        "defaults)", _as_globs),
    Key("extend-exclude", STRING_LIST, [], "globs of files and folders not to lint, on top of `exclude`", _as_globs),
    Key("per-file-ignores", {"type": "object", "additionalProperties": STRING_LIST}, {},
        "glob → rule codes or prefixes not reported in the files it matches", _as_per_file_ignores),
    Key("src", STRING_LIST, list(DEFAULT_SRC), "folders where modules that flow scripts import are found",
        _as_paths),
    Key("plugin-defaults", STRING_LIST, [], "Kestra server configuration files whose plugin defaults apply to "
        "every flow", _as_paths),
    # `_files` is the folder Kestra's git tasks (SyncNamespaceFiles, PushNamespaceFiles)
    # use by default; then the project root.
    Key("namespace-files", STRING_LIST, ["_files", "."], "folders where `{{ read('x.py') }}` includes are found, "
        "in order (`{namespace}` is replaced by the flow's namespace)", _as_paths),
    # As written: the target (``Settings.target``) parses it, or infers it when unset.
    Key("kestra-version", {"type": "string", "pattern": VERSION_PATTERN, "x-expected": VERSION_EXPECTED}, None,
        "the Kestra version the flows target, MAJOR.MINOR (unset: a pinned Kestra image next to the "
        "configuration, else 1.x)"),
    Key("edition", {"enum": list(EDITIONS)}, None, "the Kestra edition, oss or ee (unset: ee when `policies` are "
        "set or the pinned image is kestra-ee, else oss)"),
    Key("policies", POLICIES_SCHEMA, [], "Kestra Enterprise Policy files (or server configuration with "
        "`kestra.policies`) applied on 2.x EE targets; a path or { path, namespace }", _as_policies),
    Key("runtime-env", STRING_LIST, list(DEFAULT_RUNTIME_ENV), "environment variables the runtime gives every "
        "task", _as_frozenset),
    Key("baseline", {"type": "string"}, None, "baseline file: report only diagnostics not recorded in it",
        _as_path),
    Key("cache-dir", {"type": "string"}, ".contractlint_cache", "where the results of files that did not change "
        "are kept (`--no-cache`: none are)", _as_path),
    Key("respect-gitignore", {"type": "boolean"}, True, "skip files that git ignores", scope="run"),
    Key("force-exclude", {"type": "boolean"}, False, "apply `exclude` to files named on the command line too",
        scope="run"),
    Key("output-format", {"enum": list(FORMATS)}, "text", "report format", scope="run", aliases=("format",)),
    Key("show-source", {"type": "boolean"}, None, "show source excerpts (unset: on a terminal)", scope="run"),
    Key("unsafe-fixes", {"type": "boolean"}, False, "apply and offer unsafe fixes", scope="run"),
    Key("docs-url", {"type": "string", "pattern": "^https?://"}, None,
        "where contractlint's documentation is published (its README; rule pages under `rules/<CODE>.md`): links "
        "in SARIF and JSON output; unset, no links", scope="run"),
)
RULES_KEY = "rules"  # [rules.<CODE>] option tables: merged option by option, not replaced
SELECTION_KEYS = ("select", "extend-select", "ignore")
KEYS_BY_NAME: dict[str, Key] = {name: key for key in KEYS for name in (key.name, *key.aliases)}
RUN_KEYS = tuple(key.name for key in KEYS if key.scope == "run")


def key_names() -> list[str]:
    return sorted([key.name for key in KEYS] + [RULES_KEY])


# -- reading a configuration file ---------------------------------------------------------


def _toml() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on 3.10 only
        import tomli as tomllib
    return tomllib


def _read_bytes(path: Path) -> bytes:
    """A configuration file's bytes: a regular file of sensible size (never a FIFO or a
    device, which would block or never end)."""
    try:
        # Checked before opening: opening a FIFO blocks until someone writes to it.
        if not stat.S_ISREG(os.stat(path).st_mode):
            raise ConfigError(f"{path} is not a regular file")
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror or error}") from error
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path} is larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MB: not a configuration file")
    return data


def parse_toml(text: str, where: str) -> dict[str, Any]:
    tomllib = _toml()
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where} is not valid TOML: {error}") from error
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply to be a configuration") from None


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        raise ConfigError(f"{path} is not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})") from None


def config_table(path: Path) -> tuple[dict[str, Any], str] | None:
    """The contractlint table of a configuration file and how errors name it; None for a
    ``pyproject.toml`` that does not configure contractlint.

    A ``pyproject.toml`` that never mentions contractlint cannot configure it: it is
    not parsed, so a broken one of another tool's never stops a run."""
    data = _read_bytes(path)
    if path.name != "pyproject.toml":
        return _validated(parse_toml(_decode(path, data), str(path)), str(path)), str(path)
    if b"contractlint" not in data:
        return None
    document = parse_toml(_decode(path, data), str(path))
    tool = document.get("tool")
    if tool is None:
        return None
    if not isinstance(tool, dict):
        raise ConfigError(f"{path}: 'tool' must be a table, got {_kind(tool)}")
    if "contractlint" not in tool:
        return None
    table = tool["contractlint"]
    where = f"{path} [tool.contractlint]"
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.contractlint] must be a table, got {_kind(table)}")
    return _validated(table, where), where


def load_config_table(path: Path) -> dict[str, Any]:
    """The validated contractlint table of ``path`` (``--config FILE``)."""
    found = config_table(path)
    if found is None:
        raise ConfigError(f"{path} has no [tool.contractlint] table")
    return found[0]


def _kind(value: Any) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "a boolean", list: "an array",
             dict: "a table"}
    return names.get(type(value), f"a {type(value).__name__}")


def _validated(table: dict[str, Any], where: str) -> dict[str, Any]:
    validate_table(table, where)
    return table


# -- validation -------------------------------------------------------------------------------


def config_schema() -> dict[str, Any]:
    from contractlint.rules import all_rules

    rule_properties = {
        rule.code: {"type": "object", "properties": rule.options, "additionalProperties": False}
        for rule in all_rules()
    }
    properties = {name: key.schema for name, key in KEYS_BY_NAME.items()}
    properties[RULES_KEY] = {"type": "object", "properties": rule_properties, "additionalProperties": False}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
    }


@functools.lru_cache(maxsize=1)
def _fast_config_validator() -> Any:
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(config_schema(), pattern_options=jsonschema_rs.RegexOptions())


def validate_table(table: dict[str, Any], where: str) -> None:
    """A table that is valid costs a check in Rust (jsonschema-rs); Python's jsonschema is
    imported only to word what is wrong with one that is not."""
    try:
        valid = _fast_config_validator().is_valid(table)
    except (ValueError, RecursionError):
        valid = False  # a TOML date, or nesting Rust refuses: let Python's validator say what
    if valid:
        _check_aliases(table, where)
        return
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(config_schema())
    try:
        errors = sorted(validator.iter_errors(table), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply to be a configuration") from None
    if not errors:
        _check_aliases(table, where)
        return
    error = errors[0]
    key = ".".join(str(part) for part in error.absolute_path)
    if error.validator == "additionalProperties":
        import difflib

        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        location = f"{where}.{key}" if key else where
        close = difflib.get_close_matches(unknown[0], known, n=1, cutoff=0.6) if len(unknown) == 1 else []
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise ConfigError(
            f"unknown key {', '.join(repr(k) for k in unknown)} in {location}{hint} "
            f"(expected one of: {', '.join(known)})"
        )
    raise ConfigError(
        f"invalid value for {key!r} in {where}: expected {_expected(error.schema)}, got {_shown(error.instance)}"
    )


def _check_aliases(table: dict[str, Any], where: str) -> None:
    for key in KEYS:
        given = [name for name in (key.name, *key.aliases) if name in table]
        if len(given) > 1:
            raise ConfigError(f"{where} sets both {given[0]!r} and {given[1]!r}: they are the same key")


def _shown(value: Any) -> str:
    import reprlib

    short = reprlib.Repr()
    short.maxstring = short.maxother = 60
    short.maxlevel = 3
    return short.repr(value)


def _expected(schema: dict[str, Any]) -> str:
    if "x-expected" in schema:
        return schema["x-expected"]
    if "enum" in schema:
        return "one of " + ", ".join(repr(v) for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"a list of {schema.get('items', {}).get('type', 'value')}s"
    if kind == "object":
        return "a table"
    if kind == "integer" and "minimum" in schema:
        return f"an integer >= {schema['minimum']}"
    if kind == "string" and "pattern" in schema:
        return f"a string matching {schema['pattern']}"
    return f"a {kind}" if kind else "a valid value"


def _check_glob(pattern: str, where: str) -> None:
    from contractlint.discovery import glob_match

    try:
        glob_match(pattern, "x")
    except ValueError as error:
        raise ConfigError(f"invalid glob {pattern!r} in {where}: {error}") from error


# -- rule selection ------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """One layer of rule selection (defaults, file, overrides or flags)."""

    select: tuple[str, ...] | None = None  # replaces what earlier layers chose
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()


def parse_codes(value: str | None) -> tuple[str, ...] | None:
    """``"CL2, CL301"`` → ``("CL2", "CL301")``; None stays None."""
    if value is None:
        return None
    return tuple(part.strip().upper() for part in value.split(",") if part.strip())


def resolve_selection(layers: list[Selection]) -> frozenset[str]:
    """Apply the layers in order, ruff-style: within a layer the longest matching
    prefix decides between select and ignore (ignore wins a tie)."""
    from contractlint.rules import all_rules

    rules = all_rules()
    codes = [rule.code for rule in rules]
    for layer in layers:
        for selector in (*(layer.select or ()), *layer.extend_select, *layer.ignore):
            check_selector(selector)
    enabled = {rule.code for rule in rules if rule.default_enabled}
    for layer in layers:
        if layer.select is not None:
            chosen, base = (*layer.select, *layer.extend_select), set()
        else:
            chosen, base = layer.extend_select, set(enabled)
        for code in codes:
            select_len = _longest(code, chosen)
            ignore_len = _longest(code, layer.ignore)
            if select_len > ignore_len:
                base.add(code)
            elif ignore_len >= 0:
                base.discard(code)
        enabled = base
    return frozenset(enabled)


def _normalise(selector: str) -> str:
    return "CL" if selector == "ALL" else selector


def _longest(code: str, selectors: tuple[str, ...]) -> int:
    lengths = [len(_normalise(s)) for s in selectors if code.startswith(_normalise(s))]
    return max(lengths) if lengths else -1


def check_selector(selector: str, where: str | None = None) -> None:
    from contractlint.rules import all_rules

    normal = _normalise(selector)
    if not any(rule.code.startswith(normal) for rule in all_rules()):
        place = f" in {where}" if where is not None else ""
        raise ConfigError(
            f"unknown rule selector {selector!r}{place}: no rule code starts with it (see `contractlint rules`)"
        )


# -- layers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Layer:
    """The keys one source sets, converted to settings (paths resolved against the
    source's folder), and a label per key that says where each came from."""

    values: Mapping[str, Any]
    sources: Mapping[str, str]
    selection: Selection = Selection()
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def layer_from_table(table: Mapping[str, Any], base: Path, source: str, where: str | None = None) -> Layer:
    """A validated table (a file's, or the overrides') as a layer; each key's source is
    ``source``. ``where`` names the table in errors (default: ``source``)."""
    where = where if where is not None else source
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for name, value in table.items():
        if name == RULES_KEY:
            continue
        key = KEYS_BY_NAME[name]
        values[key.name] = key.convert(value, base, f"{where} key {key.name!r}")
        sources[key.name] = source
    rules = table.get(RULES_KEY, {})
    for code, options in rules.items():
        for option in options:
            sources[f"{RULES_KEY}.{code}.{option}"] = source
    selection = Selection(
        select=values.get("select"),
        extend_select=values.get("extend-select", ()),
        ignore=values.get("ignore", ()),
    )
    return Layer(values=values, sources=sources, selection=selection, rules=rules)


def default_layer() -> Layer:
    """Every key's default, as a layer (converted against no folder: default paths are
    resolved against each configuration's folder by ``settings_from_layers``)."""
    return Layer(values={}, sources={})


def parse_override(text: str) -> dict[str, Any]:
    """``--config "KEY = VALUE"`` → a validated table with that key (TOML syntax, dotted
    keys allowed: ``rules.CL101.max-lines = 10``)."""
    where = f"--config {text!r}"
    tip = (
        "a --config value is a path to a configuration file or a KEY = VALUE pair in TOML syntax, e.g. "
        "--config \"select = ['CL2']\""
    )
    if "=" not in text:
        raise ConfigError(f"config file {text} does not exist")
    tomllib = _toml()
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{where} is not a TOML KEY = VALUE pair ({error}); {tip}") from None
    except RecursionError:
        raise ConfigError(f"{where} is nested too deeply") from None
    validate_table(table, where)
    return table


# -- settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandLine:
    """What the user said on the command line or in ``CONTRACTLINT_*`` variables
    (click merges the two; the flag wins)."""

    config: Path | None = None  # --config FILE
    overrides: tuple[str, ...] = ()  # --config KEY=VALUE, in order
    isolated: bool = False  # --isolated: no configuration file at all
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    output_format: str | None = None
    show_source: bool | None = None
    force_exclude: bool | None = None
    unsafe_fixes: bool | None = None
    # Where each flag's value came from, by key name: "--select" or "CONTRACTLINT_SELECT"
    # (default: the flag).
    labels: Mapping[str, str] = field(default_factory=dict)
    # Keys set by flags that have no field above, by key name (settings, not as written).
    extra: Mapping[str, Any] = field(default_factory=dict)

    def layer(self) -> Layer:
        given = {
            "select": self.select,
            "extend-select": self.extend_select or None,
            "ignore": self.ignore or None,
            "output-format": self.output_format,
            "show-source": self.show_source,
            "force-exclude": self.force_exclude,
            "unsafe-fixes": self.unsafe_fixes,
            **self.extra,
        }
        values = {name: value for name, value in given.items() if value is not None}
        sources = {name: self.labels.get(name, f"--{name}") for name in values}
        selection = Selection(select=self.select, extend_select=self.extend_select, ignore=self.ignore)
        return Layer(values=values, sources=sources, selection=selection)

    def override_layers(self, cwd: Path) -> list[Layer]:
        """``--config KEY=VALUE`` overrides, one layer each (later ones win); paths in
        them are relative to the working directory, like every path on the command line."""
        return [layer_from_table(parse_override(text), cwd, f"{OVERRIDE_SOURCE} {text!r}") for text in self.overrides]


@dataclass(frozen=True)
class Settings:
    """The settings of one configuration (or of none: the defaults). Every key is an
    attribute: ``settings.per_file_ignores`` is the setting of ``per-file-ignores``."""

    root: Path  # the configuration's folder: what its paths are relative to
    config_path: Path | None
    enabled: frozenset[str]
    rule_options: dict[str, dict[str, Any]]
    values: Mapping[str, Any] = field(default_factory=dict)  # key name → setting
    sources: Mapping[str, str] = field(default_factory=dict)  # key name → where its value came from
    # The Kestra the flows are linted for (from `kestra-version`, `edition`, or what the
    # repository pins), and the rules selected by name that this target turns off.
    target: KestraTarget = DEFAULT_TARGET
    not_applicable: tuple[str, ...] = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        values = self.__dict__.get("values", {})
        key = name.replace("_", "-")
        if key in values:
            return values[key]
        raise AttributeError(f"no setting {name!r} (known keys: {', '.join(key_names())})")

    def get(self, key: str) -> Any:
        return self.values[KEYS_BY_NAME[key].name]

    @property
    def identity(self) -> tuple[Path, Path | None]:
        """One per configuration: the key to cache what is built from these settings."""
        return (self.root, self.config_path)


def settings_from_layers(layers: list[Layer], root: Path, config_path: Path | None) -> Settings:
    """Settings from layers, lowest first; keys no layer sets take their default,
    resolved against ``root``."""
    from contractlint.rules import all_rules

    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        if key.default is None:
            values[key.name] = None
        else:
            values[key.name] = key.convert(key.default, root, f"the default of {key.name!r}")
        sources[key.name] = DEFAULT_SOURCE
    rule_options = {
        rule.code: {name: schema["default"] for name, schema in rule.options.items()} for rule in all_rules()
    }
    for code, options in rule_options.items():
        for option in options:
            sources[f"{RULES_KEY}.{code}.{option}"] = DEFAULT_SOURCE
    for layer in layers:
        values.update(layer.values)
        sources.update(layer.sources)
        for code, options in layer.rules.items():
            rule_options[code].update(options)
    from contractlint.target import TargetError, explicitly_selected, resolve_target, restrict_to_target

    try:
        target = resolve_target(
            values["kestra-version"],
            sources["kestra-version"],
            values["edition"],
            sources["edition"],
            sources["policies"] if values["policies"] else None,
            root,
        )
    except TargetError as error:
        raise ConfigError(str(error)) from error
    # --show-settings shows the target as it applies, and where it came from.
    for name, value, source in target.describe():
        values[name], sources[name] = value, source
    selections = [layer.selection for layer in layers]
    selected = resolve_selection(selections)
    explicit = explicitly_selected([s for layer in selections for s in (*(layer.select or ()), *layer.extend_select)])
    enabled = restrict_to_target(selected, target, explicit)
    return Settings(
        root=root,
        config_path=config_path,
        enabled=enabled,
        rule_options=rule_options,
        values=values,
        sources=sources,
        target=target,
        not_applicable=tuple(sorted((selected & explicit) - enabled)),
    )


def file_layer(config_path: Path) -> Layer:
    """The layer of a configuration file, its paths relative to its folder."""
    found = config_table(config_path)
    if found is None:
        raise ConfigError(f"{config_path} has no [tool.contractlint] table")
    table, where = found
    return layer_from_table(table, config_path.absolute().parent, str(config_path), where)


def settings_from_table(
    table: dict[str, Any], root: Path, config_path: Path | None, command_line: CommandLine
) -> Settings:
    """Settings from a validated table whose paths are relative to ``root``, and the
    command line (the rule examples and tests build settings this way)."""
    source = str(config_path) if config_path is not None else "configuration"
    layers = [layer_from_table(table, root, source), *command_line.override_layers(root), command_line.layer()]
    return settings_from_layers(layers, root, config_path)


def describe_settings(settings: Settings) -> list[tuple[str, Any, str]]:
    """Every key's setting (as JSON values) and where it came from, in ``KEYS`` order,
    then the rules the selection enables and each rule option: what ``--show-settings``
    prints, for any key without knowing it."""
    rows = [(key.name, _jsonable(key.name, settings.values[key.name]), settings.sources[key.name]) for key in KEYS]
    selection = sorted({settings.sources[name] for name in SELECTION_KEYS} - {DEFAULT_SOURCE})
    rows.append(("enabled", sorted(settings.enabled), ", ".join(selection) if selection else DEFAULT_SOURCE))
    for code, options in sorted(settings.rule_options.items()):
        for option, value in sorted(options.items()):
            name = f"{RULES_KEY}.{code}.{option}"
            rows.append((name, _jsonable(name, value), settings.sources[name]))
    return rows


def _jsonable(name: str, value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, frozenset):
        return sorted(_jsonable(name, item) for item in value)
    if name == "per-file-ignores":
        return {pattern: list(codes) for pattern, codes in value}
    if isinstance(value, (tuple, list)):
        return [_jsonable(name, item) for item in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(name, v) for k, v in value.items()}
    return value
