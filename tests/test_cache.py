"""The result cache (``contractlint.cache``): a cached run prints exactly what a cold
run prints, in every format; a result is reused only while the file, the settings and
every file it depended on are unchanged; a broken, foreign or concurrent cache is never
trusted; the cache holds no secret and stays within its bound."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from conftest import REPO, run_cli, write
from contractlint import cache as cache_module
from contractlint.engine import Linter

CONFIG = """\
src = ["src"]
plugin-defaults = ["kestra.yml"]
extend-select = ["CL900"]

[rules.CL101]
max-lines = 15
"""
SERVER = """\
kestra:
  plugins:
    defaults:
      - type: io.kestra.plugin.scripts
        values:
          env:
            DB_PORT: "5432"
"""
LOAD_FLOW = """\
id: load
namespace: company.team
tasks:
  - id: load
    type: io.kestra.plugin.scripts.python.Script
    env:
      PASSWORD: "hunter2-very-secret"
    script: |
      import os
      from pipelines.load import run

      print(os.environ["DB_PORT"])
      run()
  - id: include
    type: io.kestra.plugin.scripts.python.Commands
    inputFiles:
      main.py: "{{ read('etl.py') }}"
    commands:
      - python main.py
"""
MODULE = 'import os\n\n\ndef run():\n    return os.environ["API_TOKEN"]\n'
ETL = 'import os\n\nprint(os.environ["TABLE"])\n'


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project with a configuration, global plugin defaults, a module CL203 follows,
    an included namespace file, a hardcoded secret, and the repository's fixture flows."""
    write(tmp_path, ".contractlint.toml", CONFIG)
    write(tmp_path, "kestra.yml", SERVER)
    write(tmp_path, "src/pipelines/__init__.py", "")
    write(tmp_path, "src/pipelines/load.py", MODULE)
    write(tmp_path, "_files/etl.py", ETL)
    write(tmp_path, "flows/load.yaml", LOAD_FLOW)
    shutil.copytree(REPO / "flows_fixtures", tmp_path / "fixtures")
    return tmp_path


def lines(result) -> list[str]:
    """The diagnostic lines of a text report."""
    import re

    return [line for line in result.stdout.splitlines() if re.match(r"\S+:\d+:\d+: CL\d+ ", line)]


FORMATS = [
    ("--output-format", "text"),
    ("--output-format", "text", "--show-source"),
    ("--output-format", "json"),
    ("--output-format", "sarif"),
    ("--output-format", "github"),
    ("--output-format", "json", "--statistics"),
]


@pytest.mark.parametrize("options", FORMATS, ids=lambda options: "-".join(options[1:]))
def test_a_cached_run_prints_exactly_what_a_cold_run_prints(inprocess_cli, project: Path, options, monkeypatch) -> None:
    cold = inprocess_cli("check", "--no-cache", *options, cwd=project)
    assert not (project / ".contractlint_cache").exists()  # --no-cache writes nothing
    first = inprocess_cli("check", *options, cwd=project)
    assert (project / ".contractlint_cache").is_dir()

    def no_linting(self, path, data):
        raise AssertionError(f"{path} was linted: its result is cached")

    with monkeypatch.context() as patched:
        patched.setattr(Linter, "lint_bytes", no_linting)
        cached = inprocess_cli("check", *options, cwd=project)
    for run in (first, cached):
        assert (run.code, run.stdout, run.stderr) == (cold.code, cold.stdout, cold.stderr)
    assert cold.code == 1 and "CL203" in cold.stdout and "CL403" in cold.stdout


def test_a_cached_run_in_another_process_prints_what_a_cold_run_prints(project: Path) -> None:
    cold = run_cli("check", "--no-cache", "--output-format", "json", cwd=project)
    first = run_cli("check", "--output-format", "json", cwd=project)
    cached = run_cli("check", "--output-format", "json", cwd=project)
    assert cold.code == first.code == cached.code == 1
    assert cold.stdout == first.stdout == cached.stdout
    # The note on imports no `src` root holds comes from the flows' imports, cached too.
    assert cold.stderr == first.stderr == cached.stderr
    assert cached.stderr.startswith("note: 4 modules that flow scripts import are in no `src` root")
    assert json.loads(cached.stdout)["summary"]["files"] > 20


