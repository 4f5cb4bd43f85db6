"""Allocation: skills, capacity calendars, bookings, the earliest finish, minimum batches and fairness."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from telar.allocation import Plan, gini, largest_remainder, split_order, weekly_capacity_units
from telar.capacity import CapacityLedger, add_bookings, free_minutes, group_day_minutes, week_of
from telar.errors import CapacityExceeded
from telar.intake import accept_order
from telar.models import Buyer, Order, ReferenceData
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    make_group,
    make_maker,
    make_order,
    make_order_line,
    make_order_request,
    make_product,
    make_reference,
)
from tests.unit.test_intake import NOW

TODAY = date(2026, 11, 23)  # a Monday
BUYER = Buyer(buyer_id="b", name="B", email="b@example.org")


def _order(*lines: tuple[str, int], requested: date = TODAY + timedelta(days=120), **options: str) -> Order:
    return make_order(
        lines=[make_order_line(sku, qty, options={"colour": f"c{i}", **options}) for i, (sku, qty) in enumerate(lines)],
        requested_ship_date=requested,
    )


def _units(plan: Plan) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = {}
    for a in plan.assignments:
        for line in a.lines:
            key = (line.sku, line.options.get("colour", ""))
            totals[key] = totals.get(key, 0) + line.quantity
    return totals


def test_largest_remainder_shares_are_whole_and_add_up() -> None:
    shares = largest_remainder(10, {"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)})
    assert sum(shares.values()) == 10 and sorted(shares.values()) == [3, 3, 4]


def test_a_group_works_its_hours_on_open_days_only() -> None:
    # Given Cusco (5 h x Monday-Friday) locked down on Wednesday
    group = make_group(CUSCO, closed_days=(TODAY + timedelta(days=2),))
    # When its first week is laid out
    minutes = group_day_minutes(group, TODAY, 9)
    # Then Wednesday and the weekend have no minutes, and the next Monday does
    assert minutes == [300, 300, 0, 300, 300, 0, 0, 300, 300]


def test_a_slower_maker_has_fewer_minutes_and_earlier_bookings_fill_the_week_first() -> None:
    # Given a maker at 0.8 of the standard pace with 500 standard minutes booked this week
    maker = make_maker("CUS-01", efficiency=Decimal("0.8"))
    day = group_day_minutes(make_group(CUSCO), TODAY, 9)
    # When her free minutes are computed
    free = free_minutes(day, maker, TODAY, {week_of(TODAY): 500})
    # Then each open day holds 240 standard minutes and the booking takes Monday, Tuesday and part of Wednesday
    assert free == pytest.approx([0, 0, 220, 240, 240, 0, 0, 240, 240])


def test_weekly_capacity_is_skilled_maker_minutes_at_their_pace_over_standard_minutes(
    sample_reference: ReferenceData,
) -> None:
    product = next(p for p in sample_reference.products if p.skill == "knitting")
    knitters = sample_reference.makers_of("pe-cusco", "knitting")
    expected = sum(m.efficiency for m in knitters) * Decimal(25) * 60 / product.standard_minutes
    assert weekly_capacity_units(sample_reference, "pe-cusco", product.sku) == expected


def test_each_line_goes_only_to_makers_with_the_skill_and_quantities_add_up(sample_reference: ReferenceData) -> None:
    # Given an order for four products with different skills
    order = accept_order(
        make_order_request(
            lines=[{"sku": p.sku, "quantity": p.min_quantity * 3} for p in sample_reference.products[:4]]
        ),
        BUYER,
        sample_reference,
        NOW,
    )
    # When it is planned
    plan = split_order(order, sample_reference, TODAY)
    # Then every unit goes to an active maker of the assignment's group who has the product's skill
    for a in plan.assignments:
        for line in a.lines:
            product = sample_reference.product(line.sku)
            skilled = {m.worker_id for m in sample_reference.makers_of(a.group_id, product.skill)}
            assert set(line.per_maker) <= skilled and sum(line.per_maker.values()) == line.quantity
        assert a.due_date >= TODAY
    assert {sku: n for (sku, _c), n in _units(plan).items()} == {line.sku: line.quantity for line in order.lines}


def test_a_skill_nobody_has_is_a_capacity_error(sample_reference: ReferenceData) -> None:
    product = sample_reference.products[0]
    nobody = sample_reference.model_copy(
        update={"makers": tuple(m for m in sample_reference.makers if product.skill not in m.skills)}
    )
    order = accept_order(
        make_order_request(lines=[{"sku": product.sku, "quantity": product.min_quantity}]), BUYER, nobody, NOW
    )
    with pytest.raises(CapacityExceeded, match=product.skill):
        split_order(order, nobody, TODAY)


def test_closed_days_push_the_finish_later() -> None:
    # Given 12 scarves (4 per maker, 960 minutes each at 300 a day) for Cusco alone
    order = _order(("KNT-SCARF-ALP", 12))
    open_ref = make_reference(groups=[make_group(CUSCO)])
    closed_ref = make_reference(groups=[make_group(CUSCO, closed_days=(TODAY, TODAY + timedelta(days=1)))])
    # When it is planned with the workshop open, and locked down on Monday and Tuesday
    open_plan = split_order(order, open_ref, TODAY)
    closed_plan = split_order(order, closed_ref, TODAY)
    # Then the open plan ends on Thursday, the locked-down one the next Monday (the weekend is closed too)
    assert open_plan.finish_date == TODAY + timedelta(days=3)
    assert closed_plan.finish_date == TODAY + timedelta(days=7)


def test_work_booked_for_earlier_orders_comes_first() -> None:
    # Given every Cusco maker fully booked this week by an earlier order
    ref = make_reference(groups=[make_group(CUSCO)])
    ledger = CapacityLedger(group_id=CUSCO, version=1, booked={m.worker_id: {week_of(TODAY): 1500} for m in ref.makers})
    order = _order(("KNT-SCARF-ALP", 12))
    # When the order is planned on that ledger
    plan = split_order(order, ref, TODAY, {CUSCO: ledger})
    # Then it finishes a week later than on an empty ledger
    assert plan.finish_date == split_order(order, ref, TODAY).finish_date + timedelta(days=7)


def test_short_capacity_gives_the_earliest_later_date_and_drops_nothing() -> None:
    # Given 200 scarves (48,000 minutes) for two groups of three, wanted in two weeks
    order = _order(("KNT-SCARF-ALP", 200), requested=TODAY + timedelta(days=14))
    ref = make_reference()
    # When it is planned
    plan = split_order(order, ref, TODAY)
    # Then it is late, ships a week after the last maker finishes, and every unit is assigned
    assert plan.is_late(order)
    assert plan.expected_ship_date == plan.finish_date + timedelta(days=7) > order.requested_ship_date
    assert _units(plan) == {("KNT-SCARF-ALP", "c0"): 200}
    # and no plan could finish earlier: the fractional bound is met with whole units
    assert plan.finish_date == plan.bound_date
    assert all(a.due_date <= plan.finish_date for a in plan.assignments)


def test_the_plan_books_what_its_makers_do_and_never_more_than_they_have() -> None:
    # Given an order that keeps both groups busy for weeks
    ref = make_reference()
    order = _order(("KNT-SCARF-ALP", 150), ("SEW-TOTE", 120))
    # When it is planned
    plan = split_order(order, ref, TODAY)
    # Then each maker's booked minutes are her planned units' standard minutes (rounded up per week)
    makers = {m.worker_id: m for m in ref.makers}
    minutes = {"KNT-SCARF-ALP": 240, "SEW-TOTE": 60}
    for a in plan.assignments:
        booked = plan.bookings[a.group_id]
        planned: dict[str, int] = {}
        for line in a.lines:
            for worker, units in line.per_maker.items():
                planned[worker] = planned.get(worker, 0) + units * minutes[line.sku]
        for worker, work in planned.items():
            assert work <= sum(booked[worker].values()) < work + len(booked[worker])
            # and no week holds more than her five open days at her pace
            day = group_day_minutes(ref.group(a.group_id), TODAY)
            free = free_minutes(day, makers[worker], TODAY, {})
            for week, m in booked[worker].items():
                first = (date.fromisoformat(week) - TODAY).days
                assert m <= sum(free[max(first, 0) : first + 7]) + 1


def test_every_group_batch_is_at_least_the_products_minimum() -> None:
    # Given six small groups and lines too big for any one of them
    groups = [make_group(f"pe-g{i}") for i in range(6)]
    makers = [make_maker(f"G{i}-{j}", group_id=g.group_id) for i, g in enumerate(groups) for j in range(2)]
    ref = make_reference(groups=groups, makers=makers)
    order = _order(("KNT-SCARF-ALP", 47), ("EMB-CUSHION", 33), ("SEW-TOTE", 95))
    # When it is planned
    plan = split_order(order, ref, TODAY)
    # Then lines are split, but no group gets fewer units of a line than the product's minimum quantity
    portions = [line for a in plan.assignments for line in a.lines]
    assert len(portions) > 3
    for line in portions:
        assert line.quantity >= make_product(line.sku).min_quantity
    assert _units(plan) == {("KNT-SCARF-ALP", "c0"): 47, ("EMB-CUSHION", "c1"): 33, ("SEW-TOTE", "c2"): 95}


def test_lines_that_fit_and_a_line_too_small_to_split_stay_with_one_group() -> None:
    # Given Cusco (3.75 scarves a day) and Chiang Mai (4.5 a day): 15 + 18 scarves fill four days exactly
    ref = make_reference()
    order = _order(("KNT-SCARF-ALP", 15), ("KNT-SCARF-ALP", 18))
    # When it is planned
    plan = split_order(order, ref, TODAY)
    # Then each colour variant is made by one group, and still by the bound (Thursday)
    assert sorted((a.group_id, line.quantity) for a in plan.assignments for line in a.lines) == [
        (CUSCO, 15),
        (CHIANG_MAI, 18),
    ]
    assert plan.finish_date == plan.bound_date == TODAY + timedelta(days=3)
    # And 9 scarves (a minimum batch is 5) are never split, even when two groups would finish sooner
    small = split_order(_order(("KNT-SCARF-ALP", 9)), ref, TODAY)
    assert [line.quantity for a in small.assignments for line in a.lines] == [9]


def test_work_is_spread_so_every_skilled_maker_earns_in_proportion_to_her_time() -> None:
    # Given Cusco (5 h a day) and Chiang Mai (6 h a day), one maker of each slower than the standard
    makers = [
        make_maker("CUS-01", efficiency=Decimal("0.7")),
        make_maker("CUS-02"),
        make_maker("CUS-03"),
        make_maker("CNX-01"),
        make_maker("CNX-02", efficiency=Decimal("0.8")),
        make_maker("CNX-03"),
    ]
    ref = make_reference(makers=makers)
    order = _order(("KNT-SCARF-ALP", 60), ("EMB-CUSHION", 40), ("SEW-TOTE", 80))
    # When it is planned
    plan = split_order(order, ref, TODAY)
    # Then every maker gets work, and within a group her days of work are within one scarf's worth of the others'
    minutes = {"KNT-SCARF-ALP": 240, "EMB-CUSHION": 180, "SEW-TOTE": 60}
    work: dict[str, float] = {m.worker_id: 0.0 for m in makers}
    for a in plan.assignments:
        for line in a.lines:
            for worker, units in line.per_maker.items():
                work[worker] += units * minutes[line.sku]
    assert all(w > 0 for w in work.values())
    assert plan.skilled_makers_with_work_share == 1.0 and plan.assigned_hours_gini < 0.1
    for group_id, day_minutes in ((CUSCO, 300), (CHIANG_MAI, 360)):
        days = [work[m.worker_id] / float(m.efficiency) / day_minutes for m in makers if m.group_id == group_id]
        assert max(days) - min(days) <= 240 / 0.7 / day_minutes


def test_the_gini_of_equal_hours_is_zero_and_of_one_maker_doing_all_is_near_one() -> None:
    assert gini([5.0, 5.0, 5.0]) == 0.0
    assert gini([0.0, 0.0, 9.0]) == pytest.approx(2 / 3)
    assert gini([]) == 0.0


def test_a_new_booking_adds_to_the_ledger_drops_past_weeks_and_moves_the_version_on() -> None:
    # Given a ledger with last week's and this week's bookings
    last_week = week_of(TODAY - timedelta(days=7))
    ledger = CapacityLedger(group_id=CUSCO, version=3, booked={"CUS-01": {last_week: 600, week_of(TODAY): 300}})
    # When a plan books more
    after = add_bookings(ledger, {"CUS-01": {week_of(TODAY): 200}, "CUS-02": {week_of(TODAY): 50}}, TODAY)
    # Then this week's minutes add up, last week is gone, and the version is the next one
    assert after.booked == {"CUS-01": {week_of(TODAY): 500}, "CUS-02": {week_of(TODAY): 50}}
    assert after.version == 4


def test_an_order_needing_more_than_a_year_is_refused_with_a_clear_error() -> None:
    ref = make_reference(groups=[make_group(CHIANG_MAI)])
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 100_000)])
    with pytest.raises(CapacityExceeded, match="more than 366 days"):
        split_order(order, ref, TODAY)
