"""A pytest plugin (``-p tests.layer_times`` in pyproject.toml): the time each layer of the suite took.

Why: the browser, mail and fault-injection tests to come will grow the suite, and CI has 90 minutes on
2 cores. The summary sums each test's setup, call and teardown per layer (tests/unit, tests/integration,
tests/e2e), so a layer that grows shows up in every run's output, beside pytest's ten slowest tests.
"""

from __future__ import annotations

from collections import defaultdict

import pytest

_seconds: defaultdict[str, float] = defaultdict(float)
_tests: defaultdict[str, set[str]] = defaultdict(set)


def _layer(nodeid: str) -> str:
    parts = nodeid.split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else parts[0].split("::")[0]


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    layer = _layer(report.nodeid)
    _seconds[layer] += report.duration
    _tests[layer].add(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _seconds:
        return
    terminalreporter.section("time per layer (setup + call + teardown of its tests)")
    for layer, seconds in sorted(_seconds.items(), key=lambda item: -item[1]):
        terminalreporter.write_line(f"{layer:<14} {seconds:8.1f} s  {len(_tests[layer]):5d} tests")
