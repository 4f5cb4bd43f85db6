"""User text in cells stays text; shared print and style helpers."""

import time
import zipfile
from datetime import datetime
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from telar.sheets.cells import MAX_CELL_CHARS, money_format, put_text, put_value, safe_text, setup_print, to_bytes

FORMULA_LIKE = [
    '=HYPERLINK("http://x","y")',
    "=1+1",
    "+51 984 000 111",
    "-5",
    "@SUM(A1:A9)",
    "\t=cmd|' /C calc'!A0",
    "#N/A",
    "00123",
]


def _sheet_xml(data: bytes) -> str:
    return zipfile.ZipFile(BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_text_that_looks_like_a_formula_round_trips_as_text(text: str) -> None:
    # Given a cell written with put_text
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    put_text(ws["A1"], text)

    # When saved and opened again
    data = to_bytes(wb)
    cell = load_workbook(BytesIO(data)).active["A1"]

    # Then it is the same text, a string cell, marked to stay text when edited, and no formula in the XML
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert "<f>" not in _sheet_xml(data)


def test_plain_assignment_would_have_made_a_formula() -> None:
    # Guards the test above: openpyxl's own inference is what put_text protects against
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = FORMULA_LIKE[0]
    assert "<f>" in _sheet_xml(to_bytes(wb))


def test_safe_text_drops_characters_xml_cannot_hold_and_caps_the_length() -> None:
    assert safe_text("Ro\x00sa\x07 \x1bQuispe\ttab\nline") == "Rosa Quispe\ttab\nline"
    assert len(safe_text("x" * 40_000)) == MAX_CELL_CHARS
    assert safe_text(None) == ""
    assert safe_text(12) == "12"


def test_put_text_does_not_crash_on_control_characters() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    put_text(ws["A1"], "Carmen\x0b")
    assert load_workbook(BytesIO(to_bytes(wb))).active["A1"].value == "Carmen"


def test_put_value_takes_numbers_and_dates_only() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    put_value(ws["A1"], Decimal("12.50"), money_format("PEN"))
    assert (ws["A1"].value, ws["A1"].number_format) == (Decimal("12.50"), '"S/" #,##0.00;-"S/" #,##0.00')
    with pytest.raises(TypeError):
        put_value(ws["A2"], "=1+1")  # type: ignore[arg-type]


def test_print_setup_is_a4_one_page_wide_with_the_header_row_repeated() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    setup_print(ws, header_row=4, landscape=True)
    ws2 = load_workbook(BytesIO(to_bytes(wb))).active
    assert ws2 is not None
    assert str(ws2.page_setup.paperSize) == ws2.PAPERSIZE_A4 == "9"
    assert (ws2.page_setup.fitToWidth, ws2.page_setup.fitToHeight) == (1, 0)
    assert ws2.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws2.page_setup.orientation == "landscape"
    assert ws2.print_title_rows == "$4:$4"


def test_the_same_workbook_written_at_two_times_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the same content put in two workbooks, the second created and saved a day later
    def workbook() -> Workbook:
        wb = Workbook()
        put_text(wb.active.cell(1, 1), "Taller Cusco")
        put_value(wb.active.cell(2, 1), Decimal("12.50"))
        return wb

    first = to_bytes(workbook())
    later = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *_: time.gmtime(later))
    second = workbook()
    second.properties.created = datetime(2030, 1, 1)
    # Then the bytes are the same (a retried stage rewrites an artifact with what it holds)
    assert to_bytes(second) == first
    # And the workbook still opens, with its values
    assert load_workbook(BytesIO(first)).active["A1"].value == "Taller Cusco"
    assert {info.date_time for info in zipfile.ZipFile(BytesIO(first)).infolist()} == {(1980, 1, 1, 0, 0, 0)}
