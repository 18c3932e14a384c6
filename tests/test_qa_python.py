"""Regressions found by adversarial QA of the Python rules (CL201-CL203, CL301,
CL302) on modules and flows written the way data teams and agents write them."""

from __future__ import annotations

from pathlib import Path


from contractlint.rules.base import Valid
from contractlint.rules.environment import EnvironDefault, EnvNotProvided
from contractlint.rules.fallbacks import FallbackOr, SwallowedException
from contractlint.testing import run_example

SCRIPT = "io.kestra.plugin.scripts.python.Script"
SRC = {"src": ["src"]}


def found(rule, example, tmp_path: Path, monkeypatch) -> list[tuple[int, int, int, int, str]]:
    monkeypatch.chdir(tmp_path)
    run = run_example(rule, example, tmp_path)
    return [(d.span.line, d.span.column, d.span.end_line, d.span.end_column, d.message) for d in run.diagnostics]


def lines(found_: list[tuple[int, int, int, int, str]]) -> list[int]:
    return [item[0] for item in found_]


# -- CL302: handlers that re-raise through a helper are not swallowing ----------------

HELPERS = '''from typing import NoReturn
import logging


def fail(message):
    logging.error(message)
    raise RuntimeError(message)


def stop(message) -> NoReturn:
    ...


def maybe(message):
    if message:
        return None
    raise ValueError(message)


def ping(x):
    return pong(x)


def pong(x):
    ping(x)
'''


def test_cl302_helper_in_the_same_module(tmp_path: Path, monkeypatch) -> None:
    code = HELPERS + '''

def run():
    try:
        work()
    except Exception as error:
        fail(f"work failed: {error}")
    try:
        work()
    except Exception:
        stop("x")
    try:
        work()
    except Exception:
        maybe("x")
    try:
        work()
    except Exception:
        ping(1)
'''
    result = found(SwallowedException, Valid(code, path="jobs.py"), tmp_path, monkeypatch)
    # fail() always raises, stop() is NoReturn; maybe() returns on one path; ping/pong recurse.
    assert [(line, column, end_column) for line, column, _, end_column, _ in result] == [(39, 5, 21), (43, 5, 21)]
    assert "the handler carries on" in result[0][4]


def test_cl302_helper_in_a_project_module(tmp_path: Path, monkeypatch) -> None:
    code = '''from .errors import fail, maybe
from pipelines import errors
import pipelines.errors as E


def run():
    try:
        work()
    except Exception as error:
        fail(str(error))
    try:
        work()
    except Exception:
        errors.fail("x")
    try:
        work()
    except Exception:
        E.stop("x")
    try:
        work()
    except Exception:
        maybe("x")
'''
    example = Valid(
        code, path="src/pipelines/job.py", config=SRC,
        files={"src/pipelines/__init__.py": "", "src/pipelines/errors.py": HELPERS},
    )
    result = found(SwallowedException, example, tmp_path, monkeypatch)
    assert lines(result) == [21]


def test_cl302_helper_called_from_an_inline_script(tmp_path: Path, monkeypatch) -> None:
    flow = (
        f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n    script: |\n"
        "      from pipelines.errors import fail\n      try:\n          work()\n"
        "      except Exception as e:\n          fail(str(e))\n"
    )
    example = Valid(flow, config=SRC, files={"src/pipelines/__init__.py": "", "src/pipelines/errors.py": HELPERS})
    assert found(SwallowedException, example, tmp_path, monkeypatch) == []


def test_cl302_match_and_while_true_that_always_raise(tmp_path: Path, monkeypatch) -> None:
    code = '''try:
    run()
except Exception as error:
    match error:
        case ValueError():
            raise
        case _:
            raise RuntimeError("run failed") from error
try:
    run()
except Exception as error:
    match error:
        case ValueError():
            raise
        case OSError():
            raise RuntimeError("run failed") from error
try:
    run()
except Exception:
    while True:
        raise
try:
    run()
except Exception:
    while True:
        if retry():
            break
        raise
'''
    result = found(SwallowedException, Valid(code), tmp_path, monkeypatch)
    # A match without a catch-all case and a loop that can `break` fall through.
    assert lines(result) == [11, 24]


def test_cl302_an_early_exit_before_the_raise_is_swallowing(tmp_path: Path, monkeypatch) -> None:
    code = '''def load(strict):
    try:
        return fetch()
    except Exception:
        if not strict:
            return {}
        raise


for item in items:
    try:
        process(item)
    except Exception:
        if item.optional:
            continue
        raise
    try:
        process(item)
    except Exception:
        for attempt in range(3):
            if attempt:
                break
        raise
'''
    result = found(SwallowedException, Valid(code), tmp_path, monkeypatch)
    assert [(line, column, end_column) for line, column, _, end_column, _ in result] == [(4, 5, 21), (13, 5, 21)]
    assert result[0][4] == (
        "`except Exception` swallows the exception: the handler leaves with `return {}` on some paths instead of "
        "re-raising or exiting; catch the specific exceptions you expect, or end the handler with `raise`"
    )
    assert "the handler leaves with `continue` on some paths" in result[1][4]