def cl203(inprocess_cli, project: Path) -> list[str]:
    """(task, variable) of each CL203 of flows/load.yaml."""
    import re

    found = inprocess_cli("check", "--select", "CL203", "flows/load.yaml", cwd=project)
    return [re.search(r"Task '(\w+)'.* environment variable '(\w+)'", line).groups() for line in lines(found)]


def test_changing_a_module_cl203_followed_invalidates(inprocess_cli, project: Path) -> None:
    assert cl203(inprocess_cli, project) == [("include", "TABLE"), ("load", "API_TOKEN")]
    write(project, "src/pipelines/load.py", MODULE.replace("API_TOKEN", "SECRET_KEY"))
    assert cl203(inprocess_cli, project) == [("include", "TABLE"), ("load", "SECRET_KEY")]


def test_a_module_appearing_where_an_import_is_looked_for_first_invalidates(inprocess_cli, project: Path) -> None:
    write(project, ".contractlint.toml", CONFIG.replace('src = ["src"]', 'src = ["first", "src"]'))
    assert cl203(inprocess_cli, project)[1] == ("load", "API_TOKEN")
    write(project, "first/pipelines/__init__.py", "")
    write(project, "first/pipelines/load.py", MODULE.replace("API_TOKEN", "OTHER_TOKEN"))
    assert cl203(inprocess_cli, project)[1] == ("load", "OTHER_TOKEN")


def test_changing_an_included_namespace_file_invalidates(inprocess_cli, project: Path) -> None:
    assert cl203(inprocess_cli, project)[0] == ("include", "TABLE")
    write(project, "_files/etl.py", ETL.replace("TABLE", "BUCKET"))
    assert cl203(inprocess_cli, project)[0] == ("include", "BUCKET")
    # The include is found in the next `namespace-files` folder (the default: _files, then .).
    write(project, "etl.py", ETL.replace("TABLE", "REGION"))
    assert cl203(inprocess_cli, project)[0] == ("include", "BUCKET")
    os.remove(project / "_files/etl.py")
    assert cl203(inprocess_cli, project)[0] == ("include", "REGION")


def test_changing_the_plugin_defaults_file_invalidates(inprocess_cli, project: Path) -> None:
    assert ("load", "DB_PORT") not in cl203(inprocess_cli, project)
    write(project, "kestra.yml", SERVER.replace("DB_PORT", "DB_HOST"))
    assert ("load", "DB_PORT") in cl203(inprocess_cli, project)


def test_changing_a_policy_file_invalidates(inprocess_cli, project: Path) -> None:
    write(project, ".contractlint.toml", 'src = ["src"]\nkestra-version = "2.0"\nedition = "ee"\n'
                                         'policies = ["policy.yaml"]\n')
    policy = ("id: p\nrules:\n  - type: io.kestra.plugin.ee.rules.Add\n    on: PLUGIN\n    values:\n"
              "      env:\n        API_TOKEN: x\n")
    write(project, "policy.yaml", policy)
    assert ("load", "API_TOKEN") not in cl203(inprocess_cli, project)
    write(project, "policy.yaml", policy.replace("API_TOKEN", "OTHER"))
    assert ("load", "API_TOKEN") in cl203(inprocess_cli, project)


def test_changing_the_configuration_or_a_rule_option_invalidates(inprocess_cli, project: Path) -> None:
    def cl101() -> list[str]:
        return lines(inprocess_cli("check", "--select", "CL101", "flows", cwd=project))

    assert cl101() == []
    write(project, ".contractlint.toml", CONFIG.replace("max-lines = 15", "max-lines = 3"))
    assert cl101() == ["flows/load.yaml:8:5: CL101 Inline script has 4 code lines (limit 3); move the logic into a "
                       "module"]
    # The same settings through a flag: a new fingerprint too.
    write(project, ".contractlint.toml", CONFIG)
    assert cl101() == []
    found = inprocess_cli("check", "--select", "CL101", "--config", "rules.CL101.max-lines = 3", "flows", cwd=project)
    assert len(lines(found)) == 1


