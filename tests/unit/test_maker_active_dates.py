"""A maker's own calendar: active dates (Active from / Active to) and part-time hours, in capacity and the workbook."""

from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import openpyxl
import pytest
from pydantic import ValidationError

from samples.make_reference_book import sample_book
from telar.allocation import split_order
from telar.capacity import free_minutes, group_day_minutes
from telar.errors import SheetInvalid
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book, write_reference_book
from tests.factories import CUSCO, make_group, make_maker, make_makers, make_order, make_order_line, make_reference

TODAY = date(2026, 11, 23)  # a Monday


def test_a_maker_has_no_free_minutes_outside_her_active_dates() -> None:
    # Given a maker who starts on Wednesday and leaves on Thursday, in a 5 h, Monday-Friday workshop
    maker = make_maker(active_from=TODAY + timedelta(days=2), active_to=TODAY + timedelta(days=3))
    # When her free minutes for the week are computed
    free = free_minutes(group_day_minutes(make_group(CUSCO), TODAY, days=7), maker, TODAY, {})
    # Then she works Wednesday and Thursday only
    assert free == [0.0, 0.0, 300.0, 300.0, 0.0, 0.0, 0.0]


def test_a_part_time_maker_works_her_own_hours_on_the_group_s_open_days() -> None:
    # Given a maker working 2 h a day at 1.5 in a 5 h, Monday-Friday workshop closed on Tuesday
    maker = make_maker(hours_per_day=Decimal(2), efficiency=Decimal("1.5"))
    group = make_group(CUSCO, closed_days=(TODAY + timedelta(days=1),))
    # When her free minutes for the week are computed
    free = free_minutes(group_day_minutes(group, TODAY, days=7), maker, TODAY, {})
    # Then she has 2 h x 1.5 = 180 standard minutes on each open day, none when it is closed
    assert free == [180.0, 0.0, 180.0, 180.0, 180.0, 0.0, 0.0]


def test_a_maker_released_before_planning_gets_no_work_and_one_starting_later_only_her_days() -> None:
    # Given 12 scarves (240 standard minutes each) for three Cusco makers working 300 minutes a day
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 12)], requested_ship_date=TODAY + timedelta(days=120))
    everyone = make_makers(CUSCO)
    released = [
        m.model_copy(update={"active_to": TODAY - timedelta(days=1)}) if m.worker_id == "CUS-03" else m
        for m in everyone
    ]
    starting = [
        m.model_copy(update={"active_from": TODAY + timedelta(days=2)}) if m.worker_id == "CUS-03" else m
        for m in everyone
    ]
    # When the order is planned with all three, with CUS-03 released yesterday, and with her starting Wednesday
    plans = [
        split_order(order, make_reference(groups=[make_group(CUSCO)], makers=makers), TODAY)
        for makers in (everyone, released, starting)
    ]
    # Then without her it finishes a day later and she has no work; starting Wednesday she makes at most 2 days' worth
    planned = [{w: n for a in p.assignments for line in a.lines for w, n in line.per_maker.items()} for p in plans]
    assert plans[1].finish_date == plans[0].finish_date + timedelta(days=1)
    assert planned[1].get("CUS-03", 0) == 0 and sum(planned[1].values()) == 12
    assert 0 < planned[2]["CUS-03"] <= 2 < planned[0]["CUS-03"]


def test_active_to_before_active_from_is_refused() -> None:
    with pytest.raises(ValidationError, match="on or after Active from"):
        make_maker(active_from=TODAY, active_to=TODAY - timedelta(days=1))


def test_active_dates_and_hours_round_trip_and_a_wrong_order_is_reported_at_the_active_to_cell() -> None:
    # Given the sample book with a maker's start and release dates and part-time hours set
    book = sample_book()
    maker = book.reference.makers[0]
    dated = maker.model_copy(
        update={"active_from": date(2025, 3, 1), "active_to": date(2027, 6, 30), "hours_per_day": Decimal("3.5")}
    )
    makers = (dated, *book.reference.makers[1:])
    data = write_reference_book(
        book.model_copy(update={"reference": book.reference.model_copy(update={"makers": makers})})
    )
    # When it is read back
    read = read_reference_book(data, book_problems)
    # Then they are kept
    assert read.reference.makers[0] == dated
    # And when Active to is edited to before Active from, the problem is at that cell
    workbook = openpyxl.load_workbook(BytesIO(data))
    sheet = workbook["makers"]
    column = next(c.column for c in sheet[1] if c.value == "Active to")
    sheet.cell(row=2, column=column).value = date(2024, 1, 1)
    out = BytesIO()
    workbook.save(out)
    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(out.getvalue(), book_problems)
    [problem] = refused.value.problems
    assert (problem.sheet, problem.cell) == ("makers", sheet.cell(row=2, column=column).coordinate)
    assert "Active from" in problem.expected
