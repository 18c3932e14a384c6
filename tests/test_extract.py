"""``contractlint extract`` end to end: the CLI moves scripts shaped like the blueprint
corpus's (pandas, requests, a database write, Pebble in strings, a ``__main__`` guard,
an ``inputFiles`` script) into modules; the flow and the module parse and re-lint
clean for contract 1, CL203 follows the module's reads, and the module's function,
called by the wrapper with the task's env, does what the script did.

The behaviour check runs code the test wrote itself — the original script rendered as
Kestra would render it, and the wrapper with the new module — against stub ``pandas``,
``requests``, ``psycopg2`` and ``kestra`` packages in a temporary folder: nothing real
is contacted. The linter itself never runs any of it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write
from contractlint.flow import yaml_nodes as yn
from contractlint.source import SourceFile

STUBS = {
    "kestra.py": '''import json


class Kestra:
    @staticmethod
    def outputs(map_):
        print("::" + json.dumps({"outputs": map_}) + "::")

    @staticmethod
    def counter(name, value, tags=None):
        print("::" + json.dumps({"metrics": [{"name": name, "type": "counter", "value": value}]}) + "::")
''',
    "pandas/__init__.py": '''import csv


class Series(list):
    def sum(self):
        return round(sum(self), 2)

    def mean(self):
        return sum(self) / len(self)


class DataFrame:
    def __init__(self, rows):
        self.rows = rows

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, column):
        return Series(row[column] for row in self.rows)

    def sort_values(self, column, ascending=True):
        return DataFrame(sorted(self.rows, key=lambda row: row[column], reverse=not ascending))

    def head(self, count):
        return DataFrame(self.rows[:count])

    def to_csv(self, path, index=True):
        with open(path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(self.rows[0]))
            writer.writeheader()
            writer.writerows(self.rows)


def read_csv(path):
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        for key, value in row.items():
            try:
                row[key] = float(value)
            except ValueError:
                pass
    return DataFrame(rows)
''',
    "requests/__init__.py": '''import json


class Response:
    def __init__(self, payload, status_code=200):
        self._payload = payload
        self.status_code = status_code

    def json(self):
        return self._payload

    def raise_for_status(self):
        if self.status_code >= 400:
            raise RuntimeError(self.status_code)


def get(url, headers=None, timeout=None, params=None):
    with open("requests.log", "a") as log:
        log.write(json.dumps({"url": url, "headers": headers, "params": params}) + "\\n")
    with open("api.json") as handle:
        pages = json.load(handle)
    return Response(pages.get(url, {"items": []}))
''',
    "psycopg2/__init__.py": '''import json


class Cursor:
    def execute(self, sql, params=None):
        with open("db.log", "a") as log:
            log.write(json.dumps({"sql": sql, "params": params}) + "\\n")

    def close(self):
        pass


class Connection:
    def __init__(self, settings):
        with open("db.log", "a") as log:
            log.write(json.dumps({"connect": settings}) + "\\n")

    def cursor(self):
        return Cursor()

    def commit(self):
        with open("db.log", "a") as log:
            log.write("commit\\n")

    def close(self):
        pass


def connect(**settings):
    return Connection(settings)
''',
}

SCRIPT_TASK = "io.kestra.plugin.scripts.python.Script"


def flow(name: str, script: str, inputs: str = "", extra: str = "", head: str = "") -> str:
    body = "".join(f"      {line}\n" if line else "\n" for line in script.split("\n"))
    return (
        f"id: {name}\nnamespace: company.team\n{head}{inputs}tasks:\n  - id: stage\n    type: {SCRIPT_TASK}\n"
        f"{extra}    script: |\n{body}"
    )


PANDAS = '''import pandas as pd
from kestra import Kestra

orders = pd.read_csv("{{ outputs.extract.uri }}")
total = orders["amount"].sum()
average = round(orders["amount"].mean(), 2)
top = orders.sort_values("amount", ascending=False).head(2)
top.to_csv("top_orders.csv", index=False)
print(f"{len(orders)} orders, total {total}")
Kestra.outputs({"total": total, "average": average, "rows": len(orders)})'''

REQUESTS = '''import json
import requests
from kestra import Kestra

BASE_URL = "{{ inputs.base_url }}"
headers = {"Accept": "application/json", "X-Team": "{{ labels.team }}"}

items = []
page = 1
while True:
    response = requests.get(f"{BASE_URL}/{{ inputs.resource }}?page={page}", headers=headers, timeout=30)
    response.raise_for_status()
    batch = response.json()["items"]
    if not batch:
        break
    items.extend(batch)
    page += 1

with open("items.json", "w") as f:
    json.dump(items, f)
print(f"fetched {len(items)} {{ inputs.resource }} in {page - 1} pages")
Kestra.outputs({"count": len(items), "pages": page - 1})
Kestra.counter("items", len(items))'''

DATABASE = '''import json
import os
import psycopg2

with open("stories.json") as f:
    stories = json.load(f)


def connect():
    return psycopg2.connect(
        host=os.environ["POSTGRES_HOST"],
        dbname=os.environ["POSTGRES_DB"],
        user=os.environ["POSTGRES_USER"],
    )


conn = connect()
cur = conn.cursor()
cur.execute("""
    CREATE TABLE IF NOT EXISTS {{ inputs.schema }}.stories (
        id BIGINT PRIMARY KEY,
        title TEXT
    )
