"""Accepting orders: catalog and calendar rules beyond JSON validation."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from telar.errors import OrderRejected
from telar.intake import accept_order
from telar.models import Buyer, OrderStatus, ReferenceData
from tests.factories import make_order_request

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
BUYER = Buyer(buyer_id="b1", name="Buyer", email="b@example.org")


def test_a_valid_order_is_received_for_its_buyer(sample_reference: ReferenceData) -> None:
    order = accept_order(make_order_request(), BUYER, sample_reference, NOW)
    assert order.status == OrderStatus.RECEIVED and order.buyer_id == "b1"
    assert order.order_id.startswith("ord-20261123")


def test_every_catalog_problem_is_named_at_once(sample_reference: ReferenceData) -> None:
    # Given an order with an unknown SKU, a quantity over the maximum and a ship date in the past
    product = sample_reference.products[0]
    request = make_order_request(
        requested_ship_date="2026-11-01",
        lines=[{"sku": "NOPE", "quantity": 1}, {"sku": product.sku, "quantity": product.max_quantity + 1}],
    )
    # When it is accepted, Then each offending field is reported
    with pytest.raises(OrderRejected) as rejected:
        accept_order(request, BUYER, sample_reference, NOW)
    fields = {p["field"] for p in rejected.value.problems}
    assert fields == {"requested_ship_date", "lines[0].sku", "lines[1].quantity"}


def test_duplicate_lines_are_refused_by_the_model() -> None:
    with pytest.raises(ValidationError, match="repeats sku"):
        make_order_request(lines=[{"sku": "A", "quantity": 5}, {"sku": "A", "quantity": 6}])


def test_same_sku_with_different_options_is_two_lines() -> None:
    request = make_order_request(
        lines=[{"sku": "A", "quantity": 5, "options": {"colour": "red"}}, {"sku": "A", "quantity": 6}]
    )
    assert len(request.lines) == 2


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        make_order_request(discount="100%")
