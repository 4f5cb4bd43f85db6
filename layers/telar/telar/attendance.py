"""Time that is not pieces (issue 15): what an attendance sheet must say, and what it pays.

Rules (docs/decisions.md, issue 15):

- one sheet per group and month; a row per maker and day with the hours she was present at the workshop
  (everything she did there, production included) and the hours of each kind of paid time (training, course,
  design, meeting, holiday);
- each kind is paid at the group's hourly rate for it and topped up to the minimum wage for its hours, day by
  day with the rule in force on each day; one earning line per maker and kind for the month;
- guaranteed hours: in each week (Monday to Sunday, the days of it in the month), the hours she was present or
  on paid holiday count towards the group's guaranteed hours for that week (pro rata to the week's open days in
  the month); the minimum wage for the hours counted is recorded on a ``TIME:guarantee`` line, settled against
  her other pay of the month when the period is paid (``payroll.settle_guarantees``);
- public holidays of the group's country are data; a group that pays them gets them pre-filled as holiday
  hours, a group that does not cannot enter holiday hours on them.
"""

import functools
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from telar import messages
from telar.errors import SheetInvalid, SheetProblem
from telar.models import EarningLine, Group, PayPeriod, ReferenceData
from telar.models.attendance import (
    GUARANTEE,
    HOURS_COLUMNS,
    MAX_DAY_HOURS,
    Attendance,
    AttendanceDay,
    ParsedAttendance,
    attendance_order_id,
    day_hours,
    time_sku,
)
from telar.models.reference import TIME_KINDS, TimeKind

ATTENDANCE_ASSIGNMENT: Final = "attendance"  # the assignment id of every attendance line (order id names the sheet)
WORKING_KINDS: Final = tuple(k for k in TIME_KINDS if k != "holiday")  # part of the hours present


def validate_attendance(parsed: ParsedAttendance, ref: ReferenceData, today: date) -> Attendance:
    """The sheet's meaning checked against the reference data; raise SheetInvalid with every problem at its cell.

    The group is one of the reference data; the month is written YYYY-MM and is not after ``today``'s; each row
    names a maker of the group (one who has left since still counts) and a day of the month within her active
    dates that the group is open (a public holiday on a working weekday takes holiday hours even if the group
    lists it as closed); a maker and day only once; hours are numbers from 0 to 16 (blank: 0), present
    at least the hours of training, course, design and meeting (blank present: their sum), present + holiday
    at most 16 in a day, holiday at most her hours of a day, and none on a public holiday the group does not pay.
    """
    problems: list[SheetProblem] = []
    group = next((g for g in ref.groups if g.group_id.casefold() == parsed.group_id.casefold()), None)
    if group is None:
        problems.append(parsed.group_cell.problem(messages.A_GROUP_ID()))
    month: PayPeriod | None = None
    try:
        month = PayPeriod(period=parsed.month)
    except ValueError:
        problems.append(parsed.month_cell.problem(messages.A_MONTH()))
    if month is not None and month.first_day > today:
        problems.append(parsed.month_cell.problem(messages.A_MONTH_BEGUN(month=f"{today.year:04d}-{today.month:02d}")))
    if problems or group is None or month is None:
        raise SheetInvalid(problems)

    makers = {m.worker_id.casefold(): m for m in ref.makers if m.group_id == group.group_id}
    holidays = ref.public_holidays(group.country, month.first_day, month.last_day)
    seen: dict[tuple[str, date], str] = {}
    days: list[AttendanceDay] = []
    for row in parsed.rows:
        cell = row.cells
        maker = makers.get(row.worker_id.casefold())
        if maker is None:
            problems.append(cell["worker_id"].problem(messages.A_MAKER_OF(group=group.group_id)))
        day = row.day
        if day is None or not (month.first_day <= day <= month.last_day):
            problems.append(cell["day"].problem(messages.A_DAY_OF(month=month.period)))
            day = None
        hours: dict[str, Decimal] = {}
        for column in HOURS_COLUMNS:
            value = row.hours.get(column)
            if (value is None and not cell[column].blank) or (value is not None and not (0 <= value <= MAX_DAY_HOURS)):
                problems.append(cell[column].problem(messages.HOURS_IN_A_DAY(most=f"{MAX_DAY_HOURS:f}")))
            elif value:
                hours[column] = value
        if maker is None or day is None:
            continue
        key = (maker.worker_id, day)
        if key in seen:
            problems.append(cell["day"].problem(messages.ONE_ROW_PER_DAY(row=seen[key])))
            continue
        seen[key] = cell["day"].cell
        if not hours:
            continue
        working = sum((hours.get(k, Decimal(0)) for k in WORKING_KINDS), Decimal(0))
        present = hours.get("present", working)
        holiday = hours.get("holiday", Decimal(0))
        public_holiday = day in holidays and day.weekday() < group.days_per_week
        if not group.is_open_on(day) and not (public_holiday and set(hours) <= {"holiday"}):
            problems.append(cell["day"].problem(messages.AN_OPEN_DAY(group=group.group_id)))
        elif not (maker.works_on(day)):
            problems.append(cell["day"].problem(messages.WITHIN_HER_DATES()))
        if present < working:
            problems.append(cell["present"].problem(messages.PRESENT_COVERS(hours=f"{working.normalize():f}")))
        if present + holiday > MAX_DAY_HOURS:
            problems.append(cell["holiday"].problem(messages.DAY_TOTAL(most=f"{MAX_DAY_HOURS:f}")))
        if holiday > day_hours(group, maker):
            problems.append(
                cell["holiday"].problem(messages.HOLIDAY_AT_MOST(hours=f"{day_hours(group, maker).normalize():f}"))
            )
        if holiday and day in holidays and not group.paid_public_holidays:
            problems.append(cell["holiday"].problem(messages.UNPAID_PUBLIC_HOLIDAY(holiday=holidays[day])))
        kinds: dict[TimeKind, Decimal] = {k: hours[k] for k in TIME_KINDS if k in hours}
        days.append(AttendanceDay(worker_id=maker.worker_id, day=day, present=present, hours=kinds))
    if problems:
        raise SheetInvalid(problems)
    return Attendance(group_id=group.group_id, month=month.period, filled_by=parsed.filled_by, days=tuple(days))


