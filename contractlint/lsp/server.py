"""The language server: ``contractlint check``'s findings in the editor, as you type.

One engine: every buffer is linted by ``Workspace.check`` with the settings of the
configuration nearest to its file, exactly as ``check`` lints the file, and the open
buffers stand for their files (``session``). The protocol side lives on pygls's event
loop; every call into the engine runs on one engine thread, in order, so a lint never
sees a half-applied change and the workspaces need no locks.

* Diagnostics are published on open, on save, and on change after a quiet period
  (``debounce``, 30 ms by default: a burst of keystrokes or a paste is linted once; a lint takes about 10 ms). Only the
  newest version of a buffer is published; positions are converted to the agreed
  position encoding (``text``).
* A change to a module — typed in its buffer, or on disk (``didChangeWatchedFiles``;
  the watchers are registered when the client allows it) — lints the open flows that
  import it again, and those whose tasks include it as a namespace file.
* Code actions: a quick fix per fixable diagnostic (unsafe ones say so), the
  suppression comments that work (``add_noqa``), and ``source.fixAll.contractlint``,
  which applies what ``check --fix`` would. Every edit is versioned where the client
  takes versioned edits, and checked against the buffer's version when it returns.
* Hover over a diagnostic: the rule's summary and why it matters.

A bug in the engine while linting one buffer is logged (``window/logMessage``) with its
traceback, and the server goes on with the others.
"""

from __future__ import annotations

import asyncio
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote, urlparse

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcContentModified, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.uris import from_fs_path, to_fs_path

from contractlint import __version__
from contractlint.diagnostics import Diagnostic
from contractlint.engine import PYTHON_SUFFIXES, YAML_SUFFIXES
from contractlint.lsp.session import Outcome, Session, Snapshot, Target
from contractlint.lsp.text import UTF16, TextIndex, apply_change, replacement
from contractlint.source import SourceFile, line_starts

T = TypeVar("T")

SOURCE = "contractlint"
FIX_ALL_KIND = "source.fixAll.contractlint"
DEFAULT_DEBOUNCE_MS = 30
WATCHER_ID = "contractlint-watched-files"
WATCHED_GLOBS = ("**/*.py", "**/*.yaml", "**/*.yml", "**/pyproject.toml", "**/.contractlint.toml")
SEVERITIES = {
    "error": lsp.DiagnosticSeverity.Error,
    "warning": lsp.DiagnosticSeverity.Warning,
    "info": lsp.DiagnosticSeverity.Information,
    "note": lsp.DiagnosticSeverity.Information,
}
UNUSED_NOQA = "CL900"


# -- initialization options ---------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """``initializationOptions``, as documented in the README."""

    debounce: float = DEFAULT_DEBOUNCE_MS / 1000  # seconds
    config: tuple[str, ...] = ()  # as `--config`: one file and/or KEY = VALUE overrides
    isolated: bool = False


OPTION_NAMES = ("debounce", "config", "isolated")


def parse_options(raw: Any) -> Options:
    """The options the client sent; ``ValueError`` naming the option that is wrong."""
    if raw is None:
        return Options()
    if not isinstance(raw, dict):
        raise ValueError(f"initializationOptions must be an object, not {type(raw).__name__}")
    unknown = sorted(set(raw) - set(OPTION_NAMES))
    if unknown:
        raise ValueError(f"unknown initialization option {unknown[0]!r} (known: {', '.join(OPTION_NAMES)})")
    debounce = raw["debounce"] if "debounce" in raw else DEFAULT_DEBOUNCE_MS
    if isinstance(debounce, bool) or not isinstance(debounce, (int, float)) or not 0 <= debounce <= 10_000:
        raise ValueError(f"initialization option 'debounce' must be a number of milliseconds from 0 to 10000, "
                         f"not {debounce!r}")
    config = raw["config"] if "config" in raw else []
    if isinstance(config, str):
        config = [config]
    if not isinstance(config, list) or not all(isinstance(item, str) for item in config):
        raise ValueError("initialization option 'config' must be a string or a list of strings (a configuration "
                         "file and/or KEY = VALUE overrides, as --config)")
    isolated = raw["isolated"] if "isolated" in raw else False
    if not isinstance(isolated, bool):
        raise ValueError(f"initialization option 'isolated' must be true or false, not {isolated!r}")
    return Options(debounce=debounce / 1000, config=tuple(config), isolated=isolated)


