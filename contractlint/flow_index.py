"""Which flows import which project modules, from the text of their import statements.

CL203 follows a flow's script into the project modules it imports (through the ``src``
roots), so a change to ``src/acme/transform.py`` can break a flow that is not part of
the change: a pre-commit run that names only the module must lint that flow too, and a
``--fix`` that rewrites the module must lint it again. Finding those flows by analysing
every module of the repository would cost a pre-commit run seconds; this index costs a
read of each flow file and of the modules flows reach:

* every ``import a.b`` / ``from a.b import c`` line of a flow file (inline scripts are
  YAML block scalars, so a line scan finds them wherever they are nested) names the
  modules it may load (``a.b``, and ``a.b.c`` in case ``c`` is a submodule);
* those that a ``src`` root holds are read the same way, and so on, as far as CL203
  follows (``MAX_DEPTH`` modules deep).

A flow depends on a module when the module is among those its imports reach. The scan
over-approximates (an import in a comment counts), which only means a flow is linted
when it did not need to be; it never reads a module no flow reaches.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from contractlint.project import MAX_CALL_DEPTH, MAX_FOLLOWED_MODULES, Project

MAX_DEPTH = MAX_CALL_DEPTH

_IMPORT = re.compile(
    r"^[ \t]*(?:-[ \t]+)?(?:from[ \t]+(?P<base>\.*[\w.]*)[ \t]+import[ \t]+(?P<names>[^#\r\n]+)"
    r"|import[ \t]+(?P<modules>[^#\r\n]+))",
    re.MULTILINE,
)
_NAME = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*")


def imported_modules(text: str, package: str | None = None) -> set[str]:
    """Dotted names the import statements of ``text`` may load (relative imports are
    resolved against ``package``, and skipped without one)."""
    found: set[str] = set()
    for match in _IMPORT.finditer(text):
        if match.group("modules") is not None:
            for part in match.group("modules").split(","):
                name = _NAME.match(part.strip().strip("()"))
                if name is not None:
                    found.add(name.group())
            continue
        base = match.group("base")
        if base.startswith("."):
            if package is None:
                continue
            dots = len(base) - len(base.lstrip("."))
            parts = package.split(".") if package else []
            if dots - 1 > len(parts):
                continue
            anchor = parts[: len(parts) - (dots - 1)]
            rest = base.lstrip(".")
            base = ".".join([*anchor, rest] if rest else anchor)
            if not base:
                continue
        found.add(base)
        for part in match.group("names").split(","):
            name = _NAME.match(part.strip().strip("()"))
            if name is not None and "." not in name.group():
                found.add(f"{base}.{name.group()}")
    return found


def is_stdlib(dotted: str) -> bool:
    return dotted.partition(".")[0] in sys.stdlib_module_names


@dataclass
class ProjectModules:
    """The modules of one set of ``src`` roots, read only when an import reaches them."""

    project: Project
    _imports: dict[str, set[str]] = field(default_factory=dict)

    def path_of(self, dotted: str) -> Path | None:
        return None if is_stdlib(dotted) else self.project.find_module(dotted)

    def imports_of(self, dotted: str) -> set[str]:
        """The project modules that module ``dotted`` imports (empty outside ``src``)."""
        if dotted not in self._imports:
            path = self.path_of(dotted)
            found: set[str] = set()
            if path is not None:
                package = dotted if path.name == "__init__.py" else dotted.rpartition(".")[0]
                source = self.project.source_file(path)  # a draft, when the project has one
                text = source.text if source is not None else ""
                found = {name for name in imported_modules(text, package) if self.path_of(name) is not None}
            self._imports[dotted] = found
        return self._imports[dotted]

    def reach(self, starts: set[str]) -> dict[str, tuple[str, ...]]:
        """Every project module reachable from ``starts`` → the import chain to it."""
        chains: dict[str, tuple[str, ...]] = {}
        pending = [(name, (name,)) for name in sorted(starts) if self.path_of(name) is not None]
        while pending and len(chains) < MAX_FOLLOWED_MODULES:
            name, chain = pending.pop(0)  # breadth first: the shortest chain
            if name in chains:
                continue
            chains[name] = chain
            if len(chain) < MAX_DEPTH:
                # Importing a.b.c runs the packages a and a.b first.
                parents = [name.rsplit(".", depth)[0] for depth in range(name.count("."), 0, -1)]
                following = [*parents, *sorted(self.imports_of(name))]
                pending.extend((imported, (*chain, imported)) for imported in following if self.path_of(imported))
        return chains

    def module_names(self, path: Path) -> list[str]:
        """``src/acme/transform.py`` → ``["src.acme.transform", "acme.transform"]`` with
        roots ``.`` and ``src``: the names the file is imported by, one per root."""
        absolute = path.resolve()
        found = []
        for root in self.project.src:
            try:
                parts = absolute.relative_to(root.resolve()).with_suffix("").parts
            except ValueError:
                continue
            if parts and parts[-1] == "__init__":
                parts = parts[:-1]
            if parts and all(part.isidentifier() for part in parts):
                found.append(".".join(parts))
        return found


@dataclass(frozen=True)
class Dependent:
    flow: Path
    module: str  # the changed module
    chain: tuple[str, ...]  # from the flow's import to the changed module
    path: Path  # the changed module's file

    def reason(self, shown: str) -> str:
        """Why the flow is linted; ``shown``: the module's file as the user sees it."""
        via = f"{self.chain[0]}, which imports {' → '.join(self.chain[1:])}" if len(self.chain) > 1 else self.chain[0]
        return f"it imports {via} ({shown})"


