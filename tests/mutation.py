"""`make mutants`: mutation testing of the domain modules with mutmut, and the score per module.

mutmut names a mutant by its module path under ``.``, ``src/`` or ``source/``, so the layer
(``layers/telar/telar``, imported as ``telar``) is staged as ``out/mutation/src/telar`` beside a copy of
the tests and what they read; mutmut then keeps its results in ``out/mutation/mutants/`` between runs
(files are copied with their times, so an unchanged module is not mutated again). Each mutant runs
only the unit tests that cover it. Survivors kept on purpose are listed, with the reason, in
docs/mutation.md.

    python -m tests.mutation stage    # refresh out/mutation/
    python -m tests.mutation score    # the score per module, from mutmut's results
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STAGE = ROOT / "out" / "mutation"
MODULES = [  # the domain: money, consent, isolation, limits, and the parsing in front of them
    "payroll.py",
    "qc.py",
    "cards.py",
    "auth/__init__.py",
    "capacity.py",
    "allocation.py",
    "intake.py",
    "models/qc.py",  # the QC hours bound (qc.py's, until issue 19)
    "sheets/cells.py",
    "sheets/reading.py",
    "sheets/cell_readers.py",  # the cell coercion and
    "sheets/qc_sheet.py",  # the QC workbook reading, both in qc.py until issue 19
]
COPIED = ["tests", "local", "samples", "functions", "statemachines", "template.yaml"]
PYPROJECT = """\
[tool.pytest.ini_options]
pythonpath = ["."]
testpaths = ["tests"]
markers = ["e2e: runs the whole pipeline through the local cloud (slower)"]
addopts = "--strict-markers"
timeout = 60

[tool.mutmut]
source_paths = ["src/telar"]
only_mutate = [{only}]
also_copy = [{also}]
pytest_add_cli_args_test_selection = ["tests/unit"]
"""


def stage() -> None:
    """Copy the layer and what the unit tests read into out/mutation/, keeping file times."""
    STAGE.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(ROOT / "layers" / "telar" / "telar", STAGE / "src" / "telar", dirs_exist_ok=True, ignore=ignore)
    for name in COPIED:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, STAGE / name, dirs_exist_ok=True, ignore=ignore)
        else:
            shutil.copy2(source, STAGE / name)
    only = ", ".join(f'"src/telar/{module}"' for module in MODULES)
    also = ", ".join(f'"{name}"' for name in COPIED if name != "tests")  # mutmut copies tests/ itself
    (STAGE / "pyproject.toml").write_text(PYPROJECT.format(only=only, also=also))


_STATUS = re.compile(r"^\s*(?P<name>telar\.[\w.]+?)\.x[_\w]*__mutmut_\d+: (?P<status>[\w ]+?)\s*$")


def score() -> int:
    """Print killed / all per module from ``mutmut results --all true``; 0 unless mutmut failed."""
    done = subprocess.run(
        [str(Path(sys.executable).parent / "mutmut"), "results", "--all", "true"],
        cwd=STAGE,
        capture_output=True,
        text=True,
        check=False,
    )
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for line in done.stdout.splitlines():
        if match := _STATUS.match(line):
            counts[match["name"]][match["status"]] += 1
    if not counts:
        print(done.stdout, done.stderr, sep="\n")
        return 1
    print(f"{'module':<24} {'killed':>7} {'all':>6} {'score':>7}  other outcomes")
    for module, outcome in sorted(counts.items()):
        total = sum(outcome.values())
        killed = outcome["killed"] + outcome["timeout"]
        others = ", ".join(f"{n} {s}" for s, n in sorted(outcome.items()) if s not in ("killed", "timeout"))
        print(f"{module:<24} {killed:>7} {total:>6} {killed / total:>7.1%}  {others}")
    return 0


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "stage":
        stage()
    elif command == "score":
        sys.exit(score())
    else:
        sys.exit(__doc__)
