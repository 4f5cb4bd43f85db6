"""The QC template Telar sends: the QC sheet format (docs/spreadsheets.md), validation hints, protection, language."""

from io import BytesIO
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from telar.sheets.qc_sheet import QC_COLUMNS, read_qc_workbook
from telar.sheets.qc_template import SPARE_ROWS, write_qc_template
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    make_assignment,
    make_maker,
    make_makers,
    make_reference,
)

REF = make_reference()


def _qc(assignment: Any = None, group_id: str = CUSCO, ref: Any = REF) -> tuple[Any, Worksheet, Any]:
    assignment = assignment or make_assignment(group_id=group_id)
    wb = load_workbook(BytesIO(write_qc_template(assignment, ref.group(group_id), ref)))
    return wb, wb["QC"], assignment


def _find(ws: Worksheet, text: str) -> Any:
    return next(c for row in ws.iter_rows() for c in row if c.value == text)


def _header(ws: Worksheet) -> dict[str, int]:
    row = _find(ws, "Worker ID").row
    return {c.value: c.column for c in ws[row] if c.value}


def test_the_sheet_follows_the_qc_contract() -> None:
    # Given the template for the Cusco assignment
    _wb, ws, assignment = _qc()

    # Then the assignment id is right of its label, sign-off cells are labelled with empty cells beside them
    assert _find(ws, "Assignment ID").offset(column=1).value == assignment.assignment_id
    assert _find(ws, "Inspected by").offset(column=1).value is None
    assert _find(ws, "Date").offset(column=1).value is None

    # And the header row holds every contract label
    columns = _header(ws)
    assert set(QC_COLUMNS.values()) <= columns.keys()


def test_one_row_per_maker_and_product_with_planned_from_per_maker() -> None:
    _wb, ws, assignment = _qc()
    columns = _header(ws)
    first = _find(ws, "Worker ID").row + 1
    found = {
        (ws.cell(r, columns["Worker ID"]).value, ws.cell(r, columns["SKU"]).value): ws.cell(r, columns["Planned"]).value
        for r in range(first, ws.max_row + 1)
        if ws.cell(r, columns["Worker ID"]).value
    }
    expected = {(wid, line.sku): qty for line in assignment.lines for wid, qty in line.per_maker.items()}
    assert found == expected
    assert ws.cell(first, columns["Maker"]).value == "Carmen"


def test_the_untouched_template_reads_back_with_its_own_id_and_rows() -> None:
    _wb, _ws, assignment = _qc()
    parsed = read_qc_workbook(write_qc_template(assignment, REF.group(CUSCO), REF))
    assert parsed.assignment_id == assignment.assignment_id
    assert len(parsed.rows) == sum(len(line.per_maker) for line in assignment.lines)


def _validations(ws: Worksheet) -> list[Any]:
    return list(ws.data_validations.dataValidation)


def _covers(validation: Any, coordinate: str) -> bool:
    return any(coordinate in cell_range for cell_range in validation.sqref.ranges)


def test_counts_are_whole_numbers_hours_bounded_and_defect_codes_offered() -> None:
    # Given the Cusco template (5 h x 5 days x 4 weeks = 100 h a row for small quantities)
    _wb, ws, _assignment = _qc()
    columns = _header(ws)
    row = _find(ws, "Worker ID").row + 1
    validations = _validations(ws)

    def at(column: str) -> Any:
        coordinate = ws.cell(row, columns[column]).coordinate
        return next(v for v in validations if _covers(v, coordinate))

    # Then each count cell accepts whole numbers >= 0
    for column in ("Produced", "Passed", "Rejected"):
        check = at(column)
        assert (check.type, check.operator, check.formula1) == ("whole", "greaterThanOrEqual", "0")
    # And hours are decimals from 0 to the bound
    hours = at("Hours worked")
    # an operator left out is "between", the file format's default (ECMA-376 Part 1, 18.3.1.32)
    assert (hours.type, hours.operator or "between", hours.formula1, hours.formula2) == (
        "decimal",
        "between",
        "0",
        "100",
    )
    # And defect codes offer the scarf's codes without refusing several at once
    codes = at("Defect codes")
    assert codes.type == "list"
    assert codes.formula1 == '"LOOSE_THREAD,UNEVEN_TENSION,DROPPED_STITCH,WRONG_SIZE,STAIN"'
    assert codes.showErrorMessage is False


