"""Positions inside inline scripts map exactly to the YAML file: block scalar styles,
indentation indicators, chomping, CRLF, BOM, tabs and multi-byte characters."""

from __future__ import annotations

import pytest

from contractlint.flow import yaml_nodes as yn
from contractlint.flow.model import build_flow
from contractlint.python.inline import inline_python
from contractlint.python.pebble import find_pebble, mask
from contractlint.source import SourceFile

HEAD = "id: a\nnamespace: company.team\ntasks:\n  - id: t\n    type: io.kestra.plugin.scripts.python.Script\n"


def codes_of(text: str, newline: str = "\n", bom: bool = False):
    data = ("\ufeff" if bom else "") + text.replace("\n", newline)
    source = SourceFile.from_bytes("f.yaml", data.encode("utf-8"))
    flow = build_flow(source, yn.compose_documents(source)[0])
    return source, list(inline_python(flow))


def file_text_at(source: SourceFile, line: int, column: int, length: int) -> str:
    start = source.offset(line, column)
    return source.text[start : start + length]


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize(
    ("block", "code_line", "code_column", "word"),
    [
        ("    script: |\n      import os\n      print('héllo', os.environ['KÉY'])\n", 2, 16, "os.environ"),
        ("    script: |-\n      x = 1\n\n      y = '日本語' + z\n", 3, 13, "z"),
        ("    script: |+\n      x = 1\n\n      y = 2\n\n", 3, 5, "2"),
        ("    script: |2\n        x = 1\n      yy = 2\n", 2, 1, "yy"),
        ("    script: |  # a comment on the header\n      a = 1\n      b = 'ü'\n", 2, 1, "b"),
        ("    script: |\n\n\n      late = 1\n", 3, 1, "late"),
        ("    script: |\n      x\t= 'tab'\n", 1, 4, " 'tab'"),
    ],
)
def test_literal_block_positions_are_exact(block, code_line, code_column, word, newline, bom) -> None:
    source, codes = codes_of(HEAD + block, newline, bom)
    (code,) = codes
    assert code.code_map.exact
    span = code.file_span(code_line, code_column, code_line, code_column + len(word))
    code_offset = code.code_offset(code_line, code_column)
    assert code.text[code_offset : code_offset + len(word)] == word
    assert file_text_at(source, span.line, span.column, len(word)) == word


@pytest.mark.parametrize(
    "block",
    [
        "    script: >\n      x = 1\n      y = 2\n",
        '    script: "import os\\nprint(1)"\n',
        "    script: print(1)\n",
        "    script: 'print(1)'\n",
    ],
)
def test_other_scalar_styles_point_at_the_key(block) -> None:
    _, codes = codes_of(HEAD + block)
    (code,) = codes
    assert not code.code_map.exact
    assert code.file_span(1, 3, 1, 5) == code.code_map.anchor
    assert (code.code_map.anchor.line, code.code_map.anchor.column) == (6, 5)
    assert code.message_suffix(2) == " (script line 2)"


def test_input_files_python_entries_are_inline_code_whatever_the_task_type() -> None:
    text = (
        "id: a\nnamespace: company.team\ntasks:\n  - id: shell\n    type: io.kestra.plugin.scripts.shell.Commands\n"
        "    inputFiles:\n      main.py: |\n        print(1)\n      data.csv: |\n        a,b\n"
        "    commands:\n      - python main.py\n"
        "  - id: legacy\n    type: io.kestra.core.tasks.scripts.Python\n    inputFiles:\n      main.py: print(2)\n"
    )
    _, codes = codes_of(text)
    assert [(c.task.id, c.label, c.code_map.exact) for c in codes] == [
        ("shell", "inputFiles.main.py", True),
        ("legacy", "inputFiles.main.py", False),
    ]


def test_nested_script_tasks_are_found() -> None:
    text = (
        "id: a\nnamespace: company.team\ntasks:\n  - id: loop\n    type: io.kestra.plugin.core.flow.ForEach\n"
        "    values: [1, 2]\n    tasks:\n      - id: branch\n        type: io.kestra.plugin.core.flow.If\n"
        "        condition: '{{ true }}'\n        then:\n          - id: deep\n"
        "            type: io.kestra.plugin.scripts.python.Script\n            script: |\n              print('deep')\n"
        "errors:\n  - id: on_error\n    type: io.kestra.plugin.scripts.python.Script\n    script: print('err')\n"
    )
    source, codes = codes_of(text)
    assert [c.task.id for c in codes] == ["deep", "on_error"]
    deep = codes[0]
    span = deep.file_span(1, 1, 1, 6)
    assert file_text_at(source, span.line, span.column, 5) == "print"
    assert deep.task.location == "tasks[0].tasks[0].then[0]"


class TestPebbleMasking:
    def test_masking_keeps_every_other_character_in_place(self) -> None:
        script = "x = {{ inputs.n }}\ny = '{{ inputs[\"k\"] }}'\nz = 1\n"
        masked = mask(script, find_pebble(script))
        assert len(masked) == len(script)
        assert masked.splitlines()[2] == "z = 1"
        expression, quoted = "{{ inputs.n }}", '{{ inputs["k"] }}'
        assert masked == f"x = {'_' * len(expression)}\ny = '{'_' * len(quoted)}'\nz = 1\n"

    def test_tags_alone_on_a_line_become_blank_lines(self) -> None:
        script = "for_x = 1\n  {% if inputs.go %}\nprint(1)\n{%- endif -%}\n"
        masked = mask(script, find_pebble(script))
        assert masked == f"for_x = 1\n{' ' * len('  {% if inputs.go %}')}\nprint(1)\n{' ' * len('{%- endif -%}')}\n"

    def test_multiline_expression_becomes_a_tuple(self) -> None:
        script = "y = {{ foo(\n  1) }}.bar\n"
        masked = mask(script, find_pebble(script))
        # "{{ foo(" → "(" + "_" * 6; "  1) }}" → "," + "_" * 5 + ")"
        assert masked == "y = (______\n,_____).bar\n"
        compile(masked, "<masked>", "exec")

    def test_closing_delimiter_inside_a_pebble_string_is_not_the_end(self) -> None:
        spans = find_pebble("a = '{{ \"}}\" ~ x }}'\n")
        assert [s.text for s in spans] == ['{{ "}}" ~ x }}']
        assert spans[0].inner == '"}}" ~ x'

    def test_raw_blocks_are_not_pebble(self) -> None:
        spans = find_pebble("{% raw %}{{ not pebble }}{% endraw %}\nx = {{ y }}\n")
        assert [(s.kind, s.text) for s in spans] == [
            ("tag", "{% raw %}"),
            ("tag", "{% endraw %}"),
            ("expression", "{{ y }}"),
        ]

    def test_unterminated_expression_is_left_for_the_parser(self) -> None:
        assert find_pebble("x = {{ broken\n") == []
