"""Lead time in her time zone: papers are never due before the group's lead days after they are sent.

A work e-mail sent at 20:05 in Chiang Mai used to be due the same day (issue 17): the due date was counted from
the UTC date, and the day of sending counted as a working day.
"""

from datetime import UTC, date, datetime, timedelta

import pytest

from telar.allocation import SHIP_AFTER_DUE, split_order
from telar.capacity import CapacityLedger, earliest_due, group_earliest_due
from telar.models import PublicHoliday
from telar.rework import book_rework
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    make_assignment,
    make_group,
    make_order,
    make_order_line,
    make_reference,
)

FRIDAY = date(2026, 11, 27)


@pytest.mark.parametrize(
    ("group_id", "sent_at", "lead_days", "due"),
    [
        # 20:05 on Friday in Chiang Mai (13:05 UTC): Friday does not count, the weekend is closed: Mon, Tue
        (CHIANG_MAI, datetime(2026, 11, 27, 13, 5, tzinfo=UTC), 2, date(2026, 12, 1)),
        # 22:00 on Monday in Lima is already Tuesday in UTC: counted from Lima's Monday, not from Tuesday
        (CUSCO, datetime(2026, 11, 24, 3, 0, tzinfo=UTC), 1, date(2026, 11, 24)),
        # 08:00 on Tuesday in Bangkok is still Monday in UTC: counted from Bangkok's Tuesday
        (CHIANG_MAI, datetime(2026, 11, 24, 1, 0, tzinfo=UTC), 1, date(2026, 11, 25)),
        # no lead time: due the day they are sent, the group's day
        (CHIANG_MAI, datetime(2026, 11, 27, 18, 0, tzinfo=UTC), 0, date(2026, 11, 28)),
    ],
)
def test_lead_days_count_open_days_after_the_day_of_sending_in_the_group_s_time_zone(
    group_id: str, sent_at: datetime, lead_days: int, due: date
) -> None:
    assert earliest_due(make_group(group_id, lead_days=lead_days), sent_at) == due


def test_closed_days_and_public_holidays_are_not_counted() -> None:
    # Given Cusco closed on Monday 30 November and Tuesday 1 December a public holiday of Peru
    group = make_group(CUSCO, lead_days=2, closed_days=(date(2026, 11, 30),))
    holiday = PublicHoliday(country="PE", day=date(2026, 12, 1), name="Día de prueba")
    ref = make_reference(groups=[group], holidays=(holiday,))
    # When papers are sent on Friday afternoon in Lima
    sent = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)
    # Then the two open days are Wednesday and Thursday
    assert group_earliest_due(ref, CUSCO, sent) == date(2026, 12, 3)
    assert earliest_due(group, sent) == date(2026, 12, 2)  # without the holiday: Tuesday, Wednesday


def test_a_plan_is_never_due_before_each_group_s_lead_time() -> None:
    # Given a tiny order the workshops could finish the same day, promised for as soon as possible
    ref = make_reference(groups=[make_group(CUSCO, lead_days=3), make_group(CHIANG_MAI, lead_days=2)])
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 12)], requested_ship_date=FRIDAY)
    sent = datetime(2026, 11, 27, 13, 5, tzinfo=UTC)  # Friday 20:05 in Chiang Mai, 08:05 in Lima
    # When it is split
    plan = split_order(order, ref, FRIDAY, sent_at=sent)
    # Then each group's assignment is due after its own lead time, and the buyer is told the date that follows
    for a in plan.assignments:
        assert a.due_date >= group_earliest_due(ref, a.group_id, sent)
    assert plan.expected_ship_date >= max(a.due_date for a in plan.assignments) + SHIP_AFTER_DUE
    assert {a.group_id: a.due_date for a in plan.assignments} == {
        CUSCO: date(2026, 12, 2),  # Mon, Tue, Wed
        CHIANG_MAI: date(2026, 12, 1),  # Mon, Tue
    }


def test_a_rework_round_sent_in_the_evening_is_not_due_the_same_day() -> None:
    # Given a rework round whose original due date has passed, sent at 20:05 on Friday in Chiang Mai
    ref = make_reference(groups=[make_group(CHIANG_MAI, lead_days=2)])
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 1)])
    rework = make_assignment(order, group_id=CHIANG_MAI, worker_ids=["CNX-01"], due_date=FRIDAY - timedelta(days=7))
    sent = datetime(2026, 11, 27, 13, 5, tzinfo=UTC)
    # When it is booked
    booked = book_rework(rework, ref, CapacityLedger(group_id=CHIANG_MAI), FRIDAY, sent_at=sent)
    # Then it is due on Tuesday at the earliest (Monday and Tuesday are her two open days)
    assert booked.due_date == date(2026, 12, 1)
