"""Editing a workbook's bytes as a person would in a spreadsheet program, for tests."""

from collections.abc import Callable
from io import BytesIO
from typing import Any

import openpyxl


def edit_workbook(data: bytes, change: Callable[[openpyxl.Workbook], Any]) -> bytes:
    """``data`` opened, changed by ``change`` and saved again."""
    workbook = openpyxl.load_workbook(BytesIO(data))
    change(workbook)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def set_cell(data: bytes, sheet: str, header: str, row: int, value: Any) -> bytes:
    """``data`` with ``value`` in ``row`` of the column headed ``header`` (in row 1) of ``sheet``."""

    def change(workbook: openpyxl.Workbook) -> None:
        ws = workbook[sheet]
        column = next(c.column for c in ws[1] if c.value == header)
        ws.cell(row=row, column=column).value = value

    return edit_workbook(data, change)
