"""Benchmark contractlint the way it is used, side by side with a reference in the same
run, and print every target of issue 11 with its ratio:

    python benchmarks/bench.py [--quick] [--readme]

* **one flow, cold** — a pre-commit run on one flow with an inline script (no cache) vs
  ``python -c pass``, both as a user's install runs them (bytecode compiled, as pip does
  at install time) and as this checkout runs them (editable, and on this machine
  ``PYTHONDONTWRITEBYTECODE=1``: contractlint's modules are compiled on every start);
* **modules** — contractlint (no cache) vs ruff (no cache, its default rules and
  ``--select ALL``) on the same 200 real modules from site-packages: wall time, and CPU
  per line;
* **corpus** — the Kestra blueprint corpus, cold, vs a floor of the parsing that cannot be
  avoided: ruamel compose of every file and ``ast.parse`` of every inline script;
* **warm** — a re-run with nothing changed vs the cold run (corpus, and a synthetic
  5,000-file repository), and one changed file in the 5,000-file repository;
* **memory** — the peak of the whole process tree (this process, the fork server and
  every worker) during a 20,000-file run, sampled from ``/proc`` every 20 ms: the sum of
  each process's RSS (an upper bound: pages shared after a fork count once per process)
  and of its PSS (shared pages divided among the processes that share them).

The synthetic repositories are half corpus flows, half real modules (copied from
site-packages, 1–64 KB each), built in a temporary folder and deleted afterwards. Times
are medians; every comparison runs interleaved with its reference in the same run.
``--quick`` uses fewer repeats and a 4,000-file memory run; ``--readme`` writes the
table into README.md between the ``benchmark`` markers. Nothing here is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus" / "kestra-blueprints" / "flows"
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
MARKERS = ("<!-- benchmark:start -->", "<!-- benchmark:end -->")


@dataclass
class Row:
    name: str
    measured: str
    reference: str
    ratio: str
    target: str
    met: bool | None  # None: no target, shown for context


ROWS: list[Row] = []


def row(name: str, measured: float, reference: float, reference_name: str, limit: float | None,
        unit: str = "s", target_text: str | None = None) -> None:
    ratio = measured / reference if reference else float("inf")
    met = None if limit is None else ratio <= limit
    shown = f"{ratio:.1%}" if target_text and "%" in target_text else f"{ratio:.2f}×"
    ROWS.append(Row(name, _fmt(measured, unit), f"{_fmt(reference, unit)} {reference_name}", shown,
                    target_text or (f"≤ {limit:g}×" if limit is not None else "—"), met))
    verdict = "" if met is None else ("  met" if met else "  NOT MET")
    print(f"{name:58} {_fmt(measured, unit):>10} vs {_fmt(reference, unit):>10} {reference_name:22} "
          f"{shown:>7}  target {ROWS[-1].target}{verdict}", flush=True)


def absolute_row(name: str, measured: float, limit: float | None, unit: str = "s") -> None:
    met = None if limit is None else measured <= limit
    shown = "—" if limit is None else f"{measured / limit:.2f}× the limit"
    target = "—" if limit is None else f"≤ {_fmt(limit, unit)}"
    ROWS.append(Row(name, _fmt(measured, unit), "—", shown, target, met))
    verdict = "" if met is None else ("  met" if met else "  NOT MET")
    print(f"{name:58} {_fmt(measured, unit):>10} {'':36} {shown:>18}  target {target}{verdict}", flush=True)


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 2 else f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "µs":
        return f"{value:.1f} µs"
    return f"{value:g} {unit}"


# -- running things ---------------------------------------------------------------------


def run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and the children it waited for)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def interleaved(commands: dict[str, tuple[list[str], Path, dict | None]], repeat: int,
                before_each: dict | None = None) -> dict[str, tuple[float, float]]:
    """Median (wall, CPU) of each command, the commands run in turn ``repeat`` times."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, (args, cwd, env) in commands.items():
            if before_each and name in before_each:
                before_each[name]()
            samples[name].append(run(args, cwd, env))
    return {name: (statistics.median(w for w, _ in found), statistics.median(c for _, c in found))
            for name, found in samples.items()}


def environment(**changes: str | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CONTRACTLINT_")}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def installed_python(work: Path) -> Path:
    """A virtual environment with contractlint installed as pip installs it — a copy of
    the package with its bytecode compiled — and the dependencies of this one."""
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "dependencies.pth").write_text(str(SITE_PACKAGES) + "\n")
    shutil.copytree(REPO / "contractlint", site / "contractlint", ignore=shutil.ignore_patterns("__pycache__"))
    subprocess.run([str(python), "-m", "compileall", "-q", str(site / "contractlint")], check=True,
                   env=environment(PYTHONDONTWRITEBYTECODE=None))
    return python


# -- inputs ---------------------------------------------------------------------------


