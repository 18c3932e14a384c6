"""Hostile input never crashes, hangs or forges output (issue 10): an internal error
keeps a result for its file, failures outside the per-file guard are one error line
and exit status 2 (or CL000 for the file), only regular files of bounded size are
read, file names and messages cannot drive the terminal, and ``python -m
contractlint`` never imports the linted repository's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

LOG = "io.kestra.plugin.core.log.Log"
FLOW = f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {LOG}\n    message: hi\n"
MODULE = 'import os\nv = os.getenv("A")\n'
CL202 = 'CL202 Environment variable "A" is read with os.getenv(…)'


def write(root: Path, name: str | bytes, content: str | bytes) -> Path:
    path = Path(os.fsdecode(os.path.join(os.fsencode(root), os.fsencode(name))))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdout=subprocess.PIPE,
        stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """``python -m contractlint`` with raw bytes out (undecodable names must not matter)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTLINT_")}
    environment.update(env or {})
    return subprocess.run([sys.executable, "-m", "contractlint", *args], cwd=cwd, stdout=stdout,
                          stderr=subprocess.PIPE, input=stdin, env=environment, timeout=60, check=False)


# -- an internal error keeps a result for its file ---------------------------------------------------


def test_an_internal_error_is_reported_for_its_file(inprocess_cli, tmp_path: Path, monkeypatch) -> None:
    from contractlint.rules.files import FlowStructure

    def broken(self, flow, context):
        if flow.id == "f":
            raise IndexError("list index out of range")
        return iter(())

    monkeypatch.setattr(FlowStructure, "check_flow", broken)
    write(tmp_path, "f.yaml", FLOW)
    write(tmp_path, "g.yaml", FLOW.replace("id: f", "id: g"))
    text = inprocess_cli("check", ".", "--select", "CL002", "--no-color", cwd=tmp_path)
    assert text.code == 2
    assert text.lines == [
        "f.yaml:1:1: CL000 Internal error while linting this file (IndexError: list index out of range); "
        "it was not checked: this is a bug in contractlint, please report it",
        "Found 1 diagnostic in 1 file.",
    ]
    assert text.stderr.startswith("error: internal error while linting f.yaml: IndexError('list index out of range')")
    document = json.loads(inprocess_cli("check", ".", "--select", "CL002", "--format", "json", cwd=tmp_path).stdout)
    assert document["summary"]["files"] == 2
    assert [d["code"] for d in document["diagnostics"]] == ["CL000"]


# -- names and text that would forge output -------------------------------------------------------------


def test_file_names_that_are_not_utf8_in_every_output(tmp_path: Path) -> None:
    write(tmp_path, b"caf\xff.py", MODULE)
    text = run("check", ".", "--no-color", cwd=tmp_path)
    assert text.returncode == 1 and text.stderr == b""
    assert text.stdout.decode().splitlines()[0].startswith(f"caf\\xff.py:2:5: {CL202}")
    document = json.loads(run("check", ".", "--format", "json", cwd=tmp_path).stdout)
    assert os.fsencode(document["diagnostics"][0]["path"]) == b"caf\xff.py"  # the JSON escape reads back
    sarif = json.loads(run("check", ".", "--format", "sarif", cwd=tmp_path).stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "caf%FF.py", "uriBaseId": "%SRCROOT%"}
    github = run("check", ".", "--format", "github", cwd=tmp_path)
    assert github.returncode == 1 and github.stdout.decode().startswith("::error file=caf")
    strict = run("check", ".", cwd=tmp_path, env={"PYTHONIOENCODING": "ascii:strict"})
    assert strict.returncode == 1 and strict.stderr == b""
    assert run("check", ".", "--format", "json", "-o", "out.json", cwd=tmp_path).returncode == 1
    assert json.loads((tmp_path / "out.json").read_bytes())["summary"]["diagnostics"] == 1
    written = run("check", ".", "--write-baseline", "baseline.json", cwd=tmp_path)
    assert (written.returncode, written.stderr) == (0, b"Wrote 1 diagnostic (1 entry) to baseline baseline.json\n")
    again = run("check", ".", "--baseline", "baseline.json", "--no-color", cwd=tmp_path)
    assert (again.returncode, again.stdout) == (0, b"All checks passed!\n1 diagnostic hidden by the baseline.\n")


