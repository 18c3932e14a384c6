"""The result cache: a file whose content, settings and dependencies did not change is
not linted again. As ruff's, it lives at the project root (the configuration's folder)::

    .contractlint_cache/          `cache-dir`, CONTRACTLINT_CACHE_DIR, --cache-dir
        .gitignore                "*": git never sees the cache
        CACHEDIR.TAG              backup tools skip it (https://bford.info/cachedir/)
        0.1.0/                    one folder per contractlint version
            3f9c0e1a….json        one file per configuration fingerprint

**Keys.** A configuration's *fingerprint* is a digest of everything besides the file that
decides its result: contractlint's own code (its version, and the size and time of each
of its modules and of the libraries that parse and validate, so an editable install or
an upgrade never reads results of other code), the Python version (what ``ast``
accepts), the resolved settings (every key but those only about output; rule options;
the Kestra target), the working directory (paths are shown relative to it), and the
bytes of the configuration file and of the plugin-default and Policy files it names.
Within a fingerprint's file, an entry is keyed by the file's display path and holds the
digest of the content that was linted, the files the result depended on — each with the
digest of what was read, or None for a file that was absent (a module appearing in an
earlier ``src`` root changes what an import resolves to): the modules CL203 followed,
the namespace files a flow includes — and the result. It is reused only when the file
and every one of those files still have those digests.

A file is not read again to learn that its content is the one cached when its *stat
signature* (size, modification and change times, inode, device) is the one recorded
with that content, as git's index and ruff's cache do: a write changes the change time,
which no tool can set back. A signature is recorded only when the file's last change was
more than ``RACY_SECONDS`` before it was taken, so a write in the same clock tick as the
stat (git's "racily clean" file) is always found by its content.

**Safe to share.** A cache file is written whole to a temporary file and renamed over
the old one, merged with what another run may have written meanwhile (concurrent runs:
no torn file, at worst a lost entry). A file that does not parse, is of another format,
version or fingerprint, or an entry that does not decode is a miss — never trusted — and
is rewritten. JSON only: nothing read from the cache can run code.

**Bounded.** An entry unused for ``MAX_UNUSED_DAYS`` is dropped when its file is next
written; the cache folder is kept under ``MAX_CACHE_BYTES`` by deleting the files used
longest ago.

**What an entry holds** is what the JSON report shows — diagnostics (whose messages
never repeat a secret), their fixes and fingerprints — plus the spans of secrets (never
their text) and the dotted names a flow imports; never a file's text. Reporters that
show source read the file again (``FileResult.texts``), checked against its digest.

The cache serves ``check`` runs that write nothing; ``--fix`` and ``--diff`` lint every
file afresh. A long-running process (an editor's server) can keep one ``ResultCache``:
entries are keyed by content, so a draft that matches a saved file is a hit, and
``persist`` writes what changed.
"""

from __future__ import annotations

import json
import os
import re
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from contractlint import __version__, digest

if TYPE_CHECKING:
    from contractlint.config import Settings
    from contractlint.diagnostics import Diagnostic, Fix, Span
    from contractlint.engine import FileResult

CACHE_FORMAT = 1
DEFAULT_CACHE_DIR = ".contractlint_cache"
MAX_CACHE_BYTES = 256 * 1024 * 1024
MAX_UNUSED_DAYS = 30
RACY_SECONDS = 2  # a signature younger than this may hide a write in the same clock tick
# Keys about output only: they never change a file's result.
OUTPUT_KEYS = frozenset({"output-format", "show-source", "docs-url", "cache-dir"})
# Libraries whose behaviour shows in results: parsing, validation, the wording of
# schema errors, fix edits.
LIBRARIES = ("ruamel.yaml", "_ruamel_yaml", "jsonschema_rs", "jsonschema", "libcst")

GITIGNORE = b"# Automatically created by contractlint.\n*\n"
CACHEDIR_TAG = (
    b"Signature: 8a477f597d28d172789f06886806bc55\n"
    b"# This file is a cache directory tag created by contractlint.\n"
    b"# For information about cache directory tags, see https://bford.info/cachedir/\n"
)


