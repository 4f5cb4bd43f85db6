"""Every workbook of the QC corpus (tests/qc_corpus.py): accepted, or rejected naming what is wrong; never a crash."""

import pytest

from telar.errors import SheetInvalid
from telar.qc import validate_qc
from telar.sheets.qc_sheet import read_qc_workbook
from tests.qc_corpus import ACCEPTED, ASSIGNMENT, REF, Case, corpus

CASES = corpus()


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert sum(c.expected == ACCEPTED for c in CASES) >= 10


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_workbook_gets_the_expected_outcome(case: Case) -> None:
    try:
        sheet = validate_qc(read_qc_workbook(case.data), ASSIGNMENT, REF)
    except SheetInvalid as invalid:
        report = "\n".join(str(p) for p in invalid.problems)
        assert case.expected != ACCEPTED, f"{case.name} was rejected:\n{report}"
        assert case.expected in report, f"{case.name}: {case.expected!r} not in\n{report}"
        return
    assert case.expected == ACCEPTED, f"{case.name} was accepted, expected a rejection naming {case.expected}"
    assert sheet.assignment_id == ASSIGNMENT.assignment_id and sheet.rows
