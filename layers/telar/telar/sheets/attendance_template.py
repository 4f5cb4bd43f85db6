"""The attendance template: the blank attendance sheet Telar sends each group's manager for a month.

Laid out as the attendance sheet's contract says (`telar.sheets.attendance_sheet`, whose docstring is the
format); kept apart from the reader so that reading an upload needs no workbook writer (calamine reads).
"""

from typing import Final

from telar.models import Group, PayPeriod, ReferenceData
from telar.models.attendance import HOURS_COLUMNS, MAX_DAY_HOURS, day_hours, sheet_days
from telar.sheets import cells
from telar.sheets.attendance_sheet import (
    ATTENDANCE_COLUMNS,
    ATTENDANCE_SHEET,
    LABEL_FILLED_BY,
    LABEL_GROUP_ID,
    LABEL_MONTH,
)
from telar.sheets.labels import labels_for, texts_for
from telar.sheets.xlsx import Sheet, column_letter

SPARE_ROWS: Final = 10
DATE_FORMAT: Final = "dd/mm/yyyy"
_CLOSED_FILL = cells.fill("D9D9D9")
_HOLIDAY_FILL = cells.fill("DDEBF7")

# (key, header, width); the contract's columns come from ATTENDANCE_COLUMNS
_COLUMNS: tuple[tuple[str, str, float], ...] = (
    ("worker_id", ATTENDANCE_COLUMNS["worker_id"], 17),  # also the labels' column: her words, bold
    ("maker", "Maker", 16),
    ("day", ATTENDANCE_COLUMNS["day"], 12),
    ("weekday", "Day", 10),
    ("note", "Note", 22),
    *((key, ATTENDANCE_COLUMNS[key], 10) for key in HOURS_COLUMNS),
)
COL: Final = {key: index for index, (key, *_rest) in enumerate(_COLUMNS, start=1)}


def write_attendance_sheet(group: Group, month: PayPeriod, ref: ReferenceData) -> bytes:
    """The attendance workbook of ``group`` for ``month``: an "Attendance" sheet to fill in and instructions."""
    words = labels_for(group.language)
    wb, ws = cells.new_workbook(ATTENDANCE_SHEET)
    title = f"{words['attendance_title']} — {group.name} — {month.period}"
    cells.put_text(ws.cell(row=1, column=1), title).font = cells.TITLE_FONT
    info = (
        (LABEL_GROUP_ID, "group_id", group.group_id),
        (LABEL_MONTH, "month", month.period),
        ("Group", "group", group.name),
    )
    row = 2
    for label, hint, value in info:
        cells.put_text(cells.put_labelled(ws, row, label, words[hint], 2), value)
        row += 1
    signed = cells.put_labelled(ws, row, LABEL_FILLED_BY, words["filled_by"], 2)
    signed.fill, signed.border, signed.protection = cells.INPUT_FILL, cells.BOX, cells.UNLOCKED

    headings = cells.put_headings(
        ws, row + 2, [label for _key, label, _width in _COLUMNS], [words[key] for key, _label, _width in _COLUMNS]
    )
    ws.row_heights[headings[0]] = 30
    header = headings[1]
    first = row = header + 1
    weekdays = texts_for(group.language).weekdays
    days = sheet_days(group, month, ref)
    makers = [
        m
        for m in ref.makers_of(group.group_id)
        if any(m.works_on(d) for d, _ in days) or (m.active_from is None and m.active_to is None)
    ]
    for maker in makers:
        for day, mark in days:
            if not maker.works_on(day):
                continue
            cells.put_text(ws.cell(row=row, column=COL["worker_id"]), maker.worker_id)
            cells.put_text(ws.cell(row=row, column=COL["maker"]), maker.first_name)
            cells.put_value(ws.cell(row=row, column=COL["day"]), day, DATE_FORMAT)
            cells.put_text(ws.cell(row=row, column=COL["weekday"]), weekdays[day.weekday()])
            if mark == "closed":
                cells.put_text(ws.cell(row=row, column=COL["note"]), words["closed"])
                for col in range(1, len(_COLUMNS) + 1):
                    ws.cell(row=row, column=col).fill = _CLOSED_FILL
            elif mark:  # a public holiday
                cells.put_text(ws.cell(row=row, column=COL["note"]), mark)
                _inputs(ws, row, [k for k in HOURS_COLUMNS if k != "holiday" or group.paid_public_holidays])
                ws.cell(row=row, column=COL["note"]).fill = _HOLIDAY_FILL
                if group.paid_public_holidays:
                    cells.put_value(ws.cell(row=row, column=COL["holiday"]), day_hours(group, maker), "0.0#")
            else:
                _inputs(ws, row, HOURS_COLUMNS)
            row += 1
    last_listed = row - 1
    for spare in range(row, row + SPARE_ROWS):
        _inputs(ws, spare, ("worker_id", "day", *HOURS_COLUMNS))
        ws.cell(row=spare, column=COL["day"]).number_format = DATE_FORMAT
    last = row + SPARE_ROWS - 1
    _validations(ws, group, first, last, last_listed + 1)
    cells.finish_form(ws, [width for *_rest, width in _COLUMNS], headings=headings, first_input_row=first)
    _instructions(wb.create_sheet(words["instructions"]), group, ref)
    return cells.to_bytes(wb)


def _inputs(ws: Sheet, row: int, keys: "tuple[str, ...] | list[str]") -> None:
    for key in keys:
        cell = ws.cell(row=row, column=COL[key])
        cell.fill, cell.border, cell.protection = cells.INPUT_FILL, cells.BOX, cells.UNLOCKED
        if key in HOURS_COLUMNS:
            cell.number_format = "0.0#"


def _validations(ws: Sheet, group: Group, first: int, last: int, spare_first: int) -> None:
    words = labels_for(group.language)
    hours = cells.hours_check(MAX_DAY_HOURS, f"0 - {MAX_DAY_HOURS:f}")
    hours.add(f"{column_letter(COL['present'])}{first}:{column_letter(COL['holiday'])}{last}")
    ws.add_data_validation(hours)
    dates = cells.date_check(f"{words['day']}: dd/mm/yyyy")
    dates.add(f"{column_letter(COL['day'])}{spare_first}:{column_letter(COL['day'])}{last}")
    ws.add_data_validation(dates)


def _instructions(ws: Sheet, group: Group, ref: ReferenceData) -> None:
    texts = texts_for(group.language)
    lines = texts.attendance_instructions
    for row, line in enumerate(lines, start=1):
        cell = cells.put_text(ws.cell(row=row, column=1), line)
        cell.alignment = cells.WRAP
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        if row == 1:
            cell.font = cells.TITLE_FONT
    row = len(lines) + 2
    cells.end_instructions_with_makers(ws, row, texts.words, ref.makers_of(group.group_id))


def main(argv: list[str] | None = None) -> int:
    """``python -m telar.sheets.attendance_template <reference.xlsx> <group_id> <YYYY-MM> <out.xlsx>``: a blank sheet
    from a reference export (``reference-exports/current.xlsx``), for the office to send to a manager."""
    import sys

    from telar.sheets.reference_book import read_reference_book

    args = sys.argv[1:] if argv is None else argv
    if len(args) != 4:
        print(main.__doc__, file=sys.stderr)
        return 2
    source, group_id, month, target = args
    with open(source, "rb") as book:
        ref = read_reference_book(book.read(), lambda _rows: []).reference  # an export: checked when applied
    with open(target, "wb") as out:
        out.write(write_attendance_sheet(ref.group(group_id), PayPeriod(period=month), ref))
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
