"""Time that is not pieces (issue 15): the attendance sheet as Telar writes it and reads it back, checked by cell,
and what it pays: each kind at the group's rate never below the minimum, guaranteed hours, public holidays."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from telar.attendance import attendance_earnings, validate_attendance
from telar.errors import SheetInvalid
from telar.models import EarningLine, PayPeriod, ReferenceData
from telar.models.attendance import Attendance, AttendanceDay
from telar.payroll import by_group, pay_statement, settle_guarantees
from telar.sheets.attendance_sheet import ATTENDANCE_SHEET, read_attendance_workbook
from telar.sheets.attendance_template import write_attendance_sheet
from tests.attendance_sheets import fill_attendance, header_row, open_days
from tests.factories import CHIANG_MAI, CUSCO, make_earning_line, make_reference

MAY = "2025-05"
JUNE = "2025-06"
LABOUR_DAY = date(2025, 5, 1)  # Día del Trabajo, a Thursday
CLOSED = date(2025, 5, 14)
TODAY = date(2025, 7, 1)
PERU_HOURLY = Decimal("1130.00") / 208


def _reference(**group_changes: object) -> ReferenceData:
    ref = make_reference()
    cusco = ref.group(CUSCO).model_copy(update={"closed_days": (CLOSED,), **group_changes})
    return ref.model_copy(update={"groups": (cusco, *(g for g in ref.groups if g.group_id != CUSCO))})


def _read(data: bytes, ref: ReferenceData) -> Attendance:
    return validate_attendance(read_attendance_workbook(data), ref, TODAY)


def _problems(data: bytes, ref: ReferenceData) -> dict[str, str]:
    with pytest.raises(SheetInvalid) as raised:
        _read(data, ref)
    assert all(p.sheet == ATTENDANCE_SHEET for p in raised.value.problems)
    return {p.cell: str(p.expected) for p in raised.value.problems}


def _cell(data: bytes, worker: str, day: date, column: str) -> str:
    ws = load_workbook(BytesIO(data))[ATTENDANCE_SHEET]
    header, columns = header_row(ws)
    for row in range(header + 1, ws.max_row + 1):
        found = ws.cell(row=row, column=columns["Date"]).value
        if ws.cell(row=row, column=columns["Worker ID"]).value == worker and found and found.date() == day:
            return str(ws.cell(row=row, column=columns[column]).coordinate)
    raise AssertionError(f"no row for {worker} on {day}")


def _spare_cell(data: bytes, index: int, column: str) -> str:
    ws = load_workbook(BytesIO(data))[ATTENDANCE_SHEET]
    header, columns = header_row(ws)
    rows = [r for r in range(header + 1, ws.max_row + 1) if ws.cell(row=r, column=columns["Maker"]).value is None]
    return str(ws.cell(row=rows[index], column=columns[column]).coordinate)


def _by_kind(lines: list[EarningLine], worker: str) -> dict[str, EarningLine]:
    return {line.sku: line for line in lines if line.worker_id == worker}


# ------------------------------------------------------------------------------------------------ the template


def test_the_template_lists_each_maker_and_open_day_marking_closed_days_and_public_holidays() -> None:
    # Given Cusco (Monday to Friday, closed on 14 May, paying public holidays) in May 2025
    ref = _reference()
    data = write_attendance_sheet(ref.group(CUSCO), PayPeriod(period=MAY), ref)
    wb = load_workbook(BytesIO(data))
    ws = wb[ATTENDANCE_SHEET]
    header, columns = header_row(ws)
    # Then there is a row per maker and open weekday, after the Spanish words above the English labels
    listed = [
        (ws.cell(row=r, column=columns["Worker ID"]).value, ws.cell(row=r, column=columns["Date"]).value.date())
        for r in range(header + 1, ws.max_row + 1)
        if ws.cell(row=r, column=columns["Date"]).value is not None
    ]
    weekdays = [d for d in open_days(ref, CUSCO, MAY)] + [CLOSED]
    assert sorted(listed) == sorted((m, d) for m in ("CUS-01", "CUS-02", "CUS-03") for d in weekdays)
    assert ws.cell(row=header - 1, column=columns["Training"]).value == "Capacitación"
    assert ws.protection.sheet and "Instrucciones" in wb.sheetnames
    # And Labour Day is marked by name with her day's hours of holiday filled in; the closed day is locked
    labour = ws[_cell(data, "CUS-01", LABOUR_DAY, "Holiday")]
    assert labour.value == 5 and not labour.protection.locked
    assert ws[_cell(data, "CUS-01", LABOUR_DAY, "Note")].value == "Día del Trabajo"
    assert ws[_cell(data, "CUS-01", CLOSED, "Note")].value == "cerrado"
    assert ws[_cell(data, "CUS-01", CLOSED, "Training")].protection.locked
    assert not ws[_cell(data, "CUS-01", date(2025, 5, 2), "Training")].protection.locked


def test_a_group_that_does_not_pay_public_holidays_gets_them_marked_and_locked() -> None:
    ref = _reference(paid_public_holidays=False)
    data = write_attendance_sheet(ref.group(CUSCO), PayPeriod(period=MAY), ref)
    ws = load_workbook(BytesIO(data))[ATTENDANCE_SHEET]
    holiday = ws[_cell(data, "CUS-01", LABOUR_DAY, "Holiday")]
    assert holiday.value is None and holiday.protection.locked
    assert not ws[_cell(data, "CUS-01", LABOUR_DAY, "Present")].protection.locked  # she may still work that day


# ------------------------------------------------------------------------------------------------ what it pays


def test_each_kind_is_paid_at_the_groups_rate_and_never_below_the_minimum_wage() -> None:
    # Given Cusco's rates (training 6.00, design 7.50 an hour, none for meetings) and a filled May sheet
    ref = _reference()
    data = fill_attendance(
        ref,
        CUSCO,
        MAY,
        {
            ("CUS-01", date(2025, 5, 5)): {"Present": 5, "Training": 3},
            ("CUS-01", date(2025, 5, 6)): {"Meeting": 2, "Design": "1:30"},
        },
    )
    # When it is read and paid
    attendance = _read(data, ref)
    lines = attendance_earnings(attendance, ref, "attendance/may.xlsx#v1")
    mine = _by_kind(lines, "CUS-01")
    # Then training pays its rate (above the minimum: no top-up), a meeting the minimum (no rate: all top-up)
    training, meeting, design = mine["TIME:training"], mine["TIME:meeting"], mine["TIME:design"]
    assert (training.hours_worked, training.time_pay, training.top_up) == (3, Decimal("18.00"), Decimal("0.00"))
    assert training.minimum_for_hours == (3 * PERU_HOURLY).quantize(Decimal("0.01"))
    assert (meeting.time_pay, meeting.top_up) == (Decimal("0.00"), (2 * PERU_HOURLY).quantize(Decimal("0.01")))
    assert (design.hours_worked, design.time_pay) == (Decimal("1.5"), Decimal("11.25"))
    # And Labour Day, a paid public holiday, pays each maker her 5 hours at the minimum wage (no holiday rate)
    holiday = _by_kind(lines, "CUS-02")["TIME:holiday"]
    assert holiday.hours_worked == 5 and holiday.total == (5 * PERU_HOURLY).quantize(Decimal("0.01"))
    # And the lines name the sheet and month and fall due in May's pay run
    assert {(x.order_id, x.assignment_id, x.inspected_on, x.qc_upload) for x in lines} == {
        ("ATT-pe-cusco-2025-05", "attendance", date(2025, 5, 31), "attendance/may.xlsx#v1")
    }
    assert all(x.total >= x.minimum_for_hours for x in lines)


def test_the_minimum_is_the_rule_in_force_on_each_day() -> None:
    # Given a raise to 1,248 a month (6.00 an hour) from 16 May and a meeting either side of it
    ref = _reference()
    [peru] = [r for r in ref.wage_rules if r.country == "PE"]
    raise_ = peru.model_copy(update={"amount": Decimal("1248.00"), "effective_from": date(2025, 5, 16)})
    ref = ref.model_copy(update={"wage_rules": (*ref.wage_rules, raise_)})
    data = fill_attendance(
        ref,
        CUSCO,
        MAY,
        {("CUS-01", date(2025, 5, 5)): {"Meeting": 2}, ("CUS-01", date(2025, 5, 20)): {"Meeting": 2}},
    )
    meeting = _by_kind(attendance_earnings(_read(data, ref), ref, "k#1"), "CUS-01")["TIME:meeting"]
    # Then each day's hours are at that day's rate
    assert meeting.minimum_for_hours == (2 * PERU_HOURLY + 12).quantize(Decimal("0.01")) == Decimal("22.87")


def test_a_group_that_does_not_pay_public_holidays_pays_none_and_refuses_holiday_hours_on_them() -> None:
    ref = _reference(paid_public_holidays=False)
    nothing = fill_attendance(ref, CUSCO, MAY, {})
    assert attendance_earnings(_read(nothing, ref), ref, "k#1") == []
    typed = fill_attendance(
        ref, CUSCO, MAY, {}, extra_rows=[{"Worker ID": "CUS-01", "Date": "01/05/2025", "Holiday": 5}]
    )
    problems = _problems(typed, ref)
    assert problems == {
        _spare_cell(
            typed, 0, "Holiday"
        ): "no holiday hours on Día del Trabajo: a public holiday this group does not pay"
    }


def test_all_hours_count_for_the_minimum_production_and_not() -> None:
    # Given a maker with a QC round paid above the minimum and training hours in the same month
    ref = _reference()
    data = fill_attendance(ref, CUSCO, JUNE, {("CUS-01", date(2025, 6, 2)): {"Present": 5, "Training": 4}})
    lines = [
        make_earning_line("CUS-01", inspected_on=date(2025, 6, 20)),
        *attendance_earnings(_read(data, ref), ref, "k#1"),
    ]
    statement = pay_statement(by_group(lines, ref), ref, PayPeriod(period=JUNE), date(2025, 7, 5), "Telar")
    [carmen] = statement.rows
    # Then her row counts both kinds of hours and pays at least the minimum for all of them
    assert carmen.hours == 16 + 4
    assert carmen.time_pay == Decimal("24.00") and carmen.piece_earnings == Decimal("100.00")
    assert carmen.total >= (carmen.hours * PERU_HOURLY).quantize(Decimal("0.01"))
    assert carmen.total == carmen.piece_earnings + carmen.time_pay + carmen.hourly_base + carmen.top_up


# ------------------------------------------------------------------------------------------------ guaranteed hours


def _present_every_day(ref: ReferenceData, hours: int) -> bytes:
    return fill_attendance(ref, CUSCO, JUNE, {("CUS-01", d): {"Present": hours} for d in open_days(ref, CUSCO, JUNE)})


def test_guaranteed_hours_pay_the_minimum_in_a_month_with_no_order_work() -> None:
    # Given Cusco guaranteeing 25 hours a week, and Carmen present 5 hours every open day of June 2025
    ref = _reference(guaranteed_hours_per_week=Decimal(25))
    lines = attendance_earnings(_read(_present_every_day(ref, 5), ref), ref, "k#1")
    # When the period is paid with no order work at all
    [guarantee] = settle_guarantees(lines)
    # Then she is paid the minimum for her weeks: four full weeks and Monday 30 June (1 June is a Sunday)
    expected = ((4 * 25 + 5) * PERU_HOURLY).quantize(Decimal("0.01"))
    assert guarantee.sku == "TIME:guarantee" and guarantee.hours_worked == 0
    assert guarantee.minimum_for_hours == guarantee.top_up == guarantee.total == expected


def test_guaranteed_hours_are_settled_against_the_rest_of_her_pay_of_the_month() -> None:
    ref = _reference(guaranteed_hours_per_week=Decimal(25))
    attendance = attendance_earnings(_read(_present_every_day(ref, 5), ref), ref, "k#1")
    minimum = attendance[0].minimum_for_hours
    for earned, expected in ((Decimal("100.00"), minimum - Decimal("100.00")), (minimum + 1, Decimal("0.00"))):
        work = make_earning_line("CUS-01", piece_earnings=earned, inspected_on=date(2025, 6, 10))
        older = make_earning_line(
            "CUS-01", order_id="ord-may", piece_earnings=Decimal(999), inspected_on=date(2025, 5, 9)
        )
        settled = {x.order_id: x for x in settle_guarantees([work, older, *attendance])}
        # Then the guarantee tops up only what her June pay falls short of (May's pay does not count)
        assert settled["ATT-pe-cusco-2025-06"].top_up == expected
        assert sum(x.total for x in settled.values() if x.order_id != "ord-may") >= minimum


def test_guaranteed_hours_count_only_the_hours_she_was_present() -> None:
    ref = _reference(guaranteed_hours_per_week=Decimal(25))
    [guarantee] = attendance_earnings(_read(_present_every_day(ref, 2), ref), ref, "k#1")
    assert guarantee.minimum_for_hours == (2 * 21 * PERU_HOURLY).quantize(Decimal("0.01"))  # 21 open days
    assert attendance_earnings(_read(_present_every_day(_reference(), 2), _reference()), _reference(), "k#1") == []


def test_a_public_holiday_the_group_does_not_pay_is_not_a_guaranteed_day() -> None:
    # Given Labour Day (Thursday 1 May) unpaid, and Carmen present 5 h each open day of May
    ref = _reference(guaranteed_hours_per_week=Decimal(25), paid_public_holidays=False, closed_days=())
    days = {("CUS-01", d): {"Present": 5} for d in open_days(ref, CUSCO, MAY) if d != LABOUR_DAY}
    [guarantee] = attendance_earnings(_read(fill_attendance(ref, CUSCO, MAY, days), ref), ref, "k#1")
    # Then May's 22 open days less Labour Day are guaranteed: 21 x 5 hours
    assert guarantee.minimum_for_hours == (21 * 5 * PERU_HOURLY).quantize(Decimal("0.01"))


# ------------------------------------------------------------------------------------------------ checked by cell


def test_every_problem_is_reported_at_its_cell() -> None:
    ref = _reference()
    data = fill_attendance(
        ref,
        CUSCO,
        MAY,
        {
            ("CUS-01", date(2025, 5, 5)): {"Training": 2},
            ("CUS-02", date(2025, 5, 7)): {"Training": 20},
            ("CUS-02", date(2025, 5, 8)): {"Present": 1, "Training": 3},
            ("CUS-02", date(2025, 5, 12)): {"Holiday": 6},
            ("CUS-03", date(2025, 5, 9)): {"Training": "lots"},
            ("CUS-03", CLOSED): {"Training": 2},
        },
        extra_rows=[
            {"Worker ID": "CNX-01", "Date": "06/05/2025", "Training": 2},
            {"Worker ID": "CUS-01", "Date": "2025-06-02", "Training": 1},
            {"Worker ID": "CUS-01", "Date": "05/05/2025", "Course": 1},
            {"Worker ID": "CUS-02", "Date": "09/05/2025", "Present": 12, "Holiday": 5},
        ],
    )
    problems = _problems(data, ref)
    assert problems == {
        _cell(data, "CUS-02", date(2025, 5, 7), "Training"): "hours from 0 to 16 (7.5 = 7 h 30)",
        _cell(data, "CUS-02", date(2025, 5, 8), "Present"): (
            "present hours of at least the training, course, design and meeting hours (3)"
        ),
        _cell(data, "CUS-02", date(2025, 5, 12), "Holiday"): "holiday hours of at most her hours of a day (5)",
        _cell(data, "CUS-03", date(2025, 5, 9), "Training"): "hours from 0 to 16 (7.5 = 7 h 30)",
        _cell(data, "CUS-03", CLOSED, "Date"): "a day group pe-cusco is open (hours on a closed day cannot be paid)",
        _spare_cell(data, 0, "Worker ID"): "the Worker ID of a maker of group pe-cusco",
        _spare_cell(data, 1, "Date"): "a date in 2025-05",
        _spare_cell(data, 2, "Date"): (
            f"one row per maker and day (she already has hours on this day in "
            f"{_cell(data, 'CUS-01', date(2025, 5, 5), 'Date')})"
        ),
        _spare_cell(data, 3, "Holiday"): "present and holiday hours of at most 16 in one day",
    }


def test_the_group_and_month_are_checked_at_their_cells() -> None:
    ref = _reference()
    unknown = fill_attendance(ref, CUSCO, MAY, {}, labels={"Group ID": "pe-lima", "Month": "mayo"})
    assert set(_problems(unknown, ref).values()) == {
        "the Group ID of a group in the reference data, in the cell right of 'Group ID'",
        "the month right of 'Month', written year-month (2026-11)",
    }
    later = fill_attendance(ref, CUSCO, MAY, {}, labels={"Month": "2025-08"})
    assert list(_problems(later, ref).values()) == ["a month that has begun (this month is 2025-07)"]
    # And a month typed as 05/2025, or a date cell in it, is read as the month
    for typed in ("05/2025", date(2025, 5, 1)):
        data = fill_attendance(ref, CUSCO, MAY, {}, labels={"Month": typed})
        assert _read(data, ref).month == MAY


def test_a_workbook_without_the_contract_labels_is_refused_naming_them() -> None:
    ref = _reference()
    wb = load_workbook(BytesIO(write_attendance_sheet(ref.group(CHIANG_MAI), PayPeriod(period=MAY), ref)))
    ws = wb[ATTENDANCE_SHEET]
    header, columns = header_row(ws)
    ws.cell(row=header, column=columns["Meeting"]).value = "Meetings"
    out = BytesIO()
    wb.save(out)
    with pytest.raises(SheetInvalid) as raised:
        read_attendance_workbook(out.getvalue())
    assert [str(p.expected) for p in raised.value.problems] == ["a column headed 'Meeting' in the header row"]


def test_hours_are_read_as_spreadsheets_write_them() -> None:
    ref = _reference()
    day = date(2025, 5, 5)
    for typed, hours in ((7.5, "7.5"), ("7,5", "7.5"), ("7:30", "7.5"), (" 2 ", "2")):
        data = fill_attendance(ref, CUSCO, MAY, {("CUS-01", day): {"Present": typed}})
        [found] = [d for d in _read(data, ref).days if d.day == day]
        assert found == AttendanceDay(worker_id="CUS-01", day=day, present=Decimal(hours))


def test_a_public_holiday_the_group_also_lists_as_closed_is_paid_as_a_public_holiday() -> None:
    # Given Cusco closed on Labour Day (its closed days plan capacity) and paying public holidays
    ref = _reference(closed_days=(LABOUR_DAY,))
    data = write_attendance_sheet(ref.group(CUSCO), PayPeriod(period=MAY), ref)
    ws = load_workbook(BytesIO(data))[ATTENDANCE_SHEET]
    # Then the sheet marks it as the holiday, pre-filled, and it pays each maker her day at the minimum
    assert ws[_cell(data, "CUS-01", LABOUR_DAY, "Note")].value == "Día del Trabajo"
    lines = attendance_earnings(_read(data, ref), ref, "k#1")
    assert {(x.worker_id, x.sku, x.hours_worked) for x in lines} == {
        (w, "TIME:holiday", 5) for w in ("CUS-01", "CUS-02", "CUS-03")
    }
    # But work hours on it are refused: the group is closed
    worked = fill_attendance(ref, CUSCO, MAY, {("CUS-01", LABOUR_DAY): {"Training": 2}})
    assert _problems(worked, ref) == {
        _cell(
            worked, "CUS-01", LABOUR_DAY, "Date"
        ): "a day group pe-cusco is open (hours on a closed day cannot be paid)"
    }
