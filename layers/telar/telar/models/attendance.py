"""Attendance: the hours of a group's makers that are not pieces, one month per sheet (issue 15)."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from telar.models.payroll import PayPeriod
from telar.models.qc import ParsedCell
from telar.models.reference import TIME_KINDS, Group, Maker, ReferenceData, TimeKind

# Earning lines of an attendance sheet (docs/decisions.md, issue 15): the "order" names the group and month, the
# "assignment" the sheet, the "SKU" the kind of time; the guarantee line settles guaranteed hours at pay time.
ATTENDANCE_PREFIX = "ATT"
TIME_SKU_PREFIX = "TIME:"
GUARANTEE = "guarantee"
MAX_DAY_HOURS: Final = Decimal(16)  # present + holiday in one day: more is a slip of the pen
HOURS_COLUMNS: Final = ("present", *TIME_KINDS)


def attendance_order_id(group_id: str, month: str) -> str:
    """The order id under which a group's attendance lines of ``month`` (YYYY-MM) are recorded."""
    return f"{ATTENDANCE_PREFIX}-{group_id}-{month}"


def time_sku(kind: str) -> str:
    return f"{TIME_SKU_PREFIX}{kind}"


def time_kind_of(sku: str) -> str | None:
    """The kind of time an earning line's SKU names (``TIME:training`` -> ``training``), None for a product."""
    return sku[len(TIME_SKU_PREFIX) :] if sku.startswith(TIME_SKU_PREFIX) else None


class ParsedAttendanceRow(BaseModel, defer_build=True):
    """One row of an uploaded attendance sheet as read: its cells, and their values read as the column's kind."""

    model_config = ConfigDict(frozen=True)

    row: int
    cells: dict[str, ParsedCell]
    worker_id: str
    day: date | None
    hours: dict[str, Decimal | None] = Field(description="'present' and each kind -> hours; None: unreadable")


class ParsedAttendance(BaseModel, defer_build=True):
    """An attendance workbook as found: the labelled cells and the rows under the header."""

    model_config = ConfigDict(frozen=True)

    sheet: str
    group_id: str
    group_cell: ParsedCell
    month: str
    month_cell: ParsedCell
    filled_by: str
    rows: tuple[ParsedAttendanceRow, ...]


class AttendanceDay(BaseModel, defer_build=True):
    """One maker's day: hours present at the workshop (all activities), and hours of each kind of paid time."""

    model_config = ConfigDict(frozen=True)

    worker_id: str
    day: date
    present: Decimal = Decimal(0)
    hours: dict[TimeKind, Decimal] = Field(default_factory=dict)


class Attendance(BaseModel, defer_build=True):
    """A validated attendance sheet: one group, one month."""

    model_config = ConfigDict(frozen=True)

    group_id: str
    month: str
    filled_by: str = ""
    days: tuple[AttendanceDay, ...]

    @property
    def period(self) -> PayPeriod:
        return PayPeriod(period=self.month)

    def totals(self) -> dict[str, Decimal]:
        """Hours per kind over the sheet (and ``present``), for the receipt."""
        sums: dict[str, Decimal] = {"present": Decimal(0)}
        for day in self.days:
            sums["present"] += day.present
            for kind, hours in day.hours.items():
                sums[kind] = sums.get(kind, Decimal(0)) + hours
        return sums


def day_hours(group: Group, maker: Maker | None) -> Decimal:
    """A maker's hours on an open day: hers if part-time, else the group's."""
    return maker.hours_per_day if maker and maker.hours_per_day else group.hours_per_day


def sheet_days(group: Group, month: PayPeriod, ref: ReferenceData) -> list[tuple[date, str | None]]:
    """The days an attendance sheet lists: the group's working weekdays of the month, each with what marks it
    (a public holiday's name, ``closed`` for another of the group's closed days, or None). A public holiday the
    group also lists as closed is a public holiday: whether it is paid is the group's rule, not the closing."""
    holidays = ref.public_holidays(group.country, month.first_day, month.last_day)
    days = []
    day = month.first_day
    while day <= month.last_day:
        if day.weekday() < group.days_per_week:
            days.append((day, holidays.get(day) or ("closed" if day in group.closed_days else None)))
        day += timedelta(days=1)
    return days
