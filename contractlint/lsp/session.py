"""What the language server's engine thread owns: one ``Workspace`` per workspace
folder, the open buffers as drafts, and linting one buffer. No pygls here: the
protocol side (``server``) hands in plain snapshots and gets plain outcomes back, and
every call into the engine runs on one thread, in order, so the workspaces need no
locks.

Which workspace a file belongs to: the innermost workspace folder that holds it. A
file outside every folder (an editor started on a lone file) gets the workspace of its
project: the folder of its nearest configuration, else the top of its git work tree,
else its own folder. A buffer that is no file (an untitled one, a diff view's
``git:`` side) is linted as a file of its name in the first workspace folder (or the
working directory), with that folder's settings, by its language (``yaml`` or
``python``) when its name has no suffix; it never stands for a file.

A buffer stands for its file everywhere — in the workspace it is linted in and in every
other workspace whose root holds it — so a flow in one folder follows a module being
edited in another.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from contractlint.config import CommandLine, ConfigError
from contractlint.engine import PYTHON_SUFFIXES, YAML_SUFFIXES

if TYPE_CHECKING:
    from contractlint.engine import FileResult
    from contractlint.workspace import FixedFile, Workspace

LINTED_SUFFIXES = (*YAML_SUFFIXES, *PYTHON_SUFFIXES)
LANGUAGE_SUFFIXES = {"yaml": ".yaml", "python": ".py"}  # language id → what a buffer of that language is linted as
CONFIG_NAMES = ("pyproject.toml", ".contractlint.toml")
UNNAMED = "untitled"


@dataclass(frozen=True)
class Snapshot:
    """One version of an open buffer, as the engine needs it."""

    uri: str
    version: int
    text: str
    path: Path | None  # the file of a file URI; None for any other buffer
    name: str  # the last segment of the URI's path
    language_id: str

    @property
    def data(self) -> bytes:
        # `surrogateescape` gives back the bytes a client that read the file with it
        # could not decode; any other lone surrogate stays one (and is CL000).
        try:
            return self.text.encode("utf-8", errors="surrogateescape")
        except UnicodeEncodeError:
            return self.text.encode("utf-8", errors="surrogatepass")


@dataclass(frozen=True)
class Target:
    """Where and as what a buffer is linted."""

    workspace: Workspace
    path: Path  # the file, or the name a non-file buffer is linted as
    is_file: bool


@dataclass
class Outcome:
    """What linting one buffer gave."""

    result: FileResult | None = None  # None: not linted (see ``skipped``)
    target: Target | None = None
    skipped: str = ""  # why there are no diagnostics: "excluded", "not a flow or module", …
    config_error: str | None = None  # a configuration that cannot be read: nothing else is linted
    # The file on disk is not UTF-8 (the editor decoded it some other way): the result
    # is that of the file as `check` reads it.
    undecodable_on_disk: bool = False
    dependents: list[Path] = field(default_factory=list)  # open flows whose result this change may alter


class Session:
    def __init__(self, folders: list[Path], config: tuple[str, ...] = (), isolated: bool = False) -> None:
        # Deepest first: a file belongs to the innermost folder that holds it.
        self.folders = sorted({Path(os.path.realpath(folder)) for folder in folders},
                              key=lambda folder: (-len(folder.parts), str(folder)))
        self.config = config
        self.isolated = isolated
        self.workspaces: dict[Path, Workspace] = {}
        self.drafts: dict[Path, bytes] = {}  # every open file buffer, by resolved path

    # -- workspaces ---------------------------------------------------------------------------

    def command_line(self, root: Path) -> CommandLine:
        """The ``config`` option as ``--config`` reads it (an existing file, or anything
        without ``=``, is a file; the rest are ``KEY = VALUE`` overrides), relative to
        the workspace root."""
        files: list[Path] = []
        overrides: list[str] = []
        for value in self.config:
            candidate = Path(value) if Path(value).is_absolute() else root / value
            if candidate.exists() or "=" not in value:
                files.append(candidate)
            else:
                overrides.append(value)
        if len(files) > 1:
            raise ConfigError(f"only one configuration file can be given: config {files[0]} or config {files[1]}")
        return CommandLine(config=files[0] if files else None, overrides=tuple(overrides), isolated=self.isolated)

    def workspace(self, root: Path) -> Workspace:
        """The workspace rooted at ``root`` (``ConfigError`` when its settings cannot be
        read), with every draft it holds."""
        if root not in self.workspaces:
            from contractlint.workspace import Workspace

            workspace = Workspace(root, self.command_line(root))
            for path, data in self.drafts.items():
                if _inside(path, workspace.root):
                    workspace.set_draft(path, data)
            self.workspaces[root] = workspace
        return self.workspaces[root]

    def root_for(self, path: Path) -> Path:
        for folder in self.folders:
            if _inside(path, folder):
                return folder
        from contractlint.resolver import Resolver

        resolver = Resolver(CommandLine(isolated=self.isolated), path.parent)
        config = resolver.configuration_for_directory(path.parent)
        if config is not None:
            return Path(os.path.realpath(config.parent))
        top = resolver.git_top(path.parent)
        return Path(os.path.realpath(top if top is not None else path.parent))

    def containing(self, path: Path) -> list[Workspace]:
        """The workspaces built so far whose root holds ``path``."""
        return [workspace for workspace in self.workspaces.values() if _inside(path, workspace.root)]

    def target(self, snapshot: Snapshot) -> Target | None:
        """Where ``snapshot`` is linted; None when it is neither YAML nor Python."""
        if snapshot.path is not None:
            path = Path(os.path.realpath(snapshot.path))
            if path.suffix.lower() not in LINTED_SUFFIXES:
                return None
            return Target(self.workspace(self.root_for(path)), path, True)
        # A URI whose path has no last segment (`untitled:`) still names a buffer.
        name = snapshot.name if snapshot.name else UNNAMED
        if PurePosixPath(name).suffix.lower() not in LINTED_SUFFIXES:
            if snapshot.language_id not in LANGUAGE_SUFFIXES:
                return None
            name += LANGUAGE_SUFFIXES[snapshot.language_id]
        root = self.folders[-1] if self.folders else Path(os.path.realpath(Path.cwd()))
        return Target(self.workspace(root), root / name, False)

    def reload(self, path: Path) -> bool:
        """Forget the workspaces whose settings read ``path`` (a configuration file,
        or a plugin-defaults or policies file), to read them again; whether any did."""
        resolved = Path(os.path.realpath(path))
        stale = [root for root, workspace in self.workspaces.items()
                 if (resolved.name in CONFIG_NAMES and _inside(resolved, workspace.root)) or _reads(workspace, resolved)]
        for root in stale:
            del self.workspaces[root]
        return bool(stale)

    def reset(self, folders: list[Path]) -> None:
        """New workspace folders: every workspace is built again when next needed."""
        self.__init__(folders, self.config, self.isolated)  # type: ignore[misc]

    # -- buffers ------------------------------------------------------------------------------

    def open(self, path: Path, data: bytes) -> bool:
        """``data`` stands for the file at ``path``; whether that changed anything."""
        resolved = Path(os.path.realpath(path))
        if self.drafts.get(resolved) == data:
            return False
        self.drafts[resolved] = data
        for workspace in self.containing(resolved):
            workspace.set_draft(resolved, data)
        return True

    def close(self, path: Path) -> None:
        resolved = Path(os.path.realpath(path))
        self.drafts.pop(resolved, None)
        for workspace in self.containing(resolved):
            workspace.drop_draft(resolved)

    def refresh(self) -> list[Path]:
        """Forget what changed on disk or as drafts, in every workspace."""
        changed: list[Path] = []
        for workspace in list(self.workspaces.values()):
            changed.extend(workspace.refresh())
        return list(dict.fromkeys(changed))

    # -- linting ------------------------------------------------------------------------------

    def lint(self, snapshot: Snapshot, open_flows: list[Path], check_disk: bool = False) -> Outcome:
        """Lint one buffer. ``open_flows``: the files of the open flow buffers, for the
        flows a change to a module reaches. ``check_disk`` (on open and save): when the
        file on disk is not UTF-8, report it as ``check`` does."""
        try:
            target = self.target(snapshot)
            if target is None:
                return Outcome(skipped="not a flow or module")
            workspace = target.workspace
            if target.is_file and workspace.is_excluded(target.path):
                return Outcome(target=target, skipped="excluded by the settings")
            data = snapshot.data
            changed = self.open(target.path, data) if target.is_file else False
            self.refresh()
            undecodable = False
            if target.is_file and check_disk:
                on_disk = _read(target.path)
                if on_disk is not None and not _is_utf8(on_disk):
                    data, undecodable = on_disk, True
            result = workspace.check(target.path, data)
            result = _without_baselined(workspace, result, workspace.resolver.settings_for(target.path).baseline)
        except ConfigError as error:
            return Outcome(config_error=str(error))
        dependents = []
        if changed and target.path.suffix.lower() in PYTHON_SUFFIXES:
            dependents = self.dependents(target.path, open_flows)
        return Outcome(result=result, target=target, undecodable_on_disk=undecodable, dependents=dependents)

    def dependents(self, module: Path, flows: list[Path]) -> list[Path]:
        """Which of ``flows`` import ``module``, in any workspace that holds both."""
        found: list[Path] = []
        resolved = Path(os.path.realpath(module))
        for workspace in self.containing(resolved):
            inside = [flow for flow in flows if _inside(Path(os.path.realpath(flow)), workspace.root)]
            if inside:
                try:
                    found.extend(workspace.dependent_flows(resolved, inside))
                except ConfigError:
                    continue  # that workspace's own lint reports its configuration
        return list(dict.fromkeys(found))

    def fix(self, snapshot: Snapshot) -> FixedFile | None:
        """``check --fix`` of the buffer, in memory (unsafe fixes when the settings say
        ``unsafe-fixes``); None when it is not linted."""
        target = self.target(snapshot)
        if target is None or (target.is_file and target.workspace.is_excluded(target.path)):
            return None
        settings = target.workspace.resolver.settings_for(target.path)
        return target.workspace.fix(target.path, snapshot.data, unsafe=bool(settings.unsafe_fixes))

    def relint_text(self, target: Target, data: bytes) -> FileResult:
        """The result of other content for the same file (a proposed edit)."""
        return target.workspace.check(target.path, data)


def _without_baselined(workspace: Workspace, result: FileResult, baseline: Path | None) -> FileResult:
    """``result`` without what the configuration's ``baseline`` records, as ``check``
    reports it (``ConfigError`` when the baseline cannot be read, as ``check`` exits 2).
    Matched by absolute paths: the baseline's are relative to its own folder."""
    if baseline is None:
        return result
    import dataclasses

    from contractlint import baseline as baselines
    from contractlint.reporters import RunReport

    shown = {str(workspace.absolute(d.path)): d.path for d in result.diagnostics}
    absolute = dataclasses.replace(result, diagnostics=[
        dataclasses.replace(d, path=str(workspace.absolute(d.path))) for d in result.diagnostics
    ])
    baselines.apply(RunReport(results=[absolute]), baseline, None)
    kept = [dataclasses.replace(d, path=shown[d.path]) for d in absolute.diagnostics]
    return dataclasses.replace(result, diagnostics=sorted(kept, key=lambda d: d.sort_key))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _reads(workspace: Workspace, path: Path) -> bool:
    """The settings of ``workspace`` read ``path``: a plugin-defaults or policies file."""
    for settings in workspace.resolver.all_settings():
        policies = [policy for policy, _namespace in settings.policies]
        for listed in (*settings.plugin_defaults, *policies):
            if Path(os.path.realpath(listed)) == path:
                return True
    return False


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None  # not on disk (yet): the buffer is all there is


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
