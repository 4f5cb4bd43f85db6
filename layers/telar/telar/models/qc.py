"""A QC sheet: as read from an upload (cells and the values they hold), and as accepted (QcSheet).

The spreadsheet format itself is ``telar.sheets.qc_sheet`` (docs/spreadsheets.md); the rules a sheet must meet
are ``telar.qc``.
"""

from datetime import date
from decimal import ROUND_CEILING, Decimal
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, Field

from telar.errors import SheetProblem
from telar.models.reference import Group, Product

# Dates outside these years are typing mistakes (a two-digit year, a serial number typed as text).
EARLIEST_DATE: Final = date(2000, 1, 1)
LATEST_DATE: Final = date(2100, 12, 31)
HOURS_BOUND_WEEKS: Final = 4
HOURS_BOUND_PACE: Final = 3  # a slow or learning maker may take three times the standard minutes


def max_hours_per_row(group: Group, product: Product | None = None, units: int = 0) -> Decimal:
    """The most hours one QC row (one maker, one product) may claim, in whole hours.

    Four full working weeks of the group, or three times the catalog's standard minutes for
    ``units`` pieces when that is more (a long assignment). A plausibility bound against typing
    mistakes (minutes for hours, 75 for 7.5), shared by the template's data validation and
    ``telar.qc.validate_qc``.
    """
    bound = group.weekly_hours_per_maker * HOURS_BOUND_WEEKS
    if product is not None and units > 0:
        bound = max(bound, product.standard_minutes * units * HOURS_BOUND_PACE / 60)
    return bound.quantize(Decimal(1), rounding=ROUND_CEILING)


class QcRow(BaseModel, defer_build=True):
    worker_id: str
    sku: str
    planned: int = Field(ge=0)
    produced: int = Field(ge=0)
    passed: int = Field(ge=0)
    rejected: int = Field(ge=0)
    defect_codes: tuple[str, ...] = ()
    hours_worked: Decimal = Field(ge=0)


class QcSheet(BaseModel, defer_build=True):
    assignment_id: str
    inspected_by: str
    inspected_on: date
    rows: list[QcRow]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.rows)


class ParsedCell(BaseModel):
    """One value as found in the upload, with where it was."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    sheet: str
    cell: str  # "E7"
    value: Any = None

    @property
    def ref(self) -> str:
        return f"{self.sheet}!{self.cell}"

    @property
    def blank(self) -> bool:
        return self.value is None or (isinstance(self.value, str) and not self.value.strip())

    def problem(self, expected: str) -> SheetProblem:
        return SheetProblem(self.sheet, self.cell, self.value, expected)


class ParsedRow(BaseModel):
    """One data row under the header: each contract column's cell, and its value read as that column's kind.

    A value the reader could not read as its kind (a count that is not a whole number of 0 or more, hours that
    are not a number or a time) is None; its cell says what was there.
    """

    model_config = ConfigDict(defer_build=True, frozen=True)

    row: int
    cells: dict[str, ParsedCell]  # field of QcRow -> its cell
    worker_id: str = ""
    sku: str = ""
    counts: dict[str, int | None] = Field(default_factory=dict)  # planned, produced, passed, rejected
    defect_codes: tuple[str, ...] = ()  # as typed, split at commas, semicolons and line breaks
    hours_worked: Decimal | None = None


class ParsedQc(BaseModel):
    """A structurally sound QC upload whose values are not yet checked against its assignment (telar.qc)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    sheet: str
    assignment_id: str
    assignment_id_cell: ParsedCell
    inspected_by: ParsedCell
    inspected_on: ParsedCell
    inspector: str = ""  # the text right of 'Inspected by'
    inspection_date: date | None = None  # the date right of 'Date', None if it is not a plausible date
    header_row: int
    rows: tuple[ParsedRow, ...]
