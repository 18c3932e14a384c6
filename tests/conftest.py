"""Shared test helpers: paths to the shared corpus (skipped when absent) and a CLI runner."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CORPUS = SHARED / "corpus" / "kestra-blueprints" / "flows"
SARIF_SCHEMA = SHARED / "schemas" / "sarif-schema-2.1.0.json"


def write(root: Path, name: str, content: str | bytes) -> Path:
    """Write ``content`` (text as UTF-8, exactly: no newline translation) to ``root/name``,
    with the folders it needs."""
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the shared Kestra blueprint corpus is not next to this clone")
    return CORPUS


def _reads_shared(cwd: Path, args: tuple[str, ...]) -> bool:
    """Whether a run works in ``../shared``, which tests only read: such a run must not
    leave a result cache there."""
    shared = SHARED.resolve()
    places = [Path(cwd).resolve(), *(Path(cwd, arg).resolve() for arg in args if not arg.startswith("-"))]
    return any(place == shared or shared in place.parents for place in places)


@dataclass
class Completed:
    code: int
    stdout: str
    stderr: str

    @property
    def lines(self) -> list[str]:
        return self.stdout.splitlines()


def run_cli(*args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Completed:
    """Run `python -m contractlint` as a user would, in ``cwd``, without a terminal."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CONTRACTLINT_")}
    if _reads_shared(cwd, args):
        environment["CONTRACTLINT_NO_CACHE"] = "1"
    environment.update(env or {})
    process = subprocess.run(
        [sys.executable, "-m", "contractlint", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        env=environment,
        check=False,
    )
    return Completed(process.returncode, process.stdout.decode("utf-8"), process.stderr.decode("utf-8"))


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def inprocess_cli(monkeypatch: pytest.MonkeyPatch):
    """`contractlint` run in-process (click's CliRunner): the same interface and
    results as the subprocess runner, without a Python start-up per call."""
    from click.testing import CliRunner

    from contractlint.cli import main

    def run(*args: str, cwd: Path, stdin: bytes | None = None, env: dict[str, str] | None = None) -> Completed:
        try:
            runner = CliRunner(mix_stderr=False)
        except TypeError:  # click >= 8.2 always keeps stderr apart
            runner = CliRunner()
        environment = {key: None for key in os.environ if key.startswith("CONTRACTLINT_") or key == "NO_COLOR"}
        if _reads_shared(cwd, args):
            environment["CONTRACTLINT_NO_CACHE"] = "1"
        environment.update(env or {})
        with monkeypatch.context() as patch:
            patch.chdir(cwd)
            result = runner.invoke(main, list(args), input=stdin, env=environment, catch_exceptions=False)
        return Completed(result.exit_code, result.stdout, result.stderr)

    return run


# `--hypothesis-profile=fuzz`: the long run of the property tests (test_fuzz.py and
# the other property tests that take their example count from the profile).
from hypothesis import HealthCheck  # noqa: E402
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile(
    "fuzz", max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
# The default run is derandomized: the same examples on every run, so a red CI always
# means a change broke something (new inputs are the long run's job).
hypothesis_settings.register_profile("repeatable", derandomize=True, deadline=None)
hypothesis_settings.load_profile("repeatable")
