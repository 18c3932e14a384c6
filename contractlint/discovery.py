"""Find the files contractlint should lint, the way ruff finds Python files.

A file found by walking a directory is linted when all of these hold:

* its name ends with one of ``LINTABLE_SUFFIXES``;
* no exclude pattern matches it or a directory above it (ruff-style globs);
* git would not ignore it (``.gitignore`` files and ``.git/info/exclude``).

Paths named explicitly are linted as long as they exist and have a lintable
suffix; ``force_exclude`` makes the exclude patterns (not gitignore) apply to
them as well, which is what pre-commit needs.

Two glob dialects live here:

* exclude patterns and ``per-file-ignores`` keys (``glob_match``), matched
  against text: ``*`` and ``?`` never cross ``/``, ``**`` spans directories;
* gitignore patterns, matched exactly like git's ``wildmatch`` -- byte-wise,
  so every path and pattern is decoded as latin-1 (one character per byte)
  before it is matched.

Both are parsed into tokens and matched by ``globset``: an automaton, so the
cost of a match is linear in the path whatever the patterns (a backtracking
regex takes exponential time on ``*a*a*a*a*b`` against a name that almost
matches).
"""

from __future__ import annotations

import functools
import os
import posixpath
import re
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from contractlint.globset import ANY_BUT_SLASH, AnyRun, CharClass, Directories, GlobSet, Literal, Star, Token

LINTABLE_SUFFIXES = (".py", ".yml", ".yaml")

# ruff's default `exclude`, plus our own cache and Python's bytecode cache.
DEFAULT_EXCLUDES: tuple[str, ...] = (
    ".bzr",
    ".direnv",
    ".eggs",
    ".git",
    ".git-rewrite",
    ".hg",
    ".ipynb_checkpoints",
    ".mypy_cache",
    ".nox",
    ".pants.d",
    ".pyenv",
    ".pytest_cache",
    ".pytype",
    ".ruff_cache",
    ".svn",
    ".tox",
    ".venv",
    ".vscode",
    "__pypackages__",
    "_build",
    "buck-out",
    "dist",
    "node_modules",
    "site-packages",
    "venv",
    "__pycache__",
    ".contractlint_cache",
)


@dataclass(frozen=True)
class Discovery:
    files: tuple[Path, ...]
    missing: tuple[str, ...]
    # (path, message) for directories and ignore files that could not be read;
    # the caller reports them instead of discovery hiding them.
    errors: tuple[tuple[str, str], ...] = ()


# ---------------------------------------------------------------------------
# Glob -> tokens (git's wildmatch with WM_PATHNAME), matched by globset
# ---------------------------------------------------------------------------


class InvalidGlobError(ValueError):
    """A glob that wildmatch would abort on (unterminated `[`, bad class...)."""


def _ranges(text: str) -> tuple[tuple[int, int], ...]:
    """``"0-9A-Z_"`` → code point ranges (single characters are one-point ranges)."""
    found, index = [], 0
    while index < len(text):
        if index + 2 < len(text) and text[index + 1] == "-":
            found.append((ord(text[index]), ord(text[index + 2])))
            index += 3
        else:
            found.append((ord(text[index]), ord(text[index])))
            index += 1
    return tuple(found)


# ASCII sets, as git's own ctype defines them (its isspace has no \v or \f).
_CHARACTER_CLASSES = {
    "alnum": _ranges("0-9A-Za-z"),
    "alpha": _ranges("A-Za-z"),
    "blank": _ranges(" \t"),
    "cntrl": ((0x00, 0x1F), (0x7F, 0x7F)),
    "digit": _ranges("0-9"),
    "graph": _ranges("!-~"),
    "lower": _ranges("a-z"),
    "print": _ranges(" -~"),
    "punct": _ranges("!-/:-@[-`{-~"),
    "space": _ranges("\t\n\r "),
    "upper": _ranges("A-Z"),
    "xdigit": _ranges("0-9A-Fa-f"),
}

_GLOB_SPECIALS = "*?[\\"