def test_changing_a_file_invalidates_that_file_alone(inprocess_cli, project: Path, monkeypatch) -> None:
    inprocess_cli("check", cwd=project)
    original = (project / "flows/load.yaml").read_text()
    write(project, "flows/load.yaml", original.replace("id: load\n", "id: load_v2\n", 1))
    assert "load_v2" in inprocess_cli("check", "--output-format", "json", cwd=project).stdout
    write(project, "flows/load.yaml", original)

    linted = []
    real = Linter.lint_bytes
    monkeypatch.setattr(Linter, "lint_bytes", lambda self, path, data: linted.append(path) or real(self, path, data))
    inprocess_cli("check", cwd=project)
    assert linted == ["flows/load.yaml"]  # changed twice; every other file is a hit


def cache_files(project: Path) -> list[Path]:
    return sorted((project / ".contractlint_cache").glob("*/*.json"))


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: data[: len(data) // 2],  # truncated
        lambda data: b"\x00\xff not json",
        lambda data: json.dumps({"contractlint-cache": 1, "version": "0.0.0", "fingerprint": "x", "files": {}}).encode(),
        lambda data: data.replace(b'"flow"', b'"garbage"').replace(b'"CL203"', b'1'),  # entries that do not decode
        lambda data: data.replace(b'"flows/', b'"flows/x'),  # entries of other files only
    ],
)
def test_a_corrupt_or_foreign_cache_is_ignored_and_rewritten(inprocess_cli, project: Path, damage) -> None:
    cold = inprocess_cli("check", "--no-cache", "--output-format", "json", cwd=project)
    inprocess_cli("check", cwd=project)
    (cache_file,) = cache_files(project)
    cache_file.write_bytes(damage(cache_file.read_bytes()))
    again = inprocess_cli("check", "--output-format", "json", cwd=project)
    assert (again.code, again.stdout, again.stderr) == (cold.code, cold.stdout, cold.stderr)
    rewritten = json.loads(cache_file.read_bytes())
    assert rewritten["contractlint-cache"] == 1 and "flows/load.yaml" in rewritten["files"]
    assert inprocess_cli("check", "--output-format", "json", cwd=project).stdout == cold.stdout


def test_the_cache_holds_no_secret_and_no_source_text(inprocess_cli, project: Path) -> None:
    shown = inprocess_cli("check", "--show-source", cwd=project)
    assert "CL403" in shown.stdout and "hunter2" not in shown.stdout
    everything = b"".join(path.read_bytes() for path in (project / ".contractlint_cache").rglob("*") if path.is_file())
    assert b"hunter2" not in everything
    assert b"print(os.environ" not in everything  # no text of the files either
    cached = inprocess_cli("check", "--show-source", cwd=project)
    assert cached.stdout == shown.stdout


def test_the_cache_folder_ignores_itself_and_can_be_moved(inprocess_cli, project: Path, tmp_path: Path) -> None:
    inprocess_cli("check", cwd=project)
    assert (project / ".contractlint_cache/.gitignore").read_text().splitlines()[-1] == "*"
    assert (project / ".contractlint_cache/CACHEDIR.TAG").read_bytes().startswith(b"Signature: 8a477f597d28d172")
    assert "contractlint_cache" not in inprocess_cli("check", "--show-files", cwd=project).stdout

    write(project, ".contractlint.toml", 'cache-dir = "build/lint-cache"\n' + CONFIG)
    inprocess_cli("check", cwd=project)
    assert len(list((project / "build/lint-cache").glob("*/*.json"))) == 1  # relative to the configuration

    elsewhere = tmp_path.parent / f"{tmp_path.name}-cache"
    inprocess_cli("check", cwd=project, env={"CONTRACTLINT_CACHE_DIR": str(elsewhere)})
    assert len(list(elsewhere.glob("*/*.json"))) == 1
    flag = tmp_path.parent / f"{tmp_path.name}-flag"
    inprocess_cli("check", "--cache-dir", str(flag), cwd=project)
    assert len(list(flag.glob("*/*.json"))) == 1
    before = {path: path.stat().st_mtime_ns for path in flag.rglob("*")}
    inprocess_cli("check", "--cache-dir", str(flag), cwd=project, env={"CONTRACTLINT_NO_CACHE": "1"})
    assert {path: path.stat().st_mtime_ns for path in flag.rglob("*")} == before


def test_a_cache_that_cannot_be_written_is_a_warning(inprocess_cli, project: Path) -> None:
    write(project, "blocked", "a file where the cache folder would be")
    result = inprocess_cli("check", "--cache-dir", "blocked/cache", "--output-format", "json", cwd=project)
    cold = inprocess_cli("check", "--no-cache", "--output-format", "json", cwd=project)
    assert result.stdout == cold.stdout
    warning = result.stderr.splitlines()[0]
    assert warning.startswith(f"warning: cannot write the cache in {project / 'blocked' / 'cache'}: ")
    assert warning.endswith("; results not cached")