def _round(amount: Decimal, group: Group) -> Decimal:
    return amount.quantize(Decimal(group.pay_rounding), rounding=ROUND_HALF_UP)


def attendance_earnings(attendance: Attendance, ref: ReferenceData, upload_ref: str) -> list[EarningLine]:
    """The earning lines an attendance sheet pays: one per maker and kind of time, and her guaranteed hours.

    Each kind pays ``hours x the group's rate for it`` (0 where it has none) and is topped up to the minimum wage
    for its hours, each day at the rule in force on that day. Lines are dated the month's last day, so the pay
    run of that month pays them.
    """
    group = ref.group(attendance.group_id)
    month = attendance.period
    names = {m.worker_id: m.first_name for m in ref.makers if m.group_id == group.group_id}
    hourly: dict[date, Decimal] = {}

    def minimum_on(day: date) -> Decimal:
        if day not in hourly:
            hourly[day] = ref.minimum_wage(group, day).hourly
        return hourly[day]

    weeks = guaranteed_weeks(group, month, ref)
    by_maker: dict[str, list[AttendanceDay]] = defaultdict(list)
    for day in attendance.days:
        by_maker[day.worker_id].append(day)
    lines = []
    last_day, zero = month.last_day, _round(Decimal(0), group)
    for worker_id, days in sorted(by_maker.items()):
        kinds = {kind for d in days for kind in d.hours}
        for kind in TIME_KINDS:
            if kind not in kinds:  # no day has it: its hours would sum to 0, which is not paid
                continue
            hours = sum((d.hours.get(kind, Decimal(0)) for d in days), Decimal(0))
            if not hours:
                continue
            pay = _round(hours * group.time_rates.get(kind, Decimal(0)), group)
            minimum = _round(sum((d.hours.get(kind, Decimal(0)) * minimum_on(d.day) for d in days), Decimal(0)), group)
            lines.append(
                _line(
                    attendance,
                    group,
                    worker_id,
                    names,
                    kind,
                    upload_ref,
                    last_day,
                    hours_worked=hours,
                    time_pay=pay,
                    minimum_for_hours=minimum,
                    top_up=max(minimum - pay, zero),
                )
            )
        guaranteed = guaranteed_minimum(group, days, weeks, minimum_on)
        if guaranteed:
            lines.append(
                _line(
                    attendance, group, worker_id, names, GUARANTEE, upload_ref, last_day, minimum_for_hours=guaranteed
                )
            )
    return lines