def real_modules() -> list[Path]:
    """Real modules of this environment's site-packages, 1–64 KB, in a stable order."""
    found = []
    for folder, folders, names in os.walk(SITE_PACKAGES):
        folders[:] = sorted(name for name in folders if not name.startswith(("contractlint", "__pycache__")))
        for name in sorted(names):
            path = Path(folder) / name
            if name.endswith(".py") and 1_000 <= path.stat().st_size <= 64_000:
                found.append(path)
    return found


def spread(items: list, count: int) -> list:
    """``count`` items spread evenly over ``items`` (cycling when there are fewer)."""
    if count <= len(items):
        step = len(items) / count
        return [items[int(index * step)] for index in range(count)]
    return [items[index % len(items)] for index in range(count)]


def copy_modules(modules: list[Path], folder: Path) -> int:
    """Copy ``modules`` into ``folder``; the number of lines."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = 0
    for index, module in enumerate(modules):
        data = module.read_bytes()
        (folder / f"m{index:05d}_{module.name}").write_bytes(data)
        lines += data.count(b"\n")
    return lines


def synthetic_repository(root: Path, files: int, modules: list[Path]) -> None:
    """Half corpus flows, half real modules, in folders of 100, under a git work tree."""
    flows = sorted(CORPUS.glob("*.y*ml"))
    (root / ".git").mkdir(parents=True)
    (root / ".contractlint.toml").write_text('src = ["."]\n')
    for index, flow in enumerate(spread(flows, files // 2)):
        target = root / "flows" / f"batch{index // 100:03d}" / f"{index:05d}_{flow.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(flow, target)
    for index, module in enumerate(spread(modules, files - files // 2)):
        target = root / "pipelines" / f"batch{index // 100:03d}" / f"m{index:05d}_{module.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(module, target)


def floor_script() -> str:
    """What parsing the corpus costs at the least: ruamel composes every file and
    ``ast`` parses every inline script."""
    return (
        "import ast, os, sys\n"
        "from ruamel.yaml import YAML\n"
        "loader = YAML(typ='safe')\n"
        "def scripts(node, out):\n"
        "    if node.id == 'mapping':\n"
        "        for key, value in node.value:\n"
        "            if key.id == 'scalar' and key.value == 'script' and value.id == 'scalar':\n"
        "                out.append(value.value)\n"
        "            else:\n"
        "                scripts(value, out)\n"
        "    elif node.id == 'sequence':\n"
        "        for value in node.value:\n"
        "            scripts(value, out)\n"
        "for name in sorted(os.listdir(sys.argv[1])):\n"
        "    with open(os.path.join(sys.argv[1], name), encoding='utf-8') as handle:\n"
        "        text = handle.read()\n"
        "    try:\n"
        "        documents = [d for d in loader.compose_all(text) if d is not None]\n"
        "    except Exception:\n"
        "        continue\n"
        "    found = []\n"
        "    for document in documents:\n"
        "        scripts(document, found)\n"
        "    for script in found:\n"
        "        try:\n"
        "            ast.parse(script)\n"
        "        except SyntaxError:\n"
        "            pass\n"
    )


# -- memory ---------------------------------------------------------------------------


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
        except (OSError, IndexError, ValueError):
            continue
    found, pending = [], [root]
    while pending:
        pid = pending.pop()
        found.append(pid)
        pending.extend(children.get(pid, []))
    return found


def _memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of a process in bytes; (0, 0) once it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
            text = handle.read().decode()
    except OSError:
        return 0, 0
    rss = re.search(r"^Rss:\s+(\d+) kB", text, re.MULTILINE)
    pss = re.search(r"^Pss:\s+(\d+) kB", text, re.MULTILINE)
    return (int(rss.group(1)) * 1024 if rss else 0), (int(pss.group(1)) * 1024 if pss else 0)


def peak_memory(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float, float, int]:
    """(wall seconds, peak summed RSS in MiB, peak summed PSS in MiB, most processes seen)."""
    peaks = {"rss": 0, "pss": 0, "processes": 0}
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pids = _tree(process.pid)
            sizes = [_memory(pid) for pid in pids]
            peaks["rss"] = max(peaks["rss"], sum(rss for rss, _ in sizes))
            peaks["pss"] = max(peaks["pss"], sum(pss for _, pss in sizes))
            peaks["processes"] = max(peaks["processes"], sum(1 for rss, _ in sizes if rss))
            done.wait(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    process.wait()
    wall = time.perf_counter() - started
    done.set()
    sampler.join()
    return wall, peaks["rss"] / 2**20, peaks["pss"] / 2**20, peaks["processes"]


# -- the benchmark ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats, a smaller memory run")
    parser.add_argument("--readme", action="store_true", help="write the results table into README.md")
    options = parser.parse_args()
    repeat = 5 if options.quick else 11
    if not CORPUS.is_dir():
        sys.exit(f"the Kestra blueprint corpus is not at {CORPUS}")
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    flag = os.environ["PYTHONDONTWRITEBYTECODE"] if "PYTHONDONTWRITEBYTECODE" in os.environ else "(unset)"
    print(f"{cores} cores; Python {sys.version.split()[0]}; PYTHONDONTWRITEBYTECODE={flag}", flush=True)
    work = Path(tempfile.mkdtemp(prefix="contractlint-bench-"))
    try:
        benchmark(work, repeat, options.quick, cores)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if options.readme:
        write_readme(cores)


def benchmark(work: Path, repeat: int, quick: bool, cores: int) -> None:
    installed = installed_python(work)
    editable = Path(sys.executable)
    here = environment()
    user = environment(PYTHONDONTWRITEBYTECODE=None)

    # One flow with an inline script, as pre-commit runs it.
    one = work / "one"
    (one / ".git").mkdir(parents=True)
    shutil.copyfile(REPO / "flows_fixtures" / "good" / "hello_world.yaml", one / "hello_world.yaml")
    shutil.copytree(REPO / "flows_fixtures" / "pipelines", one / "pipelines")
    check_one = ["-m", "contractlint", "check", "--force-exclude", "--no-cache", "hello_world.yaml"]
    found = interleaved({
        "pass (installed)": ([str(installed), "-c", "pass"], one, user),
        "import click": ([str(installed), "-c", "import click"], one, user),
        "--version": ([str(installed), "-m", "contractlint", "--version"], one, user),
        "one (installed)": ([str(installed), *check_one], one, user),
        "pass (editable)": ([str(editable), "-c", "pass"], one, here),
        "one (editable)": ([str(editable), *check_one], one, here),
        "one, cache warm (installed)": ([str(installed), *check_one[:-2], "hello_world.yaml"], one, user),
    }, repeat * 2)
    row("one flow, cold, as installed (bytecode compiled)", found["one (installed)"][0],
        found["pass (installed)"][0], "python -c pass", 4)
    row("one flow, cold, this checkout (editable, no bytecode)", found["one (editable)"][0],
        found["pass (editable)"][0], "python -c pass", 4)
    row("one flow, cache warm, as installed", found["one, cache warm (installed)"][0],
        found["pass (installed)"][0], "python -c pass", None)
    row("start-up floor: `python -c 'import click'`", found["import click"][0], found["pass (installed)"][0],
        "python -c pass", None)
    row("start-up: `contractlint --version`", found["--version"][0], found["pass (installed)"][0], "python -c pass",
        None)

    # Real modules vs ruff.
    ruff = shutil.which("ruff")
    modules = real_modules()
    module_folder = work / "modules"
    lines = copy_modules(spread(modules, 200), module_folder)
    commands = {
        "contractlint": ([str(installed), "-m", "contractlint", "check", "--no-cache", "-q", "."], module_folder, user),
    }
    if ruff is not None:
        commands["ruff"] = ([ruff, "check", "--no-cache", "--isolated", "-q", "--exit-zero", "."], module_folder, user)
        commands["ruff ALL"] = ([ruff, "check", "--no-cache", "--isolated", "-q", "--exit-zero", "--select", "ALL",
                                 "."], module_folder, user)
    found = interleaved(commands, repeat)
    if ruff is None:
        print("ruff is not installed (pip install ruff): module comparison skipped")
    else:
        row(f"200 real modules ({lines} lines), cold, no cache", found["contractlint"][0], found["ruff"][0],
            "ruff (default rules)", 15)
        row("200 real modules, cold, no cache", found["contractlint"][0], found["ruff ALL"][0], "ruff --select ALL",
            None)
        row("CPU per line", found["contractlint"][1] / lines * 1e6, found["ruff"][1] / lines * 1e6,
            "ruff (default rules)", None, unit="µs")

    # The corpus vs the parse floor.
    corpus_cache = work / "corpus-cache"
    floor = work / "floor.py"
    floor.write_text(floor_script())
    check_corpus = [str(installed), "-m", "contractlint", "check", "-q", str(CORPUS), "--cache-dir", str(corpus_cache)]
    found = interleaved({
        "floor": ([str(installed), str(floor), str(CORPUS)], work, user),
        "cold": ([*check_corpus, "--no-cache"], work, user),
        "cold, writing the cache": (check_corpus, work, user),
        "warm": (check_corpus, work, user),
    }, repeat, before_each={"cold, writing the cache": lambda: shutil.rmtree(corpus_cache, ignore_errors=True)})
    row("corpus (399 flows), cold, no cache", found["cold"][0], found["floor"][0], "ruamel + ast floor", 3)
    row("corpus, re-run with nothing changed", found["warm"][0], found["cold, writing the cache"][0],
        "cold run", 0.05, target_text="≤ 5 %")

    # 5,000 files: warm re-run and one changed file.
    repository = work / "repo5k"
    synthetic_repository(repository, 5_000, modules)
    check_repo = [str(installed), "-m", "contractlint", "check", "-q", "."]
    cold, _ = run(check_repo, repository, user)  # writes the cache
    changed = sorted((repository / "flows").rglob("*.yaml"))[len(list((repository / "flows").rglob("*.yaml"))) // 2]
    original = changed.read_text(encoding="utf-8")
    counter = iter(range(1_000_000))

    def change_one() -> None:
        changed.write_text(original + f"# edit {next(counter)}\n", encoding="utf-8")

    found = interleaved({
        "warm": (check_repo, repository, user),
        "one changed": (check_repo, repository, user),
        "one changed, pre-commit": ([*check_repo[:-1], "--force-exclude", str(changed.relative_to(repository))],
                                    repository, user),
    }, max(3, repeat // 2), before_each={"one changed": change_one, "one changed, pre-commit": change_one})
    row("5,000 files, re-run with nothing changed", found["warm"][0], cold, "cold run", 0.05, target_text="≤ 5 %")
    alone, split, workers, share = parallel_speedup(repository)
    row(f"5,000 files, cold: {workers} worker process(es) + this one", split, alone, "one process", None)
    print(f"{'':58} this process did {share:.0%} of the CPU work of the lone run; the worker(s) the rest")
    absolute_row("5,000 files, one file changed: `check .`", found["one changed"][0], 0.3)
    absolute_row("5,000 files, one file changed: pre-commit (names the file)", found["one changed, pre-commit"][0],
                 0.3)

    # Peak memory, 20,000 files.
    size = 4_000 if quick else 20_000
    big = work / "repo20k"
    synthetic_repository(big, size, modules)
    wall, rss, pss, processes = peak_memory([str(installed), "-m", "contractlint", "check", "-q", "--no-cache", "."],
                                            big, user)
    absolute_row(f"{size:,} files, cold, no cache ({processes} processes at most)", wall, None)
    absolute_row(f"{size:,} files: peak memory, all processes (sum of RSS)", rss, 300, unit="MiB")
    absolute_row(f"{size:,} files: peak memory, all processes (sum of PSS)", pss, 300, unit="MiB")


def parallel_speedup(repository: Path) -> tuple[float, float, int, float]:
    """Cold, without the cache, in this process (this checkout), one process against the
    workers the run chooses, each twice in turn (best of two: the machine is shared):
    (seconds alone, seconds with workers, how many workers, the share of the CPU time of
    the lone run that this process spent when it had workers)."""
    from contractlint import runner
    from contractlint.config import CommandLine
    from contractlint.resolver import Resolver

    chosen: list[int] = []
    count = runner._worker_count

    def counting(request, jobs):  # noqa: ANN001 - the runner's own signature
        chosen.append(count(request, jobs))
        return chosen[-1]

    previous = os.getcwd()
    os.chdir(repository)
    walls: dict[int | None, list[float]] = {1: [], None: []}
    cpus: dict[int | None, list[float]] = {1: [], None: []}
    try:
        runner._worker_count = counting
        for jobs in (1, None, 1, None):
            started, cpu = time.perf_counter(), time.process_time()
            runner.run_check(runner.CheckRequest(paths=(".",), jobs=jobs), Resolver(CommandLine(), repository))
            walls[jobs].append(time.perf_counter() - started)
            cpus[jobs].append(time.process_time() - cpu)
    finally:
        runner._worker_count = count
        os.chdir(previous)
    return min(walls[1]), min(walls[None]), chosen[-1], min(cpus[None]) / min(cpus[1])


def write_readme(cores: int) -> None:
    readme = REPO / "README.md"
    text = readme.read_text(encoding="utf-8")
    table = [
        MARKERS[0],
        f"Measured with `python benchmarks/bench.py --readme` on {cores} cores (Python {sys.version.split()[0]}); "
        "every ratio is taken within one run.",
        "",
        "| measurement | contractlint | reference | ratio | target |",
        "|---|---:|---:|---:|---|",
    ]
    for found in ROWS:
        verdict = "" if found.met is None else (" ✓" if found.met else " ✗")
        table.append(f"| {found.name} | {found.measured} | {found.reference} | {found.ratio} | "
                     f"{found.target}{verdict} |")
    table.append(MARKERS[1])
    start, end = text.find(MARKERS[0]), text.find(MARKERS[1])
    if start == -1 or end == -1:
        sys.exit("README.md has no benchmark markers")
    readme.write_text(text[:start] + "\n".join(table) + text[end + len(MARKERS[1]):], encoding="utf-8")
    print(f"wrote the table into {readme}")


if __name__ == "__main__":
    main()
