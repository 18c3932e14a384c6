"""(Re)generate the rule pages: ``rules/<CODE>.md`` for every registered rule and the
index ``rules/README.md``, from the rule classes (``contractlint.docs``).

    python -m contractlint.docs_gen            write the pages (and delete pages of rules that are gone)
    python -m contractlint.docs_gen --check    exit 1 listing pages that are stale, missing or extra

Each page shows the lines `contractlint check` prints for the rule's INVALID examples,
so the examples are run (with only that rule selected) while the pages are rendered.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

PAGE = re.compile(r"^CL\d+\.md$")
INDEX = "README.md"


def default_root() -> Path:
    """The repository this package lives in (an editable install), else the working directory."""
    repository = Path(__file__).resolve().parents[1]
    return repository if (repository / "pyproject.toml").is_file() else Path.cwd()


def pages() -> dict[str, str]:
    """File name in ``rules/`` → content."""
    from contractlint.docs import example_outputs, rule_markdown, rules_index_markdown
    from contractlint.rules import all_rules

    rules = all_rules()
    found = {f"{rule.code}.md": rule_markdown(rule, example_outputs(rule)) for rule in rules}
    found[INDEX] = rules_index_markdown(rules)
    return found


def _read(path: Path) -> str | None:
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return None


def stale_pages(folder: Path, expected: dict[str, str]) -> list[tuple[str, str]]:
    """(file name, "out of date" | "missing" | "no such rule") for every page to rewrite."""
    problems = []
    for name, content in sorted(expected.items()):
        current = _read(folder / name)
        if current is None:
            problems.append((name, "missing"))
        elif current != content:
            problems.append((name, "out of date"))
    if folder.is_dir():
        for path in sorted(folder.iterdir()):
            if PAGE.match(path.name) and path.name not in expected:
                problems.append((path.name, "no such rule"))
    return problems


def write_pages(folder: Path, expected: dict[str, str]) -> list[tuple[str, str]]:
    problems = stale_pages(folder, expected)
    folder.mkdir(parents=True, exist_ok=True)
    for name, problem in problems:
        target = folder / name
        if problem == "no such rule":
            target.unlink()
        else:
            target.write_bytes(expected[name].encode("utf-8"))
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m contractlint.docs_gen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page is stale")
    parser.add_argument("--root", type=Path, default=None, help="repository root (default: this checkout)")
    arguments = parser.parse_args(argv)
    root = arguments.root if arguments.root is not None else default_root()
    folder = root / "rules"
    expected = pages()
    shown = folder.relative_to(root).as_posix()
    if arguments.check:
        problems = stale_pages(folder, expected)
        for name, problem in problems:
            print(f"{shown}/{name}: {problem}")
        if problems:
            print(f"{len(problems)} rule page(s) to regenerate: run `python -m contractlint.docs_gen`", file=sys.stderr)
            return 1
        print(f"{len(expected)} rule pages up to date")
        return 0
    problems = write_pages(folder, expected)
    for name, problem in problems:
        print(f"{shown}/{name}: {'deleted' if problem == 'no such rule' else 'written'} ({problem})")
    print(f"{len(expected)} rule pages, {len(problems)} changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