# -- buffers and what was published for them -------------------------------------------------------


@dataclass
class Buffer:
    """An open document, as the client last described it."""

    uri: str
    language_id: str
    version: int
    text: str
    path: Path | None  # resolved file of a file URI
    undecodable_on_disk: bool = False  # its file is not UTF-8: it is linted as `check` reads it

    def snapshot(self) -> Snapshot:
        name = unquote(urlparse(self.uri).path).rstrip("/").rpartition("/")[2]
        return Snapshot(self.uri, self.version, self.text, self.path, name, self.language_id)


class EngineLines:
    """The engine's coordinates in a buffer — 1-based lines and code-point columns of
    the text after its byte order mark — as character offsets of the buffer. Lines are
    counted as the engine counted them for that file: its ``SourceFile``'s own line
    model, and CPython's (``\\r\\n``, ``\\r``, ``\\n``) for a Python module, whose
    positions come from CPython."""

    def __init__(self, text: str, source: SourceFile | None, path: str) -> None:
        if source is not None and text.endswith(source.text):
            body = source.text
        else:
            body = text[1:] if text.startswith("\ufeff") else text
        self.bom = len(text) - len(body)
        self.body = body
        model = source if source is not None else SourceFile(path=path, text=body)
        self.starts = line_starts(body) if path.lower().endswith(PYTHON_SUFFIXES) else model.line_starts

    def offset(self, line: int, column: int) -> int:
        starts = self.starts
        line = min(max(line, 1), len(starts))
        start = starts[line - 1]
        end = starts[line] if line < len(starts) else len(self.body)
        text = self.body
        if end > start and text[end - 1] == "\n":
            end -= 1
        if end > start and text[end - 1] in "\r\x85\u2028\u2029":
            end -= 1
        return self.bom + min(start + max(column, 1) - 1, end)


@dataclass
class Published:
    """What a buffer version was linted as, and what was sent for it."""

    version: int
    text: str
    outcome: Outcome
    index: TextIndex
    lines: EngineLines
    own: list[Diagnostic] = field(default_factory=list)  # the engine's diagnostics in this buffer
    diagnostics: list[lsp.Diagnostic] = field(default_factory=list)  # the same, as sent (one each)
    included: set[Path] = field(default_factory=set)  # namespace files its flows include

    @property
    def target(self) -> Target | None:
        return self.outcome.target

    def range_of(self, diagnostic: Diagnostic) -> lsp.Range:
        span = diagnostic.span
        return lsp.Range(
            start=self.position(self.lines.offset(span.line, span.column)),
            end=self.position(self.lines.offset(span.end_line, span.end_column)),
        )

    def position(self, offset: int) -> lsp.Position:
        found = self.index.position(offset)
        return lsp.Position(line=found.line, character=found.character)

    def text_edit(self, start: int, end: int, content: str) -> lsp.TextEdit:
        """An edit of the engine's text (offsets after the BOM) as the client applies it."""
        bom = self.lines.bom
        return lsp.TextEdit(
            range=lsp.Range(start=self.position(start + bom), end=self.position(end + bom)), new_text=content
        )


def _before_or_at(a: lsp.Position, b: lsp.Position) -> bool:
    return (a.line, a.character) <= (b.line, b.character)


def _intersects(a: lsp.Range, b: lsp.Range) -> bool:
    return _before_or_at(a.start, b.end) and _before_or_at(b.start, a.end)


def _kind_wanted(kind: str, only: list[str] | None) -> bool:
    """An action of ``kind`` answers a request for ``only`` (kinds are hierarchical:
    ``source.fixAll`` asks for ``source.fixAll.contractlint`` too)."""
    return only is None or any(kind == wanted or kind.startswith(f"{wanted}.") for wanted in only)


# -- the server --------------------------------------------------------------------------------------


