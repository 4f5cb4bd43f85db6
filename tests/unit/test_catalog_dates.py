"""The catalog's earliest ship date: the capacity model with the work earlier orders booked."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from telar.allocation import split_order
from telar.capacity import (
    CapacityLedger,
    add_bookings,
    cumulative,
    free_minutes,
    group_day_minutes,
    skill_capacity,
    week_of,
)
from telar.intake import earliest_ship_date
from telar.models import ReferenceData
from tests.factories import CUSCO, make_group, make_order, make_order_line, make_reference

TODAY = date(2026, 11, 23)  # a Monday


def _ship(ref: ReferenceData, sku: str, quantity: int, ledgers: dict[str, CapacityLedger] | None = None) -> date:
    ship = earliest_ship_date(ref, skill_capacity(ref, ledgers or {}, TODAY), sku, quantity, TODAY)
    assert ship is not None
    return ship


def _booked_solid(ref: ReferenceData, group_id: str, weeks: int) -> CapacityLedger:
    """Every maker of ``group_id`` booked for far more than her week, for ``weeks`` weeks from this one."""
    booked = {
        m.worker_id: {week_of(TODAY + timedelta(weeks=w)): 100_000 for w in range(weeks)}
        for m in ref.makers_of(group_id)
    }
    return add_bookings(CapacityLedger(group_id=group_id), booked, TODAY)


def test_booked_weeks_move_the_catalog_date_later() -> None:
    # Given Cusco as the only group, free, then with its next three weeks booked by earlier orders
    ref = make_reference(groups=[make_group(CUSCO)])
    free = _ship(ref, "KNT-SCARF-ALP", 10)
    # When the catalog date is computed on the booked ledger
    booked = _ship(ref, "KNT-SCARF-ALP", 10, {CUSCO: _booked_solid(ref, CUSCO, 3)})
    # Then it is three weeks later
    assert booked == free + timedelta(weeks=3)


def test_partly_booked_makers_push_the_date_by_the_minutes_taken() -> None:
    # Given Cusco's makers with a little work booked this week (an hour each)
    ref = make_reference(groups=[make_group(CUSCO)])
    hour = {m.worker_id: {week_of(TODAY): 60} for m in ref.makers_of(CUSCO)}
    ledger = add_bookings(CapacityLedger(group_id=CUSCO), hour, TODAY)
    # When and Then: a quantity that exactly fills the free days now ends a day later, never earlier
    free = _ship(ref, "KNT-SCARF-ALP", 10)
    assert free <= _ship(ref, "KNT-SCARF-ALP", 10, {CUSCO: ledger}) <= free + timedelta(days=1)


def test_a_group_without_the_skill_gives_no_date() -> None:
    ref = make_reference(groups=[make_group(CUSCO)])
    ref = ref.model_copy(update={"makers": tuple(m.model_copy(update={"skills": ("sewing",)}) for m in ref.makers)})
    assert earliest_ship_date(ref, skill_capacity(ref, {}, TODAY), "KNT-SCARF-ALP", 10, TODAY) is None


def test_a_line_under_two_batches_stays_with_one_group_a_larger_one_may_share() -> None:
    # Given two groups with the skill
    ref = make_reference()
    product = ref.product("KNT-SCARF-ALP")
    small, large = 2 * product.min_quantity - 1, 2 * product.min_quantity
    per_group = {g.group_id: _ship(make_reference(groups=[g]), "KNT-SCARF-ALP", small) for g in ref.groups}
    # When and Then: the small line ships when the best single group could finish it
    assert _ship(ref, "KNT-SCARF-ALP", small) == min(per_group.values())
    # and the larger line, which may be split, no later than the small one would on its own group
    assert _ship(ref, "KNT-SCARF-ALP", large) <= min(per_group.values()) + timedelta(days=1)


@pytest.mark.parametrize("weeks_booked", [0, 2])
def test_the_catalog_date_is_the_bound_of_the_plan_a_buyer_would_get(
    sample_reference: ReferenceData, weeks_booked: int
) -> None:
    # Given the sample groups, free or with every maker booked solid for two weeks
    ledgers = {g.group_id: _booked_solid(sample_reference, g.group_id, weeks_booked) for g in sample_reference.groups}
    capacity = skill_capacity(sample_reference, ledgers, TODAY)
    for product in sample_reference.products:
        for quantity in (product.min_quantity, 2 * product.min_quantity - 1, product.max_quantity):
            # When a one-line order is planned on the same ledgers, asking for tomorrow
            order = make_order(
                requested_ship_date=TODAY + timedelta(days=1), lines=[make_order_line(product.sku, quantity)]
            )
            plan = split_order(order, sample_reference, TODAY, ledgers)
            # Then the catalog's date is never later than the plan's, and whole units add at most two days
            catalog = earliest_ship_date(sample_reference, capacity, product.sku, quantity, TODAY)
            assert catalog is not None
            assert catalog <= plan.expected_ship_date <= catalog + timedelta(days=2), (product.sku, quantity)
            if quantity == product.min_quantity:  # the minimum fits in the first free day
                assert catalog == TODAY + timedelta(weeks=weeks_booked, days=7)


def test_group_capacity_is_the_sum_of_each_skilled_makers_free_minutes() -> None:
    # Given makers of different pace, a part-timer, one leaving soon, and one with work booked
    ref = make_reference(groups=[make_group(CUSCO)])
    first, second, third = ref.makers_of(CUSCO)[:3]
    makers = [
        first.model_copy(update={"efficiency": Decimal("0.8")}),
        second.model_copy(update={"hours_per_day": Decimal(3), "active_to": TODAY + timedelta(days=10)}),
        third.model_copy(update={"skills": ("knitting",), "efficiency": Decimal("1.25")}),
    ]
    ref = ref.model_copy(update={"makers": tuple(makers)})
    ledger = add_bookings(CapacityLedger(group_id=CUSCO), {first.worker_id: {week_of(TODAY): 500}}, TODAY)
    # When the group's knitting and sewing capacity is computed
    capacity = skill_capacity(ref, {CUSCO: ledger}, TODAY)
    # Then each day's total is the sum over the makers with the skill, computed one by one
    days = group_day_minutes(ref.group(CUSCO), TODAY)
    for skill in ("knitting", "sewing"):
        each = [free_minutes(days, m, TODAY, ledger.booked.get(m.worker_id, {})) for m in makers if skill in m.skills]
        expected = cumulative([sum(day) for day in zip(*each, strict=True)])
        assert capacity[(CUSCO, skill)] == pytest.approx(expected)
