"""A workbook built in memory cell by cell, then written once by XlsxWriter.

The writers set a cell's value and its style in any order (a border on a row after its values, a header row styled
after its text), as openpyxl let them; XlsxWriter takes each cell once, with its whole format. So the cells wait
here and :meth:`Book.to_bytes` writes them. XlsxWriter rather than openpyxl: it imports in a third of the time,
which every function that writes a workbook pays at its cold start (docs/decisions.md, issue 18). Reading stays
with calamine, and annotating an upload someone sent with openpyxl (telar.sheets.error_report).

Rows and columns count from 1, as in a spreadsheet. A style is a mapping of XlsxWriter format properties; a
cell's format is its font, fill, border, alignment, protection and number format together.
"""

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

Style = Mapping[str, Any]
_NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
NO_STYLE: Style = {}
CREATED = datetime(1980, 1, 1)  # fixed, as XlsxWriter fixes the zip entries' times: the same book, the same bytes


class Cell:
    """One cell: its value and its style's parts. Text is always written as text, never a formula; writers put it
    through telar.sheets.cells.put_text, which also removes what XML cannot carry."""

    __slots__ = ("alignment", "border", "column", "fill", "font", "number_format", "protection", "row", "value")

    def __init__(self, row: int, column: int) -> None:
        self.row, self.column = row, column
        self.value: str | int | Decimal | date | None = None
        self.font = self.fill = self.border = self.alignment = self.protection = NO_STYLE
        self.number_format: str | None = None

    @property
    def coordinate(self) -> str:
        return xl_rowcol_to_cell(self.row - 1, self.column - 1)

    def format(self) -> dict[str, Any]:
        properties = {**self.font, **self.fill, **self.border, **self.alignment, **self.protection}
        if self.number_format:
            properties["num_format"] = self.number_format
        elif isinstance(self.value, date):  # a date without a format would show as a serial number
            properties["num_format"] = "yyyy-mm-dd"
        if isinstance(self.value, str):
            properties["quote_prefix"] = True  # stays text when someone edits it (telar.sheets.cells.put_text)
        return properties


def column_letter(column: int) -> str:
    """The letters of the ``column``-th column: 1 is A, 27 is AA."""
    return xl_col_to_name(column - 1)


class Validation:
    """A data validation (XlsxWriter's options) and the ranges it covers (``"C4"``, ``"D5:D30"``)."""

    def __init__(self, options: Mapping[str, Any]) -> None:
        self.options, self.ranges = dict(options), list[str]()

    def add(self, cell_range: str) -> None:
        self.ranges.append(cell_range)


class Sheet:
    def __init__(self, title: str) -> None:
        self.title = title
        self.cells: dict[tuple[int, int], Cell] = {}
        self.merged: list[tuple[int, int, int, int]] = []
        self.comments: dict[tuple[int, int], str] = {}
        self.row_heights: dict[int, float] = {}
        self.column_widths: dict[int, float] = {}
        self.validations: list[Validation] = []
        self.frozen: tuple[int, int] | None = None
        self.filtered: tuple[int, int, int, int] | None = None
        self.landscape: bool | None = None  # None: no print set-up
        self.print_rows: tuple[int, int] | None = None
        self.protected = False

    def cell(self, row: int, column: int) -> Cell:
        if (row, column) not in self.cells:
            self.cells[row, column] = Cell(row, column)
        return self.cells[row, column]

    def merge_cells(self, start_row: int, start_column: int, end_row: int, end_column: int) -> None:
        self.merged.append((start_row, start_column, end_row, end_column))

    def comment(self, row: int, column: int, text: str) -> None:
        self.comments[row, column] = text

    def freeze(self, row: int, column: int = 1) -> None:
        """Freeze the rows above ``row`` and the columns left of ``column`` (the first cell that scrolls)."""
        self.frozen = (row, column)

    def add_data_validation(self, validation: Validation) -> None:
        self.validations.append(validation)

    def auto_filter(self, first_row: int, first_column: int, last_row: int, last_column: int) -> None:
        self.filtered = (first_row, first_column, last_row, last_column)

    def _write(self, ws: Worksheet, formats: "_Formats") -> None:
        for r1, c1, r2, c2 in self.merged:  # drawn with the first cell's format; its own cells are written below
            first = self.cells.get((r1, c1), Cell(r1, c1))
            _check(ws.merge_range(r1 - 1, c1 - 1, r2 - 1, c2 - 1, "", formats.get(first)), f"merge in {self.title}")
        for cell in self.cells.values():  # after the merges: a merged range's first cell holds its value
            _write_cell(ws, cell, formats)
        for (row, column), text in self.comments.items():
            _check(ws.write_comment(row - 1, column - 1, text, {"author": "Telar"}), f"comment in {self.title}")
        for row, height in self.row_heights.items():
            ws.set_row(row - 1, height)
        for column, width in self.column_widths.items():
            ws.set_column(column - 1, column - 1, width)
        for validation in self.validations:
            where = validation.ranges[0]
            options = {**validation.options, "multi_range": " ".join(validation.ranges)}
            _check(ws.data_validation(where, options), f"data validation on {where} in {self.title}")
        if self.frozen:
            ws.freeze_panes(self.frozen[0] - 1, self.frozen[1] - 1)
        if self.filtered:
            r1, c1, r2, c2 = self.filtered
            ws.autofilter(r1 - 1, c1 - 1, r2 - 1, c2 - 1)
        if self.landscape is not None:
            ws.set_paper(9)  # A4
            ws.set_landscape() if self.landscape else ws.set_portrait()
            ws.fit_to_pages(1, 0)  # one page wide, as many tall as it takes
            ws.hide_gridlines(0)  # gridlines on screen and on paper
            ws.set_margins(left=0.4, right=0.4)
        if self.print_rows:
            ws.repeat_rows(self.print_rows[0] - 1, self.print_rows[1] - 1)
        if self.protected:  # no password: it guards the layout against slips, not against people
            ws.protect("", {"format_columns": True, "format_rows": True})


