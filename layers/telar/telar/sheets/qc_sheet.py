"""The QC sheet: the workbook a production manager fills in and uploads after quality control.

Telar writes one per assignment (the QC template below) and reads what comes back with
:func:`read_qc_workbook`; any workbook laid out like this is read, whatever made it. Uploads go under `qc/` in
the uploads bucket, under any file name.

Where things are:

- The sheet named `QC` is read; without one, the first sheet.
- A cell labelled `Assignment ID`, with the assignment's id in the cell to its right.
- A header row holding these labels, in any column order (the first row with both `Worker ID` and `SKU`):
  `Worker ID`, `SKU`, `Planned`, `Produced`, `Passed`, `Rejected`, `Defect codes`, `Hours worked`; each
  only once. Under it, one row per maker and product; empty rows are skipped.
- Sign-off cells labelled `Inspected by` and `Date`, each value in the cell to the right of its label.
- Labels are matched case-insensitively, ignoring extra spaces and a trailing colon.

What the values must be (every problem is reported at once, at its cell):

- `Worker ID`: a maker of the assignment's group (one who has left since still counts); `SKU`: a product of
  the assignment. Both are matched case-insensitively.
- `Planned` is pre-filled by Telar: the suggested quantity for that maker (blank on rows a manager adds).
- `Produced`, `Passed` and `Rejected`: whole numbers, 0 or more, always filled (`12`, `12.0`, `"12,0"`);
  `Passed` + `Rejected` is at most `Produced`.
- `Defect codes`: defects of the row's product, separated by commas, semicolons or line breaks, each as its code
  or as its label in any language (the reference book's `defects` sheet), whatever the case, spacing or Unicode
  composition (`Hilo suelto`, `ด้ายหลุด`, `loose_thread` are one defect); the code is what is recorded.
- `Hours worked`: from 0 to four working weeks of the group, or three times the standard minutes of the row's
  quantity if that is more, in whole hours; `7.5`, `7,5` and `7:30` all mean seven and a half hours.
- `Inspected by`: a name. `Date`: a date from 2000 to 2100, as a date cell, a serial number, year-month-day
  or day/month/year text; a Buddhist-era year is converted.
"""

import re
from typing import Final

from telar import messages
from telar.errors import SheetInvalid, SheetProblem
from telar.models import ParsedCell, ParsedQc, ParsedRow
from telar.sheets.cell_readers import as_date, as_hours, as_whole, label_key, text
from telar.sheets.reading import MAX_UPLOAD_BYTES, Grid, coordinate, find_header, read_grid

QC_SHEET: Final = "QC"
LABEL_ASSIGNMENT_ID: Final = "Assignment ID"
LABEL_INSPECTED_BY: Final = "Inspected by"
LABEL_DATE: Final = "Date"
# field of QcRow -> the header label of the contract, in the order the template writes them
QC_COLUMNS: Final[dict[str, str]] = {
    "worker_id": "Worker ID",
    "sku": "SKU",
    "planned": "Planned",
    "produced": "Produced",
    "passed": "Passed",
    "rejected": "Rejected",
    "defect_codes": "Defect codes",
    "hours_worked": "Hours worked",
}


def read_qc_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> ParsedQc:
    """Find the contract's labels in an uploaded QC workbook; raise SheetInvalid if any is missing.

    Reads the sheet named ``QC`` (else the first sheet). Labels are matched case-insensitively,
    ignoring extra spaces and a trailing colon; header columns may come in any order. Every row under
    the header with something in a contract column is a data row; fully empty rows are skipped.
    """
    grid = read_grid(data, preferred_sheet=QC_SHEET, max_bytes=max_bytes)
    problems: list[SheetProblem] = []
    sheet = grid.sheet

    header_row, columns = find_header(grid, QC_COLUMNS, ("worker_id", "sku"), problems)
    found = _find_labels(
        grid,
        {"assignment_id": LABEL_ASSIGNMENT_ID, "inspected_by": LABEL_INSPECTED_BY, "date": LABEL_DATE},
        skip_row=header_row,
        problems=problems,
    )
    singles = {key: hit[1] for key, hit in found.items() if hit}
    label_rows = {hit[0] for hit in found.values() if hit}
    assignment_cell = singles.get("assignment_id")
    assignment_id = text(assignment_cell.value) if assignment_cell else ""
    if assignment_cell and not assignment_id:
        problems.append(assignment_cell.problem(messages.ASSIGNMENT_ID_RIGHT()))
    if problems or header_row is None or assignment_cell is None:
        raise SheetInvalid(problems)

    rows = []
    for number in sorted(grid.rows):
        if number <= header_row or number in label_rows:
            continue
        cells = {
            field: ParsedCell(sheet=sheet, cell=coordinate(number, col), value=grid.value(number, col))
            for field, col in columns.items()
        }
        if all(c.blank for c in cells.values()):
            continue
        rows.append(_read_row(number, cells))

    return ParsedQc(
        sheet=sheet,
        assignment_id=assignment_id,
        assignment_id_cell=assignment_cell,
        inspected_by=singles["inspected_by"],
        inspected_on=singles["date"],
        inspector=text(singles["inspected_by"].value),
        inspection_date=as_date(singles["date"].value, date1904=grid.date1904),
        header_row=header_row,
        rows=tuple(rows),
    )


def _read_row(number: int, cells: dict[str, ParsedCell]) -> ParsedRow:
    """The row's values read as their columns' kinds (telar.qc checks what they mean)."""
    counts = {field: as_whole(cells[field].value) for field in ("planned", "produced", "passed", "rejected")}
    return ParsedRow(
        row=number,
        cells=cells,
        worker_id=text(cells["worker_id"].value),
        sku=text(cells["sku"].value),
        counts=counts,
        defect_codes=tuple(t.strip() for t in re.split(r"[,;\n]+", text(cells["defect_codes"].value)) if t.strip()),
        hours_worked=as_hours(cells["hours_worked"].value),
    )


def _find_labels(
    grid: Grid, labels: dict[str, str], *, skip_row: int | None, problems: list[SheetProblem]
) -> dict[str, tuple[int, ParsedCell] | None]:
    """For each of ``labels`` (key -> label), the row and the cell right of the one cell reading it.

    One pass over the sheet's cells for all labels; a problem for each label found in none or several.
    """
    wanted = {label_key(label): key for key, label in labels.items()}
    places: dict[str, list[tuple[int, int]]] = {key: [] for key in labels}
    for number, values in sorted(grid.rows.items()):
        if number == skip_row:
            continue
        for col, value in enumerate(values, start=1):
            if (key := wanted.get(label_key(value))) is not None:
                places[key].append((number, col))
    return {key: _one_label(grid, label, places[key], problems) for key, label in labels.items()}


def _one_label(
    grid: Grid, label: str, found: list[tuple[int, int]], problems: list[SheetProblem]
) -> tuple[int, ParsedCell] | None:
    """The row and the cell right of the one place holding ``label``; a problem if there is none or several."""
    if not found:
        problems.append(SheetProblem(grid.sheet, "", None, messages.LABELLED_CELL(label=label)))
        return None
    if len(found) > 1:
        where = ", ".join(coordinate(r, c) for r, c in found)
        problems.append(
            SheetProblem(
                grid.sheet,
                coordinate(*found[1]),
                grid.value(*found[1]),
                messages.ONE_LABELLED_CELL(label=label, cells=where),
            )
        )
        return None
    number, col = found[0]
    return number, ParsedCell(sheet=grid.sheet, cell=coordinate(number, col + 1), value=grid.value(number, col + 1))
