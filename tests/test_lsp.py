"""The language server end to end: `contractlint server` driven over stdio by a real LSP
client (pytest-lsp, on pygls's client) with the capabilities of real editors."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types as lsp
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features

SERVER = [sys.executable, "-m", "contractlint", "server"]
TIMEOUT = 20.0

FLOW = (
    "id: nightly\n"
    "namespace: acme\n"
    "tasks:\n"
    "  - id: transform\n"
    "    type: io.kestra.plugin.scripts.python.Script\n"
    "    env:\n"
    "      TZ: UTC\n"
    "    script: |\n"
    "      import os\n"
    '      label = "日本語😀"; tz = os.getenv("TZ", "UTC")\n'
)
CALLING_FLOW = (
    "id: daily\nnamespace: acme\ntasks:\n  - id: load\n"
    "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
    "      from acme.transform import run\n      run()\n"
)
MODULE_CLEAN = "def run():\n    return 1\n"
MODULE_READS = 'import os\n\n\ndef run():\n    return os.environ["PIPELINE_TZ"]\n'


def make_client() -> LanguageClient:
    """pytest-lsp's client, recording every publication (with its version) in order."""
    client = LanguageClient(converter_factory=default_converter)
    register_lsp_features(client, {method: handler for method, handler in DEFAULT_CLIENT_FEATURES.items()
                                   if method != lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS})
    client.published = []  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(lsp.CLIENT_REGISTER_CAPABILITY)
    def register(params: lsp.RegistrationParams) -> None:
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def publish(params: lsp.PublishDiagnosticsParams) -> None:
        client.published.append(params)  # type: ignore[attr-defined]
        client.diagnostics[params.uri] = params.diagnostics

    return client


async def end(client: LanguageClient) -> None:
    """Shut the server down; kill it when that fails (a test that failed before the
    server was initialized), or pytest-lsp would wait for it forever."""
    try:
        await asyncio.wait_for(client.shutdown_session(), TIMEOUT)
    finally:
        server = client._server  # pygls's subprocess handle
        if server is not None and server.returncode is None:
            server.kill()


@pytest_lsp.fixture(config=ClientServerConfig(server_command=SERVER, client_factory=make_client))
async def client(lsp_client: LanguageClient):
    yield
    await end(lsp_client)


def project(root: Path) -> Path:
    (root / ".contractlint.toml").write_text('src = [".", "src"]\n')
    (root / "src/acme").mkdir(parents=True)
    (root / "src/acme/__init__.py").write_text("")
    (root / "src/acme/transform.py").write_text(MODULE_CLEAN)
    (root / "flows").mkdir()
    return root


async def start(client: LanguageClient, root: Path, editor: str = "visual-studio-code", options=None) -> None:
    await client.initialize_session(lsp.InitializeParams(
        capabilities=client_capabilities(editor),
        root_uri=root.as_uri(),
        workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="project")],
        initialization_options={"debounce": 0, **(options or {})},
    ))


def open_file(client: LanguageClient, path: Path, text: str, language: str = "yaml", version: int = 1) -> str:
    uri = path.as_uri()
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(
        text_document=lsp.TextDocumentItem(uri=uri, language_id=language, version=version, text=text)
    ))
    return uri


def change(client: LanguageClient, uri: str, version: int, text: str, at: lsp.Range | None = None) -> None:
    content = (lsp.TextDocumentContentChangeWholeDocument(text=text) if at is None
               else lsp.TextDocumentContentChangePartial(range=at, text=text))
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version), content_changes=[content]
    ))


