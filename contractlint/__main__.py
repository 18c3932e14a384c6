"""``python -m contractlint``: the command line, without the working directory on
``sys.path``.

``python -m`` puts the working directory first on ``sys.path``, and the working
directory is the repository being linted: a ``click.py`` (or ``libcst/``) there would
be imported — run — in place of ours. Linting is static; nothing of the user's may
run. So, first thing, the entry goes (pylint's ``modify_sys_path``).
"""

import os
import sys


def modify_sys_path() -> None:
    """Drop the working directory that ``python -m`` (or an empty ``PYTHONPATH``
    entry) put on ``sys.path``.

    - the first entry is always ``""`` or the working directory under ``-m``;
    - a ``PYTHONPATH`` that starts or ends with ``:`` adds it once more, as the
      second (starts) or the entry after ``PYTHONPATH``'s (ends), unless that entry is
      the working directory named on purpose.
    """
    cwd = os.getcwd()
    if sys.path and sys.path[0] in ("", ".", cwd):
        sys.path.pop(0)
    python_path = os.environ["PYTHONPATH"] if "PYTHONPATH" in os.environ else ""
    if python_path.startswith(os.pathsep) and python_path not in (f"{os.pathsep}{cwd}", f"{os.pathsep}."):
        if sys.path and sys.path[0] in ("", ".", cwd):
            sys.path.pop(0)
    elif python_path.endswith(os.pathsep) and python_path not in (f"{cwd}{os.pathsep}", f".{os.pathsep}"):
        if len(sys.path) > 1 and sys.path[1] in ("", ".", cwd):
            sys.path.pop(1)


modify_sys_path()

from contractlint.cli import main  # noqa: E402 - after the path is safe

main()