class Book:
    def __init__(self) -> None:
        self.sheets: list[Sheet] = []

    def create_sheet(self, title: str, index: int | None = None) -> Sheet:
        """A new sheet named ``title`` as Excel allows (see :meth:`sheet_name`), last or at ``index``."""
        sheet = Sheet(self.sheet_name(title))
        self.sheets.insert(len(self.sheets) if index is None else index, sheet)
        return sheet

    def sheet_name(self, title: str) -> str:
        """``title`` as a sheet name Excel accepts: none of []:*?/\\ (each becomes -), no ' at either end, at most
        31 characters, and not the name of another sheet of the book in any case (" (2)" and on is added). Titles
        carry group ids and names, which may be long, alike in their first 31 characters, or hold any character."""
        name = _NOT_IN_SHEET_NAMES.sub("-", title).strip("'")[:31].strip("'") or "Sheet"
        taken = {sheet.title.casefold() for sheet in self.sheets}
        candidate, number = name, 2
        while candidate.casefold() in taken:
            suffix = f" ({number})"
            candidate, number = name[: 31 - len(suffix)] + suffix, number + 1
        return candidate

    def to_bytes(self) -> bytes:
        """The workbook's bytes, the same for the same content: a retried stage rewrites an artifact with what it
        already holds and re-sends an identical attachment."""
        buffer = BytesIO()
        # every cell is written by its type's own method; the options are a second guard that no text becomes a
        # formula, a number or a link
        options = {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        }
        wb = Workbook(buffer, options)
        wb.set_properties({"created": CREATED})
        formats = _Formats(wb)
        for sheet in self.sheets:
            sheet._write(wb.add_worksheet(sheet.title), formats)
        wb.close()
        return buffer.getvalue()


class _Formats:
    """One XlsxWriter format per distinct set of properties (a workbook holds at most 64,000)."""

    def __init__(self, wb: Workbook) -> None:
        self.wb, self.made = wb, dict[frozenset[tuple[str, Any]], Any]()

    def get(self, cell: Cell) -> Any:
        properties = cell.format()
        if not properties:
            return None
        key = frozenset(properties.items())
        if key not in self.made:
            self.made[key] = self.wb.add_format(properties)
        return self.made[key]


def _write_cell(ws: Worksheet, cell: Cell, formats: _Formats) -> None:
    row, col, value, cell_format = cell.row - 1, cell.column - 1, cell.value, formats.get(cell)
    if isinstance(value, str):
        result = ws.write_string(row, col, value, cell_format)
    elif isinstance(value, date):
        result = ws.write_datetime(row, col, value, cell_format)
    elif isinstance(value, int | Decimal):
        result = ws.write_number(row, col, float(value) if isinstance(value, Decimal) else value, cell_format)
    else:
        result = ws.write_blank(row, col, None, cell_format)
    _check(result, f"cell {cell.coordinate}")


def _check(result: int | None, what: str) -> None:
    """XlsxWriter warns and returns a negative code where a cell, a validation or a comment cannot be written:
    a workbook missing part of what it should hold is an error, not a warning in a log."""
    if result is not None and result < 0:
        raise ValueError(f"XlsxWriter could not write the {what} (code {result})")
