"""Benchmark the long-running servers the way agents and editors use them: how long a
server takes to start (cold), and how long one request takes once it is warm.

    python benchmarks/bench_servers.py [--repeat 20] [--only mcp] [--only lsp]

Each server is a section: a function that takes the options and returns rows of
(label, milliseconds). Add a server by adding its function to ``SECTIONS``. Prints
medians and 90th percentiles; nothing here is asserted (timings belong in a benchmark,
not in tests).

MCP: the server is started as a subprocess and spoken to with the SDK's own stdio
client, on this repository (``flows_fixtures`` is a src root, so a flow's scripts are
followed into its modules). A warm check is one ``check`` call with one flow draft
(``flows_fixtures/bad/cl2_environ.yaml``: six findings of CL201, CL202 and CL203, a
script followed into a project module), timed from the client's side: request out,
result in, validated against the tool's output schema.

LSP (``bench_lsp`` and the ``_lsp``/``_Client`` helpers): a real LSP client drives
``contractlint server`` over stdio and measures, in a warm server, the time from sending
a change to receiving the diagnostics of that version — for a flow, for a Python module,
for a flow whose called module changed (CL203 across files), and for the largest flow of
the blueprint corpus when it is next to this clone. With ``debounce`` 0 this is the
engine's latency; with the default debounce the quiet period comes on top of it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "kestra-blueprints" / "flows"
FLOW_FIXTURE = REPO / "flows_fixtures" / "bad" / "cl2_environ.yaml"
DRAFT_PATH = "flows_fixtures/bad/cl2_environ_draft.yaml"  # never written: a draft only

Row = tuple[str, float]


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# -- MCP ------------------------------------------------------------------------------------------


def mcp_parameters():  # noqa: ANN201 - the SDK's type, imported here only
    from mcp import StdioServerParameters

    environment = {"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None
    return StdioServerParameters(command=sys.executable, args=["-m", "contractlint", "mcp", "--root", str(REPO)],
                                 cwd=str(REPO), env=environment)


async def mcp_cold_start() -> tuple[float, float]:
    """Seconds from spawning the server to its tool list, and to its first check."""
    from mcp import Client

    draft = {"drafts": [{"path": DRAFT_PATH, "content": FLOW_FIXTURE.read_text(encoding="utf-8")}]}
    started = time.perf_counter()
    async with Client(mcp_parameters(), read_timeout_seconds=120) as client:
        await client.list_tools()
        listed = time.perf_counter() - started
        result = await client.call_tool("check", draft)
        checked = time.perf_counter() - started
    assert not result.is_error and result.structured_content["deployable"] is False
    return listed, checked


async def mcp_warm_checks(repeat: int) -> list[float]:
    """Seconds per check of one flow draft in a server that has answered one already."""
    from mcp import Client

    draft = {"drafts": [{"path": DRAFT_PATH, "content": FLOW_FIXTURE.read_text(encoding="utf-8")}]}
    samples = []
    async with Client(mcp_parameters(), read_timeout_seconds=120) as client:
        await client.call_tool("check", draft)  # the first one: loads what the warm-up may not have yet
        for _ in range(repeat):
            started = time.perf_counter()
            result = await client.call_tool("check", draft)
            samples.append(time.perf_counter() - started)
            assert not result.is_error and [d["code"] for d in result.structured_content["diagnostics"]] == [
                "CL201", "CL202", "CL203", "CL203", "CL203", "CL201"]
    return samples


def in_process_warm_checks(repeat: int) -> list[float]:
    """Seconds per check through the tools alone (no protocol, no process)."""
    from contractlint.mcp_tools import Tools

    previous = Path.cwd()
    os.chdir(REPO)
    try:
        tools = Tools(REPO)
        draft = {"drafts": [{"path": DRAFT_PATH, "content": FLOW_FIXTURE.read_text(encoding="utf-8")}]}
        tools.call("check", draft)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            tools.call("check", draft)
            samples.append(time.perf_counter() - started)
    finally:
        os.chdir(previous)
    return samples


def bench_mcp(options: argparse.Namespace) -> list[Row]:
    import anyio

    cold = [anyio.run(mcp_cold_start) for _ in range(max(1, options.repeat // 5))]
    warm = anyio.run(mcp_warm_checks, options.repeat)
    alone = in_process_warm_checks(options.repeat)
    return [
        ("mcp cold start: spawn → tools listed", statistics.median(c[0] for c in cold) * 1000),
        ("mcp cold start: spawn → first check", statistics.median(c[1] for c in cold) * 1000),
        ("mcp warm check, one flow draft (median)", statistics.median(warm) * 1000),
        ("mcp warm check, one flow draft (p90)", percentile(warm, 0.9) * 1000),
        ("  of which the tools alone (median)", statistics.median(alone) * 1000),
    ]


# -- LSP ------------------------------------------------------------------------------------------

# A flow as a team writes it: inputs, plugin defaults, a few tasks, a thin inline script
# that calls a project module, and one finding the edits toggle.
FLOW = """id: nightly_load
namespace: acme.pipelines
description: Load the day's orders, enrich them and publish the report (日本語 😀)

