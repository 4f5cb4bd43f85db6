"""The first allocation: skill first, then proportional to weekly capacity, whole units that add up."""

from datetime import date
from decimal import Decimal

import pytest

from telar.allocation import largest_remainder, split_order, weekly_capacity_units
from telar.errors import CapacityExceeded
from telar.intake import accept_order
from telar.models import Buyer, OrderRequest, ReferenceData
from tests.unit.test_intake import NOW, _request

TODAY = date(2026, 11, 23)


def test_largest_remainder_shares_are_whole_and_add_up() -> None:
    shares = largest_remainder(10, {"a": Decimal(1), "b": Decimal(1), "c": Decimal(1)})
    assert sum(shares.values()) == 10 and sorted(shares.values()) == [3, 3, 4]


def test_capacity_is_skilled_maker_minutes_over_standard_minutes(sample_reference: ReferenceData) -> None:
    # Given the Cusco team (5 h x 5 d) and a knitted product
    product = next(p for p in sample_reference.products if p.skill == "knitting")
    knitters = sample_reference.makers_of("pe-cusco", "knitting")
    expected = len(knitters) * Decimal(25) * 60 / product.standard_minutes
    assert weekly_capacity_units(sample_reference, "pe-cusco", product.sku) == expected


def test_each_line_goes_only_to_groups_with_the_skill_and_quantities_add_up(sample_reference: ReferenceData) -> None:
    order = accept_order(
        OrderRequest.model_validate(
            _request(lines=[{"sku": p.sku, "quantity": p.min_quantity * 3} for p in sample_reference.products[:4]])
        ),
        Buyer(buyer_id="b", name="B", email="b@example.org"),
        sample_reference,
        NOW,
    )
    assignments = split_order(order, sample_reference, TODAY)
    totals: dict[str, int] = {}
    for a in assignments:
        for line in a.lines:
            product = sample_reference.product(line.sku)
            assert product is not None
            skilled = {m.worker_id for m in sample_reference.makers_of(a.group_id, product.skill)}
            assert set(line.per_maker) <= skilled and sum(line.per_maker.values()) == line.quantity
            totals[line.sku] = totals.get(line.sku, 0) + line.quantity
        assert a.due_date >= TODAY
    assert totals == {line.sku: line.quantity for line in order.lines}


def test_a_skill_nobody_has_is_a_capacity_error(sample_reference: ReferenceData) -> None:
    product = sample_reference.products[0]
    nobody = sample_reference.model_copy(
        update={"makers": tuple(m for m in sample_reference.makers if product.skill not in m.skills)}
    )
    order = accept_order(
        _request(lines=[{"sku": product.sku, "quantity": product.min_quantity}]),
        Buyer(buyer_id="b", name="B", email="b@example.org"),
        sample_reference,
        NOW,
    )
    with pytest.raises(CapacityExceeded, match=product.skill):
        split_order(order, nobody, TODAY)
