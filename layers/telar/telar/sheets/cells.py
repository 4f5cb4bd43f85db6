"""Cell helpers shared by every writer: user text that never becomes a formula, styles, print setup.

Writers put user-supplied text (names, notes, references) into cells only through :func:`put_text`.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from zipfile import ZIP_DEFLATED, ZipFile, ZipInfo

from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from telar.models import Maker
from telar.models.qc import EARLIEST_DATE, LATEST_DATE

# Characters XML 1.0 cannot carry; openpyxl raises IllegalCharacterError on them, so user text
# containing one would otherwise crash a writer.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_CELL_CHARS = 32_767  # Excel's limit per cell

CURRENCY_FORMATS: dict[str, str] = {
    "PEN": '"S/" #,##0.00;-"S/" #,##0.00',
    "THB": '"฿"#,##0.00;-"฿"#,##0.00',
    "USD": '"US$" #,##0.00;-"US$" #,##0.00',
}
HOURS_FORMAT = "0.00"
INTEGER_FORMAT = "0"

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="4F6228")
HINT_FONT = Font(italic=True, color="595959", size=9)
TITLE_FONT = Font(bold=True, size=14)
LABEL_FONT = Font(bold=True)
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")  # pale yellow: "write here"
THIN = Side(style="thin", color="808080")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
UNLOCKED = Protection(locked=False)


def safe_text(value: object) -> str:
    """Return ``value`` as text a cell can hold: XML-illegal control characters removed, length capped.

    The text itself is kept verbatim (a leading ``=`` stays); what stops it from becoming a formula is
    the cell type, which :func:`put_text` sets. Never assign the result with ``cell.value = ...``:
    openpyxl turns any string starting with ``=`` into a formula.
    """
    text = "" if value is None else str(value)
    return _ILLEGAL_XML.sub("", text)[:MAX_CELL_CHARS]


def put_text(cell: Cell, value: object) -> Cell:
    """Write user text into ``cell`` as a string cell, never a formula or an error value.

    openpyxl would store ``"=HYPERLINK(...)"`` as a formula and ``"#N/A"`` as an error; forcing the
    string type writes an inline string that Excel, LibreOffice and Google Sheets show verbatim.
    ``quotePrefix`` (Excel's leading apostrophe, invisible) keeps it text when someone later edits
    the cell, so ``=...``, ``#N/A`` or an id like ``00123`` are not re-read as formulas or numbers.
    """
    cell.value = safe_text(value)
    cell.data_type = "s"  # overrides the inference ('f' for "=...", 'e' for "#N/A")
    cell.quotePrefix = True
    return cell


def put_value(cell: Cell, value: int | Decimal | date | None, number_format: str | None = None) -> Cell:
    """Write a number or a date (never text) with an optional number format."""
    if isinstance(value, bool) or not (value is None or isinstance(value, int | Decimal | date)):
        raise TypeError(f"put_value takes numbers and dates, not {type(value).__name__}; use put_text")
    cell.value = value
    if number_format:
        cell.number_format = number_format
    return cell


def money_format(currency: str) -> str:
    """Excel number format for ``currency`` (falls back to the ISO code as a suffix)."""
    return CURRENCY_FORMATS.get(currency, f'#,##0.00 "{currency}"')


def style_header_row(ws: Worksheet, row: int, first_col: int, last_col: int) -> None:
    for col in range(first_col, last_col + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")


def put_labelled(ws: Worksheet, row: int, label: str, said: str, value_columns: int = 1) -> Cell:
    """A labelled value of a form, in her language first: ``said`` (the label in the group's language) bold in A,
    the contract ``label`` that the reader looks for small beside it, and the value's cell right of that, merged
    over ``value_columns``. Where the two read alike (English), the label alone, the value from B. Returns the
    value's cell (its left one, where a merged cell keeps its value)."""
    wrap = Alignment(wrap_text=True, vertical="center")  # a long label takes two lines, never cut off
    if said.casefold() == label.casefold():
        put_text(ws.cell(row=row, column=1), label).font = LABEL_FONT
        column = 2
    else:
        said_cell, label_cell = put_text(ws.cell(row=row, column=1), said), put_text(ws.cell(row=row, column=2), label)
        said_cell.font, said_cell.alignment = LABEL_FONT, wrap
        label_cell.font, label_cell.alignment = HINT_FONT, wrap
        column = 3
    if value_columns > 1:
        ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + value_columns - 1)
    return ws.cell(row=row, column=column)


def put_headings(ws: Worksheet, row: int, labels: Sequence[str], said: Sequence[str]) -> tuple[int, int]:
    """A form's column headings in her language first: ``said`` as the header row, the contract ``labels`` the
    reader looks for small in the row under it (one row of ``labels`` where they read alike). Returns the first
    and the last row of headings; the last holds the contract labels, the row the reader finds."""
    first = row
    if [s.casefold() for s in said] != [label.casefold() for label in labels]:
        for col, text in enumerate(said, start=1):
            put_text(ws.cell(row=row, column=col), text)
        style_header_row(ws, row, 1, len(said))
        row += 1
        for col, text in enumerate(labels, start=1):
            cell = put_text(ws.cell(row=row, column=col), text)
            cell.font, cell.alignment = HINT_FONT, Alignment(wrap_text=True, horizontal="center")
        return first, row
    for col, text in enumerate(labels, start=1):
        put_text(ws.cell(row=row, column=col), text)
    style_header_row(ws, row, 1, len(labels))
    return first, row


def set_widths(ws: Worksheet, widths: Iterable[float] | Mapping[int, float], first_col: int = 1) -> None:
    """Set column widths in characters, either a sequence from ``first_col`` or {column index: width}."""
    items = widths.items() if isinstance(widths, Mapping) else enumerate(widths, start=first_col)
    for col, width in items:
        ws.column_dimensions[get_column_letter(col)].width = width


def setup_print(
    ws: Worksheet, *, header_row: int | None, landscape: bool = False, headings_from: int | None = None
) -> None:
    """A4, fit to one page wide (any number of pages tall), the header row (from ``headings_from``: the headings
    in her language above it) repeated on every page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE if landscape else ws.ORIENTATION_PORTRAIT
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if header_row is not None:
        ws.print_title_rows = f"{headings_from or header_row}:{header_row}"


def finish_form(ws: Worksheet, widths: Iterable[float], *, headings: tuple[int, int], first_input_row: int) -> None:
    """A sheet to fill in: column widths, rows above the first input row frozen, printed A4 landscape with the
    ``headings`` rows (first, last: see :func:`put_headings`) on every page, and the layout protected (input
    cells are the unlocked ones)."""
    set_widths(ws, widths)
    ws.freeze_panes = ws.cell(row=first_input_row, column=1)
    setup_print(ws, header_row=headings[1], landscape=True, headings_from=headings[0])
    ws.protection.sheet = True  # no password: it guards the layout against slips, not against people
    ws.protection.formatColumns = False
    ws.protection.formatRows = False


def new_workbook(first_sheet: str) -> tuple[Workbook, Worksheet]:
    """A workbook and its first sheet, named ``first_sheet`` (cut to Excel's 31 characters)."""
    wb = Workbook()
    ws = wb.worksheets[0]
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet is a worksheet, never a chartsheet
    ws.title = first_sheet[:31]
    return wb, ws


class _ReproducibleZip(ZipFile):
    """A zip whose entries carry one fixed timestamp, so the same workbook gives the same bytes."""

    _STAMP = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can hold

    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[no-untyped-def]
        if not isinstance(zinfo_or_arcname, ZipInfo):
            zinfo_or_arcname = ZipInfo(zinfo_or_arcname, self._STAMP)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[no-untyped-def]
        with open(filename, "rb") as f:  # openpyxl's worksheets come from temporary files
            self.writestr(arcname or filename, f.read())


def to_bytes(wb: Workbook) -> bytes:
    """The workbook's bytes, the same for the same content: a retried stage rewrites an artifact with what it
    already holds and re-sends an identical attachment. Hence fixed created/modified dates and zip times."""
    wb.properties.created = wb.properties.modified = datetime(*_ReproducibleZip._STAMP)
    buffer = BytesIO()
    ExcelWriter(wb, _ReproducibleZip(buffer, "w", ZIP_DEFLATED, allowZip64=True)).save()
    return buffer.getvalue()


def date_check(error: str) -> DataValidation:
    """A date cell's validation: a date from 2000 to 2100 (the plausible years a reader accepts), else ``error``."""
    return DataValidation(
        type="date",
        operator="between",
        formula1=str(int(to_excel(EARLIEST_DATE))),
        formula2=str(int(to_excel(LATEST_DATE))),
        allow_blank=True,
        showErrorMessage=True,
        error=error,
    )


def hours_check(bound: Decimal, error: str) -> DataValidation:
    """An hours cell's validation: 0 to ``bound``, as a warning the manager can confirm (the reader checks again,
    and accepts "7:30" typed as text)."""
    return DataValidation(
        type="decimal",
        operator="between",
        formula1="0",
        formula2=f"{bound:f}",
        allow_blank=True,
        showErrorMessage=True,
        errorStyle="warning",
        error=error,
    )


def end_instructions_with_makers(ws: Worksheet, row: int, words: Mapping[str, str], makers: Iterable[Maker]) -> None:
    """Close a template's instructions sheet: from ``row``, the group's makers (her id and first name, so a manager
    can fill a spare row), then the widths and print set-up."""
    put_text(ws.cell(row=row, column=1), words["worker_id"]).font = LABEL_FONT
    put_text(ws.cell(row=row, column=2), words["maker"]).font = LABEL_FONT
    for maker in makers:
        row += 1
        put_text(ws.cell(row=row, column=1), maker.worker_id)
        put_text(ws.cell(row=row, column=2), maker.first_name)
    set_widths(ws, [16, 30, 60])
    setup_print(ws, header_row=None)