def test_only_the_cells_to_fill_in_are_unlocked() -> None:
    _wb, ws, _assignment = _qc()
    columns = _header(ws)
    row = _find(ws, "Worker ID").row + 1
    assert ws.protection.sheet is True
    assert ws.protection.password is None
    for column in ("Produced", "Passed", "Rejected", "Defect codes", "Hours worked"):
        assert ws.cell(row, columns[column]).protection.locked is False
    for column in ("Worker ID", "SKU", "Planned"):
        assert ws.cell(row, columns[column]).protection.locked is True
    assert _find(ws, "Worker ID").protection.locked is True
    assert _find(ws, "Inspected by").offset(column=1).protection.locked is False
    assert _find(ws, "Date").offset(column=1).protection.locked is False


def test_spare_rows_are_left_open_for_a_maker_who_stepped_in() -> None:
    _wb, ws, assignment = _qc()
    columns = _header(ws)
    planned_rows = sum(len(line.per_maker) for line in assignment.lines)
    spare = _find(ws, "Worker ID").row + planned_rows + 1
    for row in range(spare, spare + SPARE_ROWS):
        assert ws.cell(row, columns["Worker ID"]).value is None
        assert ws.cell(row, columns["Worker ID"]).protection.locked is False
        assert ws.cell(row, columns["SKU"]).protection.locked is False


@pytest.mark.parametrize(
    ("group_id", "words"),
    [
        (CUSCO, ("Instrucciones", "Cómo llenar", "Previsto", "Fecha")),
        (CHIANG_MAI, ("คำแนะนำ", "วิธีกรอก", "ตามแผน", "วันที่")),
    ],
)
def test_instructions_and_hints_are_in_the_groups_language(group_id: str, words: tuple[str, ...]) -> None:
    # Given a group working in Spanish or Thai
    wb, ws, _assignment = _qc(group_id=group_id)
    sheet_name, intro, planned_hint, date_hint = words

    # Then the instructions sheet and the hints carry its words, while the contract labels stay English
    assert wb.sheetnames == ["QC", sheet_name]
    assert intro in wb[sheet_name]["A1"].value
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {planned_hint, date_hint, "Planned", "Date"} <= texts


@pytest.mark.parametrize(
    ("group_id", "assignment_word", "planned_word"),
    [(CUSCO, "N.º de asignación", "Previsto"), (CHIANG_MAI, "รหัสงานที่มอบหมาย", "ตามแผน")],
)
def test_her_language_comes_first_and_bold_the_contract_labels_small(
    group_id: str, assignment_word: str, planned_word: str
) -> None:
    # Given the template of a group working in Spanish or Thai
    _wb, ws, assignment = _qc(group_id=group_id)
    # Then each labelled value reads her word first, in bold, then the English label the reader finds, in small
    mine, contract = _find(ws, assignment_word), _find(ws, "Assignment ID")
    assert (mine.row, mine.column) == (contract.row, contract.column - 1)
    assert mine.font.b and not contract.font.b and contract.font.sz < (mine.font.sz or 11)
    assert contract.offset(column=1).value == assignment.assignment_id
    # And her words are the header row, bold on its fill, above the contract's labels in small
    heading, label = _find(ws, planned_word), _find(ws, "Planned")
    assert (heading.row, heading.column) == (label.row - 1, label.column)
    assert heading.font.b and heading.fill.fill_type == "solid"
    assert not label.font.b and label.font.sz < 11
    # And both rows print on every page
    assert ws.print_title_rows == f"${heading.row}:${label.row}"


def test_english_groups_get_no_duplicate_labels() -> None:
    ref = make_reference(groups=[REF.group(CUSCO).model_copy(update={"language": "en"})], makers=make_makers(CUSCO))
    template = write_qc_template(make_assignment(), ref.group(CUSCO), ref)
    ws = load_workbook(BytesIO(template))["QC"]
    labels = [c.value for row in ws.iter_rows() for c in row if c.value in ("Date", "Inspected by", "Assignment ID")]
    assert sorted(labels) == ["Assignment ID", "Date", "Inspected by"]
    assert read_qc_workbook(template).assignment_id == make_assignment().assignment_id


def test_a_formula_looking_maker_name_is_written_as_text() -> None:
    ref = make_reference(
        makers=[make_maker("CUS-01", first_name='=HYPERLINK("http://x","y")'), *make_makers(CUSCO)[1:]]
    )
    _wb, ws, _assignment = _qc(ref=ref)
    cell = _find(ws, '=HYPERLINK("http://x","y")')
    assert cell.data_type == "s"
