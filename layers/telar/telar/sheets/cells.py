"""Cell helpers shared by every writer: user text that never becomes a formula, styles, print setup.

Writers put user-supplied text (names, notes, references) into cells only through :func:`put_text`.
"""

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal

from telar.models import Maker
from telar.models.qc import EARLIEST_DATE, LATEST_DATE
from telar.sheets.xlsx import Book, Cell, Sheet, Style, Validation

# Characters XML 1.0 cannot carry: user text containing one would make a file no spreadsheet opens.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_CELL_CHARS = 32_767  # Excel's limit per cell, in UTF-16 code units (an emoji takes two)

CURRENCY_FORMATS: dict[str, str] = {
    "PEN": '"S/" #,##0.00;-"S/" #,##0.00',
    "THB": '"฿"#,##0.00;-"฿"#,##0.00',
    "USD": '"US$" #,##0.00;-"US$" #,##0.00',
}
HOURS_FORMAT = "0.00"
INTEGER_FORMAT = "0"


def fill(color: str) -> Style:
    return {"pattern": 1, "bg_color": f"#{color}"}


HEADER_FONT: Style = {"bold": True, "font_color": "#FFFFFF"}
HEADER_FILL = fill("4F6228")
HINT_FONT: Style = {"italic": True, "font_color": "#595959", "font_size": 9}
TITLE_FONT: Style = {"bold": True, "font_size": 14}
LABEL_FONT: Style = {"bold": True}
INPUT_FILL = fill("FFF2CC")  # pale yellow: "write here"
BOX: Style = {"border": 1, "border_color": "#808080"}  # thin and grey on four sides
TOP_LINE: Style = {"top": 1, "top_color": "#808080"}
WRAP: Style = {"text_wrap": True, "valign": "top"}
LEFT: Style = {"align": "left"}
UNLOCKED: Style = {"locked": False}


def safe_text(value: object) -> str:
    """Return ``value`` as text a cell can hold: XML-illegal control characters removed, cut to Excel's length.

    The text itself is kept verbatim (a leading ``=`` stays): a cell's text is written as a string, never parsed
    as a formula or a number (telar.sheets.xlsx).
    """
    text = _ILLEGAL_XML.sub("", "" if value is None else str(value))
    if len(text) * 2 > MAX_CELL_CHARS:  # only then can it hold more UTF-16 code units than a cell does
        text = text.encode("utf-16-le")[: MAX_CELL_CHARS * 2].decode("utf-16-le", "ignore")
    return text


def put_text(cell: Cell, value: object) -> Cell:
    """Write user text into ``cell`` as a string cell, never a formula or an error value.

    ``"=HYPERLINK(...)"``, ``"#N/A"`` or ``"00123"`` stay the text they are, and carry ``quotePrefix``
    (Excel's leading apostrophe, invisible), which keeps them text when someone later edits the cell.
    """
    cell.value = safe_text(value)
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


_HEADER_ALIGNMENT: Style = {"text_wrap": True, "valign": "vcenter", "align": "center"}
_LABEL_ALIGNMENT: Style = {"text_wrap": True, "valign": "vcenter"}  # a long label takes two lines, never cut off
_HINT_ALIGNMENT: Style = {"text_wrap": True, "align": "center"}


def style_header_row(ws: Sheet, row: int, first_col: int, last_col: int) -> None:
    for col in range(first_col, last_col + 1):
        cell = ws.cell(row=row, column=col)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BOX
        cell.alignment = _HEADER_ALIGNMENT


def put_labelled(ws: Sheet, row: int, label: str, said: str, value_columns: int = 1) -> Cell:
    """A labelled value of a form, in her language first: ``said`` (the label in the group's language) bold in A,
    the contract ``label`` that the reader looks for small beside it, and the value's cell right of that, merged
    over ``value_columns``. Where the two read alike (English), the label alone, the value from B. Returns the
    value's cell (its left one, where a merged cell keeps its value)."""
    if said.casefold() == label.casefold():
        put_text(ws.cell(row=row, column=1), label).font = LABEL_FONT
        column = 2
    else:
        said_cell, label_cell = put_text(ws.cell(row=row, column=1), said), put_text(ws.cell(row=row, column=2), label)
        said_cell.font, said_cell.alignment = LABEL_FONT, _LABEL_ALIGNMENT
        label_cell.font, label_cell.alignment = HINT_FONT, _LABEL_ALIGNMENT
        column = 3
    if value_columns > 1:
        ws.merge_cells(start_row=row, start_column=column, end_row=row, end_column=column + value_columns - 1)
    return ws.cell(row=row, column=column)


def put_headings(ws: Sheet, row: int, labels: Sequence[str], said: Sequence[str]) -> tuple[int, int]:
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
            cell.font, cell.alignment = HINT_FONT, _HINT_ALIGNMENT
        return first, row
    for col, text in enumerate(labels, start=1):
        put_text(ws.cell(row=row, column=col), text)
    style_header_row(ws, row, 1, len(labels))
    return first, row


def set_widths(ws: Sheet, widths: Iterable[float] | Mapping[int, float], first_col: int = 1) -> None:
    """Set column widths in characters, either a sequence from ``first_col`` or {column index: width}."""
    items = widths.items() if isinstance(widths, Mapping) else enumerate(widths, start=first_col)
    for col, width in items:
        ws.column_widths[col] = width


def setup_print(
    ws: Sheet, *, header_row: int | None, landscape: bool = False, headings_from: int | None = None
) -> None:
    """A4, fit to one page wide (any number of pages tall), the header row (from ``headings_from``: the headings
    in her language above it) repeated on every page."""
    ws.landscape = landscape
    if header_row is not None:
        ws.print_rows = (headings_from or header_row, header_row)


def finish_form(ws: Sheet, widths: Iterable[float], *, headings: tuple[int, int], first_input_row: int) -> None:
    """A sheet to fill in: column widths, rows above the first input row frozen, printed A4 landscape with the
    ``headings`` rows (first, last: see :func:`put_headings`) on every page, and the layout protected (input
    cells are the unlocked ones)."""
    set_widths(ws, widths)
    ws.freeze(first_input_row)
    setup_print(ws, header_row=headings[1], landscape=True, headings_from=headings[0])
    ws.protected = True  # widths and heights stay free to change


def new_workbook(first_sheet: str) -> tuple[Book, Sheet]:
    """A workbook and its first sheet, named ``first_sheet`` (cut to Excel's 31 characters)."""
    wb = Book()
    return wb, wb.create_sheet(first_sheet)


def to_bytes(wb: Book) -> bytes:
    """The workbook's bytes, the same for the same content: a retried stage rewrites an artifact with what it
    already holds and re-sends an identical attachment."""
    return wb.to_bytes()


def date_check(error: str) -> Validation:
    """A date cell's validation: a date from 2000 to 2100 (the plausible years a reader accepts), else ``error``."""
    return Validation(
        {
            "validate": "date",
            "criteria": "between",
            "minimum": EARLIEST_DATE,
            "maximum": LATEST_DATE,
            "error_message": error,
        }
    )


def hours_check(bound: Decimal, error: str) -> Validation:
    """An hours cell's validation: 0 to ``bound``, as a warning the manager can confirm (the reader checks again,
    and accepts "7:30" typed as text)."""
    return Validation(
        {
            "validate": "decimal",
            "criteria": "between",
            "minimum": 0,
            "maximum": bound,
            "error_type": "warning",
            "error_message": error,
        }
    )


def end_instructions_with_makers(ws: Sheet, row: int, words: Mapping[str, str], makers: Iterable[Maker]) -> None:
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
