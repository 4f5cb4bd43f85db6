"""A corpus of malformed and awkward QC workbooks, each with the outcome a person would expect.

Generated, not stored: `python -m tests.qc_corpus out/qc-corpus` writes them as files to open in Excel or
LibreOffice. tests/unit/test_qc_corpus.py runs every case through the QC reader and validator.
"""

import re
import sys
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from tests.factories import CHIANG_MAI, make_assignment, make_reference

ASSIGNMENT = make_assignment()  # Cusco: scarves and cushions split over CUS-01..03
REF = make_reference()
AID = ASSIGNMENT.assignment_id
HEADER = ["Worker ID", "SKU", "Planned", "Produced", "Passed", "Rejected", "Defect codes", "Hours worked"]
ACCEPTED = "accepted"


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    expected: str  # ACCEPTED, or text that the rejection must contain (a cell like "QC!F6", or a message)


def _rows() -> list[list[Any]]:
    return [
        ["CUS-01", "KNT-SCARF-ALP", 4, 4, 3, 1, "LOOSE_THREAD", 17.5],
        ["CUS-02", "KNT-SCARF-ALP", 4, 4, 4, 0, None, 16],
        ["CUS-03", "EMB-CUSHION", 2, 2, 2, 0, None, 6],
    ]


def book(
    rows: list[list[Any]] | None = None,
    *,
    header: list[str] = HEADER,
    labels: dict[str, Any] | None = None,
    sheet: str = "QC",
    before: tuple[str, ...] = (),
    start_row: int = 6,
    gap_rows: int = 0,
    date1904: bool = False,
) -> bytes:
    """A QC workbook as a person might make one: labels in A1:B3, header above ``start_row``."""
    wb = Workbook()
    if date1904:
        wb.epoch = CALENDAR_MAC_1904
    ws = wb.active
    assert ws is not None
    if before:
        ws.title = before[0]
        for name in before[1:]:
            wb.create_sheet(name)
        ws = wb.create_sheet(sheet)
    else:
        ws.title = sheet
    labels = (
        {"Assignment ID": AID, "Inspected by": "Luz Mamani", "Date": date(2025, 4, 22)} if labels is None else labels
    )
    for r, (label, value) in enumerate(labels.items(), start=1):
        ws.cell(r, 1, label)
        ws.cell(r, 2, value)
    for c, text in enumerate(header, start=1):
        ws.cell(start_row - 1, c, text)
    for i, values in enumerate(_rows() if rows is None else rows):
        for c, value in enumerate(values, start=1):
            ws.cell(start_row + i * (gap_rows + 1), c, value)
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def _edit(rows: Callable[[list[list[Any]]], None]) -> list[list[Any]]:
    values = _rows()
    rows(values)
    return values


def _set(row: int, col: int, value: Any) -> list[list[Any]]:
    def change(values: list[list[Any]]) -> None:
        values[row][col] = value

    return _edit(change)


def zip_of(entries: dict[str, bytes]) -> bytes:
    """A zip archive of ``entries`` (name to body), deflated."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in entries.items():
            archive.writestr(name, body)
    return out.getvalue()


def edit_sheet_xml(data: bytes, edit: Callable[[str], str]) -> bytes:
    """The workbook ``data`` with its first worksheet's XML passed through ``edit``; every other part as it was."""
    source = zipfile.ZipFile(BytesIO(data))
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                body = edit(body.decode()).encode()
            target.writestr(item, body)
    return out.getvalue()


def _with_formulas(data: bytes, formulas: dict[str, tuple[str, str]]) -> bytes:
    """Replace cells by formulas with a saved result, as Excel writes them (openpyxl saves none)."""

    def edit(text: str) -> str:
        for cell, (formula, value) in formulas.items():
            text, count = re.subn(
                rf'<c r="{cell}"[^>]*>.*?</c>', f'<c r="{cell}"><f>{formula}</f><v>{value}</v></c>', text
            )
            assert count == 1, cell
        return text

    return edit_sheet_xml(data, edit)


def _reordered() -> bytes:
    order = [7, 6, 5, 4, 3, 2, 1, 0]
    return book([[r[i] for i in order] for r in _rows()], header=[HEADER[i] for i in order])


def _template_filled_by_a_manager() -> bytes:
    from telar.sheets.qc_template import write_qc_template
    from tests.factories import fill_qc_template

    return fill_qc_template(write_qc_template(ASSIGNMENT, REF.group(ASSIGNMENT.group_id), REF))