def dependents(flows: dict[Path, str], modules: ProjectModules, changed: dict[str, Path]) -> list[Dependent]:
    """The flows (path → text) whose imports reach one of the ``changed`` modules
    (dotted name → file)."""
    found: list[Dependent] = []
    for flow, text in sorted(flows.items()):
        reached = modules.reach(imported_modules(text))
        for name in sorted(changed):
            if name in reached:
                found.append(Dependent(flow, name, reached[name], changed[name]))
                break
    return found


# -- imports CL203 cannot follow --------------------------------------------------------------

MAX_SCANNED_FOLDERS = 2000  # where to look for a module the src roots miss: a bounded, shallow look
SCAN_DEPTH = 3


def unresolved_imports(results: list, resolver: Any) -> list[tuple[str, str, str]]:
    """(module, flow, hint) for every module a linted flow imports that looks like the
    project's own — a folder or file of that name is in the repository — but that no
    ``src`` root holds: CL203 cannot see what it reads. Standard-library and
    third-party imports (nothing of that name in the repository) are not listed."""
    found: list[tuple[str, str, str]] = []
    projects: dict[tuple, Project] = {}
    for result in results:
        if result.kind != "flow":
            continue
        if result.imports is not None:
            imported = result.imports  # the text was let go (a large run) or never read (the cache)
        elif result.source is not None:
            imported = tuple(imported_modules(result.source.text))
        else:
            continue
        settings = resolver.settings_for(result.path)
        if settings.identity not in projects:
            projects[settings.identity] = Project(root=settings.root, src=settings.src)
        project = projects[settings.identity]
        by_top: dict[str, list[str]] = {}
        for name in imported:
            by_top.setdefault(name.partition(".")[0], []).append(name)
        for top, names in sorted(by_top.items()):
            if is_stdlib(top) or any(project.find_module(name) is not None for name in names):
                continue
            if not _inside(Path(result.path), settings.root):
                continue  # the flow is not in its project's folder: nothing to compare with
            where = _repository_names(settings.root).get(top)
            if where is None or not _is_python(settings.root / where):
                continue  # no Python of that name here: a third-party package
            module = min(names, key=lambda name: (name.count("."), name))
            parent = where.parent
            in_src = any(_same(settings.root / parent, root) for root in settings.src)
            hint = "" if in_src else f" (there is {where.as_posix()}: add {parent.as_posix()!r} to `src`)"
            found.append((module, result.path, hint))
    return found


def _inside(path: Path, root: Path) -> bool:
    absolute = os.path.abspath(path)
    top = os.path.abspath(root)
    return absolute == top or absolute.startswith(top.rstrip(os.sep) + os.sep)


def _is_python(path: Path) -> bool:
    """A module file, or a folder with Python in it (a package, or a namespace one)."""
    if path.suffix == ".py":
        return path.is_file()
    try:
        return any(entry.name.endswith(".py") for entry in os.scandir(path))
    except OSError:
        return False


def _same(a: Path, b: Path) -> bool:
    return os.path.normpath(a) == os.path.normpath(b)


_NAMES: dict[Path, dict[str, Path]] = {}


def _repository_names(root: Path) -> dict[str, Path]:
    """Module-like names near the top of ``root`` (packages, ``.py`` files, up to
    ``SCAN_DEPTH`` folders deep) → where the shallowest one is, relative to ``root``."""
    if root not in _NAMES:
        from contractlint.discovery import DEFAULT_EXCLUDES

        skipped = set(DEFAULT_EXCLUDES)
        names: dict[str, Path] = {}
        pending = [(root, 0)]
        scanned = 0
        while pending and scanned < MAX_SCANNED_FOLDERS:
            folder, depth = pending.pop(0)
            scanned += 1
            try:
                entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                if name.startswith(".") or name in skipped:
                    continue
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                except OSError:
                    continue
                stem = name if is_dir else (name[:-3] if name.endswith(".py") else "")
                if stem.isidentifier() and stem not in names:
                    names[stem] = Path(entry.path).relative_to(root)
                if is_dir and depth + 1 < SCAN_DEPTH:
                    pending.append((Path(entry.path), depth + 1))
        _NAMES[root] = names
    return _NAMES[root]
