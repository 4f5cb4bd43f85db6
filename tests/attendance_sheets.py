"""Filling in an attendance sheet as a manager would: the template Telar writes, with hours typed into its rows."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from telar.models import PayPeriod, ReferenceData
from telar.sheets.attendance_sheet import ATTENDANCE_SHEET
from telar.sheets.attendance_template import write_attendance_sheet


def header_row(ws: Any) -> tuple[int, dict[str, int]]:
    """The contract's header row of the sheet and each label's column."""
    for row in ws.iter_rows():
        labels = {c.value: c.column for c in row if isinstance(c.value, str)}
        if "Worker ID" in labels and "Date" in labels:
            return row[0].row, labels
    raise AssertionError("no header row")


def fill_attendance(
    ref: ReferenceData,
    group_id: str,
    month: str,
    hours: dict[tuple[str, date], dict[str, Any]],
    *,
    extra_rows: list[dict[str, Any]] = (),  # type: ignore[assignment]
    labels: dict[str, Any] | None = None,
) -> bytes:
    """The template for ``group_id`` and ``month`` with ``hours`` ((worker, day) -> {column label: value}) typed
    into the listed rows, ``extra_rows`` ({column label: value}) in the spare rows, and ``labels`` (label ->
    value) changed in the cells right of them."""
    data = write_attendance_sheet(ref.group(group_id), PayPeriod(period=month), ref)
    wb = load_workbook(BytesIO(data))
    ws = wb[ATTENDANCE_SHEET]
    header, columns = header_row(ws)
    spare = []
    for row in range(header + 1, ws.max_row + 1):
        worker = ws.cell(row=row, column=columns["Worker ID"]).value
        day = ws.cell(row=row, column=columns["Date"]).value
        if worker is None:
            spare.append(row)
            continue
        for column, value in hours.get((worker, day.date()), {}).items():
            ws.cell(row=row, column=columns[column]).value = value
    for row, values in zip(spare, extra_rows, strict=False):
        for column, value in values.items():
            ws.cell(row=row, column=columns[column]).value = value
    for label, value in (labels or {}).items():
        for row in ws.iter_rows(max_row=header):
            for cell in row:
                if cell.value == label:
                    ws.cell(row=cell.row, column=cell.column + 1).value = value
    out = BytesIO()
    wb.save(out)
    return out.getvalue()


def open_days(ref: ReferenceData, group_id: str, month: str) -> list[date]:
    group = ref.group(group_id)
    period = PayPeriod(period=month)
    return [
        period.first_day.replace(day=d)
        for d in range(1, period.last_day.day + 1)
        if group.is_open_on(period.first_day.replace(day=d))
    ]


HOURS = Decimal