""")
for story in stories:
    cur.execute(
        "INSERT INTO {{ inputs.schema }}.stories (id, title) VALUES (%(id)s, %(title)s) ON CONFLICT (id) DO NOTHING",
        story,
    )
conn.commit()
cur.close()
conn.close()
print(f"stored {len(stories)} stories")'''

PEBBLE_STRINGS = '''{# counts the words of an uploaded text #}
import re
from collections import Counter

text = open("{{ inputs.file }}", encoding="utf-8").read()
words = re.findall(r"[\\w']+", text.lower())
stop = set(\'\'\'{{ inputs.stopwords }}\'\'\'.split(","))
counts = Counter(w for w in words if w not in stop)
label = "Top words of {{ inputs.title }} ({} in all)".format(len(words))
print(label)
for word, count in counts.most_common(int("{{ inputs.top }}")):
    print(f"{word:>10} {count} — {{ inputs.title }}")
marker = b"run {{ execution.id }}"
print(marker.decode(), u"done with " "{{ inputs.title }}")'''

MAIN_GUARD = '''"""Generate and handle a batch of synthetic events."""
import random

processed = 0


class Event:
    def __init__(self, index, weight):
        self.index = index
        self.weight = weight

    def __repr__(self):
        return f"Event({self.index}, {self.weight})"


def handle(event):
    global processed
    processed += 1
    print(f"handled {event!r}")


def generate(count, seed):
    rng = random.Random(seed)
    return [Event(index, rng.randint(1, 9)) for index in range(count)]


if __name__ == "__main__":
    # the seed comes from the flow
    for event in generate(int("{{ inputs.count }}"), "{{ inputs.seed }}"):
        handle(event)
    print(f"processed {processed} events")'''


def project(tmp_path: Path, flow_text: str, config: str = "") -> Path:
    root = tmp_path / "project"
    write(root, ".contractlint.toml", config)
    write(root, "flows/stage.yaml", flow_text)
    (root / "src").mkdir()
    return root


def task_python(flow_path: Path) -> tuple[str, dict[str, str]]:
    """The task's script and its env (as written: Pebble unrendered)."""
    source = SourceFile.from_bytes("flow.yaml", flow_path.read_bytes())
    root = yn.compose_documents(source)[0]
    task = yn.elements(yn.get_value(root, "tasks"))[0]
    script = yn.get_value(task, "script")
    if script is None:
        script = yn.get_value(yn.get_value(task, "inputFiles"), "main.py")
    env = {yn.scalar_text(k): yn.scalar_text(v) for k, v in yn.items(yn.get_value(task, "env"))}
    return script.value, env


