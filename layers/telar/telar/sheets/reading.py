"""Uploads: open an uploaded .xlsx safely and return one sheet's values, each with its row and column.

Every upload (QC sheet, reference book) is refused with a message before any value is read unless it is an
.xlsx of at most 5 MB (an old .xls, a password-protected file, CSV and .ods each get their own message), with
at most 500 zip entries, 30 MB unpacked and a 200:1 compression ratio for entries over 1 MB. A sheet is read
to 10,000 rows and 64 columns (content below row 10,000 is refused, beyond column 64 ignored); formulas are
read as the values the spreadsheet saved.

Uploads come from people and from anyone who can write to the bucket, so nothing reaches calamine (or
openpyxl, which marks the problems on a refused upload's copy) before the bytes are known to be a modest zip:
size, container type, entry count, uncompressed size and compression ratio are checked from the zip's central
directory first. Python's zipfile never inflates an entry past the size its header declares, so checking the
declared sizes is enough. calamine expands no XML entities; openpyxl parses through defusedxml (no entity
expansion, no external entities).
"""

import math
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from io import BytesIO
from typing import Any

from python_calamine import CalamineWorkbook

from telar import messages
from telar.errors import SheetInvalid, SheetProblem
from telar.sheets.cell_readers import label_key
from telar.sheets.extent import Extent, check_extents

MAX_UPLOAD_BYTES = 5_000_000  # a filled QC sheet is ~30 kB; reference workbooks stay well under this
WORKBOOK = messages.WORKBOOK()  # the "sheet" named in problems about the file as a whole

CellValue = str | int | float | datetime | date | time | timedelta | bool | None


@dataclass(frozen=True)
class ZipLimits:
    """What an honest .xlsx upload stays within (a filled QC sheet is ~30 kB zipped, ~300 kB inflated)."""

    max_entries: int = 500
    max_uncompressed: int = 30_000_000
    max_ratio: int = 200  # inflated / compressed, checked on entries larger than ratio_floor
    ratio_floor: int = 1_000_000


@dataclass(frozen=True)
class Grid:
    """The non-empty rows of one worksheet: values as stored (cached results for formulas)."""

    sheet: str
    rows: dict[int, tuple[CellValue, ...]]  # row number (1-based) -> values from column A
    date1904: bool = False

    def value(self, row: int, column: int) -> CellValue:
        values = self.rows.get(row, ())
        return values[column - 1] if 0 < column <= len(values) else None


def coordinate(row: int, column: int) -> str:
    """``coordinate(7, 28) == "AB7"``, as openpyxl names cells (reading needs no openpyxl: 60 ms of a cold start)."""
    letters = ""
    while column > 0:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}"


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _refuse(found: object, expected: messages.Text) -> SheetInvalid:
    return SheetInvalid([SheetProblem(WORKBOOK, "", found, expected)])


_XLSX = messages.XLSX()


def check_container(
    data: bytes, *, max_bytes: int, limits: ZipLimits = ZipLimits(), max_rows: int = 10_000
) -> dict[str, Extent]:
    """Raise SheetInvalid unless ``data`` is a zip of reasonable size that looks like an .xlsx whose sheets hold
    nothing below ``max_rows`` or right of column IV (read as a stream: see :mod:`telar.sheets.extent`).

    Returns each worksheet's real extent by sheet name.
    """
    if len(data) > max_bytes:
        raise _refuse(messages.A_FILE_OF(bytes=f"{len(data):,}"), messages.AT_MOST_BYTES(bytes=f"{max_bytes:,}"))
    if not data:
        raise _refuse(messages.AN_EMPTY_FILE(), _XLSX)
    extents: dict[str, Extent] = {}
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        raise _refuse(messages.AN_OLD_XLS(), messages.XLSX_NO_PASSWORD())
    if not data.startswith(b"PK\x03\x04"):
        kind = messages.A_TEXT_FILE() if _looks_like_text(data) else messages.NOT_A_SPREADSHEET()
        raise _refuse(kind, _XLSX)
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            entries = archive.infolist()
            if len(entries) > limits.max_entries:
                raise _refuse(
                    messages.ZIP_ENTRIES(count=f"{len(entries):,}"), messages.AT_MOST(count=limits.max_entries)
                )
            total = sum(e.file_size for e in entries)
            if total > limits.max_uncompressed:
                raise _refuse(
                    messages.ZIP_INFLATES(bytes=f"{total:,}"),
                    messages.AT_MOST_BYTES(bytes=f"{limits.max_uncompressed:,}"),
                )
            for entry in entries:
                ratio = entry.file_size / max(entry.compress_size, 1)
                if entry.file_size > limits.ratio_floor and ratio > limits.max_ratio:
                    raise _refuse(
                        messages.ZIP_RATIO(entry=repr(entry.filename), ratio=f"{ratio:.0f}"),
                        messages.AT_MOST_RATIO(ratio=limits.max_ratio),
                    )
                if entry.flag_bits & 0x1:
                    raise _refuse(messages.ENCRYPTED_ZIP(), messages.XLSX_NO_PASSWORD())
            names = {e.filename for e in entries}
            if "[Content_Types].xml" in names:
                extents = check_extents(archive, max_rows=max_rows)
    except SheetInvalid:
        raise
    except Exception as exc:  # BadZipFile, or ValueError/OSError on a corrupt central directory
        raise _refuse(messages.DAMAGED_ZIP(), _XLSX) from exc
    if "mimetype" in names and "[Content_Types].xml" not in names:
        raise _refuse(messages.AN_ODS(), _XLSX)
    if "[Content_Types].xml" not in names:
        raise _refuse(messages.ZIP_NOT_WORKBOOK(), _XLSX)
    return extents


