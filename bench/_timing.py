"""Timing helpers shared by the benchmarks (a leading underscore: `python -m bench` does not run it)."""

import time
from collections.abc import Callable


def best_of(rounds: int, fn: Callable[[], object]) -> float:
    """The fastest of ``rounds`` calls of ``fn``, in seconds (the run least disturbed by the machine)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best