class _Protocol(LanguageServerProtocol):
    """pygls's protocol without pygls's own copy of the open documents: that copy
    splits lines as ``str.splitlines`` does (at U+2028, form feeds…), and while applying
    a change it clamps — in place — the positions of the change it is handed, so the
    server's handler would get them altered. The server keeps the buffers itself
    (``Buffer``, ``text``)."""

    @lsp_method(lsp.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: lsp.DidOpenTextDocumentParams) -> Any:
        yield self.fm.features[lsp.TEXT_DOCUMENT_DID_OPEN], (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: lsp.DidChangeTextDocumentParams) -> Any:
        yield self.fm.features[lsp.TEXT_DOCUMENT_DID_CHANGE], (params,), None

    @lsp_method(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: lsp.DidCloseTextDocumentParams) -> Any:
        yield self.fm.features[lsp.TEXT_DOCUMENT_DID_CLOSE], (params,), None


class ContractlintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("contractlint", __version__, text_document_sync_kind=lsp.TextDocumentSyncKind.Incremental,
                         protocol_cls=_Protocol)
        self.options = Options()
        self.encoding = UTF16
        self.session = Session([])
        self.engine_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contractlint-engine")
        self.buffers: dict[str, Buffer] = {}
        self.published: dict[str, Published] = {}
        # Diagnostics a buffer's lint found in another file (a namespace file a flow
        # includes): target URI → source URI → diagnostics, sent with the target's own.
        self.contributed: dict[str, dict[str, list[lsp.Diagnostic]]] = {}
        self.timers: dict[str, asyncio.TimerHandle] = {}
        self.tasks: set[asyncio.Task] = set()
        self.shown_errors: set[str] = set()
        self.stopping = False  # after `shutdown`: nothing more is linted
        self._register()

    def _register(self) -> None:
        def feature(method: str, options: Any = None) -> Callable[[Callable], None]:
            # pygls marks its handlers with attributes, which a bound method cannot take.
            def register(handler: Callable) -> None:
                if asyncio.iscoroutinefunction(handler):
                    async def run(params: Any) -> Any:
                        return await handler(params)
                else:
                    def run(params: Any) -> Any:
                        return handler(params)
                self.feature(method, options)(run)

            return register

        feature(lsp.INITIALIZE)(self.initialize)
        feature(lsp.INITIALIZED)(self.initialized)
        feature(lsp.SHUTDOWN)(self.shutdown_engine)
        feature(lsp.TEXT_DOCUMENT_DID_OPEN)(self.did_open)
        feature(lsp.TEXT_DOCUMENT_DID_CHANGE)(self.did_change)
        feature(lsp.TEXT_DOCUMENT_DID_SAVE, lsp.SaveOptions(include_text=False))(self.did_save)
        feature(lsp.TEXT_DOCUMENT_DID_CLOSE)(self.did_close)
        feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)(self.did_change_watched_files)
        feature(lsp.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)(self.did_change_workspace_folders)
        feature(
            lsp.TEXT_DOCUMENT_CODE_ACTION,
            lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix, FIX_ALL_KIND], resolve_provider=True),
        )(self.code_action)
        feature(lsp.CODE_ACTION_RESOLVE)(self.resolve_code_action)
        feature(lsp.TEXT_DOCUMENT_HOVER)(self.hover)

    # -- lifecycle --------------------------------------------------------------------------------

    def initialize(self, params: lsp.InitializeParams) -> None:
        from pygls.capabilities import ServerCapabilitiesBuilder

        try:
            self.options = parse_options(params.initialization_options)
        except ValueError as error:
            raise JsonRpcInvalidParams(f"contractlint: {error}") from error
        # The encoding pygls announces, chosen the same way from the client's list.
        chosen = ServerCapabilitiesBuilder.choose_position_encoding(params.capabilities)
        self.encoding = chosen.value if isinstance(chosen, lsp.PositionEncodingKind) else str(chosen)
        folders = [folder.uri for folder in params.workspace_folders or []]
        if not folders and params.root_uri is not None:
            folders = [params.root_uri]
        elif not folders and params.root_path is not None:
            folders = [from_fs_path(params.root_path)]
        self.session = Session(_paths(folders), self.options.config, self.options.isolated)

    async def initialized(self, params: lsp.InitializedParams) -> None:
        watched = self._capability("workspace.did_change_watched_files.dynamic_registration")
        if not watched:
            self.log("the client does not watch files for servers: a module changed on disk is seen when an open "
                     "flow that imports it is next linted", lsp.MessageType.Info)
            return
        registration = lsp.Registration(
            id=WATCHER_ID,
            method=lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=lsp.DidChangeWatchedFilesRegistrationOptions(
                watchers=[lsp.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]
            ),
        )
        try:
            await self.client_register_capability_async(lsp.RegistrationParams(registrations=[registration]))
        except Exception as error:  # noqa: CL302 - the client refused: said in its log, diagnostics still work
            self.log(f"the client did not register file watching ({error}): changes on disk are seen when an "
                     "open flow is next linted", lsp.MessageType.Warning)

    def shutdown_engine(self, params: None) -> None:
        self.stopping = True
        for timer in self.timers.values():
            timer.cancel()
        self.timers.clear()
        self.engine_thread.shutdown(wait=False, cancel_futures=True)

    # -- buffers -----------------------------------------------------------------------------------

    def did_open(self, params: lsp.DidOpenTextDocumentParams) -> None:
        document = params.text_document
        self.buffers[document.uri] = Buffer(document.uri, document.language_id, document.version, document.text,
                                            _file_path(document.uri))
        self.lint_soon(document.uri, 0, check_disk=True)

    def did_change(self, params: lsp.DidChangeTextDocumentParams) -> None:
        buffer = self.buffers.get(params.text_document.uri)
        if buffer is None:
            self.log(f"didChange for {params.text_document.uri}, which is not open: ignored", lsp.MessageType.Warning)
            return
        text = buffer.text
        for change in params.content_changes:
            if isinstance(change, lsp.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                text = apply_change(text, (start.line, start.character), (end.line, end.character), change.text,
                                    self.encoding)
            else:
                text = change.text
        buffer.text = text
        buffer.version = params.text_document.version
        self.lint_soon(buffer.uri, self.options.debounce)

    def did_save(self, params: lsp.DidSaveTextDocumentParams) -> None:
        if params.text_document.uri in self.buffers:
            self.lint_soon(params.text_document.uri, 0, check_disk=True)

    def did_close(self, params: lsp.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        buffer = self.buffers.pop(uri, None)
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        self.published.pop(uri, None)
        self._withdraw_contributions(uri)
        self._send(uri)
        if buffer is not None and buffer.path is not None:
            self.spawn(self._closed(buffer.path))

    async def _closed(self, path: Path) -> None:
        """The file's own content stands for it again: flows that import it follow."""
        try:
            dependents = await self.in_engine(self._close_in_engine, path, self.open_flow_paths())
        except Exception as error:  # noqa: CL302 - a bug of ours: logged, and the server goes on
            self.log_internal_error(f"closing {path}", error)
            return
        for flow in dependents:
            self.lint_path_soon(flow)

    def _close_in_engine(self, path: Path, flows: list[Path]) -> list[Path]:
        self.session.close(path)
        self.session.refresh()
        return self.session.dependents(path, flows) if path.suffix.lower() == ".py" else []

    # -- files on disk and folders ----------------------------------------------------------------

    async def did_change_watched_files(self, params: lsp.DidChangeWatchedFilesParams) -> None:
        changes = [(path, change.type) for change in params.changes if (path := _file_path(change.uri)) is not None]
        open_files = {buffer.path for buffer in self.buffers.values() if buffer.path is not None}
        try:
            relint = await self.in_engine(self._watched_in_engine, changes, open_files, self.open_flow_paths())
        except Exception as error:  # noqa: CL302 - a bug of ours: logged, and the server goes on
            self.log_internal_error("reading changed files", error)
            return
        changed = {path for path, _ in changes}
        for uri, published in list(self.published.items()):
            if published.included & changed:
                relint.add(uri)
        for uri in relint:
            self.lint_soon(uri, 0)

    def _watched_in_engine(self, changes: list[tuple[Path, lsp.FileChangeType]], open_files: set[Path],
                           flows: list[Path]) -> set[str]:
        """The URIs of the open buffers to lint again after files changed on disk."""
        reloaded = False
        for path, _ in changes:
            reloaded = self.session.reload(path) or reloaded
        if reloaded:
            return set(self.buffers)  # settings changed: everything may have
        self.session.refresh()
        found: set[Path] = set()
        for path, kind in changes:
            if path in open_files or path.suffix.lower() != ".py":
                continue  # an open buffer stands for its file, whatever is on disk
            if kind == lsp.FileChangeType.Deleted:
                found.update(flows)  # what imported it can no longer be traced to it
            else:
                found.update(self.session.dependents(path, flows))
        return {uri for uri, buffer in self.buffers.items() if buffer.path in found}

    async def did_change_workspace_folders(self, params: lsp.DidChangeWorkspaceFoldersParams) -> None:
        # pygls has applied the change to its list of folders.
        folders = sorted(folder.uri for folder in self.workspace.folders.values())
        await self.in_engine(self._reset_in_engine, _paths(folders))
        for uri in self.buffers:
            self.lint_soon(uri, 0)

    def _reset_in_engine(self, folders: list[Path]) -> None:
        drafts = dict(self.session.drafts)
        self.session.reset(folders)
        for path, data in drafts.items():
            self.session.open(path, data)

    # -- linting ----------------------------------------------------------------------------------

    def spawn(self, coroutine: Any) -> None:
        task = asyncio.get_running_loop().create_task(coroutine)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def lint_soon(self, uri: str, delay: float, check_disk: bool = False) -> None:
        """Lint the buffer after ``delay`` seconds of quiet (a newer request replaces
        an older one that has not started)."""
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        if self.stopping:
            return
        loop = asyncio.get_running_loop()
        self.timers[uri] = loop.call_later(delay, lambda: self._start_lint(uri, check_disk))

    def lint_path_soon(self, path: Path) -> None:
        for uri, buffer in self.buffers.items():
            if buffer.path == path:
                self.lint_soon(uri, 0)

    def _start_lint(self, uri: str, check_disk: bool) -> None:
        self.timers.pop(uri, None)
        self.spawn(self.lint(uri, check_disk))

    async def lint(self, uri: str, check_disk: bool = False) -> Published | None:
        buffer = self.buffers.get(uri)
        if buffer is None:
            return None
        snapshot = buffer.snapshot()
        try:
            outcome = await self.in_engine(
                self.session.lint, snapshot, self.open_flow_paths(), check_disk or buffer.undecodable_on_disk
            )
            current = self.buffers.get(uri)
            if current is None or current.version != snapshot.version:
                return None  # a newer version is on its way
            if check_disk:
                current.undecodable_on_disk = outcome.undecodable_on_disk
            published = self._publish(uri, snapshot, outcome)
        except Exception as error:  # noqa: CL302 - a bug of ours: logged, and the server goes on
            self.log_internal_error(f"linting {uri}", error)
            return None
        for flow in outcome.dependents:
            self.lint_path_soon(flow)
        return published

    async def current(self, uri: str) -> Published | None:
        """What the buffer's current version lints as: linted now when the last lint
        is of an older version (a request must not answer for text the client no
        longer has)."""
        buffer = self.buffers.get(uri)
        if buffer is None:
            return None
        published = self.published.get(uri)
        if published is not None and published.version == buffer.version:
            return published
        timer = self.timers.pop(uri, None)
        if timer is not None:
            timer.cancel()
        return await self.lint(uri, buffer.undecodable_on_disk)

    async def in_engine(self, work: Callable[..., T], *args: Any) -> T:
        if self.stopping:
            raise asyncio.CancelledError  # shut down: the client expects nothing more
        return await asyncio.get_running_loop().run_in_executor(self.engine_thread, work, *args)

    def open_flow_paths(self) -> list[Path]:
        return [buffer.path for buffer in self.buffers.values()
                if buffer.path is not None and buffer.path.suffix.lower() in YAML_SUFFIXES]

    # -- publishing -------------------------------------------------------------------------------

    def _publish(self, uri: str, snapshot: Snapshot, outcome: Outcome) -> Published:
        result = outcome.result
        lines = EngineLines(snapshot.text, result.source if result is not None else None,
                            result.path if result is not None else snapshot.name)
        published = Published(snapshot.version, snapshot.text, outcome, TextIndex(snapshot.text, self.encoding), lines)
        foreign: dict[str, list[Diagnostic]] = {}
        if outcome.config_error is not None:
            message = f"contractlint cannot lint this file: {outcome.config_error}"
            published.diagnostics = [lsp.Diagnostic(
                range=lsp.Range(start=lsp.Position(line=0, character=0), end=lsp.Position(line=0, character=0)),
                message=message, severity=lsp.DiagnosticSeverity.Error, source=SOURCE,
            )]
            if message not in self.shown_errors:
                self.shown_errors.add(message)
                self.window_show_message(lsp.ShowMessageParams(type=lsp.MessageType.Error, message=message))
        elif outcome.result is not None and outcome.target is not None:
            result = outcome.result
            docs_url = self._docs_url(outcome.target)
            for diagnostic in result.diagnostics:
                if diagnostic.path == result.path:
                    data = {"uri": uri, "version": snapshot.version, "id": len(published.own)}
                    if diagnostic.fix is not None and diagnostic.fix.edits and not outcome.undecodable_on_disk:
                        data["fix"] = diagnostic.fix.applicability
                    published.own.append(diagnostic)
                    published.diagnostics.append(
                        _to_lsp(diagnostic, published.range_of(diagnostic), docs_url, data)
                    )
                else:
                    foreign.setdefault(diagnostic.path, []).append(diagnostic)
            workspace = outcome.target.workspace
            published.included = {workspace.absolute(source.path) for source in result.included}
            self._contribute(uri, foreign, result, workspace, docs_url)
        self.published[uri] = published
        self._send(uri)
        return published

    def _contribute(self, uri: str, foreign: dict[str, list[Diagnostic]], result: Any, workspace: Any,
                    docs_url: str | None) -> None:
        """Findings of this buffer's flows in the namespace files they include: sent to
        those files, with the files' own."""
        previous = {target for target, sources in self.contributed.items() if uri in sources}
        sources = {source.path: source for source in result.included}
        touched: set[str] = set()
        for shown, diagnostics in foreign.items():
            path = Path(os.path.realpath(workspace.absolute(shown)))
            target = self._uri_of(path)
            source = sources.get(shown)
            if source is None:
                continue  # nowhere to place it
            where = Published(0, source.text, Outcome(), TextIndex(source.text, self.encoding),
                              EngineLines(source.text, source, source.path))
            self.contributed.setdefault(target, {})[uri] = [
                _to_lsp(diagnostic, where.range_of(diagnostic), docs_url, None) for diagnostic in diagnostics
            ]
            touched.add(target)
        for target in previous - touched:
            self.contributed[target].pop(uri, None)
        for target in previous | touched:
            self._send(target)

    def _withdraw_contributions(self, uri: str) -> None:
        for target, sources in list(self.contributed.items()):
            if sources.pop(uri, None) is not None:
                self._send(target)

    def _send(self, uri: str) -> None:
        published = self.published.get(uri)
        diagnostics = list(published.diagnostics) if published is not None else []
        for found in self.contributed.get(uri, {}).values():
            diagnostics.extend(found)
        version = published.version if published is not None and uri in self.buffers else None
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    def _uri_of(self, path: Path) -> str:
        for uri, buffer in self.buffers.items():
            if buffer.path == path:
                return uri
        return from_fs_path(str(path)) or path.as_uri()

    def _docs_url(self, target: Target) -> str | None:
        from contractlint.config import ConfigError

        try:
            return target.workspace.resolver.settings_for(target.path).docs_url
        except ConfigError:
            return None

    # -- code actions -------------------------------------------------------------------------------

    async def code_action(self, params: lsp.CodeActionParams) -> list[lsp.CodeAction] | None:
        uri = params.text_document.uri
        published = await self.current(uri)
        if published is None or published.outcome.result is None or published.outcome.undecodable_on_disk:
            return None
        only = params.context.only
        selected = self._selected(published, params)
        actions: list[lsp.CodeAction] = []
        if _kind_wanted(lsp.CodeActionKind.QuickFix, only) and selected:
            actions.extend(await self.in_engine(self._quick_fixes, uri, published, selected))
        if _kind_wanted(FIX_ALL_KIND, only) and any(d.fix is not None and d.fix.edits for d in published.own):
            action = lsp.CodeAction(title="contractlint: Fix all auto-fixable problems", kind=FIX_ALL_KIND,
                                    data={"uri": uri, "version": published.version})
            if not self._capability("text_document.code_action.resolve_support") or "edit" not in (
                self._capability("text_document.code_action.resolve_support.properties") or []
            ):
                action = await self.resolve_code_action(action)
            actions.append(action)
        return actions

    def _selected(self, published: Published, params: lsp.CodeActionParams) -> list[int]:
        """The diagnostics the request is about: those the client names (by the ids
        this server gave them) and those in the requested range."""
        chosen: set[int] = set()
        for diagnostic in params.context.diagnostics:
            data = diagnostic.data
            if isinstance(data, dict) and data.get("version") == published.version and isinstance(data.get("id"), int):
                if 0 <= data["id"] < len(published.own):
                    chosen.add(data["id"])
        for index, sent in enumerate(published.diagnostics[: len(published.own)]):
            if _intersects(sent.range, params.range):
                chosen.add(index)
        return sorted(chosen)

    def _quick_fixes(self, uri: str, published: Published, selected: list[int]) -> list[lsp.CodeAction]:
        """The fixes and suppressions of the selected diagnostics, each checked on the
        text it would make (engine thread)."""
        from contractlint.add_noqa import noqa_edits
        from contractlint.fixes import apply_edits

        target = published.target
        result = published.outcome.result
        source = result.source
        if target is None or source is None:
            return []
        actions: list[lsp.CodeAction] = []
        disabled_support = bool(self._capability("text_document.code_action.disabled_support"))

        def lint(data: bytes) -> Any:
            return self.session.relint_text(target, data)

        for index in selected:
            diagnostic, sent = published.own[index], published.diagnostics[index]
            fix = diagnostic.fix
            if fix is not None and fix.edits:
                unsafe = fix.applicability != "safe"
                title = f"{SOURCE} ({diagnostic.code}): {fix.description}" + (" (unsafe)" if unsafe else "")
                after = lint(source.encode(apply_edits(source.text, list(fix.edits))))
                breaks = after.parse_errors > result.parse_errors or after.kind != result.kind
                if not breaks or disabled_support:
                    edits = [published.text_edit(edit.start, edit.end, edit.content) for edit in fix.edits]
                    actions.append(lsp.CodeAction(
                        title=title, kind=lsp.CodeActionKind.QuickFix, diagnostics=[sent],
                        is_preferred=not unsafe and not breaks,
                        edit=None if breaks else self._workspace_edit(uri, published.version, edits),
                        disabled=lsp.CodeActionDisabled(reason="the result would not parse") if breaks else None,
                    ))
            for suppression in noqa_edits(source, result, diagnostic, lint):
                edit = suppression.edit
                actions.append(lsp.CodeAction(
                    title=f"{SOURCE} ({diagnostic.code}): {suppression.description(diagnostic.span.line)}",
                    kind=lsp.CodeActionKind.QuickFix, diagnostics=[sent],
                    edit=self._workspace_edit(uri, published.version,
                                              [published.text_edit(edit.start, edit.end, edit.content)]),
                ))
        return actions

    async def resolve_code_action(self, action: lsp.CodeAction) -> lsp.CodeAction:
        """The edit of ``source.fixAll.contractlint``: the buffer as ``check --fix``
        leaves it, sent as the one replacement that changes the fewest characters."""
        data = action.data if isinstance(action.data, dict) else {}
        uri, version = data.get("uri"), data.get("version")
        buffer = self.buffers.get(uri) if isinstance(uri, str) else None
        if action.kind != FIX_ALL_KIND or buffer is None:
            return action
        if buffer.version != version:
            raise JsonRpcContentModified(f"{uri} changed since the code action was offered")
        snapshot = buffer.snapshot()
        fixed = await self.in_engine(self.session.fix, snapshot)
        if buffer.version != snapshot.version:
            raise JsonRpcContentModified(f"{uri} changed while its fixes were computed")
        edits: list[lsp.TextEdit] = []
        if fixed is not None and fixed.changed:
            index = TextIndex(snapshot.text, self.encoding)
            change = replacement(snapshot.text, fixed.after.decode("utf-8", errors="surrogateescape"))
            if change is not None:
                start, end = index.position(change.start), index.position(change.end)
                edits.append(lsp.TextEdit(
                    range=lsp.Range(start=lsp.Position(line=start.line, character=start.character),
                                    end=lsp.Position(line=end.line, character=end.character)),
                    new_text=change.content,
                ))
        action.edit = self._workspace_edit(uri, snapshot.version, edits)
        return action

    def _workspace_edit(self, uri: str, version: int, edits: list[lsp.TextEdit]) -> lsp.WorkspaceEdit:
        """Edits the client applies only to the version they were made for, when it
        takes versioned edits (``documentChanges``)."""
        if self._capability("workspace.workspace_edit.document_changes"):
            return lsp.WorkspaceEdit(document_changes=[lsp.TextDocumentEdit(
                text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version), edits=edits,
            )])
        return lsp.WorkspaceEdit(changes={uri: edits})

    # -- hover ------------------------------------------------------------------------------------

    async def hover(self, params: lsp.HoverParams) -> lsp.Hover | None:
        uri = params.text_document.uri
        published = await self.current(uri)
        if published is None:
            return None
        position = params.position
        found = [sent for sent in (*published.diagnostics, *(d for ds in self.contributed.get(uri, {}).values()
                                                               for d in ds))
                 if isinstance(sent.code, str) and _before_or_at(sent.range.start, position)
                 and _before_or_at(position, sent.range.end)]
        if not found:
            return None
        formats = self._capability("text_document.hover.content_format") or []
        markdown = not formats or lsp.MarkupKind.Markdown in formats
        parts = list(dict.fromkeys(_rule_help(sent, markdown) for sent in found))
        return lsp.Hover(
            contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown if markdown else lsp.MarkupKind.PlainText,
                                       value="\n\n---\n\n".join(parts) if markdown else "\n\n".join(parts)),
            range=found[0].range,
        )

    # -- helpers ----------------------------------------------------------------------------------

    def _capability(self, dotted: str) -> Any:
        value: Any = self.client_capabilities
        for name in dotted.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def log(self, message: str, kind: lsp.MessageType = lsp.MessageType.Log) -> None:
        self.window_log_message(lsp.LogMessageParams(type=kind, message=f"contractlint: {message}"))

    def log_internal_error(self, doing: str, error: BaseException) -> None:
        details = "".join(traceback.format_exception(error)).rstrip()
        self.log(f"internal error while {doing}: {error!r} (a bug in contractlint; please report it with the "
                 f"file that caused it)\n{details}", lsp.MessageType.Error)


