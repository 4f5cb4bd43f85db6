"""Capacity for rework rounds and capacity given back when work is signed off early (pure)."""

from datetime import date, timedelta

from telar.capacity import CapacityLedger, release_bookings, week_of
from telar.models import Assignment
from telar.rework import book_rework
from tests.factories import CUSCO, make_assignment, make_group, make_order, make_order_line, make_reference

TODAY = date(2026, 11, 23)  # a Monday
W0, W1, W2 = (week_of(TODAY + timedelta(weeks=n)) for n in range(3))


def test_sign_off_gives_back_its_minutes_of_the_later_weeks_only() -> None:
    # Given a maker booked by two orders, the first one's work spread over three weeks
    ledger = CapacityLedger(group_id=CUSCO, version=4, booked={"CUS-01": {W0: 900, W1: 700, W2: 300}})
    first = {"CUS-01": {W0: 600, W1: 500, W2: 300}}
    # When the first is signed off today
    freed = release_bookings(ledger, first, TODAY)
    # Then this week stays booked, the later weeks keep only the other order's minutes, one version on
    assert freed is not None and freed.version == 5
    assert freed.booked == {"CUS-01": {W0: 900, W1: 200}}


def test_nothing_to_give_back_writes_nothing_and_never_goes_below_zero() -> None:
    ledger = CapacityLedger(group_id=CUSCO, version=2, booked={"CUS-01": {W0: 300, W1: 100}})
    assert release_bookings(ledger, {"CUS-01": {W0: 300}}, TODAY) is None
    freed = release_bookings(ledger, {"CUS-01": {W1: 400}, "CUS-09": {W1: 50}}, TODAY)
    assert freed is not None and freed.booked == {"CUS-01": {W0: 300}}


def _rework(units: int, worker_id: str = "CUS-01") -> Assignment:
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", units)])
    return make_assignment(order, worker_ids=[worker_id], due_date=TODAY)


def test_a_rework_round_is_booked_after_the_makers_other_work_and_due_when_she_finishes() -> None:
    # Given Cusco (5 h a day, Monday to Friday) and CUS-01 booked for all of this week by other orders
    ref = make_reference(groups=[make_group(CUSCO)])
    ledger = CapacityLedger(group_id=CUSCO, version=1, booked={"CUS-01": {W0: 5 * 300}})
    # When 2 scarves (240 standard minutes each) come back to her for rework
    booked = book_rework(_rework(2), ref, ledger, TODAY)
    # Then her 480 minutes go into next Monday and Tuesday, and the round is due on that Tuesday
    assert booked.booked == {"CUS-01": {W1: 480}}
    assert booked.due_date == TODAY + timedelta(days=8)


def test_a_maker_who_has_left_books_nothing_and_the_due_date_stays() -> None:
    ref = make_reference(groups=[make_group(CUSCO, lead_days=0)])  # no lead time: the due date alone decides
    ref = ref.model_copy(
        update={"makers": tuple(m.model_copy(update={"active_to": TODAY - timedelta(days=1)}) for m in ref.makers)}
    )
    booked = book_rework(_rework(2), ref, CapacityLedger(group_id=CUSCO), TODAY)
    assert booked.booked == {} and booked.due_date == TODAY