def _looks_like_text(data: bytes) -> bool:
    head = data[:512]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def read_grid(
    data: bytes,
    *,
    preferred_sheet: str | None,
    max_bytes: int,
    limits: ZipLimits = ZipLimits(),
    max_rows: int = 10_000,
    max_cols: int = 64,
) -> Grid:
    """Read the non-empty rows of ``preferred_sheet`` (matched case-insensitively), else the first sheet.

    python-calamine (Rust) reads the values a spreadsheet program saved, formulas as their cached results,
    some 25 times faster than openpyxl's read-only mode; its XML reader expands no entities. Values beyond
    ``max_cols`` columns are not read; content below ``max_rows`` is refused. Every failure is a
    SheetInvalid, never another exception.
    """
    [grid] = read_grids(
        data, (preferred_sheet,), max_bytes=max_bytes, limits=limits, max_rows=max_rows, max_cols=max_cols
    )
    return grid


def read_grids(
    data: bytes,
    preferred_sheets: Iterable[str | None],
    *,
    max_bytes: int,
    limits: ZipLimits = ZipLimits(),
    max_rows: int = 10_000,
    max_cols: int = 64,
) -> Iterator[Grid]:
    """:func:`read_grid` for each of ``preferred_sheets`` in turn, checking and opening the upload once.

    A generator: each sheet is read when it is asked for, so a failure surfaces at the same point as
    one :func:`read_grid` call per sheet would raise it.
    """
    check_container(data, max_bytes=max_bytes, limits=limits, max_rows=max_rows)
    try:
        workbook = CalamineWorkbook.from_filelike(BytesIO(data))
    except Exception as exc:  # any parse failure means "not readable"
        raise _refuse(messages.UNREADABLE_WORKBOOK(error=type(exc).__name__), _XLSX) from exc
    try:
        names = workbook.sheet_names
        if not names:
            raise _refuse(messages.NO_WORKSHEETS(), messages.A_QC_WORKSHEET())
        date1904: bool | None = None  # probed once, after the first sheet's rows (read_grid's order)
        for preferred_sheet in preferred_sheets:
            wanted = (preferred_sheet or "").casefold()
            name = next((n for n in names if n.casefold() == wanted), names[0])
            rows = _sheet_rows(workbook, name, max_rows=max_rows, max_cols=max_cols)
            if date1904 is None:
                date1904 = _uses_1904_dates(data)
            yield Grid(sheet=name, rows=rows, date1904=date1904)
    except SheetInvalid:
        raise
    except Exception as exc:
        raise _refuse(messages.UNREADABLE_WORKSHEET(error=type(exc).__name__), _XLSX) from exc
    finally:
        workbook.close()


def _sheet_rows(
    workbook: CalamineWorkbook, name: str, *, max_rows: int, max_cols: int
) -> dict[int, tuple[CellValue, ...]]:
    rows: dict[int, tuple[CellValue, ...]] = {}
    # skip_empty_area=False keeps row 1 / column A at index 0, so cell references stay true
    for number, values in enumerate(workbook.get_sheet_by_name(name).iter_rows(), start=1):
        if all(v == "" for v in values):  # calamine gives "" for an empty cell
            continue
        if number > max_rows:
            raise SheetInvalid(
                [SheetProblem(name, coordinate(number, 1), messages.CONTENT(), messages.AT_MOST_ROWS(rows=max_rows))]
            )
        cleaned = tuple(_clean(v) for v in values[:max_cols])
        if not all(is_blank(v) for v in cleaned):
            rows[number] = cleaned
    return rows


def _uses_1904_dates(data: bytes) -> bool:
    """Serial numbers not formatted as dates are read per the workbook's epoch (old Mac Excel: 1904)."""
    with zipfile.ZipFile(BytesIO(data)) as archive:
        workbook_xml = archive.read("xl/workbook.xml")[:4096]  # workbookPr comes first; size checked already
    return b'date1904="1"' in workbook_xml or b'date1904="true"' in workbook_xml


def _clean(value: Any) -> CellValue:
    if value == "":
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str | int | float | datetime | date | time | timedelta | bool) or value is None:
        return value
    return str(value)


def find_header(
    grid: Grid, columns: dict[str, str], anchors: tuple[str, str], problems: list[SheetProblem]
) -> tuple[int | None, dict[str, int]]:
    """The first row holding both ``anchors`` (fields), and the column of each of ``columns`` (field -> label) in it.

    Labels match as a person types them (``label_key``); a label twice in the row, a label missing, or no such
    row at all is added to ``problems`` at its cell.
    """
    wanted = {label_key(label): field for field, label in columns.items()}
    needed = {label_key(columns[field]) for field in anchors}
    for number in sorted(grid.rows):
        keys = [label_key(v) for v in grid.rows[number]]
        if not needed <= set(keys):
            continue
        found: dict[str, int] = {}
        for col, key in enumerate(keys, start=1):
            field = wanted.get(key) if key else None
            if field is None:
                continue
            if field in found:
                where = coordinate(number, found[field])
                problems.append(
                    SheetProblem(
                        grid.sheet,
                        coordinate(number, col),
                        grid.value(number, col),
                        messages.LABEL_ONCE(label=columns[field], cell=where),
                    )
                )
            else:
                found[field] = col
        for field, label in columns.items():
            if field not in found:
                problems.append(
                    SheetProblem(grid.sheet, f"{number}:{number}", None, messages.COLUMN_HEADED(label=label))
                )
        return number, found
    labels = ", ".join(f"'{label}'" for label in columns.values())
    problems.append(SheetProblem(grid.sheet, "", None, messages.HEADER_ROW(labels=labels)))
    return None, {}