def render(text: str, values: dict[str, str]) -> str:
    """Kestra's rendering, for the expressions these tests use: each `{{ x }}` becomes
    its value, `{# … #}` nothing."""
    text = re.sub(r"\{#.*?#\}", "", text, flags=re.S)
    return re.sub(r"\{\{\s*(.*?)\s*\}\}", lambda match: values[match.group(1)], text)


def run_python(folder: Path, script: str, stubs: Path, env: dict[str, str]) -> tuple[list[str], dict, dict[str, str]]:
    """Run ``script`` in ``folder``: (its stdout lines that are not Kestra's `::{…}::`,
    the outputs it emitted, merged as Kestra merges them, the files it wrote)."""
    write(folder, "main.py", script)
    before = {path.name for path in folder.iterdir()}
    environment = {"PATH": os.environ["PATH"], "PYTHONPATH": str(stubs), "PYTHONIOENCODING": "utf-8", **env}
    process = subprocess.run([sys.executable, "main.py"], cwd=folder, capture_output=True, env=environment, check=False)
    assert process.returncode == 0, process.stderr.decode()
    lines, outputs, metrics = [], {}, []
    for line in process.stdout.decode("utf-8").splitlines():
        if line.startswith("::{") and line.endswith("}::"):
            payload = json.loads(line[2:-2])
            outputs.update(payload.get("outputs", {}))
            metrics.extend(payload.get("metrics", []))
        else:
            lines.append(line)
    written = {path.name: path.read_text() for path in folder.iterdir() if path.is_file() and path.name not in before}
    return lines, {"outputs": outputs, "metrics": metrics}, written


def same_behaviour(tmp_path: Path, root: Path, original: str, values: dict[str, str], data: dict[str, str],
                   runtime_env: dict[str, str] | None = None) -> None:
    """The script rendered by Kestra, and the wrapper with the module, do the same."""
    stubs = tmp_path / "stubs"
    for name, content in STUBS.items():
        write(stubs, name, content)
    before = tmp_path / "run-script"
    after = tmp_path / "run-module"
    for folder in (before, after):
        for name, content in data.items():
            write(folder, name, content)
    shutil.copytree(root / "src", after / "src")  # the namespace files the task gets
    wrapper, env = task_python(root / "flows" / "stage.yaml")
    assert "{{" not in wrapper
    task_env = {name: render(value, values) for name, value in env.items()}
    expected = run_python(before, render(original, values), stubs, dict(runtime_env or {}))
    actual = run_python(after, wrapper, stubs, {**(runtime_env or {}), **task_env})
    actual[2].pop("main.py", None)
    expected[2].pop("main.py", None)
    assert actual == expected
    assert expected[0] or expected[1]["outputs"], "the script printed or emitted something to compare"


def extract(cli, root: Path, *args: str):
    return cli("extract", "flows/stage.yaml", "stage", *args, cwd=root)


def lint_clean_for_contract_1(cli, root: Path) -> list[dict]:
    result = cli("check", ".", "--output-format", "json", "--select", "CL1,CL001,CL002,CL003,CL203", cwd=root)
    return json.loads(result.stdout)["diagnostics"]


# -- five scripts shaped like the corpus's -----------------------------------------------------------