def _glob_tokens(pattern: str) -> list[Token]:
    """Parse a wildmatch glob into tokens (matched from the start to the end).

    `*` and `?` never match `/`; `**` spanning whole components matches any
    number of directories; `\\x` is a literal x.  Raises InvalidGlobError where
    wildmatch would abort.
    """
    tokens: list[Token] = []
    index, length = 0, len(pattern)
    while index < length:
        char = pattern[index]
        if char == "*":
            run_end = index
            while run_end < length and pattern[run_end] == "*":
                run_end += 1
            # wildmatch checks the raw previous character, escaped or not.
            starts_component = index == 0 or pattern[index - 1] == "/"
            is_double = run_end - index >= 2 and starts_component
            if is_double and run_end == length:
                tokens.append(AnyRun())
            elif is_double and pattern.startswith("/", run_end):
                tokens.append(Directories())  # zero or more whole directories
                run_end += 1
            elif is_double and pattern.startswith("\\/", run_end):
                # wildmatch only tries the zero-directory case for a bare `/`.
                tokens.append(AnyRun())
            else:
                tokens.append(Star())
            index = run_end
        elif char == "?":
            tokens.append(ANY_BUT_SLASH)
            index += 1
        elif char == "\\":
            if index + 1 == length:
                raise InvalidGlobError("pattern ends with a lone backslash")
            tokens.append(Literal(pattern[index + 1]))
            index += 2
        elif char == "[":
            token, index = _bracket_token(pattern, index)
            tokens.append(token)
        else:
            tokens.append(Literal(char))
            index += 1
    return tokens


def _bracket_token(pattern: str, start: int) -> tuple[CharClass, int]:
    """Parse the `[...]` starting at `start`; return (class, index after `]`)."""
    length = len(pattern)
    index = start + 1
    negated = index < length and pattern[index] in "!^"
    if negated:
        index += 1
    members: list[tuple[int, int]] = []
    previous: str | None = None  # last single character, a possible range start
    is_first = True  # a `]` right after `[` or `[!` is a member, not the end
    while True:
        if index >= length:
            raise InvalidGlobError("unterminated '['")
        char = pattern[index]
        if char == "]" and not is_first:
            break
        is_first = False
        if char == "\\":
            index += 1
            if index >= length:
                raise InvalidGlobError("unterminated '['")
            char = pattern[index]
            members.append((ord(char), ord(char)))
            previous = char
        elif (
            char == "-"
            and previous is not None
            and index + 1 < length
            and pattern[index + 1] != "]"
        ):
            index += 1
            high = pattern[index]
            if high == "\\":
                index += 1
                if index >= length:
                    raise InvalidGlobError("unterminated '['")
                high = pattern[index]
            if previous <= high:  # a reversed range matches nothing, like git
                members.append((ord(previous), ord(high)))
            previous = None
        elif char == "[" and pattern.startswith(":", index + 1):
            close = pattern.find("]", index + 2)
            if close == -1:
                raise InvalidGlobError("unterminated '['")
            if close - index - 3 < 0 or pattern[close - 1] != ":":
                # No `:]` before the first `]`: the `[` is an ordinary member.
                members.append((ord("["), ord("[")))
                previous = "["
            else:
                class_name = pattern[index + 2 : close - 1]
                if class_name not in _CHARACTER_CLASSES:
                    raise InvalidGlobError(f"unknown character class [:{class_name}:]")
                members.extend(_CHARACTER_CLASSES[class_name])
                previous = None
                index = close
        else:
            members.append((ord(char), ord(char)))
            previous = char
        index += 1
    # Either way the class never matches `/` (WM_PATHNAME).
    return CharClass(tuple(members), negated), index + 1


def _escape_glob(text: str) -> str:
    return re.sub(r"([*?\[\\])", r"\\\1", text)


def _compile_union(patterns: Sequence[list[Token]]) -> GlobSet | None:
    return GlobSet(patterns) if patterns else None


