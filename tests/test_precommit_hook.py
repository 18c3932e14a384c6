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


# -- a commit, as a developer makes it: `pre-commit install`, then `git commit` ----------------

TRANSFORM_FLOW = """id: nightly
namespace: company.team
tasks:
  - id: transform
    type: io.kestra.plugin.scripts.python.Script
    env:
      PIPELINE_DATE: "{{ execution.startDate }}"
    script: |
      from acme.transform import run
      run()
"""
TRANSFORM = 'import os\n\n\ndef run():\n    return os.environ["PIPELINE_DATE"]\n'
BROKEN_TRANSFORM = 'import os\n\n\ndef run():\n    return os.environ["PIPELINE_DATE"], os.environ["PIPELINE_TZ"]\n'


@pytest.fixture
def committed_project(hook_repo, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A src-layout project with the hook installed the way its README says, its first
    commit made (the hook passed), and a baseline holding one legacy finding."""
    _, hook_source, environment = hook_repo
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "nightly.yaml").write_text(TRANSFORM_FLOW, encoding="utf-8")
    (project / "flows" / "hello.yaml").write_text(GOOD, encoding="utf-8")
    (project / "flows" / "legacy.yaml").write_text(BAD, encoding="utf-8")
    (project / "src" / "acme").mkdir(parents=True)
    (project / "src" / "acme" / "__init__.py").write_text("", encoding="utf-8")
    (project / "src" / "acme" / "transform.py").write_text(TRANSFORM, encoding="utf-8")
    (project / "pyproject.toml").write_text(
        '[tool.contractlint]\nbaseline = ".contractlint-baseline.json"\n', encoding="utf-8")
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=hook_source, capture_output=True, text=True,
                         check=True).stdout.strip()
    (project / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {hook_source}\n    rev: {rev}\n    hooks:\n      - id: contractlint\n", encoding="utf-8")
    git("init", "-q", cwd=project)
    # The baseline records the legacy flow's findings, so the hook accepts it as it is.
    written = subprocess.run(
        [sys.executable, "-m", "contractlint", "check", "--write-baseline", ".contractlint-baseline.json"],
        cwd=project, env=environment, capture_output=True, text=True, check=False,
    )
    assert written.returncode == 0, written.stderr
    install = subprocess.run([sys.executable, "-m", "pre_commit", "install"], cwd=project, env=environment,
                             capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stdout + install.stderr
    git("add", ".", cwd=project)
    first = commit(project, environment, "first")
    assert first.returncode == 0, first.stdout + first.stderr
    return project, environment


def commit(project: Path, environment: dict[str, str], message: str) -> subprocess.CompletedProcess:
    # pre-commit runs the hook with the Python it installed the hook environment with.
    return subprocess.run(["git", "commit", "-q", "-m", message], cwd=project, env=environment,
                          capture_output=True, text=True, check=False, timeout=600)


def test_staging_only_a_module_that_breaks_a_flow_fails_the_commit(committed_project) -> None:
    project, environment = committed_project
    (project / "src" / "acme" / "transform.py").write_text(BROKEN_TRANSFORM, encoding="utf-8")
    git("add", "src/acme/transform.py", cwd=project)
    result = commit(project, environment, "read the time zone")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    assert (
        "flows/nightly.yaml:10:7: CL203 Task 'transform' does not provide environment variable 'PIPELINE_TZ' "
        "read by src/acme/transform.py:5 (run)"
    ) in output
    assert "flows/nightly.yaml is checked too: it imports acme.transform (src/acme/transform.py)" in output
    assert output.count("Found ") == 1  # one report for the commit
    assert "flows/legacy.yaml" not in output  # not staged, not a dependent
    # Providing the variable makes the same commit pass.
    (project / "flows" / "nightly.yaml").write_text(
        TRANSFORM_FLOW.replace("    env:\n", "    env:\n      PIPELINE_TZ: UTC\n"), encoding="utf-8")
    git("add", "flows/nightly.yaml", cwd=project)
    fixed = commit(project, environment, "read the time zone, provided")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr


def test_the_baseline_key_lets_the_hook_accept_recorded_findings(committed_project) -> None:
    project, environment = committed_project
    legacy = project / "flows" / "legacy.yaml"
    legacy.write_text("# owner: data team\n" + legacy.read_text("utf-8"), encoding="utf-8")
    (project / "flows" / "hello.yaml").write_text("# touched\n" + GOOD, encoding="utf-8")
    git("add", "flows", cwd=project)
    passed = commit(project, environment, "comment")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    # A new finding in the same file is not in the baseline.
    legacy.write_text(legacy.read_text("utf-8").replace("tasks:\n", "tasks:\n  - id: extra\n"
                      "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
                      "      for x in range(3):\n          print(x)\n", 1), encoding="utf-8")
    git("add", "flows/legacy.yaml", cwd=project)
    failed = commit(project, environment, "a loop")
    assert failed.returncode != 0
    assert "flows/legacy.yaml" in failed.stdout + failed.stderr and "CL102" in failed.stdout + failed.stderr


def test_the_readme_snippet_works_as_copied(hook_repo, tmp_path: Path) -> None:
    """The `repo: local` snippet of README.md, with only the documented placeholder (where
    contractlint comes from) filled in, installs and runs the hook."""
    _, hook_source, environment = hook_repo
    readme = (REPO / "README.md").read_text("utf-8")
    start = readme.index("```yaml\n# .pre-commit-config.yaml\nrepos:\n  - repo: local")
    snippet = readme[start + len("```yaml\n"): readme.index("```", start + 3)]
    placeholder = "file:///path/to/contractlint"
    assert placeholder in snippet
    project = tmp_path / "project"
    (project / "flows").mkdir(parents=True)
    (project / "flows" / "bad.yaml").write_text(BAD, encoding="utf-8")
    (project / ".pre-commit-config.yaml").write_text(snippet.replace(placeholder, hook_source.as_uri()),
                                                   encoding="utf-8")
    git("init", "-q", cwd=project)
    git("add", ".", cwd=project)
    result = subprocess.run([sys.executable, "-m", "pre_commit", "run", "--files", "flows/bad.yaml"],
                            cwd=project, env=environment, capture_output=True, text=True, check=False, timeout=600)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "flows/bad.yaml:6:5: CL101 Inline script has 15 code lines (limit 15)" in result.stdout