async def published(client: LanguageClient, uri: str, version: int | None = None, after: int = 0,
                    until=None) -> list[lsp.Diagnostic]:
    """The diagnostics of the first publication for ``uri`` (of ``version``, when
    given) after the ``after``-th publication that satisfies ``until``."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        for params in client.published[after:]:
            if params.uri == uri and (version is None or params.version == version):
                if until is None or until(params.diagnostics):
                    return list(params.diagnostics)
        await asyncio.sleep(0.01)
    raise AssertionError(f"no diagnostics published for {uri} (version {version}): {client.published}")


def found(diagnostics: list[lsp.Diagnostic]) -> list[tuple]:
    return [(d.code, d.range.start.line, d.range.start.character, d.range.end.line, d.range.end.character)
            for d in diagnostics]


def apply(text: str, edit: lsp.WorkspaceEdit, uri: str, version: int) -> str:
    """What the client does with a workspace edit: a versioned one only to its version."""
    from contractlint.lsp.text import TextIndex

    if edit.document_changes is not None:
        [document] = edit.document_changes
        assert document.text_document.uri == uri and document.text_document.version == version
        edits = document.edits
    else:
        edits = edit.changes[uri]
    index = TextIndex(text)
    for text_edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        start = index.offset(text_edit.range.start.line, text_edit.range.start.character)
        end = index.offset(text_edit.range.end.line, text_edit.range.end.character)
        text = text[:start] + text_edit.new_text + text[end:]
        index = TextIndex(text)
    return text


async def actions(client: LanguageClient, uri: str, diagnostic: lsp.Diagnostic | None, only=None,
                  at: lsp.Range | None = None) -> list[lsp.CodeAction]:
    where = at if at is not None else diagnostic.range
    return await client.text_document_code_action_async(lsp.CodeActionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), range=where,
        context=lsp.CodeActionContext(diagnostics=[diagnostic] if diagnostic is not None else [], only=only),
    ))


# -- diagnostics ---------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_flow_gets_diagnostics_at_exact_utf16_ranges(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    uri = open_file(client, root / "flows/nightly.yaml", FLOW)
    [diagnostic] = await published(client, uri, 1)
    # `label = "日本語😀"; tz = ` is 21 code points and 22 UTF-16 units (😀 is two).
    assert found([diagnostic]) == [("CL201", 9, 6 + 22, 9, 6 + 22 + len('os.getenv("TZ", "UTC")'))]
    assert diagnostic.source == "contractlint"
    assert diagnostic.severity == lsp.DiagnosticSeverity.Error
    assert diagnostic.message.startswith('Environment variable "TZ" is read with a default (os.getenv(…, default))')
    assert diagnostic.code_description is None  # no docs-url configured
    assert diagnostic.data == {"uri": uri, "version": 1, "id": 0, "fix": "unsafe"}


@pytest.mark.asyncio
@pytest.mark.parametrize("newline", ["\r\n", "\r"])
async def test_crlf_and_lone_cr_modules_keep_exact_positions(client: LanguageClient, tmp_path: Path,
                                                              newline: str) -> None:
    root = project(tmp_path)
    await start(client, root)
    text = newline.join(["import os", 'label = "日本語😀"; tz = os.getenv("TZ", "UTC")', ""])
    uri = open_file(client, root / "job.py", text, "python")
    assert found(await published(client, uri, 1)) == [("CL201", 1, 22, 1, 22 + 22)]


@pytest.mark.asyncio
async def test_utf8_position_encoding_counts_bytes(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    capabilities = client_capabilities("visual-studio-code")
    capabilities.general = lsp.GeneralClientCapabilities(position_encodings=[lsp.PositionEncodingKind.Utf8])
    result = await client.initialize_session(lsp.InitializeParams(
        capabilities=capabilities, root_uri=root.as_uri(), initialization_options={"debounce": 0},
    ))
    assert result.capabilities.position_encoding == lsp.PositionEncodingKind.Utf8
    uri = open_file(client, root / "job.py", 'import os\nlabel = "日本語😀"; tz = os.getenv("TZ", "UTC")\n', "python")
    prefix = len('label = "日本語😀"; tz = '.encode())
    assert found(await published(client, uri, 1)) == [("CL201", 1, prefix, 1, prefix + 22)]


@pytest.mark.asyncio
async def test_changes_are_linted_incrementally_and_excluded_files_get_nothing(client: LanguageClient,
                                                                                 tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".contractlint.toml").write_text('src = [".", "src"]\nextend-exclude = ["legacy"]\n'
                                             'docs-url = "https://example.org/contractlint"\n')
    (root / "legacy").mkdir()
    await start(client, root)
    uri = open_file(client, root / "job.py", "import os\n\nx = 1\n", "python")
    assert await published(client, uri, 1) == []
    # Type a default-reading line in two incremental changes; a U+2028 in a string is
    # a character of its line for LSP (not a line break as str.splitlines has it).
    change(client, uri, 2, 'label = "a\u2028b"; v = os.getenv("A", "b")\n',
           lsp.Range(start=lsp.Position(line=2, character=0), end=lsp.Position(line=2, character=0)))
    [diagnostic] = await published(client, uri, 2)
    assert found([diagnostic]) == [("CL201", 2, 19, 2, 19 + len('os.getenv("A", "b")'))]
    assert diagnostic.code_description.href == "https://example.org/contractlint/rules/CL201.md"
    # An edit past the U+2028 of that line (where str.splitlines would have ended it).
    change(client, uri, 3, 'os.environ.get("A", "z")',
           lsp.Range(start=lsp.Position(line=2, character=19), end=lsp.Position(line=2, character=38)))
    [diagnostic] = await published(client, uri, 3)
    assert found([diagnostic]) == [("CL201", 2, 19, 2, 19 + len('os.environ.get("A", "z")'))]
    assert "os.environ.get(…, default)" in diagnostic.message
    excluded = open_file(client, root / "legacy/job.py", "import os\nv = os.getenv('A', 'b')\n", "python")
    assert await published(client, excluded, 1) == []


@pytest.mark.asyncio
async def test_an_untitled_buffer_is_linted_by_its_language(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
        uri="untitled:Untitled-1", language_id="python", version=1, text="import os\nv = os.getenv('A', 'b')\n",
    )))
    assert [d.code for d in await published(client, "untitled:Untitled-1", 1)] == ["CL201"]


# -- code actions ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_quick_fix_clears_its_diagnostic(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    uri = open_file(client, root / "flows/nightly.yaml", FLOW)
    [diagnostic] = await published(client, uri, 1)
    offered = await actions(client, uri, diagnostic, only=[lsp.CodeActionKind.QuickFix])
    titles = [action.title for action in offered]
    assert titles[0] == "contractlint (CL201): Replace with `os.environ[\"TZ\"]` (unsafe)"
    fixed = apply(FLOW, offered[0].edit, uri, 1)
    assert 'tz = os.environ["TZ"]' in fixed
    change(client, uri, 2, fixed)
    assert await published(client, uri, 2) == []


@pytest.mark.asyncio
async def test_fix_all_applies_what_check_fix_would(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / ".contractlint.toml").write_text('src = [".", "src"]\nkestra-version = "2.0"\n')
    await start(client, root)
    text = FLOW.replace("    env:\n", "    retry:\n      type: constant\n      maxAttempt: 3\n"
                                      "      interval: PT1M\n    env:\n")
    uri = open_file(client, root / "flows/nightly.yaml", text)
    codes = [d.code for d in await published(client, uri, 1)]
    assert codes == ["CL614", "CL201"]
    offered = await actions(client, uri, None, only=["source.fixAll"],
                            at=lsp.Range(start=lsp.Position(line=0, character=0),
                                         end=lsp.Position(line=0, character=0)))
    [fix_all] = offered
    assert (fix_all.kind, fix_all.title) == ("source.fixAll.contractlint", "contractlint: Fix all auto-fixable problems")
    if fix_all.edit is None:
        fix_all = await client.code_action_resolve_async(fix_all)
    [document] = fix_all.edit.document_changes
    [edit] = document.edits
    assert edit.new_text == "s" and edit.range.start == edit.range.end  # maxAttempt → maxAttempts
    fixed = apply(text, fix_all.edit, uri, 1)
    assert "maxAttempts: 3" in fixed and 'os.getenv("TZ", "UTC")' in fixed  # the unsafe fix is not applied
    change(client, uri, 2, fixed)
    assert [d.code for d in await published(client, uri, 2)] == ["CL201"]


@pytest.mark.asyncio
async def test_noqa_actions_suppress_on_the_line_or_for_the_task(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    text = FLOW.replace("  - id: transform\n", "  - id: transform  # noqa: CL101\n")
    uri = open_file(client, root / "flows/nightly.yaml", text)
    [diagnostic] = await published(client, uri, 1)
    offered = {action.title: action for action in await actions(client, uri, diagnostic)}
    line = "contractlint (CL201): Suppress with `# noqa: CL201` on this line"
    task = "contractlint (CL201): Suppress for task 'transform': add CL201 to the `# noqa` comment on its `id:` line"
    assert line in offered and task in offered
    on_line = apply(text, offered[line].edit, uri, 1)
    assert on_line.endswith('tz = os.getenv("TZ", "UTC")  # noqa: CL201\n')
    for_task = apply(text, offered[task].edit, uri, 1)
    assert "  - id: transform  # noqa: CL101, CL201\n" in for_task
    change(client, uri, 2, for_task)
    assert await published(client, uri, 2) == []


@pytest.mark.asyncio
async def test_no_noqa_is_offered_where_a_hash_would_be_data(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    # A quoted script spanning lines: its finding is at the `script` key, whose line
    # ends inside the string. A `#` there would be script text: only the task is offered.
    text = FLOW.replace("    script: |\n      import os\n", "    script: 'import os;\n").rstrip("\n") + "'\n"
    uri = open_file(client, root / "flows/nightly.yaml", text)
    [diagnostic] = await published(client, uri, 1)
    assert (diagnostic.code, diagnostic.range.start.line) == ("CL201", 7)
    offered = [action.title for action in await actions(client, uri, diagnostic, only=[lsp.CodeActionKind.QuickFix])
               if "Suppress" in action.title]
    assert offered == ["contractlint (CL201): Suppress for task 'transform' with `# noqa: CL201` on its `id:` line"]


# -- across files ----------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_editing_a_called_module_republishes_the_flow(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "flows/daily.yaml").write_text(CALLING_FLOW)
    await start(client, root)
    flow = open_file(client, root / "flows/daily.yaml", CALLING_FLOW)
    assert await published(client, flow, 1) == []
    module = open_file(client, root / "src/acme/transform.py", MODULE_CLEAN, "python")
    await published(client, module, 1)
    mark = len(client.published)
    change(client, module, 2, MODULE_READS)
    [diagnostic] = await published(client, flow, 1, after=mark, until=bool)
    assert diagnostic.code == "CL203" and "'PIPELINE_TZ' read by src/acme/transform.py:5 (run)" in diagnostic.message
    # Closing the module without saving: the file on disk stands again.
    mark = len(client.published)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(
        text_document=lsp.TextDocumentIdentifier(uri=module)))
    assert await published(client, flow, 1, after=mark, until=lambda found: not found) == []


@pytest.mark.asyncio
async def test_a_module_changed_on_disk_republishes_the_flow(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    flow = open_file(client, root / "flows/daily.yaml", CALLING_FLOW)
    assert await published(client, flow, 1) == []
    path = root / "src/acme/transform.py"
    path.write_text(MODULE_READS)
    stamp = time.time() + 5
    os.utime(path, (stamp, stamp))
    mark = len(client.published)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=path.as_uri(), type=lsp.FileChangeType.Changed)]))
    [diagnostic] = await published(client, flow, 1, after=mark, until=bool)
    assert diagnostic.code == "CL203"


# -- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.asyncio
async def test_invalid_yaml_and_undecodable_files_get_diagnostics_and_the_server_goes_on(
        client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    uri = open_file(client, root / "flows/nightly.yaml", "id: nightly\nnamespace: [acme\ntasks:\n")
    [syntax] = await published(client, uri, 1)
    assert syntax.code == "CL001"
    half_typed = FLOW[: FLOW.index("    env:")] + "    env:\n      TZ: \n    scri"
    change(client, uri, 2, half_typed)
    assert all(d.source == "contractlint" for d in await published(client, uri, 2))
    # A file that is not UTF-8 on disk: the editor decoded it (here as Latin-1), but
    # `check` cannot read it, and says so.
    latin = root / "flows/latin.yaml"
    latin.write_bytes("id: café\nnamespace: acme\ntasks: []\n".encode("latin-1"))
    latin_uri = open_file(client, latin, latin.read_bytes().decode("latin-1"))
    [unreadable] = await published(client, latin_uri, 1)
    assert unreadable.code == "CL000" and "not valid UTF-8 (byte 0xe9 at offset 7)" in unreadable.message
    assert (unreadable.range.start.line, unreadable.range.start.character) == (0, 7)
    # A buffer holding a NUL byte is a binary file, as `check` says.
    binary = open_file(client, root / "flows/binary.yaml", "id: x\nnamespace: \x00\n")
    [nul] = await published(client, binary, 1)
    assert (nul.code, nul.range.start.line, nul.range.start.character) == ("CL000", 1, 11)
    assert "contains a NUL byte" in nul.message
    # Still serving: the flow is fixed and its diagnostics follow.
    change(client, uri, 3, FLOW)
    assert [d.code for d in await published(client, uri, 3)] == ["CL201"]


@pytest.mark.asyncio
async def test_hover_explains_the_rule(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    uri = open_file(client, root / "flows/nightly.yaml", FLOW)
    [diagnostic] = await published(client, uri, 1)
    hover = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=diagnostic.range.start))
    assert hover.contents.kind == lsp.MarkupKind.Markdown
    assert hover.contents.value.startswith("**CL201** `environ-default`: An environment variable read with a default")
    # Why it matters: the rule's "Why is this bad?" section.
    assert "\n\nA default hides a deployment mistake: the task runs, against the wrong\n" in hover.contents.value
    assert hover.range == diagnostic.range
    outside = await client.text_document_hover_async(lsp.HoverParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri), position=lsp.Position(line=0, character=0)))
    assert outside is None


@pytest.mark.asyncio
async def test_a_changed_configuration_and_a_broken_one_are_read_again(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root)
    uri = open_file(client, root / "job.py", "import os\nv = os.getenv('A', 'b')\n", "python")
    assert [d.code for d in await published(client, uri, 1)] == ["CL201"]
    [watching] = [registration.register_options for registration in client.registrations
                  if registration.method == lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    assert [watcher["globPattern"] for watcher in watching["watchers"]] == [
        "**/*.py", "**/*.yaml", "**/*.yml", "**/pyproject.toml", "**/.contractlint.toml"]
    config = root / ".contractlint.toml"
    config.write_text('ignor = ["CL201"]\n')
    mark = len(client.published)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=config.as_uri(), type=lsp.FileChangeType.Changed)]))
    [broken] = await published(client, uri, 1, after=mark)
    assert broken.code is None and broken.message.startswith("contractlint cannot lint this file: ")
    assert "ignor" in broken.message
    config.write_text('ignore = ["CL201"]\n')
    mark = len(client.published)
    client.workspace_did_change_watched_files(lsp.DidChangeWatchedFilesParams(
        changes=[lsp.FileEvent(uri=config.as_uri(), type=lsp.FileChangeType.Changed)]))
    assert await published(client, uri, 1, after=mark) == []


@pytest.mark.asyncio
async def test_typing_is_debounced_to_the_last_version(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root, options={"debounce": 300})
    uri = open_file(client, root / "job.py", "import os\n", "python")
    assert await published(client, uri, 1) == []  # opening is not debounced
    text = "import os\n"
    for version, char in enumerate("v = os.getenv('A', 'b')\n", start=2):
        text += char
        change(client, uri, version, text)
    last = version
    assert [d.code for d in await published(client, uri, last)] == ["CL201"]
    assert [params.version for params in client.published if params.uri == uri] == [1, last]


@pytest.mark.asyncio
async def test_a_client_without_versioned_edits_gets_plain_changes(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    await start(client, root, editor="neovim")
    capabilities = client.capabilities.workspace.workspace_edit
    assert capabilities is None or not capabilities.document_changes
    text = "import os\nv = os.getenv('A', 'b')\n"
    uri = open_file(client, root / "job.py", text, "python")
    [diagnostic] = await published(client, uri, 1)
    [fix, noqa] = await actions(client, uri, diagnostic, only=[lsp.CodeActionKind.QuickFix])
    assert apply(text, fix.edit, uri, 1) == "import os\nv = os.environ['A']\n"
    assert apply(text, noqa.edit, uri, 1) == "import os\nv = os.getenv('A', 'b')  # noqa: CL201\n"


@pytest.mark.asyncio
async def test_bad_initialization_options_fail_the_initialize_request(client: LanguageClient, tmp_path: Path) -> None:
    from pygls.exceptions import JsonRpcInvalidParams

    with pytest.raises(JsonRpcInvalidParams, match="unknown initialization option 'debounceMs'"):
        await client.initialize_session(lsp.InitializeParams(
            capabilities=client_capabilities("visual-studio-code"), root_uri=tmp_path.as_uri(),
            initialization_options={"debounceMs": 10},
        ))
    # The server still answers: shutdown and exit end it (the fixture sends them).


BROKEN_ENGINE = """
import contractlint.workspace as workspace
original = workspace.Workspace.check
def check(self, path, data=None):
    if str(path).endswith("boom.yaml"):
        raise RuntimeError("an engine bug")
    return original(self, path, data)
