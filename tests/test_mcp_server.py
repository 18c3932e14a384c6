"""`contractlint mcp` end to end: the server started as a subprocess, spoken to with the
MCP SDK's own stdio client (and, for what no client would send, raw JSON-RPC lines).

One server serves the whole module, as one serves an agent's session: the tests share
its warm workspace, and that it keeps serving after every bad request is part of what
they check. CI installs the SDK with the test extra, so these never skip there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO, run_cli

mcp = pytest.importorskip("mcp", reason="the MCP SDK (the test extra installs it)")

import anyio.from_thread  # noqa: E402 - the SDK's own dependency, there when the SDK is
from jsonschema import Draft202012Validator  # noqa: E402

SECRET = "s3cr3t-Value-9XQ-hunter2"

# A flow with a safe fix (CL401: the env key its plugin default already gives) and an
# unsafe one (CL201: a default for a variable), after a line with multi-byte characters.
BAD_FLOW = """\
id: orders_etl
namespace: acme.sales
pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      env:
        REGION: eu
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    env:
      REGION: eu
    script: |
      import os
      print("café ✓", os.environ.get("REGION", "eu"))
"""
FIXED_FLOW = """\
id: orders_etl
namespace: acme.sales
pluginDefaults:
  - type: io.kestra.plugin.scripts.python
    values:
      env:
        REGION: eu
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    script: |
      import os
      print("café ✓", os.environ["REGION"])
"""
ENRICH_FLOW = """\
id: enrich
namespace: acme.sales
tasks:
  - id: enrich
    type: io.kestra.plugin.scripts.python.Script
    script: |
      from acme.enrich import run
      run()
"""
ENRICH_MODULE = 'import os\n\n\ndef run():\n    return os.environ["PIPELINE_TZ"]\n'
SECRET_FLOW = f"""\
id: sync
namespace: acme.sales
tasks:
  - id: sync
    type: io.kestra.plugin.scripts.python.Script
    env:
      API_TOKEN: "{SECRET}"
      REGION: eu
    script: |
      import os
      print(os.environ.get("REGION", "eu"))
"""


class Session:
    """The SDK's client over stdio, driven from synchronous tests through a portal."""

    def __init__(self, portal: Any, client: Any) -> None:
        self.portal = portal
        self.client = client
        self.tools = {tool.name: tool for tool in portal.call(client.list_tools).tools}

    def call(self, name: str, arguments: dict[str, Any]) -> Any:
        result = self.portal.call(self.client.call_tool, name, arguments)
        if not result.is_error:
            # The client validated it already; check it against the listed schema too.
            Draft202012Validator(self.tools[name].output_schema).validate(result.structured_content)
            assert json.loads(result.content[0].text) == result.structured_content
        return result

    def check(self, **arguments: Any) -> dict[str, Any]:
        result = self.call("check", arguments)
        assert not result.is_error, result.content[0].text
        return result.structured_content

    def error(self, name: str, arguments: dict[str, Any]) -> str:
        result = self.call(name, arguments)
        assert result.is_error
        assert result.structured_content is None
        return result.content[0].text


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mcp") / "project"
    (root / "src/acme").mkdir(parents=True)
    (root / "src/acme/__init__.py").write_text("")
    (root / "src/acme/transform.py").write_text("def run():\n    return 1\n")
    (root / "flows").mkdir()
    (root / "flows/nightly.yaml").write_text(
        "id: nightly\nnamespace: acme\ntasks:\n  - id: transform\n    type: io.kestra.plugin.scripts.python.Script\n"
        "    script: |\n      from acme.transform import run\n      run()\n"
    )
    (root.parent / "outside.yaml").write_text("id: outside\nnamespace: acme\ntasks: []\n")
    (root / "flows/escape.yaml").symlink_to(root.parent / "outside.yaml")
    return root


