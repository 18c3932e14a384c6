"""What rules may know beyond the file in hand: the project's settings, its global
plugin defaults, and its Python modules (read and parsed at most once, never run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from contractlint.flow.defaults import PluginDefault
    from contractlint.python.code import PythonCode


@dataclass(eq=False)
class Project:
    root: Path
    src: tuple[Path, ...] = ()
    runtime_env: frozenset[str] = frozenset()
    global_defaults: tuple[PluginDefault, ...] = ()
    _modules: dict[Path, PythonCode | None] = field(default_factory=dict, repr=False)

    def find_module(self, dotted: str) -> Path | None:
        """The file of module ``a.b.c`` under the first ``src`` root that has it."""
        parts = dotted.split(".")
        if not all(part.isidentifier() for part in parts):
            return None
        for root in self.src:
            base = root.joinpath(*parts)
            for candidate in (base.with_suffix(".py"), base / "__init__.py"):
                if candidate.is_file():
                    return candidate
        return None

    def module_code(self, path: Path) -> PythonCode | None:
        """The parsed module at ``path``; None when it cannot be read or parsed (the
        module's own lint run reports that, with a position)."""
        key = path.resolve()
        if key not in self._modules:
            from contractlint.python.code import PythonSyntaxError, module_code
            from contractlint.source import SourceFile, UndecodableFile

            try:
                code = module_code(SourceFile.from_bytes(display_path(path), path.read_bytes()))
                code.module  # noqa: B018 - parse now, so a syntax error is known here
            except (OSError, UndecodableFile, PythonSyntaxError):
                code = None
            self._modules[key] = code
        return self._modules[key]


def display_path(path: Path) -> str:
    """A path as diagnostics show it: relative to the working directory when inside it,
    with ``/`` separators."""
    cwd = Path.cwd()
    try:
        shown = path.absolute().relative_to(cwd) if path.is_absolute() else path
    except ValueError:
        shown = path
    return shown.as_posix().removeprefix("./")