class CorruptEntry(ValueError):
    """A cache entry that does not decode: a miss."""


Signature = list  # [size, mtime_ns, ctime_ns, inode, device]


def stat_signature(status: os.stat_result, now_ns: int) -> Signature | None:
    """The signature of a file as ``os.stat`` saw it at ``now_ns`` (``time.time_ns()``);
    None when its last change is too recent to rule out a write in the same clock tick."""
    changed = max(status.st_mtime_ns, status.st_ctime_ns)
    if changed > now_ns - RACY_SECONDS * 1_000_000_000:
        return None
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, status.st_dev]


# -- fingerprints ---------------------------------------------------------------------

_CODE_STAMP: list[str] = []


def code_stamp() -> str:
    """A digest of the code that produces results: contractlint's modules and schemas
    (name, size, modification time) and the installed libraries it depends on."""
    if not _CODE_STAMP:
        import importlib.util

        package = Path(__file__).parent
        parts: list[Any] = [__version__, sys.version, sys.implementation.name]
        for folder, folders, names in os.walk(package):
            folders[:] = sorted(name for name in folders if name != "__pycache__")
            for name in sorted(names):
                if name.endswith((".py", ".json")):
                    status = os.stat(os.path.join(folder, name))
                    parts.append((os.path.relpath(os.path.join(folder, name), package), status.st_size,
                                  status.st_mtime_ns))
        for library in LIBRARIES:
            try:
                spec = importlib.util.find_spec(library)
            except (ImportError, ValueError):
                spec = None
            origin = spec.origin if spec is not None else None
            if origin is not None and os.path.exists(origin):
                status = os.stat(origin)
                parts.append((library, origin, status.st_size, status.st_mtime_ns))
            else:
                parts.append((library, None))
        _CODE_STAMP.append(digest.content_digest(json.dumps(parts).encode()))
    return _CODE_STAMP[0]


def settings_fingerprint(settings: Settings, cwd: Path, digest_of: Callable[[Path], str | None]) -> str:
    """The digest of everything besides a file that decides its result (see the module
    docstring); ``digest_of`` gives the digest of a file's content (None: absent)."""
    from contractlint.config import describe_settings

    rows = [row for row in describe_settings(settings) if row[0] not in OUTPUT_KEYS]
    inputs = [settings.config_path, *settings.plugin_defaults, *(path for path, _ in settings.policies)]
    document = {
        "format": CACHE_FORMAT,
        "code": code_stamp(),
        "cwd": str(cwd),
        "root": str(settings.root),
        "settings": rows,
        "files": [[str(path), digest_of(path)] for path in inputs if path is not None],
    }
    return digest.content_digest(json.dumps(document, sort_keys=True, default=str).encode())


# -- encoding results -------------------------------------------------------------------


def encode_result(result: FileResult) -> list:
    return [
        result.kind,
        result.parse_errors,
        [_encode_span(span) for span in result.redactions],
        [_encode_diagnostic(d) for d in result.diagnostics],
        None if result.imports is None else list(result.imports),
        [list(pair) for pair in result.texts],
    ]


def _encode_span(span: Span) -> list[int]:
    return [span.line, span.column, span.end_line, span.end_column]


def _encode_diagnostic(d: Diagnostic) -> list:
    fix = None
    if d.fix is not None:
        edits = [[e.start, e.end, e.content, _encode_span(e.span)] for e in d.fix.edits]
        fix = [d.fix.applicability, d.fix.description, edits]
    return [d.code, d.name, d.message, d.path, _encode_span(d.span), d.flow, d.task, d.severity,
            d.fingerprint_text, [_encode_span(s) for s in d.redactions], fix, d.grade]