# ---------------------------------------------------------------------------
# Exclude patterns (ruff semantics) and glob_match
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _ExcludeRules:
    """Compiled exclude patterns.

    Name sets match a single path component; path sets match the whole
    path -- absolute when `anchor` (the project root) is set, otherwise the
    project-relative path given to `glob_match`.
    """

    anchor: str | None
    names_for_files: GlobSet | None
    names_for_dirs: GlobSet | None
    paths_for_files: GlobSet | None
    paths_for_dirs: GlobSet | None
    has_dir_only_patterns: bool

    def excludes_entry(self, name: str, path: str, is_dir: bool) -> bool:
        if is_dir:
            names, paths = self.names_for_dirs, self.paths_for_dirs
        else:
            names, paths = self.names_for_files, self.paths_for_files
        if names is not None and names.matches(name):
            return True
        return paths is not None and paths.matches(path)

    def excludes_components(self, base: str, components: Sequence[str], leaf_is_dir: bool) -> bool:
        """Whether the path base/components[0]/... or any directory above it
        (up to, not including, base) is excluded."""
        prefix = base if not base or base.endswith("/") else base + "/"
        last = len(components) - 1
        for position, name in enumerate(components):
            path = prefix + "/".join(components[: position + 1])
            is_dir = leaf_is_dir if position == last else True
            if self.excludes_entry(name, path, is_dir):
                return True
        return False

    def excludes_match_path(self, match_path: str, is_dir: bool) -> bool:
        """Full check of an absolute path: itself and every directory above it
        below the project root; outside the root, every directory above it."""
        if self.anchor is None:
            raise ValueError("rules compiled without a project root cannot match absolute paths")
        if match_path == self.anchor:
            return False  # the project root itself is never excluded
        anchor_prefix = self.anchor if self.anchor.endswith("/") else self.anchor + "/"
        if match_path.startswith(anchor_prefix):
            return self.excludes_components(
                self.anchor, match_path[len(anchor_prefix) :].split("/"), is_dir
            )
        components = [name for name in match_path.split("/") if name]
        return self.excludes_components("/", components, is_dir)


def _split_exclude_pattern(pattern: str) -> tuple[str, bool, bool]:
    """Return (glob body, dir_only, is_path_pattern) for a ruff-style pattern."""
    dir_only = pattern.endswith("/")
    body = pattern.rstrip("/")
    if not body:
        raise ValueError(f"invalid exclude pattern {pattern!r}: it names no file or directory")
    # `.` and `..` name directories relative to the root, like `./x` does.
    is_path_pattern = "/" in body or body in (".", "..")
    if is_path_pattern:
        while body.startswith("./"):
            body = body[2:]
        body = posixpath.normpath(body)
        if body == ".":
            raise ValueError(f"invalid exclude pattern {pattern!r}: it names the project root")
    return body, dir_only, is_path_pattern


@functools.lru_cache(maxsize=256)
def _compile_exclude_rules(patterns: tuple[str, ...], anchor: str | None) -> _ExcludeRules:
    names_for_files: list[list[Token]] = []
    names_for_dirs: list[list[Token]] = []
    paths_for_files: list[list[Token]] = []
    paths_for_dirs: list[list[Token]] = []
    has_dir_only_patterns = False
    escaped_anchor = None if anchor is None else _escape_glob(anchor)
    for pattern in patterns:
        body, dir_only, is_path_pattern = _split_exclude_pattern(pattern)
        if is_path_pattern and escaped_anchor is not None:
            # Like ruff: a path pattern is the project root joined with it.
            body = posixpath.normpath(posixpath.join(escaped_anchor, body))
        try:
            tokens = _glob_tokens(body)
        except InvalidGlobError as error:
            raise InvalidGlobError(f"invalid glob pattern {pattern!r}: {error}") from None
        has_dir_only_patterns = has_dir_only_patterns or dir_only
        for_files, for_dirs = (
            (paths_for_files, paths_for_dirs) if is_path_pattern else (names_for_files, names_for_dirs)
        )
        for_dirs.append(tokens)
        if not dir_only:
            for_files.append(tokens)
    return _ExcludeRules(
        anchor=anchor,
        names_for_files=_compile_union(names_for_files),
        names_for_dirs=_compile_union(names_for_dirs),
        paths_for_files=_compile_union(paths_for_files),
        paths_for_dirs=_compile_union(paths_for_dirs),
        has_dir_only_patterns=has_dir_only_patterns,
    )


def glob_match(pattern: str, relpath: str) -> bool:
    """Whether `pattern` matches the project-relative `relpath` (exclude rules).

    A pattern without `/` matches the name of any component of relpath; a
    pattern with `/` matches relpath or any directory above it.  A trailing
    `/` on relpath marks its last component as a directory.  Raises
    ValueError for an invalid pattern.
    """
    rules = _compile_exclude_rules((pattern,), None)
    leaf_is_dir = relpath.endswith("/")
    base = "/" if relpath.startswith("/") else ""
    components = [name for name in relpath.split("/") if name not in ("", ".")]
    return rules.excludes_components(base, components, leaf_is_dir)