def test_pandas_script(cli, tmp_path: Path) -> None:
    root = project(tmp_path, flow("orders", PANDAS, extra="    outputFiles:\n      - top_orders.csv\n"))
    result = extract(cli, root, "--module", "acme.stages.orders")
    assert result.code == 0, result.stderr
    assert result.stdout == (
        "Moved the script of task 'stage' of flows/stage.yaml into src/acme/stages/orders.py: run(); the task's env "
        "gained EXTRACT_URI. The task runs a 5-line wrapper.\n"
    )
    assert "namespaceFiles" in result.stderr  # how the module gets to the worker
    module = (root / "src/acme/stages/orders.py").read_text()
    assert module == (
        '"""run() of task `stage` of flow `company.team.orders`, moved out of its inline script by `contractlint '
        'extract`."""\n\nimport pandas as pd\nimport os\n\n\ndef run() -> dict:\n    outputs: dict = {}\n'
        '    orders = pd.read_csv(os.environ["EXTRACT_URI"])\n    total = orders["amount"].sum()\n'
        '    average = round(orders["amount"].mean(), 2)\n    top = orders.sort_values("amount", ascending=False)'
        '.head(2)\n    top.to_csv("top_orders.csv", index=False)\n    print(f"{len(orders)} orders, total {total}")\n'
        '    outputs.update({"total": total, "average": average, "rows": len(orders)})\n    return outputs\n'
    )
    assert (root / "src/acme/__init__.py").read_bytes() == b""
    assert (root / "src/acme/stages/__init__.py").read_bytes() == b""
    assert (root / "flows/stage.yaml").read_text() == (
        "id: orders\nnamespace: company.team\ntasks:\n  - id: stage\n    type: io.kestra.plugin.scripts.python.Script\n"
        "    outputFiles:\n      - top_orders.csv\n    env:\n      EXTRACT_URI: \"{{ outputs.extract.uri }}\"\n"
        "    script: |\n      import sys\n\n"
        "      sys.path.insert(0, \"src\")  # the project's modules, from its namespace files\n"
        "      from acme.stages.orders import run\n      from kestra import Kestra\n\n      Kestra.outputs(run())\n"
    )
    assert lint_clean_for_contract_1(cli, root) == []
    same_behaviour(
        tmp_path, root, PANDAS, {"outputs.extract.uri": "orders.csv"},
        {"orders.csv": "id,amount\n1,10.5\n2,99.25\n3,42\n"},
    )


def test_requests_script(cli, tmp_path: Path) -> None:
    inputs = "inputs:\n  - id: base_url\n    type: URI\n  - id: resource\n    type: STRING\n"
    root = project(tmp_path, flow("fetch", REQUESTS, inputs=inputs, head="labels:\n  team: data\n"))
    result = extract(cli, root, "--module", "acme.fetch", "--function", "fetch_items")
    assert result.code == 0, result.stderr
    assert "the task's env gained BASE_URL, TEAM, RESOURCE." in result.stdout
    module = (root / "src/acme/fetch.py").read_text()
    assert 'response = requests.get(f"{BASE_URL}/{os.environ[\'RESOURCE\']}?page={page}", headers=headers' in module
    assert "def fetch_items() -> dict:\n" in module and "    outputs.update({\"count\": len(items)" in module
    assert '    Kestra.counter("items", len(items))\n' in module  # Kestra is still used: its import stays
    assert "from kestra import Kestra\n" in module
    wrapper, env = task_python(root / "flows/stage.yaml")
    assert env == {"BASE_URL": "{{ inputs.base_url }}", "TEAM": "{{ labels.team }}", "RESOURCE": "{{ inputs.resource }}"}
    assert "Kestra.outputs(fetch_items())" in wrapper
    assert lint_clean_for_contract_1(cli, root) == []
    api = {
        "https://api.example.com/v1/orders?page=1": {"items": [{"id": 1}, {"id": 2}]},
        "https://api.example.com/v1/orders?page=2": {"items": [{"id": 3}]},
    }
    same_behaviour(
        tmp_path, root, REQUESTS,
        {"inputs.base_url": "https://api.example.com/v1", "inputs.resource": "orders", "labels.team": "data"},
        {"api.json": json.dumps(api)},
    )


