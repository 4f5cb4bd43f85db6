"""QC sheets: read an uploaded workbook (the contract in DESIGN.md) and validate it against its assignment.

Reading is structural (where are the labels, the header row, the rows); validation is about meaning
(whose worker id, which SKU, do the counts add up) and reports every problem at once, each pointing
at the cell a production manager has to fix.
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final

from pydantic import BaseModel, ConfigDict

from telar.errors import SheetInvalid, SheetProblem
from telar.models import Assignment, Group, Product, QcRow, QcSheet, ReferenceData
from telar.sheets.reading import MAX_UPLOAD_BYTES, Grid, coordinate, is_blank, read_grid

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
HOURS_BOUND_WEEKS: Final = 4
HOURS_BOUND_PACE: Final = 3  # a slow or learning maker may take three times the standard minutes
EARLIEST_DATE: Final = date(2000, 1, 1)
LATEST_DATE: Final = date(2100, 12, 31)
BUDDHIST_ERA_OFFSET: Final = 543
_HOURS_STEP = Decimal("0.01")
_FLOAT_TOLERANCE = 1e-9


def max_hours_per_row(group: Group, product: Product | None = None, units: int = 0) -> Decimal:
    """The most hours one QC row (one maker, one product) may claim, in whole hours.

    Four full working weeks of the group, or three times the catalog's standard minutes for
    ``units`` pieces when that is more (a long assignment). A plausibility bound against typing
    mistakes (minutes for hours, 75 for 7.5), shared by the template's data validation and
    :func:`validate_qc`.
    """
    bound = group.weekly_hours_per_maker * HOURS_BOUND_WEEKS
    if product is not None and units > 0:
        bound = max(bound, product.standard_minutes * units * HOURS_BOUND_PACE / 60)
    return bound.quantize(Decimal(1), rounding=ROUND_CEILING)


class ParsedCell(BaseModel):
    """One value as found in the upload, with where it was."""

    model_config = ConfigDict(frozen=True)

    sheet: str
    cell: str  # "E7"
    value: Any = None

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.cell}"

    @property
    def blank(self) -> bool:
        return is_blank(self.value)

    def problem(self, expected: str) -> SheetProblem:
        return SheetProblem(self.sheet, self.cell, self.value, expected)


class ParsedRow(BaseModel):
    """One data row under the header: a cell for each column of the contract (keys of QC_COLUMNS)."""

    model_config = ConfigDict(frozen=True)

    row: int
    cells: dict[str, ParsedCell]


class ParsedQc(BaseModel):
    """A structurally sound QC upload whose values are not yet checked (see :func:`validate_qc`)."""

    model_config = ConfigDict(frozen=True)

    sheet: str
    assignment_id: str
    assignment_id_cell: ParsedCell
    inspected_by: ParsedCell
    inspected_on: ParsedCell
    header_row: int
    rows: tuple[ParsedRow, ...]
    date1904: bool = False


# ---------------------------------------------------------------------------------------------- reading


def _label_key(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    return " ".join(value.split()).rstrip(":").strip().casefold()


def read_qc_workbook(data: bytes, *, max_bytes: int = MAX_UPLOAD_BYTES) -> ParsedQc:
    """Find the contract's labels in an uploaded QC workbook; raise SheetInvalid if any is missing.

    Reads the sheet named ``QC`` (else the first sheet). Labels are matched case-insensitively,
    ignoring extra spaces and a trailing colon; header columns may come in any order. Every row under
    the header with something in a contract column is a data row; fully empty rows are skipped.
    """
    grid = read_grid(data, preferred_sheet=QC_SHEET, max_bytes=max_bytes)
    problems: list[SheetProblem] = []
    sheet = grid.sheet

    header_row, columns = _find_header(grid, problems)
    found = _find_labels(
        grid,
        {"assignment_id": LABEL_ASSIGNMENT_ID, "inspected_by": LABEL_INSPECTED_BY, "date": LABEL_DATE},
        skip_row=header_row,
        problems=problems,
    )
    singles = {key: hit[1] for key, hit in found.items() if hit}
    label_rows = {hit[0] for hit in found.values() if hit}
    assignment_cell = singles.get("assignment_id")
    assignment_id = _text(assignment_cell.value) if assignment_cell else ""
    if assignment_cell and not assignment_id:
        problems.append(assignment_cell.problem("the assignment id, in the cell right of 'Assignment ID'"))
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
        rows.append(ParsedRow(row=number, cells=cells))

    return ParsedQc(
        sheet=sheet,
        assignment_id=assignment_id,
        assignment_id_cell=assignment_cell,
        inspected_by=singles["inspected_by"],
        inspected_on=singles["date"],
        header_row=header_row,
        rows=tuple(rows),
        date1904=grid.date1904,
    )


def _find_header(grid: Grid, problems: list[SheetProblem]) -> tuple[int | None, dict[str, int]]:
    """The first row holding both 'Worker ID' and 'SKU', and the column of each contract label in it."""
    wanted = {_label_key(label): field for field, label in QC_COLUMNS.items()}
    anchors = {_label_key(QC_COLUMNS["worker_id"]), _label_key(QC_COLUMNS["sku"])}
    for number in sorted(grid.rows):
        keys = [_label_key(v) for v in grid.rows[number]]
        if not anchors <= set(keys):
            continue
        columns: dict[str, int] = {}
        for col, key in enumerate(keys, start=1):
            field = wanted.get(key) if key else None
            if field is None:
                continue
            if field in columns:
                problems.append(
                    SheetProblem(
                        grid.sheet,
                        coordinate(number, col),
                        grid.value(number, col),
                        f"'{QC_COLUMNS[field]}' only once in the header row "
                        f"(it is already in {coordinate(number, columns[field])})",
                    )
                )
            else:
                columns[field] = col
        for field, label in QC_COLUMNS.items():
            if field not in columns:
                problems.append(
                    SheetProblem(grid.sheet, f"{number}:{number}", None, f"a column headed '{label}' in the header row")
                )
        return number, columns
    problems.append(
        SheetProblem(
            grid.sheet,
            "",
            None,
            "a header row with the columns " + ", ".join(f"'{label}'" for label in QC_COLUMNS.values()),
        )
    )
    return None, {}


def _find_labels(
    grid: Grid, labels: dict[str, str], *, skip_row: int | None, problems: list[SheetProblem]
) -> dict[str, tuple[int, ParsedCell] | None]:
    """For each of ``labels`` (key -> label), the row and the cell right of the one cell reading it.

    One pass over the sheet's cells for all labels; a problem for each label found in none or several.
    """
    wanted = {_label_key(label): key for key, label in labels.items()}
    places: dict[str, list[tuple[int, int]]] = {key: [] for key in labels}
    for number, values in sorted(grid.rows.items()):
        if number == skip_row:
            continue
        for col, value in enumerate(values, start=1):
            if (key := wanted.get(_label_key(value))) is not None:
                places[key].append((number, col))
    return {key: _one_label(grid, label, places[key], problems) for key, label in labels.items()}


def _one_label(
    grid: Grid, label: str, found: list[tuple[int, int]], problems: list[SheetProblem]
) -> tuple[int, ParsedCell] | None:
    """The row and the cell right of the one place holding ``label``; a problem if there is none or several."""
    if not found:
        problems.append(SheetProblem(grid.sheet, "", None, f"a cell labelled '{label}' with its value to the right"))
        return None
    if len(found) > 1:
        where = ", ".join(coordinate(r, c) for r, c in found)
        problems.append(
            SheetProblem(grid.sheet, coordinate(*found[1]), label, f"one cell labelled '{label}' (found {where})")
        )
        return None
    number, col = found[0]
    return number, ParsedCell(sheet=grid.sheet, cell=coordinate(number, col + 1), value=grid.value(number, col + 1))


# ------------------------------------------------------------------------------------------- validating


def validate_qc(parsed: ParsedQc, assignment: Assignment, ref: ReferenceData) -> QcSheet:
    """Check a parsed QC sheet against its assignment; raise SheetInvalid listing every problem.

    Worker ids must belong to the assignment's group (makers who have since left still count: their
    work must be paid), SKUs to the assignment; ids are matched case-insensitively and returned as
    the reference data spells them. Counts are whole numbers (``12``, ``12.0``, ``"12 "``);
    Passed + Rejected may not exceed Produced; defect codes (comma or semicolon separated) must be
    the product's; hours go from 0 to :func:`max_hours_per_row`, rounded to hundredths.
    """
    group = ref.group(assignment.group_id)
    problems: list[SheetProblem] = []

    if parsed.assignment_id != assignment.assignment_id:
        problems.append(parsed.assignment_id_cell.problem(f"the assignment id {assignment.assignment_id!r}"))

    makers = {m.worker_id.casefold(): m.worker_id for m in ref.makers if m.group_id == group.group_id}
    skus = {line.sku.casefold(): line.sku for line in assignment.lines}

    rows = [
        row
        for parsed_row in parsed.rows
        if (row := _validate_row(parsed_row, makers, skus, ref, group, problems)) is not None
    ]
    if not parsed.rows:
        problems.append(
            SheetProblem(
                parsed.sheet,
                f"{parsed.header_row + 1}:{parsed.header_row + 1}",
                None,
                "at least one row with a Worker ID and a SKU under the header row",
            )
        )

    inspected_by = _text(parsed.inspected_by.value)
    if not inspected_by:
        problems.append(parsed.inspected_by.problem("the inspector's name, in the cell right of 'Inspected by'"))
    inspected_on = _as_date(parsed.inspected_on.value, date1904=parsed.date1904)
    if inspected_on is None:
        problems.append(
            parsed.inspected_on.problem(
                f"the inspection date right of 'Date': a date between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}, "
                "as a date cell or written day/month/year or year-month-day"
            )
        )

    if problems or inspected_on is None:  # a missing date is among the problems
        raise SheetInvalid(problems)
    return QcSheet(
        assignment_id=assignment.assignment_id,
        inspected_by=inspected_by,
        inspected_on=inspected_on,
        rows=rows,
    )


def _validate_row(
    row: ParsedRow,
    makers: dict[str, str],
    skus: dict[str, str],
    ref: ReferenceData,
    group: Group,
    problems: list[SheetProblem],
) -> QcRow | None:
    before = len(problems)
    cells = row.cells

    worker_id = makers.get(_text(cells["worker_id"].value).casefold())
    if worker_id is None:
        known = sorted(makers.values())
        examples = ", ".join(known[:5]) + (", ..." if len(known) > 5 else "")
        problems.append(cells["worker_id"].problem(f"a Worker ID of {group.name} ({examples})"))

    sku = skus.get(_text(cells["sku"].value).casefold())
    if sku is None:
        problems.append(cells["sku"].problem("a SKU of this assignment: " + ", ".join(sorted(skus.values()))))
    product = ref.find_product(sku) if sku is not None else None

    counts: dict[str, int] = {}
    for field in ("planned", "produced", "passed", "rejected"):
        cell = cells[field]
        if field == "planned" and cell.blank:
            counts[field] = 0  # rows added by the manager have no plan
            continue
        number = _as_whole(cell.value)
        if number is None:
            hint = " (write 0 if there is none)" if cell.blank else ""
            problems.append(cell.problem(f"a whole number, 0 or more{hint}"))
        else:
            counts[field] = number
    if {"produced", "passed", "rejected"} <= counts.keys():
        checked = counts["passed"] + counts["rejected"]
        if checked > counts["produced"]:
            problems.append(
                cells["produced"].problem(
                    f"at least Passed + Rejected = {checked} ({cells['passed'].cell} + {cells['rejected'].cell})"
                )
            )

    codes: tuple[str, ...] = ()
    if sku is not None:
        allowed = {c.casefold(): c for c in (product.defect_codes if product else ())}
        tokens = [t for t in re.split(r"[,;\n]+", _text(cells["defect_codes"].value)) if t.strip()]
        unknown = [t.strip() for t in tokens if t.strip().casefold() not in allowed]
        if unknown:
            expected = (
                "defect codes of " + sku + ": " + ", ".join(allowed.values()) + ", separated by commas"
                if allowed
                else f"no defect codes ({sku} has none in the catalog)"
            )
            problems.append(cells["defect_codes"].problem(expected))
        else:
            codes = tuple(dict.fromkeys(allowed[t.strip().casefold()] for t in tokens))

    hours = _as_hours(cells["hours_worked"].value)
    bound = max_hours_per_row(group, product, max(counts.get("planned", 0), counts.get("produced", 0)))
    if hours is None or not (0 <= hours <= bound):
        problems.append(
            cells["hours_worked"].problem(f"hours worked, a number from 0 to {bound.normalize():f} (7.5 = 7 h 30)")
        )

    if len(problems) > before or worker_id is None or sku is None or hours is None:
        return None
    return QcRow(worker_id=worker_id, sku=sku, defect_codes=codes, hours_worked=hours, **counts)


# --------------------------------------------------------------------------------------- cell values


def _text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0' (a worker id typed as 1023 reads '1023')."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _as_decimal(value: object) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if abs(value) < 1e15 else None
    if isinstance(value, str):
        text = value.strip()
        if text.count(",") == 1 and "." not in text:
            text = text.replace(",", ".")  # a decimal comma ("7,5") typed into a text cell
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() and abs(number) < Decimal(10) ** 15 else None
    return None


def _as_whole(value: object) -> int | None:
    number = _as_decimal(value)
    if number is None or number < 0:
        return None
    nearest = number.to_integral_value()
    tolerance = Decimal(repr(_FLOAT_TOLERANCE)) if isinstance(value, float) else Decimal(0)
    return int(nearest) if abs(number - nearest) <= tolerance else None


def _as_hours(value: object) -> Decimal | None:
    if isinstance(value, time):  # "7:30" typed into a cell Excel formats as a time
        number: Decimal | None = Decimal(value.hour) + Decimal(value.minute) / 60
    elif isinstance(value, timedelta):
        number = Decimal(str(value.total_seconds())) / 3600
    elif isinstance(value, str) and (m := re.fullmatch(r"\s*(\d{1,3}):([0-5]\d)\s*", value)):
        number = Decimal(m[1]) + Decimal(m[2]) / 60
    elif isinstance(value, datetime | date):
        return None
    else:
        number = _as_decimal(value)
    return None if number is None else number.quantize(_HOURS_STEP, rounding=ROUND_HALF_UP)


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T].*)?")


def _as_date(value: object, *, date1904: bool = False) -> date | None:
    """A real date cell, an Excel serial number, or text as year-month-day or day/month/year.

    Text is read day first (Peru and Thailand write dates that way); a Buddhist-era year (2568) is
    converted to the common era. Dates outside 2000-2100 are refused as implausible.
    """
    found: date | None = None
    if isinstance(value, datetime):
        found = value.date()
    elif isinstance(value, date):
        found = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        found = _from_serial(value, date1904)
    elif isinstance(value, str):
        text = value.strip()
        if re.fullmatch(r"\d{5}(\.0+)?", text):
            found = _from_serial(float(text), date1904)
        elif m := _ISO.fullmatch(text):
            found = _ymd(int(m[1]), int(m[2]), int(m[3]))
        elif m := _DMY.fullmatch(text):
            found = _ymd(int(m[3]), int(m[2]), int(m[1]))
    if found is None or not (EARLIEST_DATE <= found <= LATEST_DATE):
        return None
    return found


def _ymd(year: int, month: int, day: int) -> date | None:
    if year >= 2400:
        year -= BUDDHIST_ERA_OFFSET
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _from_serial(serial: float, date1904: bool) -> date | None:
    if serial != serial or not (1 <= serial < 2_958_466):  # NaN, or beyond 9999-12-31
        return None
    days = int(serial)
    if date1904:
        return date(1904, 1, 1) + timedelta(days=days)
    # Excel's 1900 system counts a 29 February 1900 that never was: serial 61 is 1 March 1900.
    return date(1899, 12, 30) + timedelta(days=days) if days >= 61 else date(1899, 12, 31) + timedelta(days=days)
