"""What rules may know beyond the file in hand: the project's settings, the Kestra it
targets, its global plugin defaults or Policies, and its Python modules (read and
parsed at most once, never run).

A file's result can depend on other files: the modules CL203 follows into, the
namespace files a flow includes, and where a module is *not* (a module that appears
in an earlier ``src`` root changes what an import resolves to). Every look-up records
the files it consulted in a ``DependencyLog`` (path → digest of the content read, None
for a file that is absent), also when the answer comes from this project's memory, so
that ``Linter.lint_bytes`` can say exactly what a result depended on and the result
cache can tell when it is stale."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from contractlint import digest
from contractlint.target import DEFAULT_TARGET, KestraTarget

if TYPE_CHECKING:
    from contractlint.flow.defaults import PluginDefault
    from contractlint.flow.policies import PolicyRule
    from contractlint.python.code import PythonCode
    from contractlint.python.environ import EnvRead, ModuleInfo
    from contractlint.source import SourceFile

# Bounds on following calls into the project (CL203): deep enough for real helper
# chains, small enough that a pathological project cannot stall a pre-commit hook.
MAX_CALL_DEPTH = 8
MAX_FOLLOWED_FUNCTIONS = 64
MAX_FOLLOWED_MODULES = 64
MAX_REEXPORT_HOPS = 5


@dataclass(frozen=True)
class EnvUse:
    """A read of environment variable ``key`` found by following an inline script into
    the project: where it is, and through which functions it is reached."""

    key: str
    path: Path
    line: int  # 1-based, in the module file
    column: int
    module: str  # dotted name of the module that reads it
    chain: tuple[str, ...] = ()  # functions from the one called to the one reading; () at import
    shown: str = ""  # the path as messages show it: relative to the project root

    @property
    def where(self) -> str:
        """``src/pipelines/load.py:12 (run → connect)``, for messages."""
        how = " → ".join(self.chain) if self.chain else f"when {self.module} is imported"
        return f"{self.shown}:{self.line} ({how})"


@dataclass
class FollowedEnv:
    """What the project code reached from one call or import does with the environment."""

    uses: list[EnvUse] = field(default_factory=list)  # reads that raise when the variable is missing
    assigned: set[str] = field(default_factory=set)  # variables that code sets itself
    opened: bool = False  # it loads variables nobody can list (dotenv, os.environ.update(x))


Reads = dict[str, "str | None"]  # absolute path → digest of its content (None: no such file)


class DependencyLog:
    """The files the computations in progress consulted. ``collecting`` opens a record;
    what is noted goes to the innermost one, and a record that closes is added to the one
    around it (a memoised answer's files are part of every result that uses it)."""

    def __init__(self) -> None:
        self._open: list[Reads] = []

    def note(self, path: Path | str, digest: str | None) -> None:
        if self._open:
            self._open[-1][os.path.abspath(path)] = digest

    def replay(self, reads: Reads) -> None:
        if self._open and reads:
            self._open[-1].update(reads)

    @contextmanager
    def collecting(self) -> Iterator[Reads]:
        reads: Reads = {}
        self._open.append(reads)
        try:
            yield reads
        finally:
            self._open.pop()
            self.replay(reads)


@dataclass(eq=False)
class Project:
    root: Path
    src: tuple[Path, ...] = ()
    runtime_env: frozenset[str] = frozenset()
    global_defaults: tuple[PluginDefault, ...] = ()  # applied on 1.x targets
    target: KestraTarget = DEFAULT_TARGET
    policies: tuple[PolicyRule, ...] = ()  # applied on 2.x Enterprise targets
    # Folders holding namespace files, searched in order; `{namespace}` in one stands
    # for the flow's namespace.
    namespace_files: tuple[Path, ...] = ()
    # Contents that stand for files, by resolved path: a server's unsaved editor buffers
    # or an agent's drafts. Shared by every Project of a workspace; empty for `check`.
    drafts: dict[Path, bytes] = field(default_factory=dict, repr=False)
    _sources: dict[Path, SourceFile | None] = field(default_factory=dict, repr=False)
    _stamps: dict[Path, tuple] = field(default_factory=dict, repr=False)  # what each source was read from
    # Memoised answers, each with the files it consulted (``_remembered``).
    _modules: dict[Path, tuple[PythonCode | None, Reads]] = field(default_factory=dict, repr=False)
    _infos: dict[str, tuple[ModuleInfo | None, Reads]] = field(default_factory=dict, repr=False)
    _calls: dict[str, tuple[FollowedEnv | None, Reads]] = field(default_factory=dict, repr=False)
    _imports: dict[tuple[str, ...], tuple[FollowedEnv, Reads]] = field(default_factory=dict, repr=False)
    _found: dict[str, tuple[Path | None, Reads]] = field(default_factory=dict, repr=False)
    _digests: dict[str, str | None] = field(default_factory=dict, repr=False)
    dependencies: DependencyLog = field(default_factory=DependencyLog, repr=False)

    def _remembered(self, table: dict, key: object, compute: Callable[[], object]) -> object:
        """``table[key]``, computed once; the files the computation consulted are noted
        again whenever the answer is used."""
        if key in table:
            value, reads = table[key]
            self.dependencies.replay(reads)
            return value
        with self.dependencies.collecting() as reads:
            value = compute()
        table[key] = (value, reads)
        return value

    def _note_file(self, path: Path) -> None:
        """``path`` is a file whose content a result depends on."""
        key = os.path.abspath(path)
        if key not in self._digests:
            draft = self.drafts.get(path.resolve()) if self.drafts else None
            self._digests[key] = digest.file_digest(path) if draft is None else digest.content_digest(draft)
        self.dependencies.note(key, self._digests[key])

    def find_module(self, dotted: str) -> Path | None:
        """The file of module ``a.b.c`` under the first ``src`` root that has it."""
        return self._remembered(self._found, dotted, lambda: self._find_module(dotted))

    def _find_module(self, dotted: str) -> Path | None:
        parts = dotted.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        for root in self.src:
            base = root.joinpath(*parts)
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                try:
                    if self.is_file(candidate):
                        self._note_file(candidate)
                        return candidate
                except OSError:  # a name too long for the file system: not a module here
                    continue
                self.dependencies.note(candidate, None)  # a module here would be found first
        return None

    def find_namespace_file(self, namespace: str | None, name: str, other: str | None = None) -> Path | None:
        """The file of namespace file ``name`` (``scripts/etl.py``) of the flow's
        ``namespace`` — or of namespace ``other`` (``read('x', namespace='shared')``),
        which only a folder with ``{namespace}`` can hold — under the first
        ``namespace-files`` folder that has it; None when none does, or when the name
        leaves its folder (``..``)."""
        parts = [part for part in name.replace("\\", "/").split("/") if part not in ("", ".")]
        if not parts or ".." in parts:
            return None
        wanted = other if other is not None else namespace
        for folder in self.namespace_files:
            if "{namespace}" in str(folder):
                if wanted is None or "/" in wanted or wanted.startswith("."):
                    continue
                folder = Path(str(folder).replace("{namespace}", wanted))
            elif other is not None and other != namespace:
                continue  # a folder of the flow's own namespace files
            candidate = folder.joinpath(*parts)
            if self.is_file(candidate):
                self._note_file(candidate)
                return candidate
            self.dependencies.note(candidate, None)  # a file here would be included instead
        return None

    def is_file(self, path: Path) -> bool:
        """A file of the project: on disk, or a draft standing for one."""
        if self.drafts and path.resolve() in self.drafts:
            return True
        return path.is_file()

    def source_file(self, path: Path) -> SourceFile | None:
        """The text of project file ``path`` (its draft, if it has one), read once; None
        when it cannot be read or decoded (its own lint run reports that)."""
        key = path.resolve()
        if key not in self._sources:
            from contractlint.source import SourceFile, UndecodableFile, UnreadablePath, read_file

            self._stamps[key] = self._stamp(key)
            try:
                data = self.drafts[key] if key in self.drafts else read_file(path)
            except UnreadablePath:
                data = None
            # The digest of the bytes read, not of the file as it may be later.
            self._digests[os.path.abspath(path)] = None if data is None else digest.content_digest(data)
            try:
                self._sources[key] = None if data is None else SourceFile.from_bytes(display_path(path), data)
            except UndecodableFile:
                self._sources[key] = None
        self._note_file(path)
        return self._sources[key]

    def _stamp(self, key: Path) -> tuple:
        """What a file's content is known by: a draft's bytes, or the file's identity,
        size and modification time on disk (None: it is not there)."""
        if key in self.drafts:
            return ("draft", self.drafts[key])
        try:
            status = key.stat()
        except OSError:
            return ("missing",)
        return ("disk", status.st_ino, status.st_size, status.st_mtime_ns)

    def refresh(self) -> list[Path]:
        """Forget what was read from files that changed since (on disk, or their draft),
        for a long-running process between requests; the files that changed."""
        changed = [key for key, stamp in self._stamps.items() if self._stamp(key) != stamp]
        for key in changed:
            self.forget(key)
        self._found.clear()  # a module may have appeared where an earlier one was looked for
        return changed

    def module_code(self, path: Path) -> PythonCode | None:
        """The parsed module at ``path``; None when it cannot be read or parsed (the
        module's own lint run reports that, with a position)."""
        return self._remembered(self._modules, path.resolve(), lambda: self._module_code(path))

    def _module_code(self, path: Path) -> PythonCode | None:
        from contractlint.python.code import PythonSyntaxError, module_code

        source = self.source_file(path)
        code = module_code(source) if source is not None else None
        try:
            if code is not None:
                code.parse()  # now, so a syntax error is known here
        except PythonSyntaxError:
            code = None
        return code

    def package_of(self, code: PythonCode) -> str | None:
        """The package a project module belongs to (what its relative imports are
        relative to): ``pipelines`` for ``src/pipelines/load.py`` and for
        ``src/pipelines/__init__.py``; None for code outside the ``src`` roots and for
        inline scripts."""
        if code.is_inline:
            return None
        shown = Path(code.file.path)
        path = shown if shown.is_absolute() or shown.is_file() else self.root / shown
        for root in self.src:
            try:
                parts = path.resolve().relative_to(root.resolve()).with_suffix("").parts
            except ValueError:
                continue
            if not parts or not all(part.isidentifier() for part in parts):
                return None
            return ".".join(parts[:-1])
        return None

    def forget(self, path: Path) -> None:
        """``path`` was rewritten (``--fix``): read it again when it is next needed."""
        self._sources.pop(path.resolve(), None)
        self._stamps.pop(path.resolve(), None)
        self._modules.pop(path.resolve(), None)
        self._digests.pop(os.path.abspath(path), None)
        self._found.clear()
        self._infos.clear()
        self._calls.clear()
        self._imports.clear()

    def relative(self, path: Path) -> str:
        """``path`` relative to the project root (``/`` separators) when inside it: what
        messages show, the same whatever the working directory."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return display_path(path)

    # -- following inline scripts into the project (CL203) ----------------------------

    def module_info(self, dotted: str) -> ModuleInfo | None:
        """The environment facts of project module ``dotted``; None when it is not in a
        ``src`` root or does not parse."""
        return self._remembered(self._infos, dotted, lambda: self._module_info(dotted))

    def _module_info(self, dotted: str) -> ModuleInfo | None:
        from contractlint.python.environ import module_info

        path = self.find_module(dotted)
        code = self.module_code(path) if path is not None else None
        if path is not None and code is not None:
            return module_info(code, dotted, is_package=path.name == "__init__.py")
        return None

    def resolve_function(self, qualified: str, hops: int = MAX_REEXPORT_HOPS) -> tuple[ModuleInfo, str] | None:
        """``pipelines.load.run`` → (the module ``pipelines.load``, ``"run"``), following
        re-exports (``from .load import run`` or ``from .load import *`` in
        ``pipelines/__init__.py``); None when it is not a top-level function of a project
        module."""
        module, _, name = qualified.rpartition(".")
        if not module or hops <= 0:
            return None
        info = self.module_info(module)
        if info is None:
            return None
        if name in info.functions:
            return info, name
        target = info.reexports.get(name)
        if target is not None:
            return self.resolve_function(target, hops - 1) if target != qualified else None
        if name.startswith("_"):
            return None  # `import *` does not bind private names
        for star in info.star_modules:
            if star != module:
                found = self.resolve_function(f"{star}.{name}", hops - 1)
                if found is not None:
                    return found
        return None

    def import_env(self, modules: tuple[str, ...]) -> FollowedEnv:
        """What importing ``modules`` runs: their import-time reads, and those of the
        project modules they import in turn."""
        return self._remembered(self._imports, modules, lambda: self._import_env(modules))

    def _import_env(self, modules: tuple[str, ...]) -> FollowedEnv:
        followed = FollowedEnv()
        pending = list(modules)
        seen: set[str] = set()
        while pending and len(seen) < MAX_FOLLOWED_MODULES:
            dotted = pending.pop(0)
            if dotted in seen:
                continue
            seen.add(dotted)
            info = self.module_info(dotted)
            if info is None:
                continue
            self._collect(followed, info, info.import_time_reads, (), info.import_time_opened)
            pending.extend(info.import_time_modules)
        return followed

    def call_env(self, qualified: str) -> FollowedEnv | None:
        """What calling project function ``qualified`` reads, following the functions it
        calls (in its module and in other project modules, bounded); None when
        ``qualified`` is not a project function."""
        return self._remembered(self._calls, qualified, lambda: self._follow_call(qualified))

    def _follow_call(self, qualified: str) -> FollowedEnv | None:
        start = self.resolve_function(qualified)
        if start is None:
            return None
        followed = FollowedEnv()
        pending: list[tuple[ModuleInfo, str, tuple[str, ...]]] = [(start[0], start[1], (start[1],))]
        seen: set[tuple[str, str]] = set()
        modules: list[str] = []
        while pending and len(seen) < MAX_FOLLOWED_FUNCTIONS:
            info, name, chain = pending.pop(0)  # breadth first: the shortest chain names a read
            if (info.dotted, name) in seen:
                continue
            seen.add((info.dotted, name))
            function = info.functions[name]
            self._collect(followed, info, function.reads, chain, function.opened)
            if len(chain) >= MAX_CALL_DEPTH:
                continue
            for callee, is_local in function.calls:
                if is_local:
                    if callee in info.functions:
                        pending.append((info, callee, (*chain, callee)))
                    continue
                target = self.resolve_function(callee)
                if target is not None:
                    pending.append((target[0], target[1], (*chain, target[1])))
                    if target[0].dotted != start[0].dotted:
                        modules.append(target[0].dotted)
        if modules:
            # A function imported lazily runs its module's import-time code too.
            imported = self.import_env(tuple(dict.fromkeys(modules)))
            followed.uses.extend(imported.uses)
            followed.assigned |= imported.assigned
            followed.opened |= imported.opened
        return followed

    def _collect(
        self, followed: FollowedEnv, info: ModuleInfo, reads: list[EnvRead], chain: tuple[str, ...], opened: bool
    ) -> None:
        followed.assigned |= info.facts.assigned
        followed.opened |= opened
        for read in reads:
            if not read.raises or read.key is None or read.guarded or read.key in info.facts.membership_tested:
                continue
            line, column = info.code.node_position(read.access)
            path = self.find_module(info.dotted)
            if path is None:
                continue
            followed.uses.append(EnvUse(read.key, path, line, column, info.dotted, chain, self.relative(path)))


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it,
    with ``/`` separators."""
    text = os.fspath(path)
    if os.sep == "/" and _is_plain_relative(text):
        return text  # what the Path arithmetic below gives for it, at a fraction of the cost
    cwd = Path.cwd()
    try:
        shown = path.absolute().relative_to(cwd) if path.is_absolute() else path
    except ValueError:
        shown = path
    return shown.as_posix().removeprefix("./")


def _is_plain_relative(text: str) -> bool:
    """A relative POSIX path that ``Path(text).as_posix()`` leaves as it is: no empty or
    ``.`` components, no trailing separator (a run names thousands of files this way)."""
    return (
        bool(text)
        and not text.startswith(("/", "./"))
        and text != "."
        and not text.endswith(("/", "/."))
        and "//" not in text
        and "/./" not in text
    )