def test_database_write_script(cli, tmp_path: Path) -> None:
    defaults = (
        "pluginDefaults:\n  - type: io.kestra.plugin.scripts.python\n    values:\n      env:\n"
        "        POSTGRES_HOST: db.internal\n        POSTGRES_DB: news\n        POSTGRES_USER: loader\n"
    )
    root = project(
        tmp_path,
        flow("store", DATABASE, inputs="inputs:\n  - id: schema\n    type: STRING\n", head=defaults,
             extra="    inputFiles:\n      stories.json: \"{{ outputs.fetch.body }}\"\n"),
    )
    result = extract(cli, root, "--module", "acme.stages.store")
    assert result.code == 0, result.stderr
    assert "with connect at module level; the task's env gained SCHEMA." in result.stdout
    module = (root / "src/acme/stages/store.py").read_text()
    # The helper needs nothing of the script: it is a module function (importable, testable).
    assert "\n\ndef connect():\n    return psycopg2.connect(\n        host=os.environ[\"POSTGRES_HOST\"]," in module
    # A multi-line string keeps its lines exactly; the statement around it moves in.
    assert '    cur.execute(f"""\n    CREATE TABLE IF NOT EXISTS {os.environ[\'SCHEMA\']}.stories (\n' in module
    assert lint_clean_for_contract_1(cli, root) == []
    same_behaviour(
        tmp_path, root, DATABASE, {"inputs.schema": "hn"},
        {"stories.json": json.dumps([{"id": 1, "title": "Hello"}, {"id": 2, "title": "Ünïcode"}])},
        runtime_env={"POSTGRES_HOST": "db.internal", "POSTGRES_DB": "news", "POSTGRES_USER": "loader"},
    )


def test_script_with_pebble_in_strings(cli, tmp_path: Path) -> None:
    inputs = (
        "inputs:\n  - id: file\n    type: FILE\n  - id: stopwords\n    type: STRING\n  - id: title\n    type: STRING\n"
        "  - id: top\n    type: INT\n"
    )
    root = project(tmp_path, flow("words", PEBBLE_STRINGS, inputs=inputs))
    result = extract(cli, root, "--module", "acme.words")
    assert result.code == 0, result.stderr
    assert "the task's env gained FILE, STOPWORDS, TITLE, TOP, EXECUTION_ID." in result.stdout
    module = (root / "src/acme/words.py").read_text()
    for line in (
        "import os\n",
        '# counts the words of an uploaded text\n',
        '    text = open(os.environ["FILE"], encoding="utf-8").read()\n',
        '    stop = set(os.environ["STOPWORDS"].split(","))\n',
        '    label = ("Top words of " + os.environ["TITLE"] + " ({} in all)").format(len(words))\n',
        "    for word, count in counts.most_common(int(os.environ[\"TOP\"])):\n",
        '        print(f"{word:>10} {count} — {os.environ[\'TITLE\']}")\n',
        '    marker = (b"run " + os.environ["EXECUTION_ID"].encode())\n',
        '    print(marker.decode(), u"done with " f"{os.environ[\'TITLE\']}")\n',
    ):
        assert line in module
    assert lint_clean_for_contract_1(cli, root) == []
    same_behaviour(
        tmp_path, root, PEBBLE_STRINGS,
        {"inputs.file": "text.txt", "inputs.stopwords": "the,a,of", "inputs.title": "Notes — été",
         "inputs.top": "2", "execution.id": "4Xyz"},
        {"text.txt": "The cat and the dog. A cat, a dog, of course a cat.\n"},
    )


