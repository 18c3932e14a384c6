"""The golden outputs of ``tests/test_golden.py``: contractlint's JSON report of the
Kestra blueprint corpus and of ``flows_fixtures``, byte for byte, as
``contractlint check <path> --format json --no-cache`` prints them from the repository
root (the linter itself, not the result cache: ``tests/test_cache.py`` checks that a
cached run prints what a cold run prints).

A change that moves findings on purpose regenerates them (one command, from anywhere):

    python tests/golden_outputs.py

and the diff of ``tests/golden/`` is then the change in findings, to review like code.
The corpus part is skipped when ``../shared`` is not next to the clone.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "golden"
# Golden file → the path linted, relative to the repository root (as the baseline was made).
TARGETS = {
    "corpus.json": "../shared/corpus/kestra-blueprints/flows",
    "fixtures.json": "flows_fixtures",
}


def available(name: str) -> bool:
    return (REPO / TARGETS[name]).is_dir()


def report(name: str) -> bytes:
    """What contractlint prints today for the golden file ``name``."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONTRACTLINT_")}
    process = subprocess.run(
        [sys.executable, "-m", "contractlint", "check", TARGETS[name], "--format", "json", "--no-cache"],
        cwd=REPO, capture_output=True, env=environment, check=False,
    )
    if process.returncode not in (0, 1) or process.stderr:
        raise RuntimeError(f"contractlint failed on {TARGETS[name]}: {process.stderr.decode()}")
    return process.stdout


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for name in TARGETS:
        if not available(name):
            print(f"skipped {name}: {TARGETS[name]} is not next to this clone")
            continue
        path = GOLDEN / name
        new = report(name)
        old = path.read_bytes() if path.exists() else b""
        path.write_bytes(new)
        print(f"{path.relative_to(REPO)}: {'unchanged' if new == old else 'written'}")


if __name__ == "__main__":
    main()
