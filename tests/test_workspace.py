"""The long-lived engine the servers use: drafts stand for files, what changed is read
again, nothing leaves the root, and findings are those of `check`."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from contractlint.workspace import OutsideRoot, Workspace

FLOW = (
    "id: nightly\nnamespace: acme\ntasks:\n  - id: transform\n"
    "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
    "      from acme.transform import run\n      run()\n"
)
MODULE_CLEAN = "def run():\n    return 1\n"
MODULE_READS = "import os\n\n\ndef run():\n    return os.environ[\"PIPELINE_TZ\"]\n"


def project(tmp_path: Path) -> Path:
    (tmp_path / "src/acme").mkdir(parents=True)
    (tmp_path / "src/acme/__init__.py").write_text("")
    (tmp_path / "src/acme/transform.py").write_text(MODULE_CLEAN)
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/nightly.yaml").write_text(FLOW)
    return tmp_path


def codes(result) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.column) for d in result.diagnostics]


def test_a_module_draft_is_what_cl203_follows_until_it_is_dropped(tmp_path: Path) -> None:
    workspace = Workspace(project(tmp_path))
    assert codes(workspace.check("flows/nightly.yaml")) == []
    workspace.set_draft("src/acme/transform.py", MODULE_READS.encode())
    assert workspace.refresh() == [tmp_path.resolve() / "src/acme/transform.py"]
    result = workspace.check("flows/nightly.yaml")
    assert codes(result) == [("CL203", 8, 7)]
    assert "'PIPELINE_TZ' read by src/acme/transform.py:5 (run)" in result.diagnostics[0].message
    workspace.drop_draft("src/acme/transform.py")
    workspace.refresh()
    assert codes(workspace.check("flows/nightly.yaml")) == []


def test_a_draft_of_a_module_that_is_not_on_disk_yet_is_found(tmp_path: Path) -> None:
    workspace = Workspace(project(tmp_path))
    flow = FLOW.replace("acme.transform", "acme.enrich").encode()
    workspace.set_draft("src/acme/enrich.py", MODULE_READS.encode())
    assert codes(workspace.check("flows/draft.yaml", flow)) == [("CL203", 8, 7)]


def test_a_change_on_disk_is_read_again_after_refresh(tmp_path: Path) -> None:
    workspace = Workspace(project(tmp_path))
    assert codes(workspace.check("flows/nightly.yaml")) == []
    module = tmp_path / "src/acme/transform.py"
    module.write_text(MODULE_READS)
    stamp = time.time() + 5  # a later modification time, whatever the clock's resolution
    os.utime(module, (stamp, stamp))
    workspace.refresh()
    assert codes(workspace.check("flows/nightly.yaml")) == [("CL203", 8, 7)]


def test_flows_that_depend_on_a_module_are_found(tmp_path: Path) -> None:
    workspace = Workspace(project(tmp_path))
    (tmp_path / "flows/other.yaml").write_text("id: other\nnamespace: acme\ntasks: []\n")
    found = workspace.dependent_flows("src/acme/transform.py", [Path("flows/nightly.yaml"), Path("flows/other.yaml")])
    assert found == [tmp_path.resolve() / "flows/nightly.yaml"]


@pytest.mark.parametrize("path", ["../outside.yaml", "/etc/passwd", "flows/../../x.py"])
def test_paths_outside_the_root_are_refused(tmp_path: Path, path: str) -> None:
    workspace = Workspace(project(tmp_path / "root"))
    with pytest.raises(OutsideRoot):
        workspace.check(path)


def test_a_symlink_out_of_the_root_is_refused(tmp_path: Path) -> None:
    root = project(tmp_path / "root")
    (tmp_path / "secret.py").write_text("x = 1\n")
    (root / "link.py").symlink_to(tmp_path / "secret.py")
    with pytest.raises(OutsideRoot):
        Workspace(root).check("link.py")


def test_fix_works_in_memory_and_writes_nothing(tmp_path: Path) -> None:
    root = project(tmp_path)
    workspace = Workspace(root)
    source = b"import os\n\nvalue = os.getenv('A', 'b')\n"
    safe = workspace.fix("job.py", source)
    assert (safe.changed, safe.applied) == (False, 0)  # CL201's fix is unsafe
    fixed = workspace.fix("job.py", source, unsafe=True)
    assert fixed.after == b"import os\n\nvalue = os.environ['A']\n"
    assert fixed.applied == 1 and codes(fixed.result) == []
    assert "-value = os.getenv('A', 'b')\n+value = os.environ['A']\n" in fixed.diff
    assert not (root / "job.py").exists()


def test_the_nearest_configuration_applies_and_excludes_hold(tmp_path: Path) -> None:
    root = project(tmp_path)
    (root / "legacy").mkdir()
    (root / "legacy/.contractlint.toml").write_text('ignore = ["CL201"]\nextend-exclude = ["old"]\n')
    module = b"import os\n\nvalue = os.getenv('A', 'b')\n"
    workspace = Workspace(root)
    assert codes(workspace.check("job.py", module)) == [("CL201", 3, 9)]
    assert codes(workspace.check("legacy/job.py", module)) == []
    assert workspace.is_excluded(root / "legacy/old/job.py")
    assert not workspace.is_excluded(root / "legacy/job.py")


def test_a_configuration_that_changes_is_read_again_after_refresh(tmp_path: Path) -> None:
    root = project(tmp_path)
    module = b"import os\n\nvalue = os.getenv('A', 'b')\n"
    workspace = Workspace(root)
    assert codes(workspace.check("job.py", module)) == [("CL201", 3, 9)]
    workspace.refresh()
    (root / ".contractlint.toml").write_text('ignore = ["CL201"]\n')  # a new configuration
    assert workspace.refresh() == [root.resolve() / ".contractlint.toml"]
    assert codes(workspace.check("job.py", module)) == []
    (root / ".contractlint.toml").write_text('ignore = ["CL202"]\n# longer: another size\n')
    workspace.refresh()
    assert codes(workspace.check("job.py", module)) == [("CL201", 3, 9)]
    (root / ".contractlint.toml").unlink()
    assert workspace.refresh() == [root.resolve() / ".contractlint.toml"]
    assert workspace.refresh() == []  # nothing changed since


def test_write_creates_a_new_file_and_its_folders_inside_the_root(tmp_path: Path) -> None:
    root = project(tmp_path)
    workspace = Workspace(root)
    workspace.write("flows/new/etl.yaml", b"id: etl\n")
    assert (root / "flows/new/etl.yaml").read_bytes() == b"id: etl\n"
    assert (root / "flows/new/etl.yaml").stat().st_mode & 0o777 == 0o666 & ~_umask()
    with pytest.raises(OutsideRoot):
        workspace.write("../elsewhere/x.yaml", b"")
    assert not (tmp_path.parent / "elsewhere").exists()


def test_report_applies_the_configured_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = project(tmp_path)
    monkeypatch.chdir(root)  # as a server runs: display paths are relative to the root
    (root / "job.py").write_text("import os\n\nvalue = os.getenv('A', 'b')\n")
    workspace = Workspace(root)
    from contractlint import baseline
    from contractlint.reporters import RunReport

    baseline.apply(RunReport(results=[workspace.check("job.py")]), None, root / "baseline.json")
    (root / ".contractlint.toml").write_text('baseline = "baseline.json"\n')
    workspace.refresh()
    report = workspace.report([workspace.check("job.py")])
    assert (report.diagnostics, report.baselined) == ([], 1)


def test_flows_importing_a_module_reads_drafts_and_stays_in_the_root(tmp_path: Path) -> None:
    root = project(tmp_path)
    workspace = Workspace(root)
    workspace.set_draft("flows/draft.yaml", FLOW.replace("id: nightly", "id: draft").encode())
    found = workspace.flows_importing([root / "src/acme/transform.py"])
    assert [(d.flow.name, d.module) for d in found] == [("draft.yaml", "acme.transform"), ("nightly.yaml", "acme.transform")]
    skipped = workspace.flows_importing([root / "src/acme/transform.py"], skip={(root / "flows/nightly.yaml").resolve()})
    assert [d.flow.name for d in skipped] == ["draft.yaml"]


def test_discover_leaves_out_what_a_symlink_leads_out_of_the_root(tmp_path: Path) -> None:
    root = project(tmp_path / "root")
    (tmp_path / "outside.yaml").write_text("id: x\nnamespace: y\ntasks: []\n")
    (root / "flows/link.yaml").symlink_to(tmp_path / "outside.yaml")
    found = Workspace(root).discover([root / "flows"])
    assert [path.name for path in found.files] == ["nightly.yaml"]


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def test_findings_do_not_depend_on_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # per-file-ignores globs and display paths are relative to the configuration and
    # the root, whatever folder the server was started in.
    root = project(tmp_path / "root")
    (root / ".contractlint.toml").write_text('per-file-ignores = { "legacy/*" = ["CL201"] }\n')
    (root / "legacy").mkdir()
    module = b"import os\n\nvalue = os.getenv('A', 'b')\n"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (root, elsewhere):
        monkeypatch.chdir(cwd)
        workspace = Workspace(root)
        assert codes(workspace.check("legacy/job.py", module)) == []
        result = workspace.check("job.py", module)
        assert (result.path, [d.path for d in result.diagnostics]) == ("job.py", ["job.py"])
        assert workspace.absolute(result.path) == root.resolve() / "job.py"