def test_main_guard_globals_and_helpers(cli, tmp_path: Path) -> None:
    inputs = "inputs:\n  - id: count\n    type: INT\n  - id: seed\n    type: STRING\n"
    root = project(tmp_path, flow("events", MAIN_GUARD, inputs=inputs))
    result = extract(cli, root, "--module", "acme.events", "--function", "main")
    assert result.code == 0, result.stderr
    module = (root / "src/acme/events.py").read_text()
    assert module == (
        '"""main() of task `stage` of flow `company.team.events`, moved out of its inline script by `contractlint '
        'extract`."""\n\nimport random\nimport os\n\n\nclass Event:\n    def __init__(self, index, weight):\n'
        "        self.index = index\n        self.weight = weight\n\n    def __repr__(self):\n"
        '        return f"Event({self.index}, {self.weight})"\n\n\ndef generate(count, seed):\n'
        "    rng = random.Random(seed)\n    return [Event(index, rng.randint(1, 9)) for index in range(count)]\n\n\n"
        'def main() -> None:\n    """Generate and handle a batch of synthetic events."""\n    processed = 0\n\n'
        "    def handle(event):\n        nonlocal processed\n        processed += 1\n"
        '        print(f"handled {event!r}")\n\n    # the seed comes from the flow\n'
        '    for event in generate(int(os.environ["COUNT"]), os.environ["SEED"]):\n        handle(event)\n'
        '    print(f"processed {processed} events")\n'
    )
    wrapper, _ = task_python(root / "flows/stage.yaml")
    assert wrapper.endswith("from acme.events import main\n\nmain()\n")
    assert lint_clean_for_contract_1(cli, root) == []
    same_behaviour(tmp_path, root, MAIN_GUARD, {"inputs.count": "4", "inputs.seed": "s33d"}, {})


def test_input_file_script_of_a_commands_task_crlf_and_root_src(cli, tmp_path: Path) -> None:
    script = 'import json\n\nrows = json.load(open("rows.json"))\nprint(f"{len(rows)} rows – {{ inputs.note }}")'
    body = "".join(f"        {line}\n" if line else "\n" for line in script.split("\n"))
    text = (
        "id: rows\nnamespace: company.team\ninputs:\n  - id: note\n    type: STRING\ntasks:\n  - id: stage\n"
        "    type: io.kestra.plugin.scripts.python.Commands\n    namespaceFiles:\n      enabled: true\n"
        f"    inputFiles:\n      main.py: |\n{body}    commands:\n      - python main.py\n"
    ).replace("\n", "\r\n")
    root = tmp_path / "project"
    write(root, ".contractlint.toml", 'src = ["."]\n')
    write(root, "flows/stage.yaml", text)
    result = extract(cli, root, "--module", "stages.rows")
    assert result.code == 0, result.stderr
    assert result.stderr == ""  # namespace files are on: nothing to say
    after = (root / "flows/stage.yaml").read_bytes().decode()
    assert "\n" not in after.replace("\r\n", "")  # CRLF kept
    assert (
        "    env:\r\n      NOTE: \"{{ inputs.note }}\"\r\n    inputFiles:\r\n      main.py: |\r\n"
        "        from stages.rows import run\r\n\r\n        run()\r\n    commands:\r\n"
    ) in after  # the project root is the src root: no sys.path entry
    assert (root / "stages/rows.py").is_file() and (root / "stages/__init__.py").is_file()
    assert lint_clean_for_contract_1(cli, root) == []


# -- refusals ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("import sys\nif len(sys.argv) > 5:\n    return\nprint(1)", "line 3: `return` at the top level of the script"),
        ("rows = {{ outputs.query.rows }}\nprint(rows)",
         "Pebble `{{ outputs.query.rows }}` (script line 1) cannot move into env: it stands in code, not in a string"),
        ("{% if inputs.debug %}\nprint(1)\n{% endif %}",
         "Pebble `{% if inputs.debug %}` (script line 1) generates code; rewrite it in Python first"),
        ('token = "{{ secret(\'API_TOKEN\') }}"\nprint(token)',
         "cannot move into env: a secret belongs in pluginDefaults, not in the task (contract 2)"),
        ("def f():\n    global late\n    late = 1\nf()\nprint(late)",
         "line 2: `global late` names a variable only functions bind"),
        ("print(__file__)", "line 1: `__file__` is the script's own, and a module has another"),
        ("print(globals()['x'])", "line 1: `globals()` would see the module's names"),
        ("print(len([1]))\nlen = 3", "the script assigns the builtin name `len` and reads it where the builtin"),
        ("from . import helpers", "line 1: a relative import (the script has no package)"),
        ("print(1)\nfrom os import *", "line 2: `from os import *` below the leading imports"),
        ("print(", "the script of task 'stage' does not parse (script line 1"),
        ("run = 1\nprint(run)", "the script already binds 'run' at its top level; choose another --function"),
    ],
    ids=["return", "code-position", "tag", "secret", "global", "file", "globals", "builtin", "relative", "star",
         "syntax", "name-taken"],
)
def test_refusals_write_nothing(inprocess_cli, tmp_path: Path, script: str, message: str) -> None:
    root = project(tmp_path, flow("refused", script))
    before = (root / "flows/stage.yaml").read_bytes()
    result = extract(inprocess_cli, root, "--module", "acme.refused")
    assert result.code == 2
    assert result.stdout == ""
    assert message in result.stderr, result.stderr
    assert result.stderr.startswith("error: ") and "Traceback" not in result.stderr
    assert (root / "flows/stage.yaml").read_bytes() == before
    assert list((root / "src").iterdir()) == []


