"""`make bench`: run every benchmark module in bench/ and merge their figures into out/bench/results.json.

Each module exposes ``run() -> dict[str, float]`` with names ending in their unit (``_ms``, ``_seconds``...), and
runs in an interpreter of its own (bench/_one.py says why).
"""

import json
import pkgutil
import subprocess
import sys
import tempfile
from pathlib import Path

import bench

OUT = Path(__file__).resolve().parent.parent / "out" / "bench" / "results.json"


def _run_alone(module: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "figures.json"
        subprocess.run([sys.executable, "-m", "bench._one", module, str(out)], check=True)
        figures: dict[str, float] = json.loads(out.read_text())
        return figures


def main(selected: list[str]) -> int:
    # A partial run (`python -m bench qc`) updates its own figures and keeps the others.
    results: dict[str, float] = json.loads(OUT.read_text()) if selected and OUT.exists() else {}
    for module in sorted(m.name for m in pkgutil.iter_modules(bench.__path__)):
        if module.startswith("_") or (selected and module not in selected):
            continue
        print(f"== bench.{module}", flush=True)
        figures = _run_alone(module)
        for name, value in figures.items():
            print(f"  {name:<45} {value:>12,.3f}")
        results.update(figures)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(results, indent=2, sort_keys=True))
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
