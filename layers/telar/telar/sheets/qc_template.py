"""The QC template: the QC sheet Telar sends with each assignment, laid out as the QC sheet format says.

Sheet `QC`: the labelled cells (`Assignment ID`, `Inspected by`, `Date`, each value to the right) above a
header row of the format's labels, one pre-filled row per maker and product, then five spare rows for a
maker who stepped in. The group's language comes first: its words are the bold labels and headings, and the
contract's English labels, which the reader looks for, are printed small beside and under them (an English
group's sheet has the English ones only). The sheet is protected without a password: only the cells to fill
in are unlocked, and they carry data validation (whole numbers, the hours bound, dates from 2000 to 2100, a
dropdown of the product's defects in the group's language: the QC sheet takes any language's label or the
code). A second sheet of instructions, in the group's language, explains each column and lists each product's
defects, with their codes.
"""

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from telar.models import Assignment, Group, ReferenceData
from telar.models.qc import max_hours_per_row
from telar.sheets import cells
from telar.sheets.labels import labels_for, sheet_title, texts_for
from telar.sheets.qc_sheet import LABEL_ASSIGNMENT_ID, LABEL_DATE, LABEL_INSPECTED_BY, QC_COLUMNS, QC_SHEET
from telar.sheets.xlsx import Sheet, Validation, column_letter

SPARE_ROWS = 5
_VALUE_COLUMNS = 3  # a labelled value spans B:D
DATE_FORMAT = "dd/mm/yyyy"
_LIST_FORMULA_MAX = 255  # Excel's limit on an inline list in a data validation

# (column key, header label, label key for the hint, width); the contract columns come from QC_COLUMNS
_COLUMNS: tuple[tuple[str, str, str, float], ...] = (
    ("worker_id", QC_COLUMNS["worker_id"], "worker_id", 18),  # also the labels' column: her words, bold
    ("maker", "Maker", "maker", 16),
    ("sku", QC_COLUMNS["sku"], "sku", 16),
    ("product", "Product", "product", 24),
    ("options", "Options", "options", 16),
    ("planned", QC_COLUMNS["planned"], "planned", 10),
    ("produced", QC_COLUMNS["produced"], "produced", 10),
    ("passed", QC_COLUMNS["passed"], "passed", 10),
    ("rejected", QC_COLUMNS["rejected"], "rejected", 10),
    ("defect_codes", QC_COLUMNS["defect_codes"], "defect_codes", 20),
    ("hours_worked", QC_COLUMNS["hours_worked"], "hours_worked", 10),
)
COL = {key: index for index, (key, *_rest) in enumerate(_COLUMNS, start=1)}
_INPUTS = ("produced", "passed", "rejected", "defect_codes", "hours_worked")
_SPARE_INPUTS = ("worker_id", "maker", "sku", *_INPUTS)