def _to_lsp(diagnostic: Diagnostic, where: lsp.Range, docs_url: str | None, data: dict | None) -> lsp.Diagnostic:
    from contractlint.reporters import ReportOptions

    url = ReportOptions(docs_url=docs_url).rule_url(diagnostic.code) if docs_url is not None else None
    return lsp.Diagnostic(
        range=where,
        message=diagnostic.message,
        severity=SEVERITIES.get(diagnostic.severity, lsp.DiagnosticSeverity.Error),
        code=diagnostic.code,
        code_description=lsp.CodeDescription(href=url) if url is not None else None,
        source=SOURCE,
        tags=[lsp.DiagnosticTag.Unnecessary] if diagnostic.code == UNUSED_NOQA else None,
        data=data,
    )


def _rule_help(sent: lsp.Diagnostic, markdown: bool) -> str:
    """The rule's summary and its "Why is this bad?" section, for a hover."""
    from contractlint import docs
    from contractlint.rules import rule_by_code_or_name

    rule = rule_by_code_or_name(str(sent.code))
    if rule is None:
        return str(sent.code)
    why = docs.sections(docs.explanation(rule)).get("Why is this bad?", "")
    link = sent.code_description.href if sent.code_description is not None else None
    if markdown:
        parts = [f"**{rule.code}** `{rule.name}`: {docs.summary_sentence(rule)}"]
        if why:
            parts.append(why)
        if link:
            parts.append(f"[{rule.code} documentation]({link})")
        return "\n\n".join(parts)
    parts = [f"{rule.code} ({rule.name}): {docs.summary_sentence(rule)}"]
    if why:
        parts.append(docs.markdown_to_text(why).strip())
    if link:
        parts.append(link)
    return "\n\n".join(parts)


def _file_path(uri: str) -> Path | None:
    """The resolved file of a ``file:`` URI; None for any other scheme."""
    if not uri.startswith("file:"):
        return None
    path = to_fs_path(uri)
    return Path(os.path.realpath(path)) if path else None


def _paths(uris: list[str]) -> list[Path]:
    return [path for path in (_file_path(uri) for uri in uris) if path is not None]


def main() -> None:
    """Serve over standard input and output until the client says exit."""
    ContractlintServer().start_io()
