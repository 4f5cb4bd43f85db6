"""One benchmark in an interpreter of its own: ``python -m bench._one <module> <figures.json>`` (bench/__main__.py).

Runs ``bench.<module>.run()`` and writes its figures to the file as JSON. Each benchmark starts from a fresh
process, so none measures what an earlier one left behind: imported packages, caches, a large heap that Python's
garbage collector walks again during the next one's timing (the payroll compute, run after the intake bench in
one process, took 0.3 s more CPU for the same work).
"""

import importlib
import json
import sys
from pathlib import Path

if __name__ == "__main__":
    module, out = sys.argv[1:]
    Path(out).write_text(json.dumps(importlib.import_module(f"bench.{module}").run()))
