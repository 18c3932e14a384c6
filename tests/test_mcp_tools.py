"""The MCP server's tools called in-process (no SDK): what the end-to-end tests in
test_mcp_server.py do not reach cheaply — fixes that change what another file's check
says, baselines, configuration changes between calls, secret masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from contractlint.mcp_tools import SECRET_MASK, ToolError, Tools, _masked

FLOW = (
    "id: nightly\nnamespace: acme\ntasks:\n  - id: transform\n"
    "    type: io.kestra.plugin.scripts.python.Script\n    script: |\n"
    "      from acme.transform import run\n      run()\n"
)


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src/acme").mkdir(parents=True)
    (tmp_path / "src/acme/__init__.py").write_text("")
    (tmp_path / "src/acme/transform.py").write_text("def run():\n    return 1\n")
    (tmp_path / "flows").mkdir()
    (tmp_path / "flows/nightly.yaml").write_text(FLOW)
    monkeypatch.chdir(tmp_path)  # the server runs in its root
    return tmp_path


def test_a_fix_to_a_module_is_what_the_check_after_sees(root: Path) -> None:
    module = 'import os\n\n\ndef run():\n    return os.environ.get("TZ_NAME", "UTC")\n'
    result = Tools(root).call("fix", {"drafts": [{"path": "src/acme/transform.py", "content": module}], "unsafe": True})
    assert result["files"][0]["content"] == 'import os\n\n\ndef run():\n    return os.environ["TZ_NAME"]\n'
    after = result["after"]
    assert [(f["path"], f["origin"]) for f in after["files"]] == [
        ("src/acme/transform.py", "draft"), ("flows/nightly.yaml", "dependent")]
    assert [(d["code"], d["path"]) for d in after["diagnostics"]] == [("CL203", "flows/nightly.yaml")]
    assert after["deployable"] is False
    assert result["notes"][-1].startswith("flows/nightly.yaml:8:7: CL203 is new after the fixes: a fix made a "
                                          "default into a required read.")
    assert (root / "src/acme/transform.py").read_text() == "def run():\n    return 1\n"


def test_the_configured_baseline_hides_what_it_records(root: Path) -> None:
    from contractlint import baseline
    from contractlint.reporters import RunReport
    from contractlint.workspace import Workspace

    (root / "job.py").write_text("import os\n\nvalue = os.getenv('A', 'b')\n")
    baseline.apply(RunReport(results=[Workspace(root).check("job.py")]), None, root / "baseline.json")
    (root / ".contractlint.toml").write_text('baseline = "baseline.json"\n')
    result = Tools(root).call("check", {"paths": ["job.py"]})
    assert (result["deployable"], result["summary"]["baselined"], result["diagnostics"]) == (True, 1, [])
    assert result["verdict"] == "deployable: nothing blocks in 1 file (1 hidden by the baseline)"


def test_a_configuration_written_between_calls_applies_to_the_next(root: Path) -> None:
    tools = Tools(root)
    draft = {"drafts": [{"path": "job.py", "content": "import os\n\nvalue = os.getenv('A', 'b')\n"}]}
    assert [d["code"] for d in tools.call("check", draft)["diagnostics"]] == ["CL201"]
    (root / "pyproject.toml").write_text('[tool.contractlint]\nignore = ["CL201"]\n')
    assert tools.call("check", draft)["diagnostics"] == []
    (root / "pyproject.toml").write_text('[tool.contractlint]\nselect = [\n')
    with pytest.raises(ToolError, match="^the project's configuration does not load: "):
        tools.call("check", draft)


def test_a_draft_the_settings_exclude_is_not_checked_with_force_exclude(root: Path) -> None:
    (root / ".contractlint.toml").write_text('extend-exclude = ["legacy"]\nforce-exclude = true\n')
    result = Tools(root).call("check", {"drafts": [{"path": "legacy/job.py", "content": "import os\nos.getenv('A', 'b')\n"}]})
    assert (result["deployable"], result["files"]) == (True, [])
    assert result["notes"] == ["legacy/job.py is excluded by the settings (force-exclude): not checked"]


def test_a_missing_path_is_cl000_as_check_reports_it(root: Path) -> None:
    result = Tools(root).call("check", {"paths": ["flows/gone.yaml"]})
    assert [(d["code"], d["message"]) for d in result["diagnostics"]] == [
        ("CL000", "Cannot read file: no such file or directory")]
    assert result["deployable"] is False


def test_a_yaml_file_without_a_flow_is_said_so(root: Path) -> None:
    result = Tools(root).call("check", {"drafts": [{"path": "ci.yaml", "content": "on: push\njobs: {}\n"}]})
    assert result["files"][0]["kind"] == "yaml"
    assert result["notes"] == ["ci.yaml holds no Kestra flow (no document with `id`, `namespace` and `tasks`): "
                               "nothing in it was checked as a flow"]


def test_warming_up_writes_nothing_and_leaves_no_draft(root: Path) -> None:
    tools = Tools(root)
    before = sorted(path.relative_to(root) for path in root.rglob("*"))
    tools.warm_up()
    assert sorted(path.relative_to(root) for path in root.rglob("*")) == before
    assert tools.workspace.drafts == {}


def test_every_string_of_a_result_is_masked() -> None:
    secret = "Zx9-long-secret-value"
    value = {"message": f"token {secret}!", "list": [secret, 3, None], "nested": {"diff": f"+  key: '{secret}'\n"}}
    assert _masked(value, {secret}) == {
        "message": f"token {SECRET_MASK}!", "list": [SECRET_MASK, 3, None], "nested": {"diff": f"+  key: '{SECRET_MASK}'\n"}}


def test_a_multi_line_secret_is_masked_line_by_line(root: Path) -> None:
    flow = (
        "id: keys\nnamespace: acme\ntasks:\n  - id: ssh\n    type: io.kestra.plugin.fs.ssh.Command\n"
        "    host: example.com\n    privateKey: |\n      -----BEGIN KEY-----\n      MIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n"
        "      -----END KEY-----\n    commands:\n      - echo ok\n"
    )
    result = Tools(root).call("check", {"drafts": [{"path": "flows/keys.yaml", "content": flow}]})
    assert [d["code"] for d in result["diagnostics"]] == ["CL403"]
    assert "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" not in json.dumps(result)


def test_unknown_tools_and_a_root_that_is_not_the_working_directory_are_refused(root: Path, tmp_path_factory) -> None:
    with pytest.raises(ToolError, match="^unknown tool 'deploy'; the tools are check, fix, explain_rule, list_rules$"):
        Tools(root).call("deploy", {})
    with pytest.raises(ToolError, match="^the arguments must be a JSON object$"):
        Tools(root).call("check", ["flows"])
    with pytest.raises(ValueError, match="^the tools run in their root"):
        Tools(tmp_path_factory.mktemp("elsewhere"))


def test_a_named_path_that_is_not_a_regular_file_is_refused(root: Path) -> None:
    import os

    os.mkfifo(root / "flows/pipe.yaml")
    with pytest.raises(ToolError, match="^paths\\[0\\]: 'flows/pipe.yaml' is not a regular file or a folder$"):
        Tools(root).call("check", {"paths": ["flows/pipe.yaml"]})


def test_the_corpus_through_the_tools_is_what_check_reports(corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import run_cli

    root = corpus.parent
    cli = run_cli("check", "flows", "--output-format", "json", cwd=root)
    monkeypatch.chdir(root)
    result = Tools(root).call("check", {"paths": ["flows"]})
    expected = json.loads(cli.stdout)
    assert result["diagnostics"] == expected["diagnostics"]
    assert (result["summary"]["files"], result["deployable"]) == (expected["summary"]["files"], cli.code == 0)


def test_a_folder_that_cannot_be_read_is_cl000_as_check_reports_it(root: Path) -> None:
    import os

    if os.geteuid() == 0:
        pytest.skip("root reads every folder")
    locked = root / "flows/locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = Tools(root).call("check", {"paths": ["flows"]})
    finally:
        locked.chmod(0o755)
    assert [(d["code"], d["path"]) for d in result["diagnostics"]] == [("CL000", "flows/locked")]
