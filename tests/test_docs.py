"""Rule documentation: the `rules/` pages are up to date, every rule explains itself with a
bad and a good example, and `contractlint rule` / `contractlint rules` behave."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO
from contractlint import docs, docs_gen
from contractlint.rules import all_rules

RULES = all_rules()
FENCED = re.compile(r"^```[a-z]*\n.*?\n```", re.S | re.M)


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return docs_gen.pages()


def test_rule_pages_are_up_to_date(pages: dict[str, str]) -> None:
    problems = docs_gen.stale_pages(REPO / "rules", pages)
    assert problems == [], "run `python -m contractlint.docs_gen` to regenerate: " + ", ".join(
        f"{name} ({problem})" for name, problem in problems
    )


def test_every_rule_has_a_page_and_an_index_entry(pages: dict[str, str]) -> None:
    assert sorted(pages) == sorted([f"{rule.code}.md" for rule in RULES] + ["README.md"])
    for rule in RULES:
        assert f"| [{rule.code}]({rule.code}.md) | {rule.name} |" in pages["README.md"]
        page = pages[f"{rule.code}.md"]
        assert page.startswith(f"# {rule.code} {rule.name}\n")
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Options"):
            assert f"\n{section}\n" in page, f"{rule.code}.md lacks {section}"


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: rule.code)
def test_explanation_has_a_bad_and_a_good_example(rule) -> None:
    parts = docs.sections(docs.explanation(rule))
    for title in docs.SECTIONS:
        assert parts.get(title), f"{rule.code}: section {title!r} is missing or empty"
    assert FENCED.search(parts["Example"]), f"{rule.code}: '## Example' has no code block"
    assert FENCED.search(parts["Use instead"]), f"{rule.code}: '## Use instead' has no code block"
    assert parts["Example"] != parts["Use instead"]


def test_pages_show_what_check_prints_for_each_reported_example(pages: dict[str, str]) -> None:
    page = pages["CL102.md"]
    assert (
        "Output of `contractlint check`:\n\n```text\n"
        "flows/example.yaml:8:7: CL102 'for' loop in inline script; move the logic into a module function\n```"
    ) in page
    assert page.count("### Reported:") == len(RULES[[r.code for r in RULES].index("CL102")].INVALID)


def test_docs_gen_check_and_write(tmp_path: Path, capsys, monkeypatch, pages: dict[str, str]) -> None:
    monkeypatch.setattr(docs_gen, "pages", lambda: pages)  # rendered once for the module
    assert docs_gen.main(["--check", "--root", str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [f"rules/{rule.code}.md: missing" for rule in RULES] + ["rules/README.md: missing"]
    assert docs_gen.main(["--root", str(tmp_path)]) == 0
    capsys.readouterr()
    assert docs_gen.main(["--check", "--root", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"{len(RULES) + 1} rule pages up to date\n"

    page = tmp_path / "rules" / f"{RULES[0].code}.md"
    page.write_text(page.read_text("utf-8") + "edited by hand\n", "utf-8")
    (tmp_path / "rules" / "CL999.md").write_text("# CL999 gone\n", "utf-8")
    (tmp_path / "rules" / "notes.txt").write_text("not a rule page\n", "utf-8")
    assert docs_gen.main(["--check", "--root", str(tmp_path)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"rules/{RULES[0].code}.md: out of date", "rules/CL999.md: no such rule"]
    assert docs_gen.main(["--root", str(tmp_path)]) == 0
    assert not (tmp_path / "rules" / "CL999.md").exists()
    assert (tmp_path / "rules" / "notes.txt").exists()
    assert docs_gen.main(["--check", "--root", str(tmp_path)]) == 0


# -- the commands -------------------------------------------------------------------------------


def test_rule_command_plain_text(cli, tmp_path: Path) -> None:
    result = cli("rule", "CL102", cwd=tmp_path)
    assert (result.code, result.stderr) == (0, "")
    assert "\x1b[" not in result.stdout and "```" not in result.stdout
    lines = result.lines
    assert lines[:2] == ["CL102 inline-script-logic", "========================="]
    for heading in ("What it does", "Why is this bad?", "Example", "Use instead", "Options", "Tested examples"):
        index = lines.index(heading)
        assert lines[index + 1] == "-" * len(heading)
    example = lines.index("Example")
    assert lines[example + 2:example + 4] == ["    script: |", "      import requests"]
    assert cli("rule", "inline-script-logic", cwd=tmp_path).stdout == result.stdout
    assert cli("rule", "cl102", cwd=tmp_path).stdout == result.stdout


def test_rule_command_markdown_and_json(cli, tmp_path: Path) -> None:
    rule = RULES[[r.code for r in RULES].index("CL101")]
    markdown = cli("rule", "CL101", "--format", "markdown", cwd=tmp_path)
    assert markdown.stdout == docs.rule_markdown(rule)
    data = json.loads(cli("rule", "CL101", "--format", "json", cwd=tmp_path).stdout)
    assert (data["code"], data["name"], data["fix"], data["options"]["max-lines"]["default"]) == (
        "CL101", "inline-script-too-long", None, 15)
    assert data["examples"]["invalid"][0]["line"] == rule.INVALID[0].line


def test_unknown_rule_exits_2(cli, tmp_path: Path) -> None:
    result = cli("rule", "CL7777", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "error: unknown rule 'CL7777' (`contractlint rules` lists them)\n"
    typo = cli("rule", "inline-script-logc", cwd=tmp_path)
    assert typo.code == 2
    assert typo.stderr.startswith("error: unknown rule 'inline-script-logc'; did you mean inline-script-logic")


def test_rules_listing_formats(cli, tmp_path: Path) -> None:
    text = cli("rules", cwd=tmp_path)
    assert text.code == 0
    assert text.lines[0].split() == ["Code", "Name", "Contract", "Fix", "Summary"]
    assert [line.split()[0] for line in text.lines[1:]] == [rule.code for rule in RULES]
    listed = json.loads(cli("rules", "--format", "json", cwd=tmp_path).stdout)
    assert [(r["code"], r["name"], r["default_enabled"]) for r in listed] == [
        (rule.code, rule.name, rule.default_enabled) for rule in RULES]
    table = cli("rules", "--format", "markdown", cwd=tmp_path).lines
    assert table[:2] == ["| Code | Name | Contract | Summary | Fix |", "|---|---|---|---|---|"]
    assert table[2].startswith(f"| [{RULES[0].code}](rules/{RULES[0].code}.md) | {RULES[0].name} |")
    assert cli("rules", "--format", "yaml", cwd=tmp_path).code == 2


def test_markdown_to_text() -> None:
    markdown = (
        "# Title\n\nSome `code` and **bold**, a [link](https://example.com) and a [page](CL101.md).\n\n"
        "## Example\n```yaml\nkey: value\n\nother: 1\n```\n"
    )
    assert docs.markdown_to_text(markdown) == (
        "Title\n=====\n\nSome `code` and bold, a link (https://example.com) and a page.\n\n"
        "Example\n-------\n    key: value\n\n    other: 1\n"
    )


def test_toml_for_example_configuration() -> None:
    assert docs.toml_lines({"select": ["CL1"], "per-file-ignores": {"flows/*.yaml": ["CL101"]},
                            "rules": {"CL101": {"max-lines": 4}}}) == [
        "[tool.contractlint]",
        'select = ["CL1"]',
        "",
        "[tool.contractlint.per-file-ignores]",
        '"flows/*.yaml" = ["CL101"]',
        "",
        "[tool.contractlint.rules.CL101]",
        "max-lines = 4",
    ]


def test_every_rule_has_a_one_line_remedy() -> None:
    from contractlint.remedies import REMEDIES

    assert sorted(REMEDIES) == sorted(rule.code for rule in RULES)
    for code, text in REMEDIES.items():
        assert text.endswith(".") and "\n" not in text and len(text) < 240, code
    assert docs.rule_json(RULES[0])["remedy"] == REMEDIES[RULES[0].code]
    assert docs.rule_listing_json(RULES[0])["remedy"] == REMEDIES[RULES[0].code]
