"""The 399 public Kestra blueprints: every flow loads, every Python task is found
(nested ones included), and linting all of them raises nothing.

Skipped when ../shared (not part of a user's clone) is absent."""

from __future__ import annotations

import json
from pathlib import Path

from ruamel.yaml import YAML

from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import build_flow, is_flow_root
from contractlint.python.inline import PYTHON_SCRIPT_TYPES, inline_python
from contractlint.source import SourceFile


def corpus_files(corpus: Path) -> list[Path]:
    return sorted([*corpus.glob("*.yaml"), *corpus.glob("*.yml")])


def script_tasks_in_data(data, inside_defaults: bool = False) -> int:
    """An independent count: every mapping whose type is a Python Script task, found by
    walking plain data (not our task walker), outside pluginDefaults."""
    if isinstance(data, dict):
        own = int(not inside_defaults and data.get("type") in PYTHON_SCRIPT_TYPES and "script" in data)
        return own + sum(
            script_tasks_in_data(value, inside_defaults or key in ("pluginDefaults", "taskDefaults"))
            for key, value in data.items()
        )
    if isinstance(data, list):
        return sum(script_tasks_in_data(item, inside_defaults) for item in data)
    return 0


def test_every_corpus_flow_loads_and_every_python_task_is_found(corpus: Path) -> None:
    files = corpus_files(corpus)
    assert len(files) == 399
    loader = YAML(typ="safe", pure=True)
    found_scripts = expected_scripts = nested = exact = 0
    for path in files:
        source = SourceFile.from_bytes(path.name, path.read_bytes())
        documents = yn.compose_documents(source)
        assert len(documents) == 1 and is_flow_root(documents[0]), path.name
        flow = build_flow(source, documents[0])
        assert flow.id and flow.namespace and flow.tasks, path.name
        codes = list(inline_python(flow))
        found_scripts += sum(1 for code in codes if code.label == "script")
        nested += sum(1 for code in codes if code.task.parent is not None)
        exact += sum(1 for code in codes if code.code_map.exact)
        expected_scripts += script_tasks_in_data(loader.load(path.read_text("utf-8")))
        for code in codes:
            code.parse()  # every inline script in the corpus parses after masking
    assert found_scripts == expected_scripts == 74
    assert nested >= 13  # scripts inside ForEach / If / WorkingDirectory / Parallel …
    assert exact == found_scripts + 3  # every script is a `|` block; 3 inputFiles .py entries too


def test_linting_the_whole_corpus_raises_nothing(cli, corpus: Path, tmp_path: Path) -> None:
    result = cli("check", str(corpus), "--format", "json", "--extend-select", "CL900", cwd=tmp_path)
    assert result.code in (0, 1), result.stderr
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 399
    assert not [d for d in report["diagnostics"] if d["code"] in ("CL000", "CL001", "CL003")]
    # The report matches the JSON Schema this repository publishes for it.
    from jsonschema import Draft202012Validator

    schema = json.loads((Path(__file__).resolve().parents[1] / "contractlint/schemas/check-output.schema.json")
                        .read_text("utf-8"))
    assert not list(Draft202012Validator(schema).iter_errors(report))
