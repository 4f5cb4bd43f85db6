"""Cell values: read as spreadsheets produce them, as what a column means (every format's readers use these).

Excel, LibreOffice and Google Sheets hand back the same typed value in many shapes: a count as ``12``,
``12.0``, ``"12.0 "`` or ``"12,0"``; hours as ``7,5``, ``7:30`` or a time cell; a date as a date cell, a serial
number (1900 and 1904 systems), ISO or day-first text, or with a Buddhist-era year. Each reader returns the
value, or None when the cell does not hold one (the caller says what was expected, at the cell).
"""

import re
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Final

from telar.models.qc import EARLIEST_DATE, LATEST_DATE

BUDDHIST_ERA_OFFSET: Final = 543
_HOURS_STEP = Decimal("0.01")
_FLOAT_TOLERANCE = 1e-9


def label_key(value: object) -> str | None:
    """A label as matched: case-insensitive, extra spaces and a trailing colon ignored; None for a non-text cell."""
    if not isinstance(value, str):
        return None
    return " ".join(value.split()).rstrip(":").strip().casefold()


def text(value: object) -> str:
    """A cell as text: numbers without a spurious '.0' (a worker id typed as 1023 reads '1023')."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def as_decimal(value: object) -> Decimal | None:
    """A finite number under 10**15, from a number cell or text (a decimal comma "7,5" included)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if abs(value) < 1e15 else None
    if isinstance(value, str):
        typed = value.strip()
        if typed.count(",") == 1 and "." not in typed:
            typed = typed.replace(",", ".")  # a decimal comma ("7,5") typed into a text cell
        try:
            number = Decimal(typed)
        except InvalidOperation:
            return None
        return number if number.is_finite() and abs(number) < Decimal(10) ** 15 else None
    return None


def as_whole(value: object) -> int | None:
    """A whole number of 0 or more (a float cell within 1e-9 of one counts: 12.000000001 is 12)."""
    number = as_decimal(value)
    if number is None or number < 0:
        return None
    nearest = number.to_integral_value()
    tolerance = Decimal(repr(_FLOAT_TOLERANCE)) if isinstance(value, float) else Decimal(0)
    return int(nearest) if abs(number - nearest) <= tolerance else None


def as_hours(value: object) -> Decimal | None:
    """Hours to the hundredth: a number (7.5, "7,5"), "7:30", or a time or duration cell; never a date."""
    if isinstance(value, time):  # "7:30" typed into a cell Excel formats as a time
        number: Decimal | None = Decimal(value.hour) + Decimal(value.minute) / 60
    elif isinstance(value, timedelta):
        number = Decimal(str(value.total_seconds())) / 3600
    elif isinstance(value, str) and (m := re.fullmatch(r"\s*(\d{1,3}):([0-5]\d)\s*", value)):
        number = Decimal(m[1]) + Decimal(m[2]) / 60
    elif isinstance(value, datetime | date):
        return None
    else:
        number = as_decimal(value)
    return None if number is None else number.quantize(_HOURS_STEP, rounding=ROUND_HALF_UP)


_ISO = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?")
_DMY = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})(?:[ T].*)?")


def as_date(value: object, *, date1904: bool = False) -> date | None:
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
        typed = value.strip()
        if re.fullmatch(r"\d{5}(\.0+)?", typed):
            found = _from_serial(float(typed), date1904)
        elif m := _ISO.fullmatch(typed):
            found = _ymd(int(m[1]), int(m[2]), int(m[3]))
        elif m := _DMY.fullmatch(typed):
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
