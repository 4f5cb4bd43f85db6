"""The attendance sheet: a group's hours that are not pieces for one month, filled in by its production manager.

Telar writes one per group and month (`telar.sheets.attendance_template`) and reads what comes back with
:func:`read_attendance_workbook`; any workbook laid out like this is read, whatever made it. Uploads go under
`attendance/` in the uploads bucket, under any file name. It is paid by the pay run of its month (or the next
one, if that run has already filed); one sheet per group and month is recorded.

Where things are:

- The sheet named `Attendance` is read; without one, the first sheet.
- Cells labelled `Group ID` and `Month`, each value in the cell to its right: the group's id and the month,
  written year-month (`2026-11`; a date cell in that month is read as its month). `Filled in by`, with the
  manager's name to its right, is optional.
- A header row holding these labels, in any column order (the first row with both `Worker ID` and `Date`):
  `Worker ID`, `Date`, `Present`, `Training`, `Course`, `Design`, `Meeting`, `Holiday`; each only once. Other
  columns (Telar writes `Maker`, `Day` and `Note`) are not read. Under it, one row per maker and day; rows with
  no hours are skipped.
- Labels are matched case-insensitively, ignoring extra spaces and a trailing colon. The template prints the
  words of the group's language above the English labels, and an Instructions sheet in that language.

The template lists each maker active in the month and each open day of the group (Monday first, as many days
as the group's days per week); the group's closed days are marked `closed` and locked; public holidays of the
group's country (the reference data's `holidays` sheet) are marked with their name, their `Holiday` hours
pre-filled with her hours of a day when the group pays public holidays, and locked when it does not. Ten spare
rows at the bottom take a maker or day the template did not list.

What the values must be (every problem is reported at once, at its cell):

- `Group ID`: a group of the reference data; `Month`: a month that has begun.
- `Worker ID`: a maker of the group (one who has left since still counts); `Date`: a day of the month the group
  is open, within her active dates; each maker and day on one row only.
- Hours: from 0 to 16, blank meaning 0; `7.5`, `7,5` and `7:30` all mean seven and a half hours. `Present` is
  every hour she was at the workshop that day, production included (blank: the sum of training, course,
  design and meeting), and at least that sum; `Present` + `Holiday` at most 16; `Holiday` at most her hours of a
  day, and none on a public holiday the group does not pay.
"""

from typing import Final

from telar import messages
from telar.errors import SheetInvalid, SheetProblem
from telar.models.attendance import (
    HOURS_COLUMNS,
    ParsedAttendance,
    ParsedAttendanceRow,
)
from telar.models.qc import ParsedCell
from telar.sheets.cell_readers import as_date, as_hours, label_key, text
from telar.sheets.reading import MAX_UPLOAD_BYTES, Grid, coordinate, find_header, read_grid

ATTENDANCE_SHEET: Final = "Attendance"
LABEL_GROUP_ID: Final = "Group ID"
LABEL_MONTH: Final = "Month"
LABEL_FILLED_BY: Final = "Filled in by"
# field -> the header label of the contract
ATTENDANCE_COLUMNS: Final[dict[str, str]] = {
    "worker_id": "Worker ID",
    "day": "Date",
    "present": "Present",
    "training": "Training",
    "course": "Course",
    "design": "Design",
    "meeting": "Meeting",
    "holiday": "Holiday",
}


def read_attendance_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> ParsedAttendance:
    """Find the contract's labels and rows in an uploaded attendance workbook; raise SheetInvalid if any is missing.

    The same safety as a QC sheet (:func:`telar.sheets.reading.read_grid`: size, zip and row limits). Values are
    read as their columns' kinds; what they mean is checked by ``telar.attendance.validate_attendance``.
    """
    grid = read_grid(data, preferred_sheet=ATTENDANCE_SHEET, max_bytes=max_bytes)
    problems: list[SheetProblem] = []
    header_row, columns = find_header(grid, ATTENDANCE_COLUMNS, ("worker_id", "day"), problems)
    labels = _find_labels(grid, header_row)
    for key, label in (("group_id", LABEL_GROUP_ID), ("month", LABEL_MONTH)):
        if key not in labels:
            problems.append(SheetProblem(grid.sheet, "", None, messages.LABELLED_CELL(label=label)))
    if problems or header_row is None:
        raise SheetInvalid(problems)
    group_cell, month_cell = labels["group_id"], labels["month"]
    filled = labels.get("filled_by")
    rows = []
    label_rows = {int("".join(c for c in cell.cell if c.isdigit())) for cell in labels.values()}
    for number in sorted(grid.rows):
        if number <= header_row or number in label_rows:
            continue
        found = {
            field: ParsedCell(sheet=grid.sheet, cell=coordinate(number, col), value=grid.value(number, col))
            for field, col in columns.items()
        }
        if all(found[field].blank for field in HOURS_COLUMNS):
            continue  # a listed day with nothing filled in, or an empty spare row
        rows.append(
            ParsedAttendanceRow(
                row=number,
                cells=found,
                worker_id=text(found["worker_id"].value),
                day=as_date(found["day"].value, date1904=grid.date1904),
                hours={field: as_hours(found[field].value) for field in HOURS_COLUMNS},
            )
        )
    return ParsedAttendance(
        sheet=grid.sheet,
        group_id=text(group_cell.value),
        group_cell=group_cell,
        month=_month(month_cell.value, grid.date1904),
        month_cell=month_cell,
        filled_by=text(filled.value) if filled else "",
        rows=tuple(rows),
    )


def _month(value: object, date1904: bool) -> str:
    """A month as written (``2026-11``, ``2026/11``, ``11/2026``) or a date cell in it; '' when it is neither."""
    typed = text(value)
    parts = typed.replace("/", "-").split("-")
    if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
        year, month = (int(p) for p in (parts if len(parts[0]) == 4 else parts[::-1]))
        return f"{year:04d}-{month:02d}" if 1 <= month <= 12 else typed
    day = as_date(value, date1904=date1904) if not isinstance(value, str) or typed.count("-") == 2 else None
    return f"{day.year:04d}-{day.month:02d}" if day else typed


def _find_labels(grid: Grid, header_row: int | None) -> dict[str, ParsedCell]:
    """The cell right of each label above the header (the first place it is found)."""
    wanted = {
        label_key(LABEL_GROUP_ID): "group_id",
        label_key(LABEL_MONTH): "month",
        label_key(LABEL_FILLED_BY): "filled_by",
    }
    found: dict[str, ParsedCell] = {}
    for number, values in sorted(grid.rows.items()):
        if header_row is not None and number >= header_row:
            break
        for col, value in enumerate(values, start=1):
            key = wanted.get(label_key(value) or "")
            if key and key not in found:
                cell = coordinate(number, col + 1)
                found[key] = ParsedCell(sheet=grid.sheet, cell=cell, value=grid.value(number, col + 1))
    return found


def attendance_sheet_name(group_id: str, month: str) -> str:
    """The file name the template is sent as."""
    return f"attendance-{group_id}-{month}.xlsx"
