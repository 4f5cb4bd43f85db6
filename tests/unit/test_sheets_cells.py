"""User text in cells stays text; shared print and style helpers."""

import time
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
import xlsxwriter
from openpyxl import load_workbook

from telar.sheets.cells import (
    BOX,
    INPUT_FILL,
    MAX_CELL_CHARS,
    TITLE_FONT,
    date_check,
    money_format,
    new_workbook,
    put_text,
    put_value,
    safe_text,
    setup_print,
    to_bytes,
)
from telar.sheets.xlsx import Book

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


def _reopened(wb: Book) -> Any:
    return load_workbook(BytesIO(to_bytes(wb))).worksheets[0]


@pytest.mark.parametrize("text", FORMULA_LIKE)
def test_text_that_looks_like_a_formula_round_trips_as_text(text: str) -> None:
    # Given a cell written with put_text
    wb, ws = new_workbook("Sheet")
    put_text(ws.cell(1, 1), text)

    # When saved and opened again
    data = to_bytes(wb)
    cell = load_workbook(BytesIO(data)).active["A1"]

    # Then it is the same text, a string cell, marked to stay text when edited, and no formula in the XML
    assert (cell.value, cell.data_type, cell.quotePrefix) == (text, "s", True)
    assert "<f>" not in _sheet_xml(data)


def test_text_assigned_without_put_text_is_still_never_a_formula() -> None:
    # Given text assigned straight to a cell, where openpyxl would have inferred a formula
    wb, ws = new_workbook("Sheet")
    ws.cell(1, 1).value = "=1+1"
    # Then it is written as the string it is
    data = to_bytes(wb)
    assert "<f>" not in _sheet_xml(data)
    assert load_workbook(BytesIO(data)).active["A1"].value == "=1+1"


def test_xlsxwriter_s_own_write_would_have_made_a_formula() -> None:
    # Guards the tests above: XlsxWriter's generic write() infers a formula; telar.sheets.xlsx never calls it
    buffer = BytesIO()
    wb = xlsxwriter.Workbook(buffer, {"in_memory": True})
    wb.add_worksheet().write(0, 0, FORMULA_LIKE[0])
    wb.close()
    assert "<f>" in _sheet_xml(buffer.getvalue())


def test_safe_text_drops_characters_xml_cannot_hold_and_caps_the_length() -> None:
    assert safe_text("Ro\x00sa\x07 \x1bQuispe\ttab\nline") == "Rosa Quispe\ttab\nline"
    assert len(safe_text("x" * 40_000)) == MAX_CELL_CHARS
    assert safe_text(None) == ""
    assert safe_text(12) == "12"