def decode_result(path: str, digest: str, encoded: Any) -> FileResult:
    """The result an entry holds; ``CorruptEntry`` when it is not one."""
    from contractlint.engine import FileResult

    kind, parse_errors, redactions, diagnostics, imports, texts = _list(encoded, 6)
    if kind not in ("flow", "module", "yaml", "unreadable"):
        raise CorruptEntry(f"kind {kind!r}")
    return FileResult(
        path=path,
        kind=kind,
        diagnostics=[_decode_diagnostic(d) for d in _list(diagnostics)],
        parse_errors=_int(parse_errors),
        redactions=tuple(_decode_span(s) for s in _list(redactions)),
        digest=digest,
        imports=None if imports is None else tuple(_str(name) for name in _list(imports)),
        texts=tuple(_decode_text(pair) for pair in _list(texts)),
    )


def _decode_text(encoded: Any) -> tuple[str, str]:
    shown, digest = _list(encoded, 2)
    return _str(shown), _str(digest)


def _decode_diagnostic(encoded: Any) -> Diagnostic:
    from contractlint.diagnostics import Diagnostic

    code, name, message, path, span, flow, task, severity, fingerprint, redactions, fix, grade = _list(encoded, 12)
    return Diagnostic(
        code=_str(code),
        name=_str(name),
        message=_str(message),
        path=_str(path),
        span=_decode_span(span),
        flow=_optional_str(flow),
        task=_optional_str(task),
        fix=None if fix is None else _decode_fix(fix),
        severity=_str(severity),
        fingerprint_text=_str(fingerprint),
        redactions=tuple(_decode_span(s) for s in _list(redactions)),
        grade=_optional_str(grade),
    )


def _decode_fix(encoded: Any) -> Fix:
    from contractlint.diagnostics import Edit, Fix

    applicability, description, edits = _list(encoded, 3)
    decoded = []
    for edit in _list(edits):
        start, end, content, span = _list(edit, 4)
        decoded.append(Edit(_int(start), _int(end), _str(content), _decode_span(span)))
    return Fix(_str(applicability), _str(description), tuple(decoded))


def _decode_span(encoded: Any) -> Span:
    from contractlint.diagnostics import Span

    return Span(*(_int(number) for number in _list(encoded, 4)))


def _list(value: Any, length: int | None = None) -> list:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise CorruptEntry(f"expected a list of {length}, got {type(value).__name__}")
    return value


def _int(value: Any) -> int:
    if type(value) is not int:
        raise CorruptEntry(f"expected an integer, got {type(value).__name__}")
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise CorruptEntry(f"expected a string, got {type(value).__name__}")
    return value


def _optional_str(value: Any) -> str | None:
    return None if value is None else _str(value)


# -- the cache ---------------------------------------------------------------------------