def test_refuses_an_existing_module_and_bad_names(inprocess_cli, tmp_path: Path) -> None:
    root = project(tmp_path, flow("exists", 'print("hi")'))
    write(root, "src/acme/stages/enrich.py", "")
    result = extract(inprocess_cli, root, "--module", "acme.stages.enrich")
    assert (result.code, result.stderr) == (
        2, "error: module acme.stages.enrich already exists (src/acme/stages/enrich.py); choose another --module\n"
    )
    for args, message in [
        (("--module", "acme.class"), "error: --module 'acme.class' is not a dotted Python module name\n"),
        (("--module", "json.tools2"), "error: --module 'json.tools2' would shadow the standard library's 'json'\n"),
        (("--module", "acme.x", "--function", "1st"), "error: --function '1st' is not a Python identifier\n"),
        (("--module", "acme.x", "--src", "lib"), "error: --src lib is not one of the `src` roots of the settings"),
    ]:
        result = extract(inprocess_cli, root, *args)
        assert result.code == 2 and result.stderr.startswith(message), result.stderr
    result = inprocess_cli("extract", "flows/stage.yaml", "missing", "--module", "acme.x", cwd=root)
    assert (result.code, result.stderr) == (2, "error: flows/stage.yaml has no task with id 'missing'\n")


def test_diff_writes_nothing(inprocess_cli, tmp_path: Path) -> None:
    root = project(tmp_path, flow("orders", PANDAS))
    before = (root / "flows/stage.yaml").read_bytes()
    result = extract(inprocess_cli, root, "--module", "acme.orders", "--diff")
    assert result.code == 0
    assert result.stdout.startswith("--- a/flows/stage.yaml\n+++ b/flows/stage.yaml\n")
    assert "--- /dev/null\n+++ b/src/acme/orders.py\n@@ -0,0 +1,16 @@\n" in result.stdout
    assert "+    outputs.update({\"total\": total" in result.stdout
    assert (root / "flows/stage.yaml").read_bytes() == before
    assert list((root / "src").iterdir()) == []


def test_cl203_checks_the_module_against_the_task_env(cli, tmp_path: Path) -> None:
    root = project(tmp_path, flow("orders", PANDAS))
    assert extract(cli, root, "--module", "acme.orders").code == 0
    path = root / "flows/stage.yaml"
    path.write_text(path.read_text().replace('    env:\n      EXTRACT_URI: "{{ outputs.extract.uri }}"\n', ""))
    result = cli("check", ".", "--select", "CL203", cwd=root)
    assert result.lines[0] == (
        "flows/stage.yaml:13:22: CL203 Task 'stage' does not provide environment variable 'EXTRACT_URI' read by "
        "src/acme/orders.py:9 (run): KeyError at run time; add it to the task's env or to pluginDefaults"
    )


