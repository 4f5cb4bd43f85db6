"""The state machine's definition, generated from its source so that each retry policy is written once.

``statemachines/order_pipeline.src.json`` is the ASL to edit, with one addition: a top-level ``Retriers`` map
(name -> one Retry entry) and, in each task, ``"Retry": [<names>]``. This writes
``statemachines/order_pipeline.asl.json`` (what the template deploys and the local cloud runs) with each name
replaced by its entry. ``make asl`` runs it; a unit test fails while the two files differ.

Usage: ``python -m local.asl [--check]``
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "statemachines" / "order_pipeline.src.json"
DEFINITION = ROOT / "statemachines" / "order_pipeline.asl.json"


def expand(source: dict[str, Any]) -> dict[str, Any]:
    """The ASL of ``source``: its ``Retriers`` map removed and every task's Retry names replaced by entries."""
    definition = dict(source)
    retriers = definition.pop("Retriers")

    def walk(states: dict[str, Any]) -> None:
        for name, state in states.items():
            if "Retry" in state:
                unknown = [r for r in state["Retry"] if not isinstance(r, str) or r not in retriers]
                if unknown:
                    raise ValueError(f"state {name}: Retry names {unknown} are not in Retriers {sorted(retriers)}")
                state["Retry"] = [retriers[r] for r in state["Retry"]]
            for branch in state.get("Branches", []):
                walk(branch["States"])
            if "ItemProcessor" in state:
                walk(state["ItemProcessor"]["States"])

    walk(definition["States"])
    return definition


def render(source_text: str) -> str:
    return json.dumps(expand(json.loads(source_text)), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the definition is not current")
    args = parser.parse_args(argv)
    text = render(SOURCE.read_text(encoding="utf-8"))
    if args.check:
        if DEFINITION.read_text(encoding="utf-8") != text:
            print(f"{DEFINITION.relative_to(ROOT)} is not generated from {SOURCE.name}: run make asl", file=sys.stderr)
            return 1
        return 0
    DEFINITION.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