def _too_many_rows() -> bytes:
    wb = load_workbook(BytesIO(book()))
    wb["QC"].cell(10_050, 1, "far below")
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def corpus() -> list[Case]:
    other_group_maker = next(w for w in REF.makers if w.group_id == CHIANG_MAI).worker_id
    return [
        # --- valid but awkward: accepted -----------------------------------------------------------
        Case("template-filled-by-manager", _template_filled_by_a_manager(), ACCEPTED),
        Case("hand-made-sheet", book(), ACCEPTED),
        Case("numbers-as-text", book(_set(0, 3, "4")), ACCEPTED),
        Case("numbers-as-text-with-decimals", book(_set(0, 4, "3.0")), ACCEPTED),
        Case("float-counts", book(_set(1, 3, 4.0)), ACCEPTED),
        Case("trailing-spaces", book(_set(0, 0, " CUS-01  ")), ACCEPTED),
        Case("lowercase-ids", book(_edit(lambda v: v[2].__setitem__(1, "emb-cushion"))), ACCEPTED),
        Case("reordered-columns", _reordered(), ACCEPTED),
        Case("empty-rows-between", book(gap_rows=2), ACCEPTED),
        Case("header-further-down", book(start_row=12), ACCEPTED),
        Case("extra-columns", book([[*r, "note"] for r in _rows()], header=[*HEADER, "Notes"]), ACCEPTED),
        Case("uppercase-labels", book(header=[h.upper() for h in HEADER]), ACCEPTED),
        Case("date-as-serial", book(labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": 45769}), ACCEPTED),
        Case(
            "date-as-iso-text",
            book(labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": "2025-04-22"}),
            ACCEPTED,
        ),
        Case(
            "date-day-first", book(labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": "22/04/2025"}), ACCEPTED
        ),
        Case(
            "date-buddhist-era",
            book(labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": "22/04/2568"}),
            ACCEPTED,
        ),
        Case("mac-1904-dates", book(date1904=True), ACCEPTED),
        Case("hours-with-comma", book(_set(1, 7, "16,5")), ACCEPTED),
        Case("defect-codes-lowercase-semicolons", book(_set(0, 6, "loose_thread; stain")), ACCEPTED),
        Case(
            "formulas-with-cached-values",
            _with_formulas(book(), {"D6": ("E6+F6", "4"), "H6": ("2*8.75", "17.5")}),
            ACCEPTED,
        ),
        Case("qc-sheet-not-first", book(before=("Notes",)), ACCEPTED),
        # --- wrong values: rejected, naming the cell ---------------------------------------------------
        Case("passed-plus-rejected-over-produced", book(_set(0, 4, 4)), "QC!D6"),
        Case("negative-count", book(_set(1, 5, -1)), "QC!F7"),
        Case("fractional-count", book(_set(1, 4, 2.5)), "QC!E7"),
        Case("count-is-a-word", book(_set(1, 3, "four")), "QC!D7"),
        Case("unknown-worker", book(_set(0, 0, "CUS-99")), "QC!A6"),
        Case("worker-of-another-group", book(_set(0, 0, other_group_maker)), "QC!A6"),
        Case("sku-not-in-assignment", book(_set(2, 1, "SEW-TOTE")), "QC!B8"),
        Case("unknown-defect-code", book(_set(0, 6, "MOTH_HOLES")), "QC!G6"),
        Case("implausible-hours", book(_set(1, 7, 900)), "QC!H7"),
        Case("hours-missing", book(_set(1, 7, None)), "QC!H7"),
        Case(
            "inspector-missing",
            book(labels={"Assignment ID": AID, "Inspected by": None, "Date": date(2025, 4, 22)}),
            "QC!B2",
        ),
        Case("date-missing", book(labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": None}), "QC!B3"),
        Case("date-nonsense", book(labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": "soon"}), "QC!B3"),
        Case(
            "other-assignment-id",
            book(labels={"Assignment ID": "ord-x-th-chiangmai", "Inspected by": "L", "Date": date(2025, 4, 22)}),
            "QC!B1",
        ),
        Case(
            "no-assignment-id-label", book(labels={"Inspected by": "Luz", "Date": date(2025, 4, 22)}), "Assignment ID"
        ),
        Case("missing-passed-column", book([r[:4] + r[5:] for r in _rows()], header=HEADER[:4] + HEADER[5:]), "Passed"),
        # --- not a QC workbook at all: rejected with a clear message ---------------------------------
        Case("empty-file", b"", "an empty file"),
        Case("csv", b"Worker ID,SKU,Planned\nCUS-01,KNT-SCARF-ALP,4\n", "CSV"),
        Case("old-xls-or-password", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, ".xls"),
        Case("png-renamed", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not a spreadsheet"),
        Case("zip-of-notes", zip_of({"notes.txt": b"hello"}), "not a workbook"),
        Case(
            "zip-bomb",
            zip_of({"[Content_Types].xml": b"<Types/>", "xl/worksheets/sheet1.xml": b"0" * 40_000_000}),
            "zip",
        ),
        Case("too-many-entries", zip_of({f"xl/media/{i}.bin": b"x" for i in range(600)}), "entries"),
        Case("oversize", b"PK\x03\x04" + b"\x00" * 5_100_000, "at most 5,000,000 bytes"),
        Case("content-below-row-limit", _too_many_rows(), "rows"),
    ]


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "out/qc-corpus")
    target.mkdir(parents=True, exist_ok=True)
    for case in corpus():
        (target / f"{case.name}.xlsx").write_bytes(case.data)
    print(f"{len(corpus())} workbooks in {target}/")