def write_qc_template(assignment: Assignment, group: Group, ref: ReferenceData) -> bytes:
    """The QC workbook for ``assignment``: a "QC" sheet to fill in and an "Instructions" sheet."""
    words = labels_for(group.language)
    wb, ws = cells.new_workbook(QC_SHEET)

    title = sheet_title(words, "qc_title", group.name, assignment.rework_round)
    cells.put_text(ws.cell(row=1, column=1), title).font = cells.TITLE_FONT
    info: list[tuple[str, str, object]] = [
        (LABEL_ASSIGNMENT_ID, "assignment_id", assignment.assignment_id),
        ("Order ID", "order_id", assignment.order_id),
        ("Group", "group", group.name),
        ("Due date", "due_date", assignment.due_date),
    ]
    row = 2
    for label, hint, value in info:
        cell = cells.put_labelled(ws, row, label, words[hint], _VALUE_COLUMNS)
        if isinstance(value, date):
            cells.put_value(cell, value, DATE_FORMAT).alignment = cells.LEFT
        else:
            cells.put_text(cell, value)
        row += 1
    signed = {}
    for label, hint in ((LABEL_INSPECTED_BY, "inspected_by"), (LABEL_DATE, "date")):
        signed[hint] = cell = cells.put_labelled(ws, row, label, words[hint], _VALUE_COLUMNS)
        cell.fill, cell.protection = cells.INPUT_FILL, cells.UNLOCKED
        for col in range(cell.column, cell.column + _VALUE_COLUMNS):  # a merged cell's border is drawn by each cell
            ws.cell(row=row, column=col).border = cells.BOX
        row += 1
    date_cell = signed["date"]
    date_cell.number_format = DATE_FORMAT
    date_check = cells.date_check(f"{words['date']}: dd/mm/yyyy")
    date_check.add(date_cell.coordinate)
    ws.add_data_validation(date_check)

    headings = cells.put_headings(
        ws, row + 1, [label for _key, label, _hint, _width in _COLUMNS], [words[hint] for _k, _l, hint, _w in _COLUMNS]
    )
    header = headings[1]
    for row in range(headings[0], header + 1):  # headings take two lines in narrow columns
        ws.row_heights[row] = 30

    first = header + 1
    row = first
    makers = {m.worker_id: m for m in ref.makers}
    codes_by_sku: dict[str, tuple[str, ...]] = {}
    rows_by_codes: dict[tuple[str, ...], list[int]] = {}  # her language's labels of a product's defects -> rows
    rows_by_bound: dict[Decimal, list[int]] = {}
    for line in assignment.lines:
        product = ref.find_product(line.sku)
        codes_by_sku[line.sku] = product.defect_codes if product else ()
        options = ref.options_in(line.options, group.language)
        for worker_id, planned in line.per_maker.items():
            maker = makers.get(worker_id)
            cells.put_text(ws.cell(row=row, column=COL["worker_id"]), worker_id)
            cells.put_text(ws.cell(row=row, column=COL["maker"]), maker.first_name if maker else "")
            cells.put_text(ws.cell(row=row, column=COL["sku"]), line.sku)
            cells.put_text(ws.cell(row=row, column=COL["product"]), product.name_in(group.language) if product else "")
            cells.put_text(ws.cell(row=row, column=COL["options"]), options)
            cells.put_value(ws.cell(row=row, column=COL["planned"]), planned, cells.INTEGER_FORMAT)
            _inputs(ws, row, _INPUTS)
            rows_by_bound.setdefault(max_hours_per_row(group, product, planned), []).append(row)
            rows_by_codes.setdefault(_said(codes_by_sku[line.sku], group, ref), []).append(row)
            row += 1
    last_planned = row - 1
    for spare in range(row, row + SPARE_ROWS):
        _inputs(ws, spare, _SPARE_INPUTS)
    last = row + SPARE_ROWS - 1
    all_codes = tuple(dict.fromkeys(code for codes in codes_by_sku.values() for code in codes))
    rows_by_codes.setdefault(_said(all_codes, group, ref), []).extend(range(last_planned + 1, last + 1))
    rows_by_bound.setdefault(max_hours_per_row(group), []).extend(range(last_planned + 1, last + 1))
    for codes, rows in rows_by_codes.items():
        _defect_hint(ws, rows, codes, words)

    _validations(ws, group, first, last, last_planned, assignment, ref, rows_by_bound)
    cells.finish_form(ws, [width for *_rest, width in _COLUMNS], headings=headings, first_input_row=first)

    _instructions(wb.create_sheet(words["instructions"]), group, ref, codes_by_sku)
    return cells.to_bytes(wb)


def _inputs(ws: Sheet, row: int, keys: tuple[str, ...]) -> None:
    for key in keys:
        cell = ws.cell(row=row, column=COL[key])
        cell.fill, cell.border, cell.protection = cells.INPUT_FILL, cells.BOX, cells.UNLOCKED
        if key in ("produced", "passed", "rejected"):
            cell.number_format = cells.INTEGER_FORMAT
        elif key == "hours_worked":
            cell.number_format = "0.0#"


def _said(codes: tuple[str, ...], group: Group, ref: ReferenceData) -> tuple[str, ...]:
    """The defects ``codes`` as the group's manager reads them (her language's labels, English marked [EN])."""
    return tuple(ref.defect(code).label_in(group.language) for code in codes)


