"""Which settings apply to which path, the way ruff's resolver decides.

Every file is linted with the nearest configuration at or above it (``.contractlint.toml``,
else a ``pyproject.toml`` with a ``[tool.contractlint]`` table), so a repository gives the
same findings from its root, a subfolder, outside it or another project's folder, and a
monorepo's projects each keep their own settings. Paths in a configuration are relative
to its folder. ``--config FILE`` gives every file that file's settings; ``--isolated``
reads no file. A file with no configuration above it gets the defaults, rooted at the
top of its git work tree (so ``src = [".", "src"]`` means the same from any folder), or
outside git at the working directory.

Looking up a configuration costs a few ``stat`` calls per folder the first time and a
dictionary look-up after; the settings of each configuration are built once and shared
by every file under it (the runner builds one engine per configuration).
"""

from __future__ import annotations

import os
import dataclasses
from collections.abc import Callable
from pathlib import Path

from contractlint.config import (
    CONFIG_FILE_NAMES,
    RUN_KEYS,
    CommandLine,
    ConfigError,
    Layer,
    Settings,
    config_table,
    file_layer,
    settings_from_layers,
)


class Resolver:
    def __init__(self, command_line: CommandLine, cwd: Path, stdin_filename: str | None = None) -> None:
        self.command_line = command_line
        self.cwd = Path(os.path.abspath(cwd))
        # Run-wide keys come from the working directory's configuration (or, for
        # standard input, from that of the file it stands for), as with ruff.
        self._run_from = self.cwd / stdin_filename if stdin_filename is not None else None
        self._run: Settings | None = None
        if command_line.isolated and command_line.config is not None:
            raise ConfigError(
                f"--config {command_line.config} cannot be used with --isolated, which ignores every configuration "
                "file (a --config KEY=VALUE override can)"
            )
        # Command-line layers are parsed once, and apply on top of every configuration.
        self._top: list[Layer] = [*command_line.override_layers(self.cwd), command_line.layer()]
        self._nearest: dict[str, Path | None] = {}  # folder → nearest configuration at or above it
        self._settings: dict[tuple[Path, Path | None], Settings] = {}
        self._git_tops: dict[str, Path | None] = {}
        self._keys: dict[str, tuple[Path, Path | None]] = {}  # folder → (root, configuration)
        self.fixed: Settings | None = None  # --config FILE: one settings for every file
        if command_line.config is not None:
            config = command_line.config
            if not config.is_file():
                problem = "is not a regular file" if config.exists() else "does not exist"
                raise ConfigError(f"config file {config} {problem}")
            root = Path(os.path.abspath(config)).parent
            self.fixed = settings_from_layers([file_layer(config), *self._top], root, config)

    @classmethod
    def for_settings(cls, settings: Settings, cwd: Path | None = None) -> Resolver:
        """A resolver that gives every path ``settings`` (as ``--config FILE`` does)."""
        resolver = cls(CommandLine(), cwd if cwd is not None else Path.cwd())
        resolver.fixed = settings
        return resolver

    # -- configurations --------------------------------------------------------------------

    def configuration_for_directory(self, directory: Path | str) -> Path | None:
        """The nearest configuration file at or above ``directory`` (None with
        ``--isolated`` or when there is none)."""
        if self.command_line.isolated:
            return None
        return _nearest(os.path.abspath(directory), self._nearest, self._configuration_in)

    def _configuration_in(self, folder: str) -> Path | None:
        for name in CONFIG_FILE_NAMES:
            candidate = os.path.join(folder, name)
            if not os.path.isfile(candidate):
                continue
            path = Path(candidate)
            # A pyproject.toml without our table is not a configuration: look further up.
            if name != "pyproject.toml" or config_table(path) is not None:
                return path
        return None

    # -- settings ------------------------------------------------------------------------------

    def settings_for_directory(self, directory: Path | str) -> Settings:
        """The settings of the files in ``directory``."""
        if self.fixed is not None:
            return self.fixed
        key = self._keys.get(directory) if isinstance(directory, str) else None
        if key is None:
            config = self.configuration_for_directory(directory)
            if config is not None:
                root = config.parent
            else:
                top = self.git_top(directory)
                root = top if top is not None else self.cwd
            key = (root, config)
            if isinstance(directory, str):
                self._keys[directory] = key  # a run asks for each folder thousands of times
        root, config = key
        if key not in self._settings:
            layers = [file_layer(config)] if config is not None else []
            settings = settings_from_layers([*layers, *self._top], root, config)
            run = self.run_settings()
            if run is not None:
                settings = with_run_keys(settings, run)
            self._settings[key] = settings
        return self._settings[key]

    def settings_for(self, path: Path | str) -> Settings:
        """The settings of the file (or folder) ``path``."""
        absolute = os.path.abspath(path)
        return self.settings_for_directory(absolute if os.path.isdir(absolute) else os.path.dirname(absolute))

    def run_settings(self) -> Settings | None:
        """The settings run-wide keys (output format, unsafe fixes…) are read from: the
        working directory's, or with standard input those of the file it stands for.
        (None only while those are being built.)"""
        if self.fixed is not None:
            return self.fixed
        if self._run is None and not self._building_run:
            self._building_run = True
            try:
                if self._run_from is not None:
                    self._run = self.settings_for(self._run_from)
                else:
                    self._run = self.settings_for_directory(self.cwd)
            finally:
                self._building_run = False
        return self._run

    _building_run = False

    def all_settings(self) -> list[Settings]:
        found = list(self._settings.values())
        return found if self.fixed is None else [self.fixed]

    # -- repositories ----------------------------------------------------------------------------

    def git_top(self, path: Path | str) -> Path | None:
        """The top of the git work tree holding ``path`` (a folder with ``.git``), found
        by looking upwards — not by running git, which would cost a process per run."""
        start = os.path.abspath(path)
        if not os.path.isdir(start):
            start = os.path.dirname(start)
        return _nearest(start, self._git_tops, _work_tree_in)


def _work_tree_in(folder: str) -> Path | None:
    return Path(folder) if os.path.lexists(os.path.join(folder, ".git")) else None


def _nearest(start: str, cache: dict[str, Path | None], probe: Callable[[str], Path | None]) -> Path | None:
    """What ``probe`` finds in ``start`` or the nearest folder above it that has
    something, remembered for every folder on the way (each is probed once per run)."""
    visited: list[str] = []
    current = start
    found: Path | None = None
    while True:
        if current in cache:
            found = cache[current]
            break
        visited.append(current)
        found = probe(current)
        if found is not None:
            break
        parent = os.path.dirname(current)
        if parent == current:
            break
        current = parent
    for folder in visited:
        cache[folder] = found
    return found


def with_run_keys(settings: Settings, run: Settings) -> Settings:
    """``settings`` with the run-wide keys of ``run``: one output format, one answer to
    "unsafe fixes?" for the whole run, whatever each project's file says."""
    if settings.identity == run.identity:
        return settings
    values = {**settings.values, **{key: run.values[key] for key in RUN_KEYS}}
    sources = {**settings.sources, **{key: run.sources[key] for key in RUN_KEYS}}
    return dataclasses.replace(settings, values=values, sources=sources)


def resolve_settings(command_line: CommandLine, cwd: Path) -> Settings:
    """The settings that apply to ``cwd``: those of ``--config``, else of the nearest
    configuration at or above it, else the defaults."""
    return Resolver(command_line, cwd).settings_for_directory(cwd)