def test_corpus_long_scripts(cli, corpus: Path, tmp_path: Path) -> None:
    """Every long script of the corpus that `extract` moves leaves a flow and a module
    that parse and keep contract 1; the others are refused with a reason."""
    result = cli("check", str(corpus), "--select", "CL101", "--output-format", "json", "--isolated", cwd=tmp_path)
    items = json.loads(result.stdout)["diagnostics"]
    assert len(items) >= 20
    moved, refused = 0, []
    for index, item in enumerate(items):
        root = tmp_path / f"p{index}"
        write(root, ".contractlint.toml", "")
        (root / "src").mkdir()
        name = Path(item["path"]).name
        shutil.copyfile(corpus / name, root / name)  # writable: the corpus is read-only
        result = cli("extract", name, item["task"], "--module", f"acme.stage{index}", cwd=root)
        if result.code != 0:
            assert result.code == 2 and result.stderr.startswith("error: "), result.stderr
            refused.append(result.stderr)
            continue
        moved += 1
        found = lint_clean_for_contract_1(cli, root)
        assert [d for d in found if d["task"] == item["task"] and d["code"] != "CL203"] == [], name
    assert moved >= 20, refused
    assert all("cannot move into env" in reason for reason in refused), refused


@pytest.mark.parametrize(
    ("script", "moves"),
    [
        ("for row in rows:\n    id = row['id']\n    print(id)\n", True),
        ("for id in ids:\n    print(id)\n", True),
        ("sum = 0\nfor x in y:\n    sum += x\nprint(sum)\n", True),
        ("input = 1\ndef f():\n    return input\nf()\n", True),
        ("with open('x') as file:\n    print(file)\n", True),
        ("for id in ids:\n    pass\nprint(id)\n", False),
        ("list = list(x)\n", False),
        ("sum += 1\n", False),
        ("if a:\n    max = 3\nprint(max)\n", False),
        ("def f():\n    return input\ninput = 1\nf()\n", False),
        ("id = 1\ndel id\nprint(id)\n", False),
    ],
)
def test_builtin_names_the_script_assigns(script: str, moves: bool) -> None:
    """In a function, a name the script assigns is local everywhere: a read that can
    run before the assignment (which found the builtin at the top level) would fail."""
    from contractlint.extract import ExtractError, _refuse_shadowed_builtins
    from contractlint.python.code import module_code

    code = module_code(SourceFile("script.py", script))
    if moves:
        _refuse_shadowed_builtins(code, code.analysis)
    else:
        with pytest.raises(ExtractError, match="the script assigns the builtin name"):
            _refuse_shadowed_builtins(code, code.analysis)


def test_src_root_inside_the_namespace_files_folder(inprocess_cli, tmp_path: Path) -> None:
    """The wrapper's sys.path entry is the src root as the task's working directory
    holds it: relative to the `namespace-files` folder that contains it."""
    root = tmp_path / "project"
    write(root, ".contractlint.toml", 'src = ["lib/src", "other"]\nnamespace-files = ["lib"]\n')
    write(root, "flows/stage.yaml", flow("ns", 'print("{{ inputs.who }}")'))
    (root / "lib/src").mkdir(parents=True)
    (root / "other").mkdir()
    result = inprocess_cli("extract", "flows/stage.yaml", "stage", "--module", "acme.ns", "--src", "lib/src", cwd=root)
    assert result.code == 0, result.stderr
    assert (root / "lib/src/acme/ns.py").is_file()
    wrapper, env = task_python(root / "flows/stage.yaml")
    assert wrapper.startswith('import sys\n\nsys.path.insert(0, "src")')
    assert env == {"WHO": "{{ inputs.who }}"}
    # The package exists now: the next module of it goes to the same root by default.
    write(root, "flows/second.yaml", flow("ns2", "print(2)"))
    result = inprocess_cli("extract", "flows/second.yaml", "stage", "--module", "acme.second", cwd=root)
    assert result.code == 0, result.stderr
    assert (root / "lib/src/acme/second.py").is_file()