workspace.Workspace.check = check
from contractlint.lsp.server import main
main()
"""


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-c", BROKEN_ENGINE],
                                              client_factory=make_client))
async def broken_client(lsp_client: LanguageClient):
    yield
    await end(lsp_client)


@pytest.mark.asyncio
async def test_an_internal_error_is_logged_and_the_server_goes_on(broken_client: LanguageClient,
                                                                  tmp_path: Path) -> None:
    client = broken_client
    root = project(tmp_path)
    await start(client, root)
    open_file(client, root / "flows/boom.yaml", FLOW)
    uri = open_file(client, root / "flows/nightly.yaml", FLOW)
    assert [d.code for d in await published(client, uri, 1)] == ["CL201"]
    [logged] = [message for message in client.log_messages if "internal error" in message.message]
    assert logged.type == lsp.MessageType.Error
    assert "while linting file://" in logged.message and "boom.yaml: RuntimeError('an engine bug')" in logged.message
    assert "Traceback" in logged.message


def test_without_the_lsp_extra_the_command_exits_2_naming_it(tmp_path: Path) -> None:
    import subprocess

    script = "import sys; sys.modules['pygls'] = None; from contractlint.cli import main; main(['server'])"
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                               check=False)
    assert completed.returncode == 2
    assert "contractlint[lsp]" in completed.stderr and "pygls" in completed.stderr


@pytest.mark.asyncio
async def test_findings_in_an_included_namespace_file_go_to_that_file(client: LanguageClient, tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "_files/scripts").mkdir(parents=True)
    included = root / "_files/scripts/etl.py"
    included.write_text('import os\n\nlabel = "😀"; tz = os.environ["PIPELINE_TZ"]\n')  # 😀: two UTF-16 units
    await start(client, root)
    text = ("id: nightly\nnamespace: acme\ntasks:\n  - id: etl\n    type: io.kestra.plugin.scripts.python.Script\n"
            "    script: \"{{ read('scripts/etl.py') }}\"\n")
    flow = open_file(client, root / "flows/nightly.yaml", text)
    assert await published(client, flow, 1) == []
    [diagnostic] = await published(client, included.as_uri(), until=bool)
    assert found([diagnostic]) == [("CL203", 2, 19, 2, 19 + len('os.environ["PIPELINE_TZ"]'))]
    assert "Task 'etl' of flow acme.nightly" in diagnostic.message
    mark = len(client.published)
    client.text_document_did_close(lsp.DidCloseTextDocumentParams(text_document=lsp.TextDocumentIdentifier(uri=flow)))
    assert await published(client, included.as_uri(), after=mark) == []


@pytest.mark.asyncio
async def test_a_new_workspace_folder_brings_its_own_settings(client: LanguageClient, tmp_path: Path) -> None:
    (tmp_path / "first").mkdir()
    first = project(tmp_path / "first")
    second = tmp_path / "second"
    (second / "legacy").mkdir(parents=True)
    (second / "legacy/.contractlint.toml").write_text('ignore = ["CL201"]\n')
    await start(client, first)
    module = second / "legacy/job.py"
    uri = open_file(client, module, "import os\nv = os.getenv('A', 'b')\n", "python")
    assert await published(client, uri, 1) == []  # outside every folder: its nearest configuration
    (second / "legacy/.contractlint.toml").unlink()
    mark = len(client.published)
    client.workspace_did_change_workspace_folders(lsp.DidChangeWorkspaceFoldersParams(event=lsp.WorkspaceFoldersChangeEvent(
        added=[lsp.WorkspaceFolder(uri=second.as_uri(), name="second")], removed=[])))
    assert [d.code for d in await published(client, uri, 1, after=mark)] == ["CL201"]


def test_check_never_imports_pygls(tmp_path: Path) -> None:
    import subprocess

    (tmp_path / "job.py").write_text("import os\nv = os.getenv('A', 'b')\n")
    script = ("import sys\nfrom contractlint.cli import main\ntry:\n    main(['check', 'job.py'])\n"
              "except SystemExit:\n    pass\nprint(sorted(name for name in sys.modules if name.startswith(('pygls', 'lsprotocol'))))")
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                               check=False)
    assert "CL201" in completed.stdout and completed.stdout.rstrip().endswith("[]")


@pytest.mark.asyncio
async def test_what_the_baseline_records_is_not_reported(client: LanguageClient, tmp_path: Path, cli) -> None:
    root = project(tmp_path)
    (root / "legacy.py").write_text("import os\n\nvalue = os.getenv('A', 'b')\n")
    (root / ".contractlint.toml").write_text('src = [".", "src"]\nbaseline = "contractlint-baseline.json"\n')
    assert cli("check", "--write-baseline", "contractlint-baseline.json", "legacy.py", cwd=root).code == 0
    await start(client, root)  # the server runs in the test's working directory, not in root
    text = "import os\n\nvalue = os.getenv('A', 'b')\nother = os.getenv('C', 'd')\n"
    uri = open_file(client, root / "legacy.py", text, "python")
    assert found(await published(client, uri, 1)) == [("CL201", 3, 8, 3, 8 + len("os.getenv('C', 'd')"))]
    (root / "contractlint-baseline.json").unlink()
    change(client, uri, 2, text)
    [missing] = await published(client, uri, 2)
    assert "baseline file" in missing.message and "does not exist" in missing.message


@pytest.mark.parametrize(("raw", "problem"), [
    ([], "initializationOptions must be an object, not list"),
    ({"debounce": -1}, "'debounce' must be a number of milliseconds from 0 to 10000, not -1"),
    ({"debounce": True}, "'debounce' must be a number of milliseconds"),
    ({"config": [1]}, "'config' must be a string or a list of strings"),
    ({"isolated": "yes"}, "'isolated' must be true or false, not 'yes'"),
])
def test_initialization_options_are_checked(raw, problem: str) -> None:
    from contractlint.lsp.server import Options, parse_options

    with pytest.raises(ValueError, match=problem):
        parse_options(raw)
    assert parse_options(None) == Options()
    assert parse_options({"debounce": 0, "config": "select = ['CL2']", "isolated": True}) == Options(
        debounce=0, config=("select = ['CL2']",), isolated=True)