class _ProjectRoot:
    """Maps paths to the absolute form exclude path patterns are matched against."""

    def __init__(self, project_root: Path | str) -> None:
        self.abs_path = _posix(os.path.abspath(project_root))
        self._prefix = self.abs_path if self.abs_path.endswith("/") else self.abs_path + "/"
        self._real_path: str | None = None

    def contains(self, abs_path: str) -> bool:
        return abs_path == self.abs_path or abs_path.startswith(self._prefix)

    def match_path_for(self, path: str) -> str:
        abs_path = _posix(os.path.abspath(path))
        if self.contains(abs_path):
            return abs_path
        # The root may be spelled through a symlink the path does not use (or
        # vice versa): compare real paths, but keep the root's spelling.
        if self._real_path is None:
            self._real_path = _posix(os.path.realpath(self.abs_path))
        real_path = _posix(os.path.realpath(path))
        real_prefix = self._real_path if self._real_path.endswith("/") else self._real_path + "/"
        if real_path == self._real_path:
            return self.abs_path
        if real_path.startswith(real_prefix):
            return self._prefix + real_path[len(real_prefix) :]
        return abs_path


def _posix(path: str) -> str:
    return path if os.sep == "/" else path.replace(os.sep, "/")


def is_excluded(path: Path, project_root: Path, patterns: Sequence[str]) -> bool:
    """Whether `path`, or a directory above it below `project_root`, matches
    one of the exclude `patterns` (ruff semantics)."""
    root = _ProjectRoot(project_root)
    rules = _compile_exclude_rules(tuple(patterns), root.abs_path)
    # Only a dir-only pattern needs to know whether the path is a directory.
    is_dir = rules.has_dir_only_patterns and os.path.isdir(path)
    return rules.excludes_match_path(root.match_path_for(os.fspath(path)), is_dir)


# ---------------------------------------------------------------------------
# gitignore (git semantics)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _IgnoreRules:
    """One ignore file, as two pattern sets (files / directories); the last
    pattern of a set that matches is git's "last matching pattern"."""

    file_set: GlobSet | None
    file_negations: tuple[bool, ...]
    dir_set: GlobSet | None
    dir_negations: tuple[bool, ...]

    def verdict(self, relpath: str, is_dir: bool) -> bool | None:
        """True = ignored, False = re-included by `!`, None = no pattern matches."""
        if is_dir:
            patterns, negations = self.dir_set, self.dir_negations
        else:
            patterns, negations = self.file_set, self.file_negations
        if patterns is None:
            return None
        found = patterns.last_match(relpath)
        if found < 0:
            return None
        return not negations[found]


@dataclass(frozen=True)
class _IgnorePattern:
    tokens: list[Token]
    negated: bool
    dir_only: bool


def _strip_trailing_spaces(line: str) -> str:
    """git's trim_trailing_spaces: drop unescaped trailing spaces (not tabs)."""
    last_space: int | None = None
    index = 0
    while index < len(line):
        char = line[index]
        if char == " ":
            if last_space is None:
                last_space = index
        elif char == "\\":
            index += 1
            if index == len(line):
                return line
            last_space = None
        else:
            last_space = None
        index += 1
    return line if last_space is None else line[:last_space]


def _parse_ignore_line(line: str) -> _IgnorePattern | None:
    """Parse one non-comment line (git's parse_path_pattern); None if it can never match."""
    negated = line.startswith("!")
    if negated:
        line = line[1:]
    dir_only = line.endswith("/")
    if dir_only:
        line = line[:-1]
    if not line:
        return None
    try:
        if "/" not in line:
            # No slash: matched against the name at any depth.
            return _IgnorePattern([Directories(), *_glob_tokens(line)], negated, dir_only)
        # A slash anywhere (but at the end) anchors the pattern to the
        # directory of the ignore file; one leading slash only says so.
        if line.startswith("/"):
            line = line[1:]
        # git compares the literal prefix (up to the first glob special)
        # separately and runs wildmatch on the rest as if it were a whole
        # pattern, so `foo**/bar` treats its `**` as a directory wildcard.
        literal_length = next(
            (index for index, char in enumerate(line) if char in _GLOB_SPECIALS), len(line)
        )
        tokens = [Literal(char) for char in line[:literal_length]] + _glob_tokens(line[literal_length:])
        return _IgnorePattern(tokens, negated, dir_only)
    except InvalidGlobError:
        return None  # wildmatch aborts on it: git silently never matches