@pytest.fixture(scope="module")
def session(project: Path) -> Iterator[Session]:
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(
        command=sys.executable, args=["-m", "contractlint", "mcp", "--root", str(project)], cwd=str(REPO),
        env={"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else None,
    )
    with anyio.from_thread.start_blocking_portal() as portal:
        with portal.wrap_async_context_manager(Client(params, read_timeout_seconds=60)) as client:
            yield Session(portal, client)


def test_the_tools_are_listed_with_schemas_and_annotations(session: Session) -> None:
    tools = session.tools
    assert sorted(tools) == ["check", "explain_rule", "fix", "list_rules"]
    for name in ("check", "explain_rule", "list_rules"):
        hints = tools[name].annotations
        assert (hints.read_only_hint, hints.open_world_hint) == (True, False)
    fix = tools["fix"].annotations
    assert (fix.read_only_hint, fix.destructive_hint, fix.idempotent_hint) == (False, True, True)
    check = tools["check"]
    assert sorted(check.input_schema["properties"]) == ["drafts", "paths"]
    assert check.input_schema["properties"]["drafts"]["items"]["required"] == ["path", "content"]
    assert sorted(tools["fix"].input_schema["properties"]) == ["drafts", "paths", "unsafe", "write"]
    published = json.loads((REPO / "contractlint/schemas/check-output.schema.json").read_text())
    assert check.output_schema["$defs"]["diagnostic"] == published["$defs"]["diagnostic"]
    assert check.output_schema["properties"]["diagnostics"]["items"] == {"$ref": "#/$defs/diagnostic"}
    for tool in tools.values():
        assert tool.description and tool.input_schema["type"] == "object" and tool.output_schema["type"] == "object"
        Draft202012Validator.check_schema(tool.output_schema)


def test_a_bad_flow_draft_is_not_deployable_with_exact_positions(session: Session, project: Path) -> None:
    result = session.check(drafts=[{"path": "flows/orders_etl.yaml", "content": BAD_FLOW}])
    assert result["deployable"] is False
    found = [(d["code"], d["line"], d["column"], d["end_line"], d["end_column"]) for d in result["diagnostics"]]
    assert found == [("CL401", 12, 7, 12, 13), ("CL201", 15, 23, 15, 53)]  # columns in code points (é, ✓)
    assert [d["fix"]["applicability"] for d in result["diagnostics"]] == ["safe", "unsafe"]
    assert result["diagnostics"][1]["flow"] == "acme.sales.orders_etl"
    assert result["diagnostics"][1]["task"] == "load"
    assert result["verdict"] == (
        "not deployable: 2 findings block in flows/orders_etl.yaml (CL201, CL401); 1 with a safe fix (call fix), "
        "1 with an unsafe fix (fix with unsafe=true; review the diff); then check again"
    )
    assert result["rules"]["CL201"]["reason"].startswith("Read the variable with `os.environ[\"KEY\"]`")
    assert (result["rules"]["CL401"]["fixable"], result["rules"]["CL201"]["unsafe_fixable"]) == (1, 1)
    assert result["files"] == [{"path": "flows/orders_etl.yaml", "origin": "draft", "kind": "flow",
                                "diagnostics": 2, "blocking": 2, "why": None}]
    assert not (project / "flows/orders_etl.yaml").exists()  # a draft is never written
    # One engine: what `check --stdin-filename` says of the same content, field for field.
    cli = run_cli("check", "--output-format", "json", "--stdin-filename", "flows/orders_etl.yaml", cwd=project,
                  stdin=BAD_FLOW.encode())
    assert cli.code == 1
    assert json.loads(cli.stdout)["diagnostics"] == result["diagnostics"]


def test_fix_then_check_again_is_deployable(session: Session, project: Path) -> None:
    draft = [{"path": "flows/orders_etl.yaml", "content": BAD_FLOW}]
    safe = session.call("fix", {"drafts": draft}).structured_content
    assert (safe["applied"], safe["unsafe"], safe["written"]) == (1, False, [])
    assert safe["after"]["deployable"] is False  # CL201's fix is unsafe: not applied by default
    assert [d["code"] for d in safe["after"]["diagnostics"]] == ["CL201"]

    fixed = session.call("fix", {"drafts": draft, "unsafe": True}).structured_content
    [entry] = fixed["files"]
    assert (entry["path"], entry["changed"], entry["applied"], entry["written"]) == (
        "flows/orders_etl.yaml", True, 2, False)
    assert entry["content"] == FIXED_FLOW
    assert fixed["diff"] == entry["diff"] == (
        "--- a/flows/orders_etl.yaml\n+++ b/flows/orders_etl.yaml\n@@ -8,8 +8,6 @@\n tasks:\n   - id: load\n"
        "     type: io.kestra.plugin.scripts.python.Script\n-    env:\n-      REGION: eu\n     script: |\n"
        "       import os\n-      print(\"café ✓\", os.environ.get(\"REGION\", \"eu\"))\n"
        "+      print(\"café ✓\", os.environ[\"REGION\"])\n"
    )
    assert fixed["after"]["deployable"] is True
    assert not (project / "flows/orders_etl.yaml").exists()

    again = session.check(drafts=[{"path": "flows/orders_etl.yaml", "content": entry["content"]}])
    assert (again["deployable"], again["diagnostics"], again["verdict"]) == (
        True, [], "deployable: nothing blocks in 1 file")


def test_a_draft_flow_and_the_draft_module_it_calls_are_checked_together(session: Session) -> None:
    flow = {"path": "flows/enrich.yaml", "content": ENRICH_FLOW}
    module = {"path": "src/acme/enrich.py", "content": ENRICH_MODULE}
    together = session.check(drafts=[flow, module])
    assert [(d["code"], d["path"], d["line"], d["column"]) for d in together["diagnostics"]] == [
        ("CL203", "flows/enrich.yaml", 8, 7)]
    assert "'PIPELINE_TZ' read by src/acme/enrich.py:5 (run)" in together["diagnostics"][0]["message"]
    assert [(f["path"], f["origin"], f["kind"]) for f in together["files"]] == [
        ("flows/enrich.yaml", "draft", "flow"), ("src/acme/enrich.py", "draft", "module")]
    # The module draft was for that call only: alone, the flow's import leads nowhere.
    alone = session.check(drafts=[flow])
    assert (alone["deployable"], alone["diagnostics"]) == (True, [])
    assert alone["notes"] == [
        "flows/enrich.yaml imports acme.enrich, which no `src` root holds: CL203 cannot check what it reads"]


def test_a_module_draft_checks_the_flows_on_disk_that_import_it(session: Session) -> None:
    changed = {"path": "src/acme/transform.py", "content": 'import os\n\n\ndef run():\n    return os.environ["TZ_NAME"]\n'}
    result = session.check(drafts=[changed])
    assert result["deployable"] is False
    assert [(f["path"], f["origin"], f["why"]) for f in result["files"]] == [
        ("src/acme/transform.py", "draft", None),
        ("flows/nightly.yaml", "dependent", "it imports acme.transform (src/acme/transform.py)"),
    ]
    assert [(d["code"], d["path"], d["line"]) for d in result["diagnostics"]] == [("CL203", "flows/nightly.yaml", 8)]
    assert result["notes"] == ["flows/nightly.yaml is checked too: it imports acme.transform (src/acme/transform.py)"]
    on_disk = session.check(paths=["flows"])  # the module on disk is unchanged: nothing blocks
    assert on_disk["deployable"] is True
    walked = [f["path"] for f in on_disk["files"]]
    assert "flows/nightly.yaml" in walked and "flows/escape.yaml" not in walked  # that symlink leaves the root


def test_paths_outside_the_root_are_refused(session: Session, project: Path) -> None:
    for arguments, where in [
        ({"drafts": [{"path": "../outside.yaml", "content": "id: x\n"}]}, "drafts[0].path: '../outside.yaml'"),
        ({"paths": ["/etc/passwd"]}, "paths[0]: '/etc/passwd'"),
        ({"paths": ["flows/escape.yaml"]}, "paths[0]: 'flows/escape.yaml'"),  # a symlink out of the root
        ({"paths": ["flows/../../outside.yaml"]}, "paths[0]: 'flows/../../outside.yaml'"),
    ]:
        message = session.error("check", arguments)
        assert message == (f"{where} is outside the project root {project.resolve()}: only files inside it are "
                           "read or written")
    message = session.error("fix", {"drafts": [{"path": "../outside.yaml", "content": "id: x\n"}], "write": True})
    assert message.startswith("drafts[0].path: '../outside.yaml' is outside the project root")
    assert (project.parent / "outside.yaml").read_text() == "id: outside\nnamespace: acme\ntasks: []\n"
    assert session.check(paths=["flows/nightly.yaml"])["deployable"] is True  # still serving


@pytest.mark.parametrize(("arguments", "message"), [
    ({"drafts": "id: x"}, "invalid arguments for check: drafts must be an array"),
    ({"drafts": [{"path": "a.yaml"}]}, "invalid arguments for check: drafts[0] needs 'content'"),
    ({"draft": []}, "invalid arguments for check: arguments has unknown key 'draft' (known: drafts, paths)"),
    ({"paths": [3]}, "invalid arguments for check: paths[0] must be a string"),
    ({}, "nothing to check: give `drafts` (files you are about to write, with their content), `paths` (files or "
         "folders in the project), or both"),
    ({"drafts": [{"path": "notes.txt", "content": "x"}]},
     "drafts[0].path: 'notes.txt' is not a .yaml, .yml or .py name: the suffix says whether the content is a flow "
     "or a module"),
    ({"drafts": [{"path": "a.py", "content": "x = 1\x00"}]},
     "drafts[0].content: contains a NUL character: binary content is not checked"),
    ({"drafts": [{"path": "a.py", "content": "#" * (1024 * 1024 + 1)}]},
     "drafts[0].content: 1048577 bytes; the limit is 1048576 bytes (1 MiB)"),
    ({"drafts": [{"path": "a.py", "content": "x"}, {"path": "./a.py", "content": "y"}]},
     "drafts[1].path: the same file as drafts[0].path"),
])
def test_malformed_arguments_are_tool_errors_and_the_server_keeps_serving(
    session: Session, arguments: dict[str, Any], message: str
) -> None:
    assert session.error("check", arguments) == message
    assert session.check(drafts=[{"path": "ok.py", "content": "x = 1\n"}])["deployable"] is True


def test_a_secret_never_appears_in_any_result(session: Session, project: Path) -> None:
    draft = [{"path": "flows/sync.yaml", "content": SECRET_FLOW}]
    results = [
        session.call("check", {"drafts": draft}),
        session.call("fix", {"drafts": draft, "unsafe": True}),
        session.call("fix", {"drafts": draft, "unsafe": True, "write": True}),
        session.call("check", {"paths": ["flows/sync.yaml"]}),
        session.call("explain_rule", {"rule": "CL403"}),
        session.call("check", {"drafts": [{"path": "flows/sync.yaml", "content": SECRET_FLOW + "  - id: [\n"}]}),
        session.call("check", {"drafts": [{"path": "flows/sync.yaml", "content": 7}]}),
        session.call("check", {"drafts": SECRET_FLOW}),
    ]
    for result in results:
        assert SECRET not in result.model_dump_json(), result.model_dump_json()[:2000]
        assert "hunter2" not in result.model_dump_json()
    checked = results[0].structured_content
    assert [d["code"] for d in checked["diagnostics"]] == ["CL402", "CL403", "CL201"]
    fixed = results[1].structured_content["files"][0]
    assert (fixed["changed"], fixed["content"]) == (True, None)
    assert fixed["withheld"].startswith("the file holds a literal secret (CL403, line 7), which no result shows")
    assert "+      print(os.environ[\"REGION\"])" in fixed["diff"]
    # Written when asked, the file has the secret (it is the user's file) and the result does not.
    assert results[2].structured_content["written"] == ["flows/sync.yaml"]
    assert SECRET in (project / "flows/sync.yaml").read_text()
    assert 'print(os.environ["REGION"])' in (project / "flows/sync.yaml").read_text()


def test_fix_writes_only_when_asked(session: Session, project: Path) -> None:
    draft = [{"path": "flows/new/orders.yaml", "content": BAD_FLOW}]
    session.call("fix", {"drafts": draft, "unsafe": True})
    assert not (project / "flows/new").exists()
    written = session.call("fix", {"drafts": draft, "unsafe": True, "write": True}).structured_content
    assert written["written"] == ["flows/new/orders.yaml"] and written["files"][0]["written"] is True
    assert (project / "flows/new/orders.yaml").read_text() == FIXED_FLOW
    again = session.call("fix", {"paths": ["flows/new/orders.yaml"], "unsafe": True, "write": True}).structured_content
    assert (again["applied"], again["written"], again["after"]["deployable"]) == (0, [], True)  # idempotent


def test_explain_and_list_rules(session: Session) -> None:
    from contractlint import docs
    from contractlint.rules import rule_by_code_or_name

    explained = session.call("explain_rule", {"rule": "env-not-provided"}).structured_content
    assert {key: value for key, value in explained.items() if key not in ("fix_text", "contract_text")} == (
        docs.rule_json(rule_by_code_or_name("CL203")))
    listed = session.call("list_rules", {"prefix": "cl2", "path": "flows"}).structured_content
    assert [(r["code"], r["enabled"]) for r in listed["rules"]] == [("CL201", True), ("CL202", True), ("CL203", True)]
    assert session.error("explain_rule", {"rule": "CL2"}) == "'CL2' names several rules: list_rules with prefix='CL2' lists them"
    assert session.error("explain_rule", {"rule": "env-not-provded"}) == (
        "unknown rule 'env-not-provded'; did you mean env-not-provided? (list_rules lists them)")


def test_raw_json_rpc_that_does_not_parse_is_answered_and_the_server_keeps_serving(project: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "contractlint", "mcp", "--root", str(project)], cwd=REPO,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8",
    )

    def exchange(line: str) -> dict[str, Any]:
        process.stdin.write(line + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    try:
        initialized = exchange(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}))
        assert initialized["result"]["serverInfo"]["name"] == "contractlint"
        process.stdin.write(json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n\n")
        assert exchange('{"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {') == {
            "jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error: not JSON"}}
        assert exchange(json.dumps({"jsonrpc": "2.0", "id": 3, "method": 42})) == {
            "jsonrpc": "2.0", "id": 3, "error": {"code": -32600,
                                                  "message": "Invalid Request: not a JSON-RPC 2.0 request, "
                                                             "notification or response"}}
        unknown = exchange(json.dumps({"jsonrpc": "2.0", "id": 4, "method": "tools/call",
                                       "params": {"name": "deploy", "arguments": {}}}))
        assert unknown["error"] == {"code": -32602, "message": "Unknown tool: deploy"}
        listed = exchange(json.dumps({"jsonrpc": "2.0", "id": 5, "method": "tools/list"}))
        assert [tool["name"] for tool in listed["result"]["tools"]] == ["check", "fix", "explain_rule", "list_rules"]
        called = exchange(json.dumps({"jsonrpc": "2.0", "id": 6, "method": "tools/call", "params": {
            "name": "check", "arguments": {"paths": ["flows/nightly.yaml"]}}}))
        assert called["result"]["structuredContent"]["deployable"] is True
    finally:
        process.stdin.close()
        assert process.wait(timeout=30) == 0
        process.stdout.close()
        process.stderr.close()


