"""Benchmark the long-running servers the way an agent or an editor uses them: how long
the server takes to start (cold), and how long one request takes once it is warm.

    python benchmarks/bench_servers.py [--repeat 20] [--only mcp]

Each server is a section: a function that takes the options and returns rows of
(label, milliseconds). Add a server by adding its function to ``SECTIONS``. Prints
medians (and the 90th percentile of warm requests); nothing here is asserted
(timings belong in a benchmark, not in tests).

MCP: the server is started as a subprocess and spoken to with the SDK's own stdio
client, on this repository (``flows_fixtures`` is a src root, so a flow's scripts are
followed into its modules). A warm check is one ``check`` call with one flow draft
(``flows_fixtures/bad/cl2_environ.yaml``: six findings of CL201, CL202 and CL203, a
script followed into a project module), timed from the client's side: request out,
result in, validated against the tool's output schema.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
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


SECTIONS: dict[str, Callable[[argparse.Namespace], list[Row]]] = {"mcp": bench_mcp}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--only", choices=sorted(SECTIONS), action="append",
                        help="run only this server's section (may be repeated)")
    options = parser.parse_args()
    for name in options.only or list(SECTIONS):
        for label, milliseconds in SECTIONS[name](options):
            print(f"{label:<44} {milliseconds:8.1f} ms")


if __name__ == "__main__":
    main()