def _today() -> int:
    return int(time.time() // 86400)


@dataclass
class PackageCache:
    """The entries of one configuration fingerprint (one file of the cache)."""

    path: Path
    fingerprint: str
    # display path → [digest, day, deps, result, signature of the file with that digest or None]
    entries: dict[str, list] = field(default_factory=dict)
    touched: set[str] = field(default_factory=set)  # entries this run wrote or used on a new day
    hits: int = 0
    misses: int = 0
    read_from: tuple | None = None  # the file's identity, size and time when it was read

    @classmethod
    def load(cls, path: Path, fingerprint: str) -> PackageCache:
        entries, stamp = _read_entries(path, fingerprint)
        return cls(path, fingerprint, entries, read_from=stamp)

    def get(
        self,
        shown: str,
        current: Callable[[str], str | None],
        digest: str | None = None,
        signature: Signature | None = None,
    ) -> FileResult | None:
        """The cached result of ``shown`` when the file has the cached content — it has
        content ``digest``, or the ``signature`` recorded with the cached content — and
        every file the result depended on still has the digest it had (``current``);
        None otherwise. A hit by digest records ``signature`` for the next run."""
        entry = self.entries.get(shown)
        if entry is None or not isinstance(entry, list) or len(entry) != 5:
            self.misses += 1
            return None
        same = (digest is not None and entry[0] == digest) or (signature is not None and entry[4] == signature)
        if not same or not isinstance(entry[0], str):
            self.misses += 1
            return None
        digest = entry[0]
        try:
            for dependency in _list(entry[2]):
                dependency_path, dependency_digest = _list(dependency, 2)
                if current(_str(dependency_path)) != dependency_digest:
                    self.misses += 1
                    return None
            result = decode_result(shown, digest, entry[3])
        except CorruptEntry:
            self.misses += 1
            return None  # rewritten when the file is linted again
        self.hits += 1
        if entry[1] != _today() or (signature is not None and entry[4] != signature):
            entry[1], entry[4] = _today(), signature if signature is not None else entry[4]
            self.touched.add(shown)
        return result

    def put(self, result: FileResult, signature: Signature | None = None) -> None:
        """Remember ``result`` (linted from content ``result.digest``); ``signature``: the
        file's, taken before that content was read (None: not to be trusted)."""
        if result.digest is None:
            return
        dependencies = [[path, digest] for path, digest in result.dependencies]
        self.entries[result.path] = [result.digest, _today(), dependencies, encode_result(result), signature]
        self.touched.add(result.path)

    def persist(self) -> None:
        """Write the entries this run changed, merged into what the file holds now (another
        run may have written it meanwhile); ``OSError`` when it cannot be written."""
        if not self.touched:
            return
        if self.read_from is not None and _stamp_of(self.path) == self.read_from:
            entries = dict(self.entries)  # nobody wrote it since it was read: no need to read it again
        else:
            entries, _ = _read_entries(self.path, self.fingerprint)
        entries.update({shown: self.entries[shown] for shown in self.touched if shown in self.entries})
        oldest = _today() - MAX_UNUSED_DAYS
        kept = {
            shown: entry for shown, entry in entries.items()
            if isinstance(entry, list) and len(entry) == 5 and type(entry[1]) is int and entry[1] >= oldest
        }
        document = {
            "contractlint-cache": CACHE_FORMAT,
            "version": __version__,
            "fingerprint": self.fingerprint,
            "files": kept,
        }
        # ASCII: a file name that is not UTF-8 is a string with lone surrogates, which
        # only an escape keeps (and gives back as the same name).
        write_atomically(self.path, json.dumps(document, separators=(",", ":")).encode())
        self.entries = kept
        self.touched.clear()


def _stamp_of(path: Path) -> tuple | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)