def test_a_newline_in_a_file_name_does_not_forge_lines(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "evil.py:9:9: CL999 forged\nx.py", MODULE)
    result = inprocess_cli("check", ".", "--no-color", "--show-source", cwd=tmp_path)
    assert result.lines[0].startswith(f"evil.py:9:9: CL999 forged\\nx.py:2:5: {CL202}")
    assert not any(line.startswith("x.py") for line in result.lines)


def test_control_characters_in_messages_are_escaped(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", 'id: "t\\e[31mRED\\e]0;pwned\\a"\nnamespace: company.team\ntasks:\n'
          '  - id: "x\\e[2J\\u202e"\n    message: hi\n')
    result = inprocess_cli("check", "f.yaml", "--select", "CL002", "--show-source", "--no-color", cwd=tmp_path)
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout and "\u202e" not in result.stdout
    assert "Task 'x\\x1b[2J\\u202e' (tasks[0]) is missing required key 'type'" in result.stdout
    assert result.code == 1


# -- inputs outside the per-file guard: one error line, exit 2 ------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "baseline file b.json is not a contractlint baseline: nested too deeply"),
        ('{"version": ' + "9" * 5000 + "}",
         "baseline file b.json is not a contractlint baseline: Exceeds the limit (4300 digits) for integer string "
         "conversion"),
    ],
    ids=["nested 100k deep", "5000-digit number"],
)
def test_hostile_baselines_are_usage_errors(inprocess_cli, tmp_path: Path, content: str, message: str) -> None:
    write(tmp_path, "m.py", MODULE)
    write(tmp_path, "b.json", content)
    result = inprocess_cli("check", "m.py", "--baseline", "b.json", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (2, "", f"error: {message}\n")


def test_a_baseline_with_a_bom_is_read(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "m.py", MODULE)
    inprocess_cli("check", "m.py", "--write-baseline", "b.json", cwd=tmp_path)
    (tmp_path / "b.json").write_bytes(b"\xef\xbb\xbf" + (tmp_path / "b.json").read_bytes())
    result = inprocess_cli("check", "m.py", "--baseline", "b.json", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout) == (0, "All checks passed!\n1 diagnostic hidden by the baseline.\n")


def test_devices_and_fifos_are_not_read(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "m.py", MODULE)
    os.mkfifo(tmp_path / "pipe.yaml")
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")
    write(tmp_path, "huge.yaml", b"# " + b"x" * (10 * 1024 * 1024) + b"\n")
    files = inprocess_cli("check", "pipe.yaml", "zero.yaml", "huge.yaml", "m.py", "--no-color", cwd=tmp_path)
    assert files.lines[:3] == [
        "huge.yaml:1:1: CL000 Cannot read file: the file is 10 MB; files over 10 MB are not read",
        "m.py:2:5: " + files.lines[1].split(": ", 1)[1],
        "pipe.yaml:1:1: CL000 Cannot read file: not a regular file: a named pipe (FIFO)",
    ]
    assert files.lines[3] == "zero.yaml:1:1: CL000 Cannot read file: not a regular file: a character device"
    expected = {
        ("--baseline", "pipe.yaml"): "error: cannot read baseline file pipe.yaml: not a regular file: a named pipe (FIFO)",
        ("--baseline", "/dev/zero"): "error: cannot read baseline file /dev/zero: not a regular file: a character device",
        ("--write-baseline", "pipe.yaml"): "error: cannot write baseline file pipe.yaml: not a regular file",
    }
    for option, message in expected.items():
        result = inprocess_cli("check", "m.py", *option, cwd=tmp_path)
        assert (result.code, result.stderr) == (2, message + "\n"), option


@pytest.mark.parametrize(
    ("entry", "content", "message"),
    [
        ("/dev/zero", None, "cannot read plugin-defaults file /dev/zero: not a regular file: a character device"),
        ("pipe.yml", None, "cannot read plugin-defaults file {root}/pipe.yml: not a regular file: a named pipe (FIFO)"),
        ("a\\u0000b.yml", None, "cannot read plugin-defaults file {root}/a\\x00b.yml: invalid file name "
                                "(embedded null byte)"),
        ("app.yml", "kestra: {plugins: {defaults: [{type: x, values: {a: \"\x00\"}}]}}\n",
         "plugin-defaults file {root}/app.yml is not UTF-8 text: contains a NUL byte: binary files are not linted"),
    ],
    ids=["dev zero", "fifo", "NUL in the name", "NUL in the file"],
)
def test_hostile_plugin_defaults_are_usage_errors(inprocess_cli, tmp_path: Path, entry: str, content, message) -> None:
    write(tmp_path, "m.py", "import os\n")
    os.mkfifo(tmp_path / "pipe.yml")
    if content is not None:
        write(tmp_path, entry, content)
    write(tmp_path, ".contractlint.toml", f'plugin-defaults = ["{entry}"]\n')
    result = inprocess_cli("check", "m.py", cwd=tmp_path)
    assert (result.code, result.stdout) == (2, "")
    assert result.stderr == "error: " + message.format(root=tmp_path) + "\n"


def test_a_report_that_cannot_be_written_is_one_error(tmp_path: Path) -> None:
    write(tmp_path, "m.py", MODULE)
    with open("/dev/full", "wb") as full:
        result = run("check", "m.py", cwd=tmp_path, stdout=full)
    assert result.returncode == 2
    assert result.stderr == b"error: cannot write the report to standard output: No space left on device\n"


def test_standard_input_is_read_up_to_the_size_limit(tmp_path: Path) -> None:
    result = run("check", "--stdin-filename", "f.yaml", cwd=tmp_path, stdin=b"#" * (10 * 1024 * 1024 + 1))
    assert (result.returncode, result.stderr) == (
        2, b"error: standard input holds more than 10 MB; such input is not linted\n")


def test_a_module_name_too_long_for_the_file_system_is_not_found(inprocess_cli, tmp_path: Path) -> None:
    write(tmp_path, "f.yaml", FLOW.replace(
        f"    type: {LOG}\n    message: hi\n",
        f"    type: io.kestra.plugin.scripts.python.Script\n    script: |\n      from {'a' * 256} import run\n"
        "      run()\n"))
    result = inprocess_cli("check", "f.yaml", "--no-color", cwd=tmp_path)
    assert (result.code, result.stdout, result.stderr) == (0, "All checks passed!\n", "")


# -- static only ------------------------------------------------------------------------------------------------


def test_python_m_contractlint_never_imports_the_linted_repository(tmp_path: Path) -> None:
    marker = tmp_path / "imported"
    write(tmp_path, "click.py", f"open({str(marker)!r}, 'w').close()\nraise SystemExit(99)\n")
    write(tmp_path, "m.py", "import os\n")
    result = run("check", "m.py", "--no-color", cwd=tmp_path)
    assert (result.returncode, result.stdout) == (0, b"All checks passed!\n")
    assert not marker.exists()
    with_python_path = run("check", "m.py", cwd=tmp_path, env={"PYTHONPATH": os.pathsep + "/nonexistent"})
    assert with_python_path.returncode == 0 and not marker.exists()


def test_code_libcst_refuses_to_build_is_a_syntax_error(inprocess_cli, tmp_path: Path) -> None:
    # Found by fuzzing: libcst raised CSTValidationError (not a parse error) and the
    # file vanished from the report; CPython's compiler says what is wrong.
    write(tmp_path, "m.py", "try:\n    import ujson as json\nexcept:\n    pass\n\nexcept:\n    pass")
    result = inprocess_cli("check", "m.py", "--no-color", cwd=tmp_path)
    assert (result.code, result.stderr) == (1, "")
    assert result.lines == ["m.py:3:1: CL003 Python does not parse: default 'except:' must be last",
                            "Found 1 diagnostic in 1 file."]


def test_closed_standard_streams(tmp_path: Path) -> None:
    write(tmp_path, "m.py", MODULE)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTLINT_")}

    def run_closed(descriptor: int, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "contractlint", "check", *args], cwd=tmp_path, env=environment,
                              stderr=subprocess.PIPE, preexec_fn=lambda: os.close(descriptor), timeout=60, check=False)

    stdout = run_closed(1, "m.py")
    assert (stdout.returncode, stdout.stderr) == (2, b"error: cannot write the report to standard output: it is closed\n")
    to_file = run_closed(1, "m.py", "-o", "report.txt")
    assert to_file.returncode == 1 and (tmp_path / "report.txt").read_text().startswith("m.py:2:5: CL202")
    stdin = run_closed(0, "--stdin-filename", "x.py")
    assert (stdin.returncode, stdin.stderr) == (2, b"error: standard input is closed\n")


def test_a_reader_that_went_away_is_not_an_error_message(tmp_path: Path) -> None:
    write(tmp_path, "m.py", MODULE)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONTRACTLINT_")}
    process = subprocess.Popen([sys.executable, "-m", "contractlint", "check", "m.py"], cwd=tmp_path,
                               env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # `| head -0`
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (2, b"")