def test_concurrent_runs_merge_their_entries(tmp_path: Path) -> None:
    from contractlint.engine import FileResult

    path = tmp_path / "c.json"
    first = cache_module.PackageCache.load(path, "f")
    second = cache_module.PackageCache.load(path, "f")
    first.put(FileResult("a.yaml", "yaml", digest="1"))
    second.put(FileResult("b.yaml", "yaml", digest="2"))
    first.persist()
    second.persist()  # written after the first: keeps its entry
    merged = cache_module.PackageCache.load(path, "f")
    assert sorted(merged.entries) == ["a.yaml", "b.yaml"]
    assert merged.get("a.yaml", lambda dependency: None, "1").kind == "yaml"
    assert merged.get("a.yaml", lambda dependency: None, "2") is None  # other content
    assert cache_module.PackageCache.load(path, "other fingerprint").entries == {}
    assert not list(tmp_path.glob(".c.json.*"))  # no temporary file left behind


def test_a_cache_file_nobody_wrote_since_it_was_read_is_not_read_again(tmp_path: Path, monkeypatch) -> None:
    from contractlint.engine import FileResult

    path = tmp_path / "c.json"
    seed = cache_module.PackageCache.load(path, "f")
    seed.put(FileResult("a.yaml", "yaml", digest="1"))
    seed.persist()
    reads: list[Path] = []
    real = cache_module._read_entries
    monkeypatch.setattr(cache_module, "_read_entries", lambda *args: reads.append(args[0]) or real(*args))
    mine = cache_module.PackageCache.load(path, "f")
    mine.put(FileResult("b.yaml", "yaml", digest="2"))
    mine.persist()
    assert reads == [path]  # the load only
    other = cache_module.PackageCache.load(path, "f")
    mine.put(FileResult("c.yaml", "yaml", digest="3"))
    other.put(FileResult("d.yaml", "yaml", digest="4"))
    other.persist()  # written after `mine` read it: `mine` must read it again and keep d.yaml
    mine.persist()
    assert sorted(cache_module.PackageCache.load(path, "f").entries) == ["a.yaml", "b.yaml", "c.yaml", "d.yaml"]


def test_entries_unused_for_a_month_are_dropped(tmp_path: Path, monkeypatch) -> None:
    from contractlint.engine import FileResult

    path = tmp_path / "c.json"
    old = cache_module.PackageCache.load(path, "f")
    monkeypatch.setattr(cache_module, "_today", lambda: 1000)
    old.put(FileResult("old.yaml", "yaml", digest="1"))
    old.persist()
    monkeypatch.setattr(cache_module, "_today", lambda: 1000 + cache_module.MAX_UNUSED_DAYS + 1)
    new = cache_module.PackageCache.load(path, "f")
    new.put(FileResult("new.yaml", "yaml", digest="2"))
    new.persist()
    assert sorted(cache_module.PackageCache.load(path, "f").entries) == ["new.yaml"]


