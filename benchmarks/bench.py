"""Benchmark contractlint the way it is used: start-up, one file (a pre-commit run),
and a whole repository (the Kestra blueprint corpus when it is next to this clone).

    python benchmarks/bench.py [--repeat 5] [PATH]

Prints medians; nothing here is asserted (timings belong in a benchmark, not in tests).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "kestra-blueprints" / "flows"


def timed_command(args: list[str], repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "contractlint", *args], cwd=REPO, capture_output=True, check=False)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def timed_in_process(target: Path, repeat: int, jobs: int | None) -> tuple[float, int, dict[str, int]]:
    from contractlint.config import CommandLine, resolve_settings
    from contractlint.runner import CheckRequest, run_check

    settings = resolve_settings(CommandLine(), REPO)
    samples = []
    counts: dict[str, int] = {}
    files = 0
    for _ in range(repeat):
        started = time.perf_counter()
        run = run_check(CheckRequest(paths=(str(target),), jobs=jobs), settings)
        samples.append(time.perf_counter() - started)
        files = run.report.files
        counts = {}
        for diagnostic in run.report.diagnostics:
            counts[diagnostic.code] = counts.get(diagnostic.code, 0) + 1
    return statistics.median(samples), files, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=CORPUS if CORPUS.is_dir() else REPO / "flows_fixtures")
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()

    startup = timed_command(["--version"], options.repeat)
    one_file = timed_command(["check", "flows_fixtures/good/hello_world.yaml"], options.repeat)
    alone, files, counts = timed_in_process(options.path, max(1, options.repeat // 2), jobs=1)
    split, _, _ = timed_in_process(options.path, max(1, options.repeat // 2), jobs=None)
    print(f"start-up (--version)              {startup * 1000:8.1f} ms")
    print(f"one flow (pre-commit, cold)       {one_file * 1000:8.1f} ms")
    print(f"{files} files, one process        {alone:8.2f} s  = {alone / max(files, 1) * 1000:.1f} ms/file")
    print(f"{files} files, worker processes   {split:8.2f} s")
    print("diagnostics:", ", ".join(f"{code} {count}" for code, count in sorted(counts.items())))


if __name__ == "__main__":
    main()