def guaranteed_weeks(group: Group, month: PayPeriod, ref: ReferenceData) -> list[tuple[date, Decimal, date]]:
    """The month's weeks as the guarantee counts them: (Monday, guaranteed hours, the week's last day in the month).

    Weeks run Monday to Sunday, the days of them in the month; the group's guaranteed hours are pro rata to the
    week's working days in the month (a public holiday it does not pay is not one). Empty when it guarantees none.
    """
    if not group.guaranteed_hours_per_week:
        return []
    first, last = month.first_day, month.last_day
    holidays = ref.public_holidays(group.country, first, last)
    weeks = []
    monday = first - timedelta(days=first.weekday())
    while monday <= last:
        in_month = [d for d in (monday + timedelta(days=i) for i in range(7)) if first <= d <= last]
        working = [
            d
            for d in in_month
            if (group.paid_public_holidays and d in holidays and d.weekday() < group.days_per_week)
            or (d not in holidays and group.is_open_on(d))
        ]
        weeks.append((monday, group.guaranteed_hours_per_week * len(working) / group.days_per_week, in_month[-1]))
        monday += timedelta(days=7)
    return weeks


def guaranteed_minimum(
    group: Group,
    days: list[AttendanceDay],
    weeks: list[tuple[date, Decimal, date]],
    minimum_on: Callable[[date], Decimal],
) -> Decimal:
    """The minimum wage for the hours guaranteed to a maker in a month (0 when the group guarantees none).

    Of each week's guaranteed hours (:func:`guaranteed_weeks`), the hours she was present or on paid holiday;
    each week's hours at the minimum wage in force on the week's last day in the month.
    """
    if not weeks:
        return Decimal(0)
    counted: dict[date, Decimal] = defaultdict(Decimal)
    for d in days:
        counted[d.day - timedelta(days=d.day.weekday())] += d.present + d.hours.get("holiday", Decimal(0))
    total = sum((min(hours, counted[monday]) * minimum_on(end) for monday, hours, end in weeks), Decimal(0))
    return _round(total, group)


@functools.cache
def _zero(pay_rounding: str) -> Decimal:
    """Zero in a rounding unit (Decimals are immutable: one per unit serves every line)."""
    return Decimal(0).quantize(Decimal(pay_rounding), rounding=ROUND_HALF_UP)


def _line(
    attendance: Attendance,
    group: Group,
    worker_id: str,
    names: dict[str, str],
    kind: str,
    upload_ref: str,
    on: date,
    **amounts: Decimal,
) -> EarningLine:
    """One attendance line: the sheet, the maker and the kind of time; ``amounts`` over zeros."""
    zero = _zero(group.pay_rounding)
    fields: dict[str, Decimal] = {
        "hours_worked": Decimal(0),
        "piece_earnings": zero,
        "time_pay": zero,
        "hourly_base": zero,
        "minimum_for_hours": zero,
        "top_up": zero,
        **amounts,
    }
    return EarningLine(
        order_id=attendance_order_id(group.group_id, attendance.month),
        assignment_id=ATTENDANCE_ASSIGNMENT,
        group_id=group.group_id,
        worker_id=worker_id,
        maker_name=names.get(worker_id, worker_id),
        sku=time_sku(kind),
        currency=group.currency,
        units_passed=0,
        qc_upload=upload_ref,
        inspected_on=on,
        **fields,
    )


def recorded_from(lines: list[EarningLine]) -> str | None:
    """The upload an attendance month's recorded lines came from (None: nothing recorded yet)."""
    return next((line.qc_upload for line in lines if line.qc_upload), None)
