"""``contractlint mcp``: the tools of ``mcp_tools`` served over stdio by the official MCP
Python SDK (the ``mcp`` extra), so an agent checks a flow before it deploys it.

Built on the SDK's low-level ``Server`` rather than ``MCPServer``: the tools publish
exact JSON Schemas — their output embeds the diagnostic of the published JSON report
schema, loaded from its file — and ``mcp_tools`` checks the arguments itself, so that a
rejected argument is named without echoing its value (which may hold a secret) and an
unknown key is refused rather than ignored.

One call runs at a time, in a worker thread (the event loop keeps answering pings and
reading requests meanwhile): the workspace and its warm parses are not shared between
threads. A call the caller can correct is a tool error (``isError``) the model reads; a
bug of ours is logged to standard error with its traceback and answered as a tool
error too — the server keeps serving either way. This module imports the SDK, so only
``contractlint mcp`` imports it: ``check`` never pays for it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
from mcp import MCPError
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server
from mcp.shared.message import SessionMessage

from contractlint import __version__
from contractlint.mcp_tools import INSTRUCTIONS, ToolError, Tools

LOG = logging.getLogger("contractlint.mcp")


def build_server(root: Path) -> Server:
    """The MCP server of the project at ``root``."""
    tools = Tools(root)
    listed = [
        types.Tool(
            name=spec.name,
            title=spec.title,
            description=spec.description,
            input_schema=spec.input_schema,
            output_schema=spec.output_schema,
            annotations=types.ToolAnnotations.model_validate(spec.annotations),
        )
        for spec in tools.specs.values()
    ]
    one_at_a_time = anyio.Lock()

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in tools.specs:
            raise MCPError(code=types.INVALID_PARAMS, message=f"Unknown tool: {params.name[:100]}")
        async with one_at_a_time:
            try:
                result = await anyio.to_thread.run_sync(tools.call, params.name, params.arguments)
            except ToolError as error:
                return _tool_error(str(error))
            except Exception as error:  # noqa: CL302 - a bug of ours: logged, answered, and the server goes on
                LOG.exception("internal error in tool %s", params.name)
                return _tool_error(f"internal error in {params.name} ({error.__class__.__name__}): this is a bug in "
                                   "contractlint; please report it")
        text = json.dumps(result, ensure_ascii=False)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=result)

    @asynccontextmanager
    async def warm_up(server: Server) -> AsyncIterator[dict[str, Any]]:
        """While the client connects, load what the first call needs (one call at a
        time: a call that comes first waits for it)."""

        async def run() -> None:
            async with one_at_a_time:
                try:
                    await anyio.to_thread.run_sync(tools.warm_up)
                except ToolError as error:
                    LOG.debug("warm-up: %s", error)  # a broken configuration: the first call says so
                except Exception:  # noqa: CL302 - optional work: logged, and the server serves anyway
                    LOG.exception("warm-up failed")

        async with anyio.create_task_group() as group:
            group.start_soon(run)
            yield {}

    return Server(
        "contractlint",
        version=__version__,
        title="contractlint",
        description="Checks Kestra flows and the Python modules they call against the pipeline contracts.",
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        lifespan=warm_up,
    )


def _tool_error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


class AnswerMalformed:
    """The transport's read stream, with every line that is not a JSON-RPC message
    answered as JSON-RPC 2.0 asks — a parse error, or an invalid request (with its id
    when it has one) — instead of dropped unanswered, so a client is never left waiting
    for a reply; the server goes on reading. Blank lines are skipped."""

    def __init__(self, inner: Any, write_stream: Any) -> None:
        self.inner = inner
        self.write_stream = write_stream

    @property
    def last_context(self) -> Any:
        return getattr(self.inner, "last_context", None)  # the sender's context, for the dispatcher

    async def receive(self) -> Any:
        while True:
            item = await self.inner.receive()
            if not isinstance(item, Exception):
                return item
            answer = rejection(item)
            if answer is not None:
                await self.write_stream.send(SessionMessage(answer))

    def __aiter__(self) -> AnswerMalformed:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def __aenter__(self) -> AnswerMalformed:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


def rejection(error: Exception) -> types.JSONRPCError | None:
    """The answer to a line the transport could not read as a message (None: a blank
    line). Nothing of the line is echoed back but its id."""
    from pydantic import ValidationError

    if not isinstance(error, ValidationError):
        return types.JSONRPCError(jsonrpc="2.0", id=None,
                                  error=types.ErrorData(code=types.PARSE_ERROR, message="Parse error"))
    found = error.errors()
    if any(entry["type"] == "json_invalid" for entry in found):
        given = found[0].get("input")
        if isinstance(given, str) and not given.strip():
            return None
        return types.JSONRPCError(jsonrpc="2.0", id=None,
                                  error=types.ErrorData(code=types.PARSE_ERROR, message="Parse error: not JSON"))
    request_id = None
    for entry in found:
        given = entry.get("input")
        if isinstance(given, dict) and isinstance(given.get("id"), (str, int)) and not isinstance(given["id"], bool):
            request_id = given["id"]
            break
    return types.JSONRPCError(jsonrpc="2.0", id=request_id, error=types.ErrorData(
        code=types.INVALID_REQUEST, message="Invalid Request: not a JSON-RPC 2.0 request, notification or response"))


def serve(root: Path) -> None:
    """Serve the project at ``root`` over standard input and output until the client
    closes them."""
    logging.basicConfig(level=logging.WARNING, format="contractlint mcp: %(levelname)s %(message)s")
    server = build_server(root)

    async def run() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(AnswerMalformed(read_stream, write_stream), write_stream,
                             server.create_initialization_options())

    anyio.run(run)