def _last_match_union(patterns: Sequence[_IgnorePattern]) -> tuple[GlobSet | None, tuple[bool, ...]]:
    if not patterns:
        return None, ()
    return GlobSet([pattern.tokens for pattern in patterns]), tuple(pattern.negated for pattern in patterns)


@functools.lru_cache(maxsize=1024)
def _compile_ignore_rules(content: bytes) -> _IgnoreRules | None:
    """Compile an ignore file's bytes (cached: each distinct file compiles once)."""
    text = content.decode("latin-1")
    if text.startswith("\xef\xbb\xbf"):  # UTF-8 byte order mark, seen as latin-1
        text = text[3:]
    patterns: list[_IgnorePattern] = []
    for line in text.split("\n"):
        if line.endswith("\r"):
            line = line[:-1]
        if not line or line.startswith("#"):
            continue
        pattern = _parse_ignore_line(_strip_trailing_spaces(line))
        if pattern is not None:
            patterns.append(pattern)
    if not patterns:
        return None
    file_set, file_negations = _last_match_union([p for p in patterns if not p.dir_only])
    dir_set, dir_negations = _last_match_union(patterns)
    return _IgnoreRules(file_set, file_negations, dir_set, dir_negations)


def _as_git_bytes(name: str) -> str:
    """The name as git sees it: its bytes, one latin-1 character per byte."""
    return name if name.isascii() else os.fsencode(name).decode("latin-1")


# (offset into the walk-relative path where this ignore file's directory
# ends, rules) -- innermost last.
_IgnoreChain = tuple[tuple[int, _IgnoreRules], ...]


def _is_ignored(
    relpath: str, is_dir: bool, chain: _IgnoreChain, repo_excludes: _IgnoreRules | None
) -> bool:
    # Deeper ignore files win over shallower ones; info/exclude comes last.
    for offset, rules in reversed(chain):
        verdict = rules.verdict(relpath[offset:], is_dir)
        if verdict is not None:
            return verdict
    if repo_excludes is not None:
        verdict = repo_excludes.verdict(relpath, is_dir)
        if verdict is not None:
            return verdict
    return False


# ---------------------------------------------------------------------------
# Walking
# ---------------------------------------------------------------------------


def _describe(error: OSError) -> str:
    return error.strerror or str(error)


# A folder (absolute) → the exclude patterns that apply to its entries and the project
# root they are relative to: one pair for a whole run, or per folder when each project
# of a tree has its own configuration.
ExclusionsFor = Callable[[str], tuple[tuple[str, ...], str]]


def _rules_for(exclusions: ExclusionsFor, directory: str) -> tuple[_ExcludeRules, _ProjectRoot]:
    patterns, root = exclusions(directory)
    project_root = _project_root(root)
    return _compile_exclude_rules(tuple(patterns), project_root.abs_path), project_root


@functools.lru_cache(maxsize=256)
def _project_root(root: str) -> _ProjectRoot:
    return _ProjectRoot(root)


def _force_excluded(path: str, is_dir: bool, exclusions: ExclusionsFor) -> bool:
    """Whether an explicitly named path is excluded: by the patterns of its folder's
    project, below that project's root; then the project's root by the project above
    it, if any (a nested project inside an excluded folder is excluded too)."""
    current, current_is_dir = os.path.abspath(path), is_dir
    while True:
        rules, root = _rules_for(exclusions, os.path.dirname(current))
        match_path = root.match_path_for(current)
        if rules.excludes_match_path(match_path, current_is_dir):
            return True
        if not root.contains(match_path) or match_path == root.abs_path:
            return False
        _, parent = _rules_for(exclusions, os.path.dirname(root.abs_path))
        if parent.abs_path == root.abs_path or not root.abs_path.startswith(parent._prefix):
            return False
        current, current_is_dir = root.abs_path, True


def is_force_excluded(path: Path | str, exclusions: ExclusionsFor) -> bool:
    """Whether ``--force-exclude`` excludes `path` (which need not exist: a
    ``--stdin-filename``), each folder judged by its own project's patterns."""
    return _force_excluded(os.fspath(path), os.path.isdir(path), exclusions)