def test_cl302_local_class_named_exception_and_star_imports(tmp_path: Path, monkeypatch) -> None:
    # Without scope analysis for unbound builtins, a rebinding anywhere must still count.
    code = (
        "def f(Exception):\n    try:\n        run()\n    except Exception:\n        pass\n"
        "from errors import *\ntry:\n    run()\nexcept BaseException:\n    pass\n"
    )
    assert lines(found(SwallowedException, Valid(code), tmp_path, monkeypatch)) == [9]


# -- CL301: builtins that compute a value are not missing values ----------------------


def test_cl301_computed_builtins_are_not_lookups(tmp_path: Path, monkeypatch) -> None:
    code = (
        "average = total / (len(rows) or 1)\n"
        "pages = max(count // size, 0) or 1\n"
        "len = lambda rows: rows.count\n"
        "width = len(rows) or 80\n"
        "label = str(row.name).strip() or 'unnamed'\n"
    )
    result = found(FallbackOr, Valid(code), tmp_path, monkeypatch)
    # A rebound `len` is not the builtin; `str(...).strip()` is a method call, a lookup.
    assert [(line, column, end_column) for line, column, _, end_column, _ in result] == [(4, 9, 24), (5, 9, 43)]


# -- CL201: a module-level alias of os.environ ----------------------------------------


def test_cl201_module_level_alias_of_environ(tmp_path: Path, monkeypatch) -> None:
    code = (
        "import os\nfrom os import environ as _environ\n\nENV = os.environ\nE2: dict = _environ\n\n"
        'a = ENV.get("A", "1")\nb = E2.get("B")\n\n'
        "def f():\n    ENV = {}\n    return ENV.get('C', 'x')\n"
        "copy = os.environ.copy()\nd = copy.get('D', 'x')\n"
    )
    monkeypatch.chdir(tmp_path)
    run = run_example(EnvironDefault, Valid(code), tmp_path)
    assert [(d.span.line, d.span.column, d.span.end_column) for d in run.diagnostics] == [(7, 5, 22)]
    assert run.diagnostics[0].message.startswith('Environment variable "A" is read with a default (ENV.get(…, default))')
    assert run.fixed.splitlines()[6] == 'a = ENV["A"]'


def test_cl201_alias_rebound_elsewhere_is_not_environ(tmp_path: Path, monkeypatch) -> None:
    code = 'import os\n\nENV = os.environ\nENV = {"A": "1"}\n\na = ENV.get("A", "1")\n'
    assert found(EnvironDefault, Valid(code), tmp_path, monkeypatch) == []


# -- CL203: functions re-exported with `from .x import *` ------------------------------


def test_cl203_follows_star_reexports(tmp_path: Path, monkeypatch) -> None:
    flow = (
        f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n    script: |\n"
        "      from pipelines import deep_run\n      deep_run()\n"
    )
    files = {
        "src/pipelines/__init__.py": "from .sub import *\n",
        "src/pipelines/sub/__init__.py": "from .deep import deep_run\n",
        "src/pipelines/sub/deep.py": "import os\n\n\ndef deep_run():\n    return os.environ['DEEP']\n\n\n"
        "def _private():\n    return os.environ['PRIVATE']\n",
    }
    result = found(EnvNotProvided, Valid(flow, config=SRC, files=files), tmp_path, monkeypatch)
    assert [(line, column, end_column) for line, column, _, end_column, _ in result] == [(8, 7, 15)]
    assert "'DEEP' read by src/pipelines/sub/deep.py:5 (deep_run)" in result[0][4]


def test_cl203_private_names_are_not_star_exported(tmp_path: Path, monkeypatch) -> None:
    flow = (
        f"id: f\nnamespace: company.team\ntasks:\n  - id: t\n    type: {SCRIPT}\n    script: |\n"
        "      import pipelines\n      pipelines._private()\n"
    )
    files = {
        "src/pipelines/__init__.py": "from .deep import *\n",
        "src/pipelines/deep.py": "import os\n\n\ndef _private():\n    return os.environ['PRIVATE']\n",
    }
    assert found(EnvNotProvided, Valid(flow, config=SRC, files=files), tmp_path, monkeypatch) == []


# -- speed: big modules do not pay for name resolution they do not need ---------------


def test_big_module_without_env_reads_skips_scope_analysis(tmp_path: Path, monkeypatch) -> None:
    import ast

    from contractlint.python.code import module_code
    from contractlint.python.environ import env_facts
    from contractlint.source import SourceFile

    body = "".join(
        f"def f{i}(row):\n    try:\n        return row.get('x') or 'n/a'\n    except Exception as e:\n"
        f"        log.warning('%s', e)\n        return len(row) or 1\n\n"
        for i in range(40)
    )
    monkeypatch.chdir(tmp_path)
    run = run_example(SwallowedException, Valid("import logging\nlog = logging.getLogger()\n" + body), tmp_path)
    assert len(run.diagnostics) == 40
    # The same checks on a fresh PythonCode: names resolve from the one shared analysis,
    # and code that imports nothing of os has no environment facts to compute.
    code = module_code(SourceFile.from_bytes("m.py", ("import logging\n" + body).encode()))
    from contractlint.python.names import is_env_read, qualified_names

    handler = code.tree.body[1].body[0].handlers[0]
    assert qualified_names(code, handler.type) == {"builtins.Exception"}
    get_call = next(node for node in code.analysis.nodes(ast.Call) if ast.unparse(node) == "row.get('x')")
    assert not is_env_read(code, get_call)
    assert env_facts(code).reads == [] and env_facts(code).openers == []