def _defect_hint(ws: Sheet, rows: list[int], codes: tuple[str, ...], words: dict[str, str]) -> None:
    """A dropdown of the product's defects (as she reads them) that still accepts several, separated by commas."""
    inline = _inline_list(codes)
    check = Validation(
        {
            "validate": "list" if inline else "any",
            **({"source": inline} if inline else {}),
            "show_error": False,  # "A, B" is not in the list but is a valid answer
            "input_title": words["defect_codes"][:32],
            "input_message": (words["defect_prompt"] + ": " + ", ".join(codes))[:255] if codes else "—",
        }
    )
    for row in rows:
        check.add(f"{column_letter(COL['defect_codes'])}{row}")
    ws.add_data_validation(check)


def _inline_list(values: Sequence[str]) -> list[str] | None:
    """``values`` for a data validation's inline list, or None when there are none or Excel could not hold them."""
    inline = '"' + ",".join(values) + '"'
    if values and len(inline) <= _LIST_FORMULA_MAX and not any("," in v or '"' in v for v in values):
        return list(values)
    return None


def _validations(
    ws: Sheet,
    group: Group,
    first: int,
    last: int,
    last_planned: int,
    assignment: Assignment,
    ref: ReferenceData,
    rows_by_bound: dict[Decimal, list[int]],
) -> None:
    words = labels_for(group.language)

    def span(key: str, start: int = first, end: int = last) -> str:
        letter = column_letter(COL[key])
        return f"{letter}{start}:{letter}{end}"

    counts = Validation(
        {
            "validate": "integer",
            "criteria": ">=",
            "value": 0,
            "error_message": f"{words['produced']} / {words['passed']} / {words['rejected']}: 0, 1, 2...",
        }
    )
    for key in ("planned", "produced", "passed", "rejected"):
        counts.add(span(key))
    ws.add_data_validation(counts)

    hours_letter = column_letter(COL["hours_worked"])
    for bound, rows in rows_by_bound.items():
        hours = cells.hours_check(bound, f"{words['hours_worked']}: 0 - {bound:f}")
        for row in rows:
            hours.add(f"{hours_letter}{row}")
        ws.add_data_validation(hours)

    spare_first = last_planned + 1
    if spare_first > last:
        return
    worker_ids = [m.worker_id for m in ref.makers if m.group_id == group.group_id]
    for key, values in (("worker_id", worker_ids), ("sku", [line.sku for line in assignment.lines])):
        if inline := _inline_list(values):
            pick = Validation({"validate": "list", "source": inline, "show_error": False})
            pick.add(span(key, spare_first, last))
            ws.add_data_validation(pick)


def _instructions(ws: Sheet, group: Group, ref: ReferenceData, codes_by_sku: dict[str, tuple[str, ...]]) -> None:
    texts = texts_for(group.language)
    lines = texts.qc_instructions
    bound = f"{max_hours_per_row(group).normalize():f}"
    row = 1
    for index, text in enumerate(lines):
        cell = cells.put_text(ws.cell(row=row, column=1), text.replace("{max_hours}", bound))
        cell.alignment = cells.WRAP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        if index in (0, len(lines) - 1):
            cell.font = cells.TITLE_FONT if index == 0 else cells.LABEL_FONT
        elif len(text) > 95:  # merged cells do not grow with wrapped text: make room for two lines
            ws.row_heights[row] = 30
        row += 1
    for sku, codes in codes_by_sku.items():
        product = ref.find_product(sku)
        cells.put_text(ws.cell(row=row, column=1), sku)
        cells.put_text(ws.cell(row=row, column=2), product.name_in(group.language) if product else "")
        said = [(ref.defect(code).label_in(group.language), code) for code in codes]
        listed = ", ".join(label if label == code else f"{label} ({code})" for label, code in said)
        cells.put_text(ws.cell(row=row, column=3), listed or "—").alignment = cells.WRAP
        row += 1
    row += 1
    cells.end_instructions_with_makers(ws, row, texts.words, ref.makers_of(group.group_id))