def _read_entries(path: Path, fingerprint: str) -> tuple[dict[str, list], tuple | None]:
    """The entries of cache file ``path`` and the stamp of the file they were read from;
    no entries when it is missing, not a regular file, too large, not JSON, or of another
    format, version or fingerprint."""
    try:
        if not os.path.isfile(path):  # checked before opening: opening a FIFO would block
            return {}, None
        with open(path, "rb") as handle:
            status = os.fstat(handle.fileno())
            if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_CACHE_BYTES:
                return {}, None
            document = json.loads(handle.read())
    except (OSError, ValueError, RecursionError):
        return {}, None
    stamp = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns)
    if (
        not isinstance(document, dict)
        or document.get("contractlint-cache") != CACHE_FORMAT
        or document.get("version") != __version__
        or document.get("fingerprint") != fingerprint
        or not isinstance(document.get("files"), dict)
    ):
        return {}, stamp
    return document["files"], stamp


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path`` and rename it over ``path``."""
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass  # already gone: nothing left behind
        raise


class ResultCache:
    """The cache of one run (or of a long-running process): one ``PackageCache`` per
    configuration fingerprint, the digests of the files results depend on (each read at
    most once per run), and ``persist`` to write what changed."""

    def __init__(self, cwd: Path | None = None) -> None:
        self.cwd = cwd if cwd is not None else Path.cwd()
        self._packages: dict[tuple[Path, str], PackageCache] = {}
        self._by_identity: dict[tuple, tuple[Settings, PackageCache]] = {}
        self._digests: dict[str, str | None] = {}

    def current_digest(self, path: str | Path) -> str | None:
        """The digest of ``path`` as it is now (None: no such regular file), once per run."""
        key = os.path.abspath(path)
        if key not in self._digests:
            self._digests[key] = digest.file_digest(key)
        return self._digests[key]

    def forget_digests(self) -> None:
        """Files may have changed (a long-running process, between two runs): look again."""
        self._digests.clear()
        self._by_identity.clear()

    def package_for(self, settings: Settings) -> PackageCache:
        known = self._by_identity.get(settings.identity)
        if known is not None and known[0] is settings:
            return known[1]
        fingerprint = settings_fingerprint(settings, self.cwd, self.current_digest)
        folder = cache_folder(settings)
        key = (folder, fingerprint)
        if key not in self._packages:
            self._packages[key] = PackageCache.load(folder / __version__ / f"{fingerprint}.json", fingerprint)
        self._by_identity[settings.identity] = (settings, self._packages[key])
        return self._packages[key]

    def get(
        self, settings: Settings, shown: str, digest: str | None = None, signature: Signature | None = None
    ) -> FileResult | None:
        return self.package_for(settings).get(shown, self.current_digest, digest, signature)

    def put(self, settings: Settings, result: FileResult, signature: Signature | None = None) -> None:
        self.package_for(settings).put(result, signature)

    @property
    def hits(self) -> int:
        return sum(package.hits for package in self._packages.values())

    def persist(self) -> list[str]:
        """Write every cache file that changed and keep each cache folder within its
        bound; the warnings to show for what could not be written."""
        warnings: list[str] = []
        folders: set[Path] = set()
        for (folder, _), package in self._packages.items():
            if not package.touched:
                continue
            try:
                prepare_folder(folder, package.path.parent)
                package.persist()
            except OSError as error:
                warnings.append(f"cannot write the cache in {folder}: {error.strerror or error}; results not cached")
                continue
            folders.add(folder)
        for folder in folders:
            evict(folder, keep={package.path for package in self._packages.values()})
        return warnings


def cache_folder(settings: Settings) -> Path:
    folder = settings.cache_dir
    return Path(os.path.abspath(folder if folder is not None else settings.root / DEFAULT_CACHE_DIR))


def prepare_folder(folder: Path, version_folder: Path) -> None:
    """The cache folder with its version folder, and — when the folder is the cache's own
    (created now, or marked by its ``CACHEDIR.TAG``) — its ``.gitignore`` and tag. An
    existing folder of the user's (``cache-dir = "build"``) gets no ``.gitignore`` that
    would hide its files from git."""
    ours = not folder.exists() or (folder / "CACHEDIR.TAG").is_file()
    version_folder.mkdir(parents=True, exist_ok=True)
    if not ours:
        return
    for name, content in (("CACHEDIR.TAG", CACHEDIR_TAG), (".gitignore", GITIGNORE)):
        try:
            with open(folder / name, "xb") as stream:
                stream.write(content)
        except FileExistsError:
            continue


_VERSION_FOLDER = re.compile(r"[0-9]+\.[0-9][0-9A-Za-z.+-]*")
_CACHE_FILE = re.compile(r"[0-9a-f]{32}\.json")


def evict(folder: Path, keep: set[Path], limit: int = MAX_CACHE_BYTES) -> None:
    """Delete the cache files of ``folder`` used longest ago (every version's) until the
    rest fit in ``limit`` bytes; the files this run wrote (``keep``) stay. Only files
    named as the cache names them, in folders named as versions, are ever deleted: a
    ``cache-dir`` pointed at a folder of other files loses none of them."""
    found: list[tuple[float, int, Path]] = []
    try:
        versions = list(os.scandir(folder))
    except OSError:
        return
    for version in versions:
        if not version.is_dir(follow_symlinks=False) or not _VERSION_FOLDER.fullmatch(version.name):
            continue
        try:
            for entry in os.scandir(version.path):
                if entry.is_file(follow_symlinks=False) and _CACHE_FILE.fullmatch(entry.name):
                    status = entry.stat(follow_symlinks=False)
                    found.append((status.st_mtime, status.st_size, Path(entry.path)))
        except OSError:
            continue
    total = sum(size for _, size, _ in found)
    for _, size, path in sorted(found):
        if total <= limit:
            break
        if path in keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue  # another run removed it, or it is not ours to remove
        total -= size