class _Walker:
    def __init__(self, exclusions: ExclusionsFor, respect_gitignore: bool) -> None:
        self._exclusions = exclusions
        self._respect_gitignore = respect_gitignore
        self.files: dict[str, str] = {}  # match path -> path as given; de-duplicates
        self.errors: list[tuple[str, str]] = []
        self._ignore_files: dict[str, _IgnoreRules | None] = {}
        self._repo_excludes: dict[str, _IgnoreRules | None] = {}

    def add_file(self, path: str, match_path: str) -> None:
        self.files.setdefault(match_path, path)

    def walk(self, top: str, top_match_path: str) -> None:
        """Walk the directory `top` without recursion or following symlinks."""
        if self._respect_gitignore:
            chain, repo_excludes, top_relpath = self._git_context(os.path.abspath(top))
        else:
            chain, repo_excludes, top_relpath = (), None, ""
        respect_gitignore = self._respect_gitignore
        # (path as given, absolute match path, path relative to the ignore
        # base as git bytes, ignore chain, info/exclude rules)
        stack = [(top, top_match_path.rstrip("/"), top_relpath, chain, repo_excludes)]
        while stack:
            dir_path, dir_match_path, dir_relpath, chain, repo_excludes = stack.pop()
            rules = _rules_for(self._exclusions, dir_match_path)[0]
            try:
                with os.scandir(dir_path) as scan:
                    entries = list(scan)
            except OSError as error:
                self.errors.append((dir_path, _describe(error)))
                continue
            if respect_gitignore:
                chain, repo_excludes, dir_relpath = self._enter_directory(
                    entries, dir_path, dir_relpath, chain, repo_excludes
                )
            for entry in entries:
                name = entry.name
                if respect_gitignore and name == ".git":
                    continue  # git never lists its own directory
                try:
                    is_dir = entry.is_dir(follow_symlinks=False)
                    if not is_dir and not name.endswith(LINTABLE_SUFFIXES):
                        continue
                    match_path = f"{dir_match_path}/{name}"
                    if rules.excludes_entry(name, match_path, is_dir):
                        continue
                    relpath = ""
                    if respect_gitignore:
                        git_name = _as_git_bytes(name)
                        relpath = f"{dir_relpath}/{git_name}" if dir_relpath else git_name
                        if _is_ignored(relpath, is_dir, chain, repo_excludes):
                            continue
                    if is_dir:
                        stack.append((entry.path, match_path, relpath, chain, repo_excludes))
                    elif entry.is_file():  # follows a file symlink; not a dir symlink
                        self.add_file(entry.path, match_path)
                    elif entry.is_symlink() and not os.path.exists(entry.path):
                        self.errors.append((entry.path, "broken symbolic link"))
                except OSError as error:
                    self.errors.append((entry.path, _describe(error)))

    def _enter_directory(
        self,
        entries: Sequence[os.DirEntry[str]],
        dir_path: str,
        dir_relpath: str,
        chain: _IgnoreChain,
        repo_excludes: _IgnoreRules | None,
    ) -> tuple[_IgnoreChain, _IgnoreRules | None, str]:
        """Update the ignore state for a directory about to be listed."""
        gitignore_entry = None
        for entry in entries:
            if entry.name == ".git":
                # A nested repository: the outer repository's rules stop here.
                chain, dir_relpath = (), ""
                repo_excludes = self._repo_exclude_rules(dir_path)
            elif entry.name == ".gitignore":
                gitignore_entry = entry
        if gitignore_entry is not None and gitignore_entry.is_file():
            rules = self._ignore_file_rules(gitignore_entry.path)
            if rules is not None:
                offset = len(dir_relpath) + 1 if dir_relpath else 0
                chain = (*chain, (offset, rules))
        return chain, repo_excludes, dir_relpath

    def _git_context(self, top_abs: str) -> tuple[_IgnoreChain, _IgnoreRules | None, str]:
        """Ignore state inherited by `top` from the directories above it, up
        to the enclosing work tree's root (nothing outside a work tree)."""
        ancestors: list[str] = []
        current = top_abs
        while True:
            parent = os.path.dirname(current)
            if parent == current:
                return (), None, ""
            ancestors.append(parent)
            current = parent
            if os.path.lexists(os.path.join(parent, ".git")):
                break
        work_tree = ancestors[-1]
        chain: _IgnoreChain = ()
        for directory in reversed(ancestors):
            rules = self._ignore_file_rules(os.path.join(directory, ".gitignore"))
            if rules is not None:
                relpath = _as_git_bytes(_posix(os.path.relpath(directory, work_tree)))
                offset = 0 if relpath == "." else len(relpath) + 1
                chain = (*chain, (offset, rules))
        top_relpath = _as_git_bytes(_posix(os.path.relpath(top_abs, work_tree)))
        return chain, self._repo_exclude_rules(work_tree), top_relpath

    def _ignore_file_rules(self, path: str) -> _IgnoreRules | None:
        if path not in self._ignore_files:
            self._ignore_files[path] = self._read_ignore_file(path)
        return self._ignore_files[path]

    def _read_ignore_file(self, path: str) -> _IgnoreRules | None:
        try:
            with open(path, "rb") as ignore_file:
                content = ignore_file.read()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None  # there is no such ignore file
        except OSError as error:
            self.errors.append((path, _describe(error)))
            return None
        return _compile_ignore_rules(content)

    def _repo_exclude_rules(self, work_tree: str) -> _IgnoreRules | None:
        if work_tree not in self._repo_excludes:
            git_dir = self._git_dir(work_tree)
            self._repo_excludes[work_tree] = (
                None
                if git_dir is None
                else self._ignore_file_rules(os.path.join(git_dir, "info", "exclude"))
            )
        return self._repo_excludes[work_tree]

    def _git_dir(self, work_tree: str) -> str | None:
        """The directory holding info/exclude: .git itself, or for a `.git`
        file (worktree, submodule) the gitdir it names / that gitdir's commondir."""
        dot_git = os.path.join(work_tree, ".git")
        if os.path.isdir(dot_git):
            return dot_git
        try:
            with open(dot_git, encoding="utf-8") as dot_git_file:
                first_line = dot_git_file.readline().strip()
        except OSError as error:
            self.errors.append((dot_git, _describe(error)))
            return None
        if not first_line.startswith("gitdir:"):
            self.errors.append((dot_git, "not a git directory link (no 'gitdir:' line)"))
            return None
        git_dir = os.path.join(work_tree, first_line[len("gitdir:") :].strip())
        try:
            with open(os.path.join(git_dir, "commondir"), encoding="utf-8") as commondir_file:
                return os.path.join(git_dir, commondir_file.read().strip())
        except FileNotFoundError:
            return git_dir


