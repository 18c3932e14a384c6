"""Where a suppression comment goes (contractlint.add_noqa): on the line where
`suppressions` reads it, appended to an existing `# noqa:`, or on the task's `id:`
line — and never where a `#` would be data."""

from __future__ import annotations

from pathlib import Path

import pytest

from contractlint.add_noqa import noqa_edits
from contractlint.fixes import apply_edits
from contractlint.workspace import Workspace

SCRIPT_TASK = (
    "id: nightly\nnamespace: acme\ntasks:\n  - id: transform{id_comment}\n"
    "    type: io.kestra.plugin.scripts.python.Script\n    script: {script}\n"
)


def suppressions(tmp_path: Path, name: str, text: str) -> tuple[Workspace, list[tuple[str, str]]]:
    workspace = Workspace(tmp_path)
    result = workspace.check(name, text.encode())
    [diagnostic] = [d for d in result.diagnostics if d.code == "CL201"]
    found = noqa_edits(result.source, result, diagnostic, lambda data: workspace.check(name, data))
    return workspace, [(edit.description(diagnostic.span.line),
                        apply_edits(result.source.text, [edit.edit])) for edit in found]


def test_a_module_line_gets_a_comment_and_an_existing_one_is_appended_to(tmp_path: Path) -> None:
    _, found = suppressions(tmp_path, "job.py", "import os\nv = os.getenv('A', 'b')\n")
    assert found == [("Suppress with `# noqa: CL201` on this line",
                      "import os\nv = os.getenv('A', 'b')  # noqa: CL201\n")]
    _, found = suppressions(tmp_path, "job.py", "import os\nv = os.getenv('A', 'b')  # noqa: E501 -- long\n")
    assert found == [("Suppress: add CL201 to the `# noqa` comment on this line",
                      "import os\nv = os.getenv('A', 'b')  # noqa: E501, CL201 -- long\n")]


def test_a_finding_in_a_string_spanning_lines_is_suppressed_on_its_last_line(tmp_path: Path) -> None:
    text = 'import os\nv = (os.getenv("A", """x\ny"""))\n'
    _, found = suppressions(tmp_path, "job.py", text)
    assert found == [("Suppress with `# noqa: CL201` on line 3",
                      'import os\nv = (os.getenv("A", """x\ny"""))  # noqa: CL201\n')]


def test_a_literal_script_line_gets_a_python_comment_and_the_task_its_id_line(tmp_path: Path) -> None:
    text = SCRIPT_TASK.format(id_comment="", script="|\n      import os\n      v = os.getenv('A', 'b')\n")
    _, found = suppressions(tmp_path, "flow.yaml", text)
    assert [description for description, _ in found] == [
        "Suppress with `# noqa: CL201` on this line",
        "Suppress for task 'transform' with `# noqa: CL201` on its `id:` line",
    ]
    assert "      v = os.getenv('A', 'b')  # noqa: CL201\n" in found[0][1]
    assert "  - id: transform  # noqa: CL201\n" in found[1][1]


@pytest.mark.parametrize("script", [
    "\"import os;\n      v = os.getenv('A', 'b')\"\n",  # a quoted scalar spanning lines
    "import os;\n      v = os.getenv('A', 'b')\n",  # a plain one
])
def test_no_comment_goes_where_a_hash_would_be_data(tmp_path: Path, script: str) -> None:
    # The finding is at the `script` key, whose line ends inside the scalar: a `#`
    # there is part of the script. Only the task's id line is offered.
    text = SCRIPT_TASK.format(id_comment="  # keep", script=script)
    workspace, found = suppressions(tmp_path, "flow.yaml", text)
    assert [description for description, _ in found] == [
        "Suppress for task 'transform' with `# noqa: CL201` on its `id:` line"]
    assert "  - id: transform  # keep  # noqa: CL201\n" in found[0][1]
    assert [d.code for d in workspace.check("flow.yaml", found[0][1].encode()).diagnostics] == []