def test_the_cache_folder_is_kept_within_its_bound_oldest_first(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    names = {age: f"{age:032x}.json" for age in range(4)}
    for age in range(3):
        path = write(folder, f"0.1.0/{names[age]}", "x" * 100)
        os.utime(path, (1_000_000 - age * 1000, 1_000_000 - age * 1000))
    write(folder, f"0.0.9/{names[3]}", "x" * 100)
    os.utime(folder / f"0.0.9/{names[3]}", (1, 1))
    # Files the cache did not name are never its to delete, however old.
    for other in ("0.1.0/notes.json", "data/" + names[0], "0.1.0/" + names[0] + ".bak"):
        os.utime(write(folder, other, "y" * 1000), (0, 0))
    cache_module.evict(folder, keep={folder / "0.1.0" / names[2]}, limit=250)
    assert sorted(str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()) == sorted(
        ["0.1.0/notes.json", "data/" + names[0], "0.1.0/" + names[0] + ".bak", "0.1.0/" + names[0],
         "0.1.0/" + names[2]]
    )


def test_a_cache_dir_that_is_a_folder_of_the_users_gets_no_gitignore(inprocess_cli, project: Path) -> None:
    write(project, "build/keep.txt", "the user's")
    inprocess_cli("check", "--cache-dir", "build", cwd=project)
    assert len(list((project / "build").glob("*/*.json"))) == 1
    assert not (project / "build/.gitignore").exists() and (project / "build/keep.txt").is_file()


def test_results_keep_no_text_and_excerpts_are_read_again(project: Path, monkeypatch) -> None:
    from contractlint.config import CommandLine
    from contractlint.resolver import resolve_settings
    from contractlint.runner import CheckRequest, run_check

    monkeypatch.chdir(project)
    run = run_check(CheckRequest(paths=(".",)), resolve_settings(CommandLine(), project))
    assert run.report.results and all(r.source is None and r.included == () for r in run.report.results)
    with_findings = {r.path for r in run.report.results if r.diagnostics and r.kind != "unreadable"}
    texts = {shown for r in run.report.results for shown, _ in r.texts}
    assert "_files/etl.py" in texts and with_findings <= texts
    sources = run.report.sources()
    assert sources["flows/load.yaml"].text == (project / "flows/load.yaml").read_text()
    write(project, "_files/etl.py", ETL + "# changed since it was linted\n")
    assert sources.get("_files/etl.py") is None  # no excerpt of other content


def test_a_file_whose_stat_signature_is_unchanged_is_not_read_again(inprocess_cli, project: Path, monkeypatch) -> None:
    monkeypatch.setattr(cache_module, "RACY_SECONDS", 0)
    cold = inprocess_cli("check", "--output-format", "json", cwd=project)
    inprocess_cli("check", cwd=project)  # records the signatures of files the first run found racy

    hashed: list[bytes] = []
    from contractlint import digest

    real = digest.content_digest

    def counting(data: bytes) -> str:
        hashed.append(data)
        return real(data)

    with monkeypatch.context() as patched:
        patched.setattr(digest, "content_digest", counting)
        assert inprocess_cli("check", "--output-format", "json", cwd=project).stdout == cold.stdout
    # Only what the fingerprint and the dependencies are made of is read (the configuration,
    # the plugin defaults, the modules CL203 followed, the included file): no flow is.
    flows = [path for path in project.rglob("*.y*ml") if path.name != "kestra.yml"]
    assert len(flows) > 15 and len(hashed) < 10
    assert not {path.read_bytes() for path in flows} & set(hashed)
    assert (project / ".contractlint.toml").read_bytes() in hashed
    # The same size and another content: the signature changes with the write.
    flow = project / "flows/load.yaml"
    write(project, "flows/load.yaml", flow.read_text().replace("id: load\n", "id: lead\n", 1))
    assert '"flow": "company.team.lead"' in inprocess_cli("check", "--output-format", "json", cwd=project).stdout


def test_a_signature_taken_right_after_a_write_is_not_trusted() -> None:
    from types import SimpleNamespace

    second = 1_000_000_000
    status = SimpleNamespace(st_size=10, st_mtime_ns=100 * second, st_ctime_ns=101 * second, st_ino=7, st_dev=3)
    assert cache_module.stat_signature(status, 104 * second) == [10, 100 * second, 101 * second, 7, 3]
    assert cache_module.stat_signature(status, 102 * second) is None  # changed a second before the stat
    assert cache_module.stat_signature(SimpleNamespace(**{**vars(status), "st_mtime_ns": 103 * second}),
                                       104 * second) is None  # the later of the two times counts


def test_a_file_name_that_is_not_utf8_is_cached_under_that_name(inprocess_cli, tmp_path: Path, monkeypatch) -> None:
    (tmp_path / os.fsdecode(b"caf\xff.py")).write_text('import os\n\nvalue = os.getenv("A", "b")\n')
    cold = inprocess_cli("check", ".", "--no-color", cwd=tmp_path)
    assert cold.code == 1 and cold.stderr == "" and "caf\\xff.py:3:9: CL201 " in cold.stdout

    def no_linting(self, path, data):
        raise AssertionError(f"{path} was linted: its result is cached")

    monkeypatch.setattr(Linter, "lint_bytes", no_linting)
    cached = inprocess_cli("check", ".", "--no-color", cwd=tmp_path)
    assert (cached.code, cached.stdout, cached.stderr) == (cold.code, cold.stdout, cold.stderr)