def discover(
    paths: Sequence[str],
    *,
    project_root: Path,
    exclude: Sequence[str] = DEFAULT_EXCLUDES,
    extend_exclude: Sequence[str] = (),
    force_exclude: bool = False,
    respect_gitignore: bool = True,
    exclusions: ExclusionsFor | None = None,
) -> Discovery:
    """Expand `paths` (files and directories) into the files to lint.

    The exclude patterns are `exclude` and `extend_exclude`, relative to
    `project_root`, or -- given `exclusions` -- those of each folder's project.
    Raises ValueError for an invalid exclude pattern; unreadable directories
    and ignore files are reported in `Discovery.errors`.
    """
    if isinstance(paths, (str, bytes)):
        raise TypeError("paths must be a sequence of paths, not a single string")
    if exclusions is None:
        fixed = ((*exclude, *extend_exclude), os.fspath(project_root))
        exclusions = lambda directory: fixed  # noqa: E731 - one answer for every folder
    walker = _Walker(exclusions, respect_gitignore)
    missing: list[str] = []
    for given in paths:
        path = os.fspath(given)
        if path == "-":
            continue  # stdin, read by the caller
        try:
            is_dir = stat.S_ISDIR(os.stat(path).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            missing.append(path)
            continue
        except OSError as error:
            walker.errors.append((path, _describe(error)))
            continue
        if not is_dir and not path.endswith(LINTABLE_SUFFIXES):
            continue
        container = os.path.abspath(path) if is_dir else os.path.dirname(os.path.abspath(path))
        match_path = _rules_for(exclusions, container)[1].match_path_for(path)
        if force_exclude and _force_excluded(path, is_dir, exclusions):
            continue
        if is_dir:
            walker.walk(path, match_path)
        else:
            walker.add_file(path, match_path)
    files = sorted((Path(path) for path in walker.files.values()), key=lambda file: file.parts)
    return Discovery(files=tuple(files), missing=tuple(missing), errors=tuple(walker.errors))