inputs:
  - id: day
    type: DATE
  - id: region
    type: STRING
    defaults: eu

pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      env:
        DB_HOST: "{{ secret('DB_HOST') }}"
        DB_TOKEN: "{{ secret('DB_TOKEN') }}"
        EXECUTION_ID: "{{ execution.id }}"

tasks:
  - id: extract
    type: io.kestra.plugin.scripts.python.Script
    env:
      REGION: "{{ inputs.region }}"
    script: |
      from acme.extract import run
      run()

  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    env:
      TZ: UTC
    script: |
      import os
      from acme.transform import run
      label = "日本語😀"; tz = os.getenv("TZ", "UTC")
      run(tz)

  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "done {{ execution.id }}"
"""
MODULE = 'import os\n\n\ndef run(tz=None):\n    return os.environ["{key}"]\n'


def _project(root: Path) -> None:
    (root / ".contractlint.toml").write_text('src = [".", "src"]\n')
    (root / "src/acme").mkdir(parents=True)
    (root / "src/acme/__init__.py").write_text("")
    (root / "src/acme/extract.py").write_text('import os\n\n\ndef run():\n    return os.environ["REGION"]\n')
    (root / "src/acme/transform.py").write_text(MODULE.format(key="TZ"))
    (root / "flows").mkdir()
    (root / "flows/nightly_load.yaml").write_text(FLOW)


class _Client:
    """A pygls client that records when each publication arrives."""

    def __init__(self) -> None:
        from lsprotocol import types as lsp
        from pygls.lsp.client import LanguageClient

        self.lsp = lsp
        self.client = LanguageClient("contractlint-bench", "1")
        self.arrived: dict[tuple[str, int | None], list[tuple[float, int]]] = {}
        self.waiting: dict[tuple[str, int | None], asyncio.Event] = {}

        @self.client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def publish(params: lsp.PublishDiagnosticsParams) -> None:
            key = (params.uri, params.version)
            self.arrived.setdefault(key, []).append((time.perf_counter(), len(params.diagnostics)))
            if key in self.waiting:
                self.waiting[key].set()

        @self.client.feature(lsp.WINDOW_LOG_MESSAGE)
        def log(params: lsp.LogMessageParams) -> None:
            if params.type == lsp.MessageType.Error:
                print(params.message, file=sys.stderr)

    async def start(self, root: Path, debounce: int) -> None:
        lsp = self.lsp
        await self.client.start_io(sys.executable, "-m", "contractlint", "server")
        await self.client.initialize_async(lsp.InitializeParams(
            capabilities=lsp.ClientCapabilities(),
            root_uri=root.as_uri(),
            workspace_folders=[lsp.WorkspaceFolder(uri=root.as_uri(), name="bench")],
            initialization_options={"debounce": debounce},
        ))
        self.client.initialized(lsp.InitializedParams())

    async def stop(self) -> None:
        await self.client.shutdown_async(None)
        self.client.exit(None)
        await self.client.stop()

    async def publication(self, uri: str, version: int | None, after: float) -> float:
        """When the first publication for ``uri`` (of ``version``) after ``after`` came."""
        key = (uri, version)
        while True:
            found = [at for at, _ in self.arrived.get(key, []) if at >= after]
            if found:
                return found[0]
            event = self.waiting.setdefault(key, asyncio.Event())
            event.clear()
            await asyncio.wait_for(event.wait(), timeout=30)

    def open(self, uri: str, text: str, language: str) -> None:
        lsp = self.lsp
        self.client.text_document_did_open(lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(uri=uri, language_id=language, version=1, text=text)))

    def change(self, uri: str, version: int, text: str) -> float:
        lsp = self.lsp
        sent = time.perf_counter()
        self.client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)]))
        return sent


async def _lsp_session(repeat: int, debounce: int) -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder).resolve()
        _project(root)
        client = _Client()
        started = time.perf_counter()
        await client.start(root, debounce)
        flow_uri = (root / "flows/nightly_load.yaml").as_uri()
        module_uri = (root / "src/acme/transform.py").as_uri()
        client.open(flow_uri, FLOW, "yaml")
        first = await client.publication(flow_uri, 1, started)
        times: dict[str, list[float]] = {"start-up to first diagnostics": [first - started],
                                         "flow change → diagnostics": [],
                                         "module change → its diagnostics": [],
                                         "module change → calling flow's CL203": []}
        variants = [FLOW, FLOW.replace('os.getenv("TZ", "UTC")', 'os.environ["TZ"]')]
        for version in range(2, repeat + 2):
            sent = client.change(flow_uri, version, variants[version % 2])
            times["flow change → diagnostics"].append(await client.publication(flow_uri, version, sent) - sent)
        flow_version = repeat + 1
        opened = time.perf_counter()
        client.open(module_uri, MODULE.format(key="TZ"), "python")
        module_at = await client.publication(module_uri, 1, opened)
        await client.publication(flow_uri, flow_version, module_at)  # the buffer now stands for the file
        for version in range(2, repeat + 2):
            # Alternate between a variable the task provides and one it does not:
            # the flow's CL203 comes and goes.
            sent = client.change(module_uri, version, MODULE.format(key="TZ" if version % 2 else "PIPELINE_TZ"))
            module_at = await client.publication(module_uri, version, sent)
            times["module change → its diagnostics"].append(module_at - sent)
            times["module change → calling flow's CL203"].append(
                await client.publication(flow_uri, flow_version, module_at) - sent)
        largest = max(CORPUS.glob("*.y*ml"), key=lambda path: path.stat().st_size) if CORPUS.is_dir() else None
        if largest is not None:
            # The largest real flow (the blueprint corpus, when it is next to this clone),
            # edited at its end.
            text = largest.read_text(encoding="utf-8")
            name = f"largest corpus flow ({text.count(chr(10))} lines) change"
            times[name] = []
            corpus_uri = (root / "flows" / largest.name).as_uri()
            opened = time.perf_counter()
            client.open(corpus_uri, text, "yaml")
            await client.publication(corpus_uri, 1, opened)
            for version in range(2, repeat + 2):
                sent = client.change(corpus_uri, version, text + ("# edited\n" if version % 2 else ""))
                times[name].append(await client.publication(corpus_uri, version, sent) - sent)
        await client.stop()
        return times


def bench_lsp(options: argparse.Namespace) -> list[Row]:
    """The language server's section: a change to published diagnostics, warm, with
    debounce 0 (the engine) and the default (what a user waits)."""
    rows: list[Row] = []
    from contractlint.lsp.server import DEFAULT_DEBOUNCE_MS

    for debounce in (0, DEFAULT_DEBOUNCE_MS):
        times = asyncio.run(_lsp_session(options.repeat, debounce))
        for name, samples in times.items():
            label = f"lsp {name}, debounce {debounce}"
            if len(samples) == 1:
                rows.append((label, samples[0] * 1000))
                continue
            rows.append((f"{label} (median)", statistics.median(samples) * 1000))
            rows.append((f"{label} (p90)", percentile(samples, 0.9) * 1000))
    return rows


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {"mcp": bench_mcp, "lsp": bench_lsp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append",
                        help="run only this server's section (may be repeated)")
    options = parser.parse_args()
    for name in options.only or list(SECTIONS):
        for label, milliseconds in SECTIONS[name](options):
            print(f"{label:<72} {milliseconds:8.1f} ms")


if __name__ == "__main__":
    main()
