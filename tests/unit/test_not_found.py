"""A missing record fails one way: a NotFound of its kind, which is a TelarError (and a LookupError)."""

from datetime import date, timedelta

import pytest

from telar.allocation import split_order
from telar.errors import (
    CANNOT_PLAN,
    ON_OUR_SIDE,
    CapacityExceeded,
    ConditionFailed,
    GroupNotFound,
    NotFound,
    PieceRateNotFound,
    ProductNotFound,
    QcNotYetAwaited,
    TelarError,
    WageRuleNotFound,
)
from telar.stages.order_status import buyer_reason
from tests.factories import CUSCO, make_group, make_order, make_order_line, make_product, make_reference

TODAY = date(2026, 11, 23)


def test_a_group_missing_from_the_reference_data_is_group_not_found() -> None:
    # Given reference data without the group "pe-lima"
    ref = make_reference()
    # When a stage looks it up, Then it is a GroupNotFound naming the id (not a StopIteration)
    with pytest.raises(GroupNotFound, match="'pe-lima'") as raised:
        ref.group("pe-lima")
    assert isinstance(raised.value, NotFound) and isinstance(raised.value, LookupError)
    # And a known group is found
    assert ref.group(CUSCO).group_id == CUSCO


def test_a_product_missing_from_the_catalog_is_product_not_found_and_find_product_says_none() -> None:
    # Given a catalog without the SKU "NOPE"
    ref = make_reference()
    # When it is looked up by id, Then it is a ProductNotFound; when it is searched for, Then the answer is None
    with pytest.raises(ProductNotFound, match="NOPE is not in the catalog"):
        ref.product("NOPE")
    assert ref.find_product("NOPE") is None
    # And a known product is the same object both ways
    assert ref.product("KNT-SCARF-ALP") is ref.find_product("KNT-SCARF-ALP")


def test_no_wage_rule_and_no_piece_rate_are_not_found_errors() -> None:
    # Given a group whose region has no minimum wage, and a product with no rate in the group's currency
    ref = make_reference()
    group = make_group(CUSCO, region="nowhere")
    product = make_product(piece_rates={}, group_piece_rates={})
    # When each is looked up, Then each is a NotFound of its kind, with the message it always had
    with pytest.raises(WageRuleNotFound, match="no minimum wage for PE/nowhere"):
        ref.minimum_wage(group, TODAY)
    with pytest.raises(PieceRateNotFound, match="no piece rate in PEN for pe-cusco"):
        product.piece_rate(group)


def test_a_line_whose_product_left_the_catalog_is_product_not_found_not_a_lack_of_capacity() -> None:
    # Given an order for a SKU the catalog no longer holds
    order = make_order(lines=[make_order_line("GONE-SKU", 12)], requested_ship_date=TODAY + timedelta(days=120))
    # When it is planned, Then the error says the product is missing, not that capacity is short
    with pytest.raises(ProductNotFound, match="GONE-SKU") as raised:
        split_order(order, make_reference(), TODAY)
    assert not isinstance(raised.value, CapacityExceeded)
    # And the buyer reads the same reason as before the error had its own name
    assert buyer_reason({"Error": "ProductNotFound"}) == buyer_reason({"Error": "CapacityExceeded"}) == CANNOT_PLAN
    # and an error no class of ours names (a bug, a Lambda runtime error) is told as a fault of ours
    assert buyer_reason({"Error": "KeyError"}) == buyer_reason({"Error": "Runtime.ExitError"}) == ON_OUR_SIDE


@pytest.mark.parametrize("error", [ConditionFailed, QcNotYetAwaited, NotFound, CapacityExceeded])
def test_every_error_a_stage_raises_on_purpose_is_a_telar_error(error: type[Exception]) -> None:
    assert issubclass(error, TelarError)