def test_text_longer_than_a_cell_holds_is_cut_at_excel_s_limit_in_utf16_units_without_splitting_a_character() -> None:
    # Given a story of emoji (two UTF-16 units each) and Thai (one each), longer than a cell holds
    story = "🧶" * 20_000 + "ทอผ้า"
    # Then the text kept fits Excel's 32,767 units, whole characters only
    kept = safe_text(story)
    assert len(kept.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS and kept == "🧶" * (MAX_CELL_CHARS // 2)
    # And a workbook holding it is written and reads back
    wb, ws = new_workbook("Sheet")
    put_text(ws.cell(1, 1), story)
    assert _reopened(wb)["A1"].value == kept


def test_put_text_does_not_crash_on_control_characters() -> None:
    wb, ws = new_workbook("Sheet")
    put_text(ws.cell(1, 1), "Carmen\x0b")
    assert _reopened(wb)["A1"].value == "Carmen"


def test_put_value_takes_numbers_and_dates_only() -> None:
    wb, ws = new_workbook("Sheet")
    put_value(ws.cell(1, 1), Decimal("12.50"), money_format("PEN"))
    put_value(ws.cell(2, 1), date(2026, 12, 4))
    with pytest.raises(TypeError):
        put_value(ws.cell(3, 1), "=1+1")  # type: ignore[arg-type]
    # Then the number keeps its format, and a date without one still reads as a date
    reopened = _reopened(wb)
    assert (reopened["A1"].value, reopened["A1"].number_format) == (12.5, '"S/" #,##0.00;-"S/" #,##0.00')
    assert reopened["A2"].value == datetime(2026, 12, 4) and reopened["A2"].is_date


def test_a_cell_s_style_is_its_parts_set_in_any_order() -> None:
    # Given a value written before its font, and a border and fill set on a cell that has no value
    wb, ws = new_workbook("Sheet")
    put_text(ws.cell(1, 1), "Taller Cusco").font = TITLE_FONT
    ws.cell(1, 1).fill = INPUT_FILL
    ws.cell(2, 2).border = BOX
    reopened = _reopened(wb)
    # Then each part is in the file
    assert reopened["A1"].font.bold and reopened["A1"].font.size == 14
    assert reopened["A1"].fill.fgColor.rgb == "FFFFF2CC"
    assert reopened["B2"].value is None and reopened["B2"].border.left.style == "thin"


def test_a_merged_range_shows_its_first_cell_s_value() -> None:
    wb, ws = new_workbook("Sheet")
    put_text(ws.cell(2, 3), "=note")
    ws.merge_cells(start_row=2, start_column=3, end_row=2, end_column=6)
    reopened = _reopened(wb)
    assert [str(r) for r in reopened.merged_cells.ranges] == ["C2:F2"]
    assert reopened["C2"].value == "=note" and reopened["C2"].data_type == "s"


def test_what_xlsxwriter_cannot_write_is_an_error_not_a_warning() -> None:
    # Given a validation Excel could not hold (its message is over 255 characters)
    wb, ws = new_workbook("Sheet")
    check = date_check("x" * 300)
    check.add("A1")
    ws.add_data_validation(check)
    # Then writing the workbook fails, naming what it could not write
    with pytest.raises(ValueError, match="data validation on A1"), pytest.warns(UserWarning, match="255"):
        to_bytes(wb)


def test_print_setup_is_a4_one_page_wide_with_the_header_row_repeated() -> None:
    wb, ws = new_workbook("Sheet")
    setup_print(ws, header_row=4, landscape=True)
    ws2 = _reopened(wb)
    assert str(ws2.page_setup.paperSize) == ws2.PAPERSIZE_A4 == "9"
    # fitToWidth left out is 1, the file format's default (ECMA-376 Part 1, 18.3.1.63)
    assert (ws2.page_setup.fitToWidth or 1, ws2.page_setup.fitToHeight) == (1, 0)
    assert ws2.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws2.page_setup.orientation == "landscape"
    assert ws2.print_title_rows == "$4:$4"


def test_the_same_workbook_written_at_two_times_gives_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given the same content put in two workbooks, the second written a day later
    def workbook() -> Book:
        wb, ws = new_workbook("Sheet")
        put_text(ws.cell(1, 1), "Taller Cusco")
        put_value(ws.cell(2, 1), Decimal("12.50"))
        return wb

    first = to_bytes(workbook())
    later = time.time() + 86_400
    monkeypatch.setattr(time, "time", lambda: later)
    monkeypatch.setattr(time, "localtime", lambda *_: time.gmtime(later))
    # Then the bytes are the same (a retried stage rewrites an artifact with what it holds)
    assert to_bytes(workbook()) == first
    # And the workbook still opens, with its values
    assert load_workbook(BytesIO(first)).active["A1"].value == "Taller Cusco"
    assert {info.date_time for info in zipfile.ZipFile(BytesIO(first)).infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_sheet_names_are_ones_excel_accepts_and_never_the_same_twice() -> None:
    # Given titles from group ids: forbidden characters, apostrophes at the ends, long ids alike in 31 characters
    wb, _ = new_workbook("Summary")
    titles = [
        "Cash receipts pe/cusco:[norte]*?",
        "'quoted group'",
        "Cash receipts pe-cusco-taller-norte-1",
        "Cash receipts pe-cusco-taller-norte-2",
        "CASH RECEIPTS PE-CUSCO-TALLER-NORTE-3",
        "summary",
    ]
    names = [wb.create_sheet(title).title for title in titles]
    # Then each is a name Excel takes, distinct in any case
    assert names == [
        "Cash receipts pe-cusco--norte--",
        "quoted group",
        "Cash receipts pe-cusco-taller-n",
        "Cash receipts pe-cusco-tall (2)",
        "CASH RECEIPTS PE-CUSCO-TALL (3)",
        "summary (2)",
    ]
    # And the workbook is written with them
    assert load_workbook(BytesIO(to_bytes(wb))).sheetnames == ["Summary", *names]
