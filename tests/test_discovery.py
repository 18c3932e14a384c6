"""Tests for contractlint.discovery: exclude patterns, gitignore, walking."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from contractlint import discovery
from contractlint.discovery import (
    DEFAULT_EXCLUDES,
    LINTABLE_SUFFIXES,
    Discovery,
    discover,
    glob_match,
    is_excluded,
)


def make_tree(root: Path, files: dict[str, str]) -> None:
    """Create files (parents included); a key ending in `/` is an empty directory."""
    for relpath, content in files.items():
        path = root / relpath
        if relpath.endswith("/"):
            path.mkdir(parents=True, exist_ok=True)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode("utf-8"))


def found(result: Discovery) -> list[str]:
    return [path.as_posix() for path in result.files]


def discover_here(root: Path, *paths: str, **options) -> Discovery:
    """Discover with the current directory and the project root both at `root`."""
    return discover(list(paths or ["."]), project_root=root, **options)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty project directory (not a git repository) that is the cwd."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.chdir(root)
    return root


@pytest.fixture
def repo(project: Path) -> Path:
    """`project` with a `.git` directory, so it is a work tree root."""
    (project / ".git" / "info").mkdir(parents=True)
    return project


# ---------------------------------------------------------------------------
# constants and interface
# ---------------------------------------------------------------------------


def test_default_excludes_are_ruffs_plus_caches() -> None:
    assert DEFAULT_EXCLUDES == (
        ".bzr", ".direnv", ".eggs", ".git", ".git-rewrite", ".hg", ".ipynb_checkpoints",
        ".mypy_cache", ".nox", ".pants.d", ".pyenv", ".pytest_cache", ".pytype",
        ".ruff_cache", ".svn", ".tox", ".venv", ".vscode", "__pypackages__", "_build",
        "buck-out", "dist", "node_modules", "site-packages", "venv", "__pycache__",
        ".contractlint_cache",
    )
    assert LINTABLE_SUFFIXES == (".py", ".yml", ".yaml")


# ---------------------------------------------------------------------------
# walking basics
# ---------------------------------------------------------------------------


def test_only_lintable_suffixes_sorted_and_paths_kept_as_given(project: Path) -> None:
    make_tree(project, {
        "b.py": "", "a.py": "", "A.py": "", "a/z.py": "", "flows/x.yaml": "", "flows/y.yml": "",
        "README.md": "", "setup.cfg": "", "noext": "", "flows/z.yml.bak": "", "empty/": "",
    })
    assert found(discover_here(project)) == [
        "A.py", "a/z.py", "a.py", "b.py", "flows/x.yaml", "flows/y.yml",
    ]
    # Absolute arguments stay absolute; nothing is resolved.
    assert found(discover_here(project, str(project / "flows"))) == [
        f"{project.as_posix()}/flows/x.yaml", f"{project.as_posix()}/flows/y.yml",
    ]


def test_overlapping_arguments_are_deduplicated(project: Path) -> None:
    make_tree(project, {"src/a.py": "", "src/sub/b.py": ""})
    result = discover_here(project, ".", "src", "src/a.py", "./src/sub", str(project / "src/a.py"))
    assert found(result) == ["src/a.py", "src/sub/b.py"]
    assert result.missing == () and result.errors == ()


def test_missing_paths_are_reported_as_given_and_stdin_dash_is_skipped(project: Path) -> None:
    make_tree(project, {"a.py": "", "notes.txt": ""})
    result = discover_here(project, "a.py", "-", "nope.py", "dir/nope", "a.py/child", "", "notes.txt")
    assert found(result) == ["a.py"]
    assert result.missing == ("nope.py", "dir/nope", "a.py/child", "")
    assert result.errors == ()


def test_single_string_instead_of_sequence_is_rejected(project: Path) -> None:
    with pytest.raises(TypeError):
        discover(".", project_root=project)


def test_unicode_file_names(repo: Path) -> None:
    make_tree(repo, {
        "café.py": "", "naïve/ünïcode.yaml": "", "日本/フロー.yml": "", "ignored/é.py": "",
        ".gitignore": "ignored/\n流れ.py\n",
        "流れ.py": "",
    })
    assert found(discover_here(repo)) == ["café.py", "naïve/ünïcode.yaml", "日本/フロー.yml"]


def test_symlinked_directory_is_not_followed_but_symlinked_file_is_kept(project: Path) -> None:
    make_tree(project, {"real/a.py": "", "b.py": ""})
    (project / "linked_dir").symlink_to(project / "real", target_is_directory=True)
    (project / "linked_dir.py").symlink_to(project / "real", target_is_directory=True)
    (project / "alias.py").symlink_to(project / "b.py")
    (project / "dangling.py").symlink_to(project / "does-not-exist.py")
    result = discover_here(project)
    assert found(result) == ["alias.py", "b.py", "real/a.py"]
    assert result.errors == (("./dangling.py", "broken symbolic link"),)
    # Named explicitly, a symlinked directory is walked (through its own name).
    assert found(discover_here(project, "linked_dir")) == ["linked_dir/a.py"]


def test_unreadable_directory_is_reported_not_swallowed(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tree(project, {"ok/a.py": "", "locked/b.py": ""})
    real_scandir = os.scandir

    def scandir(path):
        if os.path.basename(path) == "locked":
            raise PermissionError(13, "Permission denied", path)
        return real_scandir(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    result = discover_here(project)
    assert found(result) == ["ok/a.py"]
    assert result.errors == (("./locked", "Permission denied"),)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs a non-root POSIX user")
def test_unreadable_directory_with_real_permissions(project: Path) -> None:
    make_tree(project, {"ok/a.py": "", "locked/b.py": ""})
    (project / "locked").chmod(0)
    try:
        result = discover_here(project)
    finally:
        (project / "locked").chmod(0o755)
    assert found(result) == ["ok/a.py"]
    assert result.errors == (("./locked", "Permission denied"),)


# ---------------------------------------------------------------------------
# exclude patterns
# ---------------------------------------------------------------------------


def test_default_excludes_apply_at_any_depth(project: Path) -> None:
    make_tree(project, {
        "app.py": "",
        ".venv/lib/site.py": "",
        "node_modules/pkg/flow.yml": "",
        "__pycache__/app.py": "",
        "pkg/__pycache__/mod.py": "",
        "pkg/deep/.venv/x.py": "",
        "pkg/mod.py": "",
        ".contractlint_cache/c.py": "",
        ".tox/py311/t.py": "",
        "build/dist/d.py": "",
        ".git/hooks/h.py": "",
    })
    assert found(discover_here(project)) == ["app.py", "pkg/mod.py"]


def test_exclude_replaces_defaults_and_extend_exclude_adds(project: Path) -> None:
    make_tree(project, {
        "app.py": "", ".venv/v.py": "", "generated/g.py": "", "src/generated/h.py": "",
    })
    assert found(discover_here(project, exclude=["generated"])) == [
        ".venv/v.py", "app.py",
    ]
    assert found(discover_here(project, extend_exclude=["generated"])) == ["app.py"]
    assert found(discover_here(project, exclude=[], respect_gitignore=False)) == [
        ".venv/v.py", "app.py", "generated/g.py", "src/generated/h.py",
    ]


def test_basename_glob_excludes_files_anywhere(project: Path) -> None:
    make_tree(project, {
        "test_top.py": "", "src/test_mod.py": "", "src/mod.py": "", "src/mod_test.py": "",
        "tests/conftest.py": "",
    })
    assert found(discover_here(project, extend_exclude=["test_*.py"])) == [
        "src/mod.py", "src/mod_test.py", "tests/conftest.py",
    ]


def test_slash_pattern_is_anchored_to_project_root(project: Path) -> None:
    make_tree(project, {
        "src/legacy/old.py": "", "src/new.py": "", "lib/src/legacy/kept.py": "",
    })
    expected = ["lib/src/legacy/kept.py", "src/new.py"]
    assert found(discover_here(project, extend_exclude=["src/legacy"])) == expected
    assert found(discover_here(project, extend_exclude=["./src/legacy"])) == expected
    # `./name` has a slash: only the top-level `legacy`, not src/legacy.
    make_tree(project, {"legacy/top.py": ""})
    assert found(discover_here(project, extend_exclude=["./legacy"])) == [
        "lib/src/legacy/kept.py", "src/legacy/old.py", "src/new.py",
    ]


def test_slash_pattern_is_relative_to_project_root_not_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "root"
    make_tree(root, {"pkg/gen/a.py": "", "pkg/b.py": ""})
    monkeypatch.chdir(root / "pkg")
    result = discover(["."], project_root=root, extend_exclude=["pkg/gen"])
    assert found(result) == ["b.py"]
    # Relative to the cwd it would have been `gen`, which matches nothing.
    assert found(discover(["."], project_root=root / "pkg", extend_exclude=["pkg/gen"])) == [
        "b.py", "gen/a.py",
    ]


def test_single_star_does_not_cross_directories(project: Path) -> None:
    make_tree(project, {"src/a.py": "", "src/pkg/b.py": "", "src/pkg/c.yml": ""})
    assert found(discover_here(project, extend_exclude=["src/*.py"])) == [
        "src/pkg/b.py", "src/pkg/c.yml",
    ]
    # `src/*` matches the directory src/pkg, so its contents go with it.
    assert found(discover_here(project, extend_exclude=["src/*"])) == []


def test_double_star_patterns(project: Path) -> None:
    make_tree(project, {
        "src/gen_a.py": "", "src/x/y/gen_b.py": "", "src/x/keep.py": "",
        "fixtures/f.yml": "", "tests/deep/fixtures/g.yml": "", "tests/t.py": "",
        "other/gen_c.py": "",
    })
    assert found(discover_here(project, extend_exclude=["src/**/gen_*.py", "**/fixtures"])) == [
        "other/gen_c.py", "src/x/keep.py", "tests/t.py",
    ]
    assert found(discover_here(project, extend_exclude=["src/**"])) == [
        "fixtures/f.yml", "other/gen_c.py", "tests/deep/fixtures/g.yml", "tests/t.py",
    ]


def test_question_mark_and_brackets_in_excludes(project: Path) -> None:
    make_tree(project, {"v1.py": "", "v2.py": "", "v3.py": "", "vx.py": "", "v10.py": ""})
    assert found(discover_here(project, extend_exclude=["v[1-2].py"])) == [
        "v10.py", "v3.py", "vx.py",
    ]
    assert found(discover_here(project, extend_exclude=["v[!1-2].py"])) == [
        "v1.py", "v10.py", "v2.py",
    ]
    assert found(discover_here(project, extend_exclude=["v?.py"])) == ["v10.py"]


def test_trailing_slash_exclude_matches_directories_only(project: Path) -> None:
    make_tree(project, {"gen.py": "", "gen/inner.py": "", "src/gen/x.py": "", "src/gen.py": ""})
    assert found(discover_here(project, extend_exclude=["gen/"])) == ["gen.py", "src/gen.py"]
    assert found(discover_here(project, extend_exclude=["gen*/"])) == ["gen.py", "src/gen.py"]
    assert found(discover_here(project, extend_exclude=["gen*"])) == []


def test_invalid_exclude_patterns_fail_fast(project: Path) -> None:
    for pattern in ["src/[abc", "x\\", "/", "./", "[[:nope:]]"]:
        with pytest.raises(ValueError):
            discover_here(project, extend_exclude=[pattern])


# ---------------------------------------------------------------------------
# explicit files and force_exclude
# ---------------------------------------------------------------------------


def test_explicit_files_bypass_exclude_and_gitignore(repo: Path) -> None:
    make_tree(repo, {
        ".venv/lib/x.py": "", "ignored.py": "", "vendor/v.py": "", "notes.md": "",
        ".gitignore": "ignored.py\n",
    })
    result = discover_here(
        repo, ".venv/lib/x.py", "ignored.py", "vendor/v.py", "notes.md", extend_exclude=["vendor"]
    )
    assert found(result) == [".venv/lib/x.py", "ignored.py", "vendor/v.py"]
    assert result.missing == ()


def test_force_exclude_applies_exclude_but_not_gitignore_to_explicit_files(repo: Path) -> None:
    make_tree(repo, {
        ".venv/lib/x.py": "", "ignored.py": "", "vendor/v.py": "", "src/ok.py": "",
        ".gitignore": "ignored.py\n",
    })
    result = discover_here(
        repo, ".venv/lib/x.py", "ignored.py", "vendor/v.py", "src/ok.py",
        extend_exclude=["vendor"], force_exclude=True,
    )
    assert found(result) == ["ignored.py", "src/ok.py"]


def test_explicit_excluded_directory_is_walked_unless_force_exclude(project: Path) -> None:
    make_tree(project, {".venv/a.py": "", ".venv/__pycache__/b.py": "", "c.py": ""})
    assert found(discover_here(project, ".venv")) == [".venv/a.py"]
    assert found(discover_here(project, ".venv", force_exclude=True)) == []
    assert found(discover_here(project, ".venv", "c.py", force_exclude=True)) == ["c.py"]


# ---------------------------------------------------------------------------
# glob_match / is_excluded
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "relpath", "expected"),
    [
        ("__init__.py", "pkg/__init__.py", True),
        ("__init__.py", "pkg/__init__.pyi", False),
        ("*.yml", "flows/a/b.yml", True),
        ("tests", "tests/unit/test_a.py", True),  # a directory component
        ("tests", "src/tests.py", False),
        ("test_*.py", "src/test_x.py", True),
        ("tests/*", "tests/test_a.py", True),
        ("tests/*", "tests/unit/test_a.py", True),  # via the directory tests/unit
        ("tests/*", "src/tests/test_a.py", False),  # anchored
        ("tests/*.py", "tests/unit/test_a.py", False),  # `*` stops at `/`
        ("flows/**/*.yml", "flows/x.yml", True),
        ("flows/**/*.yml", "flows/a/b/x.yml", True),
        ("flows/**/*.yml", "other/flows/x.yml", False),
        ("**/conftest.py", "conftest.py", True),
        ("**/conftest.py", "a/b/conftest.py", True),
        ("./scripts/*.py", "scripts/run.py", True),
        ("scripts/*.py", "./scripts/run.py", True),
        ("v?.py", "v1.py", True),
        ("v?.py", "v10.py", False),
        ("[a-c]*.py", "b.py", True),
        ("[!a-c]*.py", "b.py", False),
        ("build/", "build/x.py", True),
        ("build/", "build", False),  # a file named build
        ("build/", "build/", True),
        ("build", "build", True),
    ],
)
def test_glob_match(pattern: str, relpath: str, expected: bool) -> None:
    assert glob_match(pattern, relpath) is expected


def test_glob_match_rejects_invalid_pattern() -> None:
    with pytest.raises(ValueError):
        glob_match("a/[b", "a/b")


def test_is_excluded(project: Path) -> None:
    make_tree(project, {"src/gen/a.py": "", "src/b.py": "", "build/": "", "build.py": ""})
    assert is_excluded(Path("src/gen/a.py"), project, ["src/gen"]) is True
    assert is_excluded(project / "src/gen/a.py", project, ["gen"]) is True
    assert is_excluded(Path("src/b.py"), project, ["src/gen"]) is False
    assert is_excluded(Path("build"), project, ["build/"]) is True
    assert is_excluded(Path("build.py"), project, ["build/"]) is False
    assert is_excluded(Path("src/b.py"), project, DEFAULT_EXCLUDES) is False
    # The project root's own name is not a component to match.
    assert is_excluded(Path("src/b.py"), project, ["project"]) is False
    assert is_excluded(project, project, ["project"]) is False
    assert found(discover_here(project, ".", force_exclude=True, exclude=["project"])) == [
        "build.py", "src/b.py", "src/gen/a.py",
    ]
    # Outside the project root every directory above the path counts.
    outside = project.parent / "elsewhere" / "lib" / "c.py"
    make_tree(project.parent, {"elsewhere/lib/c.py": ""})
    assert is_excluded(outside, project, ["lib"]) is True
    assert is_excluded(outside, project, ["elsewhere/lib"]) is False


# ---------------------------------------------------------------------------
# gitignore
# ---------------------------------------------------------------------------


def test_nested_gitignore_with_negation_deeper_file_wins(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "*.yml\n",
        "a.yml": "", "a.py": "",
        "flows/.gitignore": "!*.yml\nprivate.yml\n",
        "flows/main.yml": "", "flows/private.yml": "",
        "flows/sub/deep.yml": "",
    })
    assert found(discover_here(repo)) == ["a.py", "flows/main.yml", "flows/sub/deep.yml"]


def test_later_lines_override_earlier_ones(repo: Path) -> None:
    make_tree(repo, {".gitignore": "!keep.py\n*.py\n!also.py\n", "keep.py": "", "also.py": ""})
    assert found(discover_here(repo)) == ["also.py"]


def test_directory_only_gitignore_pattern(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "out/\nmodels.py/\n",
        "out/a.py": "", "src/out/b.py": "", "out.py": "", "src/ok.py": "",
        "models.py": "", "pkg/models.py/x.py": "", "pkg/models.py/y.py/z.py": "",
    })
    assert found(discover_here(repo)) == ["models.py", "out.py", "src/ok.py"]


def test_anchored_versus_unanchored_gitignore_patterns(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "/top.py\nconfig.py\ndocs/build\n",
        "top.py": "", "sub/top.py": "",
        "config.py": "", "sub/config.py": "",
        "docs/build/a.py": "", "sub/docs/build/b.py": "",
    })
    assert found(discover_here(repo)) == ["sub/docs/build/b.py", "sub/top.py"]


def test_anchoring_is_relative_to_the_gitignore_directory(repo: Path) -> None:
    make_tree(repo, {
        "pkg/.gitignore": "/gen.py\nsub/x.py\n",
        "gen.py": "", "pkg/gen.py": "", "pkg/deeper/gen.py": "",
        "pkg/sub/x.py": "", "sub/x.py": "",
    })
    assert found(discover_here(repo)) == ["gen.py", "pkg/deeper/gen.py", "sub/x.py"]


def test_file_cannot_be_reincluded_when_parent_directory_is_ignored(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "build/\n!build/keep.py\nlogs/*\n!logs/keep.py\n",
        "build/keep.py": "", "build/other.py": "",
        "logs/keep.py": "", "logs/other.py": "",
        # A deeper .gitignore inside an ignored directory is never read.
        "build/.gitignore": "!keep.py\n",
    })
    assert found(discover_here(repo)) == ["logs/keep.py"]


def test_double_star_gitignore_forms(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "**/gen\nout/**\na/**/z.py\n",
        "gen/a.py": "", "x/y/gen/b.py": "",
        "out/c.py": "", "out/sub/d.py": "",
        "a/z.py": "", "a/b/c/z.py": "", "b/a/z.py": "",
        "keep.py": "",
    })
    assert found(discover_here(repo)) == ["b/a/z.py", "keep.py"]


def test_git_info_exclude_has_lowest_precedence(repo: Path) -> None:
    make_tree(repo, {
        ".git/info/exclude": "# local only\nscratch/\n*.yaml\n",
        ".gitignore": "!keep.yaml\n",
        "scratch/s.py": "", "flow.yaml": "", "keep.yaml": "", "main.py": "",
        "sub/scratch/t.py": "",
    })
    assert found(discover_here(repo)) == ["keep.yaml", "main.py"]


def test_comments_escapes_and_trailing_spaces(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": (
            "# comment.py\n"
            "\\#hash.py\n"
            "\\!bang.py\n"
            "spaced.py   \n"
            "escaped\\ .py\n"
            "crlf.py\r\n"
            "*.yml\n"
            "!\\!keep.yml\n"
        ),
        "# comment.py": "", "#hash.py": "", "!bang.py": "", "spaced.py": "",
        "escaped .py": "", "crlf.py": "", "f.yml": "", "!keep.yml": "", "ok.py": "",
    })
    assert found(discover_here(repo)) == ["!keep.yml", "# comment.py", "ok.py"]


def test_character_ranges_in_gitignore(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "m[0-2].py\nn[!0-2].py\nq?.py\n",
        "m1.py": "", "m3.py": "", "n1.py": "", "n5.py": "", "q1.py": "", "q12.py": "",
    })
    assert found(discover_here(repo)) == ["m3.py", "n1.py", "q12.py"]


def test_ancestor_gitignore_applies_when_walking_a_subdirectory(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "src/gen/\n*.yaml\n",
        "src/.gitignore": "/local.py\n",
        "src/gen/a.py": "", "src/ok.py": "", "src/flow.yaml": "", "src/pkg/local.py": "",
        "src/local.py": "", "src/pkg/m.py": "",
    })
    assert found(discover_here(repo, "src/pkg")) == ["src/pkg/local.py", "src/pkg/m.py"]
    assert found(discover_here(repo, "src")) == ["src/ok.py", "src/pkg/local.py", "src/pkg/m.py"]


def test_explicit_directory_that_is_gitignored_is_still_walked(repo: Path) -> None:
    make_tree(repo, {".gitignore": "build/\n*.tmp.py\n", "build/a.py": "", "build/b.tmp.py": ""})
    assert found(discover_here(repo)) == []
    assert found(discover_here(repo, "build")) == ["build/a.py"]


def test_respect_gitignore_false(repo: Path) -> None:
    make_tree(repo, {".gitignore": "*.py\n", ".git/info/exclude": "*.yml\n", "a.py": "", "b.yml": ""})
    assert found(discover_here(repo)) == []
    assert found(discover_here(repo, respect_gitignore=False)) == ["a.py", "b.yml"]


def test_nested_repository_does_not_inherit_outer_rules(repo: Path) -> None:
    make_tree(repo, {
        ".gitignore": "*.yml\n",
        "outer.yml": "", "outer.py": "",
        "nested/.git/info/exclude": "*.yaml\n",
        "nested/inner.yml": "", "nested/inner.yaml": "",
    })
    assert found(discover_here(repo)) == ["nested/inner.yml", "outer.py"]


def test_outside_a_repository_only_walked_gitignores_apply(tmp_path: Path) -> None:
    make_tree(tmp_path, {
        "outer/.gitignore": "*.py\n",
        "outer/project/.gitignore": "*.yml\n",
        "outer/project/a.py": "", "outer/project/b.yml": "",
        "outer/project/sub/.gitignore": "!c.yml\n",
        "outer/project/sub/c.yml": "",
    })
    project = tmp_path / "outer" / "project"
    result = discover([str(project)], project_root=project)
    assert found(result) == [f"{project.as_posix()}/a.py", f"{project.as_posix()}/sub/c.yml"]


def test_git_file_pointing_at_a_worktree_git_dir(tmp_path: Path) -> None:
    # A linked worktree: `.git` is a file naming a per-worktree git dir whose
    # `commondir` leads to the shared git dir holding info/exclude.
    make_tree(tmp_path, {
        "store/info/exclude": "*.yml\n",
        "store/worktrees/wt/commondir": "../..\n",
        "work/.git": "gitdir: ../store/worktrees/wt\n",
        "work/a.py": "", "work/b.yml": "",
        "sub/.git": "gitdir: ../store\n",
        "sub/c.py": "", "sub/d.yml": "",
        "broken/.git": "nonsense\n",
        "broken/e.yml": "",
    })
    work = tmp_path / "work"
    assert found(discover([str(work)], project_root=work)) == [f"{work.as_posix()}/a.py"]
    sub = tmp_path / "sub"
    assert found(discover([str(sub)], project_root=sub)) == [f"{sub.as_posix()}/c.py"]
    broken = tmp_path / "broken"
    result = discover([str(broken)], project_root=broken)
    assert found(result) == [f"{broken.as_posix()}/e.yml"]
    assert result.errors == (
        (str(broken / ".git"), "not a git directory link (no 'gitdir:' line)"),
    )


def test_project_root_spelled_through_a_symlink(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(tmp_path, {"real/src/gen/a.py": "", "real/src/b.py": ""})
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)
    monkeypatch.chdir(tmp_path / "real")
    result = discover(["."], project_root=tmp_path / "alias", extend_exclude=["src/gen"])
    assert found(result) == ["src/b.py"]
    assert is_excluded(Path("src/gen/a.py"), tmp_path / "alias", ["src/gen"]) is True


def test_unreadable_gitignore_is_reported(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_tree(repo, {".gitignore": "*.py\n", "a.py": ""})
    real_open = open

    def guarded_open(path, *args, **kwargs):
        if os.fspath(path).endswith(".gitignore"):
            raise PermissionError(13, "Permission denied", path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(discovery, "open", guarded_open, raising=False)
    result = discover_here(repo)
    assert found(result) == ["a.py"]
    assert result.errors == (("./.gitignore", "Permission denied"),)


# ---------------------------------------------------------------------------
# Cross-check against real git
# ---------------------------------------------------------------------------

GIT_SCENARIOS = {
    "negation_and_nesting": {
        ".gitignore": "*.yml\n!important.yml\n/build\nlogs/\n",
        "a.yml": "", "important.yml": "", "x/important.yml": "", "x/b.yml": "",
        "build/a.py": "", "src/build/b.py": "", "logs/l.py": "", "src/logs/m.py": "",
        "src/.gitignore": "!*.yml\nsecret*\n",
        "src/c.yml": "", "src/secret.py": "", "src/main.py": "",
    },
    "parent_reinclude_rule": {
        ".gitignore": "dist/\n!dist/keep.py\nout/*\n!out/keep.py\n/lib/**\n!/lib/**/\n!/lib/**/*.py\n",
        "dist/keep.py": "", "dist/x.py": "", "out/keep.py": "", "out/x.py": "",
        "lib/a.py": "", "lib/a.yml": "", "lib/deep/b.py": "", "lib/deep/b.yaml": "",
    },
    "anchoring_and_double_star": {
        ".gitignore": "/root_only.py\nany.py\ndocs/*.py\n**/gen/*.py\nx/**/y.py\nz/**\n",
        "root_only.py": "", "s/root_only.py": "", "any.py": "", "s/t/any.py": "",
        "docs/a.py": "", "docs/sub/b.py": "", "s/docs/c.py": "",
        "gen/d.py": "", "s/gen/e.py": "", "s/gen/sub/f.py": "",
        "x/y.py": "", "x/1/2/y.py": "", "s/x/y.py": "", "z/q.py": "", "z/r/s.py": "",
    },
    "escapes_comments_spaces": {
        ".gitignore": (
            "\ufeffbom.py\n#c.py\n\\#h.py\n\\!b.py\nt.py  \ne\\ .py\ncr.py\r\n  lead.py\n"
            "*.yml\n!\\!keep.yml\ntrail\\ \ntrail2  \n"
        ),
        "bom.py": "", "#c.py": "", "#h.py": "", "!b.py": "", "t.py": "", "e .py": "", "cr.py": "",
        "  lead.py": "", "!keep.yml": "", "x.yml": "", "ok.py": "",
        "trail /a.py": "", "trail/b.py": "", "trail2/c.py": "", "trail2 /d.py": "",
    },
    "brackets_and_classes": {
        ".gitignore": "a[0-2].py\nb[!0-2].py\nc[]x].py\nd[[:digit:]].py\ne[z-a].py\nf[.py\ng?.py\n",
        "a1.py": "", "a5.py": "", "b1.py": "", "b5.py": "", "c].py": "", "cx.py": "", "cy.py": "",
        "d7.py": "", "dx.py": "", "ez.py": "", "ea.py": "", "f[.py": "", "g1.py": "", "gé.py": "",
    },
    "prefix_quirk_and_dir_only": {
        ".gitignore": "p/q**\nm**/n.py\nonly_dir/\nwild*/\n",
        "p/qa/b.py": "", "p/qc.py": "", "p/r.py": "",
        "m/n.py": "", "mx/y/n.py": "", "mn.py": "",
        "only_dir/a.py": "", "s/only_dir/b.py": "", "wild1/c.py": "", "wild.py": "",
    },
    "info_exclude_and_unicode": {
        ".git/info/exclude": "*.yaml\nlocal/\n",
        ".gitignore": "!keep.yaml\nnaïve*\ncaf?.py\ncaf??.py\n",
        "a.yaml": "", "keep.yaml": "", "local/x.py": "", "naïve.py": "", "ñ/naïve_b.yml": "",
        "café.py": "", "日本.py": "",
    },
}


def git_untracked_not_ignored(work_tree: Path) -> list[str]:
    environment = {
        "PATH": os.environ["PATH"],
        "HOME": str(work_tree),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
    }
    listing = subprocess.run(
        ["git", "ls-files", "--others", "--exclude-standard", "-z"],
        cwd=work_tree, env=environment, check=True, capture_output=True,
    ).stdout
    names = [os.fsdecode(raw) for raw in listing.split(b"\0") if raw]
    return sorted(
        (name for name in names if name.endswith(LINTABLE_SUFFIXES)),
        key=lambda name: Path(name).parts,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.parametrize("scenario", sorted(GIT_SCENARIOS))
def test_gitignore_agrees_with_git(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, scenario: str) -> None:
    work_tree = tmp_path / "repo"
    work_tree.mkdir()
    subprocess.run(
        ["git", "init", "-q", str(work_tree)],
        check=True, env={"PATH": os.environ["PATH"], "HOME": str(tmp_path),
                         "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull},
    )
    make_tree(work_tree, GIT_SCENARIOS[scenario])
    monkeypatch.chdir(work_tree)
    expected = git_untracked_not_ignored(work_tree)
    assert found(discover(["."], project_root=work_tree, exclude=())) == expected
    pinned_expectations = {
        "negation_and_nesting": [
            "important.yml", "src/build/b.py", "src/c.yml", "src/main.py", "x/important.yml",
        ],
        "parent_reinclude_rule": ["lib/a.py", "lib/deep/b.py", "out/keep.py"],
        "anchoring_and_double_star": [
            "docs/sub/b.py", "s/docs/c.py", "s/gen/sub/f.py", "s/root_only.py", "s/x/y.py",
        ],
        "escapes_comments_spaces": ["!keep.yml", "#c.py", "ok.py", "trail/b.py", "trail2 /d.py"],
        "brackets_and_classes": [
            "a5.py", "b1.py", "cy.py", "dx.py", "ea.py", "f[.py", "gé.py",
        ],
        "prefix_quirk_and_dir_only": ["p/r.py", "wild.py"],
        "info_exclude_and_unicode": ["keep.yaml", "日本.py"],
    }
    # Pin the expectation too, so a change in git's behaviour is noticed.
    assert expected == sorted(pinned_expectations[scenario], key=lambda name: Path(name).parts)


# ---------------------------------------------------------------------------
# performance
# ---------------------------------------------------------------------------


def test_ten_thousand_files_discovered_quickly(repo: Path) -> None:
    make_tree(repo, {".gitignore": "*.log\n/build/\n**/tmp_*.py\n!keep_*.py\n"})
    for package in range(100):
        directory = repo / "src" / f"pkg{package}" / "sub"
        directory.mkdir(parents=True)
        for module in range(100):
            (directory / f"mod{module}.py").touch()
    (repo / ".venv" / "lib").mkdir(parents=True)
    (repo / ".venv" / "lib" / "x.py").touch()
    started = time.perf_counter()
    result = discover_here(repo)
    elapsed = time.perf_counter() - started
    assert len(result.files) == 10_000
    assert elapsed < 1.0, f"discovery took {elapsed:.2f}s"


@pytest.mark.parametrize(
    "pattern",
    [
        "*a*a*a*a*a*a*a*a*a*a*b",  # exponential for a backtracking regex: over 20 s before
        "**/**/**/**/**/**/**/**/a/**/a/**/a/**/b",
        "[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*[a-z]*9",
    ],
)
def test_hostile_globs_match_in_linear_time(repo: Path, pattern: str) -> None:
    name = "a" * 40
    make_tree(repo, {".gitignore": pattern + "\n", f"{name}.py": "", f"{'/'.join('a' * 30)}/{name}.py": ""})
    started = time.perf_counter()
    result = discover_here(repo)
    excluded = discover_here(repo, exclude=[pattern], respect_gitignore=False)
    assert glob_match(pattern, "a/" * 200 + name) is False
    elapsed = time.perf_counter() - started
    assert found(result) == [f"{'/'.join('a' * 30)}/{name}.py", f"{name}.py"]
    assert len(found(excluded)) == 2
    assert elapsed < 1.0, f"matching took {elapsed:.2f}s"


def test_glob_set_answers_the_last_matching_pattern() -> None:
    from contractlint.globset import GlobSet

    patterns = [discovery._glob_tokens(p) for p in ("*.py", "test_*", "**/x/*.py", "a?c")]
    globs = GlobSet(patterns)
    assert [globs.last_match(text) for text in ("m.py", "test_m.py", "q/x/m.py", "abc", "a/c", "x/m.yml")] == [
        0, 1, 2, 3, -1, -1,
    ]
    from contractlint import globset

    # A DFA that outgrows its cap is rebuilt and still answers the same.
    original = globset.MAX_STATES
    try:
        globset.MAX_STATES = 3
        small = GlobSet(patterns)
        assert [small.last_match(text) for text in ("m.py", "test_m.py", "q/x/m.py", "abc")] == [0, 1, 2, 3]
    finally:
        globset.MAX_STATES = original