def test_without_the_sdk_the_command_exits_2_naming_the_extra(tmp_path: Path) -> None:
    blocker = (
        "import sys\n"
        "class Blocker:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'mcp' or name.startswith('mcp.'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "sys.meta_path.insert(0, Blocker())\n"
        "from contractlint.cli import main\n"
        "main(['mcp', '--root', sys.argv[1]])\n"
    )
    process = subprocess.run([sys.executable, "-c", blocker, str(tmp_path)], cwd=REPO, capture_output=True,
                             text=True, timeout=60, check=False)
    assert (process.returncode, process.stdout) == (2, "")
    assert process.stderr == ("error: `contractlint mcp` needs the 'mcp' package, which is not installed (No module "
                              "named 'mcp'): pip install 'contractlint[mcp]'\n")


def test_check_never_imports_the_sdk(tmp_path: Path) -> None:
    (tmp_path / "flow.yaml").write_text("id: a\nnamespace: b\ntasks: []\n")
    probe = (
        "import sys\n"
        "from contractlint.cli import main\n"
        "try:\n"
        "    main(['check', sys.argv[1]])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] in ('mcp', 'mcp_types', 'pydantic')))\n"
    )
    process = subprocess.run([sys.executable, "-c", probe, str(tmp_path / "flow.yaml")], cwd=REPO,
                             capture_output=True, text=True, timeout=60, check=False)
    assert process.stdout.splitlines()[-1] == "[]"


def test_the_readme_registers_the_server_as_it_is_started() -> None:
    import re

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## For agents: `contractlint mcp`"):readme.index("## Configuration")]
    [block] = re.findall(r"```json\n(.*?)```", section, re.DOTALL)
    server = json.loads(block)["mcpServers"]["contractlint"]
    assert (server["command"], server["args"][:2]) == ("contractlint", ["mcp", "--root"])
    assert 'claude mcp add contractlint -- contractlint mcp --root "$PWD"' in section
    for tool in ("check", "fix", "explain_rule", "list_rules"):
        assert f"| `{tool}` |" in section
