"""How long a hostile workbook holds a reader before it is refused (tests/hostile_workbooks.py's corpus).

Each file of the corpus is read as an upload is: the QC reader refuses it, then the annotated copy is attempted.
Beside it, every zip entry of the same bytes goes through expat with no handlers: the floor of any streaming
scan, measured in the same run, so the ratio holds on a noisy machine. The tests check refusal and memory;
time is measured here.
"""

import io
import zipfile
from functools import partial
from xml.parsers import expat

from bench._timing import best_of
from telar.errors import SheetInvalid
from telar.sheets.error_report import annotate_problems
from telar.sheets.qc_sheet import read_qc_workbook
from tests.hostile_workbooks import CORPUS

ROUNDS = 2


def _refuse_and_annotate(data: bytes) -> None:
    try:
        read_qc_workbook(data)
    except SheetInvalid as invalid:
        annotate_problems(data, invalid.problems)
        return
    raise AssertionError("a hostile workbook was accepted")


def _bare_expat(data: bytes) -> None:
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return  # refused before any XML is read
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for entry in archive.infolist():
            parser = expat.ParserCreate()
            with archive.open(entry) as stream:
                while chunk := stream.read(64 * 1024):
                    parser.Parse(chunk, False)


def run() -> dict[str, float]:
    slowest, slowest_name, slowest_floor = 0.0, "", 0.0
    for case in CORPUS:
        data = case.build()
        seconds = best_of(ROUNDS, partial(_refuse_and_annotate, data))
        if seconds > slowest:
            slowest, slowest_name = seconds, case.name
            slowest_floor = best_of(ROUNDS, partial(_bare_expat, data))
    print(f"  slowest to refuse: {slowest_name}")
    return {
        "hostile.cases": len(CORPUS),
        "hostile.slowest_refusal_seconds": round(slowest, 3),
        "hostile.slowest_bare_expat_seconds": round(slowest_floor, 3),
        "hostile.slowest_ratio_to_bare_expat": round(slowest / max(slowest_floor, 1e-6), 1),
    }
