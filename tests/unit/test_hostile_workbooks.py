"""Hostile workbooks (tests/hostile_workbooks.py) are refused within bounded memory and time, each with a report.

Each file is read in a forked child, so a reader that aborts (as calamine did, asking for 550 GB) fails one
case instead of the test run, and the child's peak RSS (VmHWM, reset before reading) covers memory that
Rust allocates, which tracemalloc would not see.
"""

import json
import os
import time
from functools import partial
from pathlib import Path

import pytest

from telar.errors import SheetInvalid
from telar.reference_book import book_problems
from telar.sheets.error_report import annotate_problems
from telar.sheets.qc_sheet import read_qc_workbook
from telar.sheets.reference_book import read_reference_book
from tests.hostile_workbooks import CORPUS, Hostile

MAX_PEAK_BYTES = 200 * 1024 * 1024
# Not a speed target (those are in bench/hostile.py): a guard against a scan that runs away (quadratic, unbounded)
# on a hostile file, loose enough that a loaded machine never trips it. The slowest case takes 2-7 s.
MAX_SECONDS = 60.0
RESET_PEAK = Path("/proc/self/clear_refs")


def _rss_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/self/status")


def _read_all_ways(data: bytes) -> dict[str, object]:
    """What a person would be told: the QC reader's and the reference reader's refusals, and the annotated copy."""
    report: dict[str, object] = {}
    for name, read in (
        ("qc", read_qc_workbook),
        ("reference", partial(read_reference_book, rules=book_problems)),
    ):
        try:
            read(data)
            report[name] = "accepted"
        except SheetInvalid as invalid:
            report[name] = [str(p) for p in invalid.problems]
            if name == "qc":
                annotated = annotate_problems(data, invalid.problems)
                report["annotated_bytes"] = len(annotated) if annotated else 0
    return report


def _measure_in_child(case: Hostile) -> dict[str, object]:
    data = case.build()
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: reset the peak, read, report peak growth, time and outcome
        try:
            os.close(read_end)
            RESET_PEAK.write_text("5")
            base = _rss_kb("VmRSS")
            started = time.perf_counter()
            report = _read_all_ways(data)
            seconds = time.perf_counter() - started
            result = {"peak_bytes": (_rss_kb("VmHWM") - base) * 1024, "seconds": seconds, "report": report}
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        output = pipe.read()
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status), f"{case.name}: the reader killed the process (status {status})"
    assert output, f"{case.name}: the child wrote no report"
    return json.loads(output)


@pytest.mark.skipif(not RESET_PEAK.exists(), reason="needs Linux /proc to measure peak RSS")
@pytest.mark.parametrize("case", CORPUS, ids=[c.name for c in CORPUS])
def test_hostile_workbook_is_refused_with_bounded_memory_and_time(case: Hostile) -> None:
    # Given a hostile workbook; When the QC and reference readers and the annotator read it in a child
    result = _measure_in_child(case)
    print(
        f"{case.name}: {len(case.build()):,} bytes, peak +{result['peak_bytes'] / 1e6:.1f} MB, "
        f"{result['seconds']:.2f} s, {result['report']}"
    )
    # Then it is refused with a report naming what is wrong, within bounded memory and time
    qc = result["report"]["qc"]
    assert qc != "accepted", f"{case.name} was accepted"
    assert any(case.expected in p for p in qc), f"{case.name}: {case.expected!r} not in {qc}"
    assert result["report"]["reference"] != "accepted"
    assert result["peak_bytes"] < MAX_PEAK_BYTES, f"{case.name}: peak {result['peak_bytes']:,} bytes"
    assert result["seconds"] < MAX_SECONDS


def test_far_cell_workbook_is_refused_before_calamine_allocates_its_grid() -> None:
    # Given the reported 9 kB workbook whose one value sits at XFD1048576
    data = next(c for c in CORPUS if c.name == "far-cell-xfd1048576").build()
    assert len(data) < 10_000
    # When it is read in this very process (it aborted the whole local cloud before)
    with pytest.raises(SheetInvalid) as refused:
        read_qc_workbook(data)
    # Then the refusal names the sheet and the cell, and what was expected
    [problem] = refused.value.problems
    assert (problem.sheet, problem.cell) == ("QC", "XFD1048576")
    assert "10,000 rows" in problem.expected
