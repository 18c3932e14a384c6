"""The pre-commit hook, end to end with the real pre-commit framework: `pre-commit
try-repo` installs this repository as a hook into a throwaway git repository."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO

GOOD = (REPO / "flows_fixtures" / "good" / "hello_world.yaml").read_text("utf-8")
BAD = (REPO / "flows_fixtures" / "bad" / "cl1_fat_script.yaml").read_text("utf-8")


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def snapshot_of_this_repository(target: Path, environment: dict[str, str]) -> Path:
    """This working tree (uncommitted and untracked files included) as a one-commit
    repository: try-repo installs the hook from what is here, not from the last commit."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO, check=True, capture_output=True,
    ).stdout.decode("utf-8").split("\0")
    for name in filter(None, listed):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    git("init", "-q", cwd=target)
    git("add", ".", cwd=target)
    subprocess.run(["git", "commit", "-q", "-m", "snapshot"], cwd=target, env=environment, check=True, capture_output=True)
    return target


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout of contractlint")
    project = tmp_path_factory.mktemp("project")
    (project / "flows").mkdir()
    (project / "flows" / "good.yaml").write_text(GOOD, encoding="utf-8")
    (project / "flows" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (project / "legacy").mkdir()
    (project / "legacy" / "old.yaml").write_text(BAD, encoding="utf-8")
    (project / "pyproject.toml").write_text('[tool.contractlint]\nextend-exclude = ["legacy"]\n', encoding="utf-8")
    git("init", "-q", cwd=project)
    git("add", ".", cwd=project)
    environment = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "GIT_AUTHOR_NAME": "test", "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "test", "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    hook_source = snapshot_of_this_repository(tmp_path_factory.mktemp("contractlint"), environment)
    return project, hook_source, environment


def try_repo(hook_repo, *files: str) -> subprocess.CompletedProcess:
    project, hook_source, environment = hook_repo
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook_source), "contractlint", "--files", *files],
        cwd=project, env=environment, capture_output=True, text=True, check=False, timeout=600,
    )


def test_a_bad_flow_fails_the_hook(hook_repo) -> None:
    result = try_repo(hook_repo, "flows/bad.yaml")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "flows/bad.yaml:6:5: CL101 Inline script has 15 code lines (limit 15)" in result.stdout
    assert "flows/bad.yaml:11:7: CL102 Function definition 'clean' in inline script" in result.stdout


def test_a_good_flow_passes_and_excluded_files_stay_excluded(hook_repo) -> None:
    result = try_repo(hook_repo, "flows/good.yaml", "legacy/old.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "contractlint" in result.stdout and "Passed" in result.stdout
