"""Capacity bookings seen from the rest of the pipeline (moto): the catalog's dates, rework rounds, early finishes."""

from datetime import UTC, datetime, timedelta

import pytest

from telar import orders
from telar.models import Buyer, OrderRequest
from telar.ports import Ports
from telar.stages.split_work import split_work
from tests.factories import CUSCO, make_group, make_reference

BUYER = Buyer(buyer_id="buyer-capacity", name="Capacity Buyer", email="capacity@example.org")


@pytest.fixture
def cusco_only(aws: Ports) -> Ports:
    """Cusco's three makers are the only ones: every order competes for their time."""
    aws.repo.put_reference(make_reference(groups=[make_group(CUSCO)]))
    aws.repo.put_buyer(BUYER, "hash-of-capacity-key")
    return aws


def _planned_order(aws: Ports, scarves: int) -> str:
    request = OrderRequest.model_validate(
        {
            "buyer_reference": f"PO-{scarves}",
            "requested_ship_date": (datetime.now(UTC).date() + timedelta(days=10)).isoformat(),
            "ship_to": {
                "name": "Shop",
                "address_lines": ["1 Road"],
                "city": "Leeds",
                "postal_code": "LS1",
                "country": "GB",
            },
            "lines": [{"sku": "KNT-SCARF-ALP", "quantity": scarves}],
        }
    )
    order_id = orders.submit_order(aws, BUYER, request).order_id
    split_work(aws, order_id)
    return order_id


def _scarf_date(aws: Ports) -> str:
    items = orders.catalog(aws, datetime.now(UTC).date()).items
    return next(i.earliest_ship_date for i in items if i.sku == "KNT-SCARF-ALP").isoformat()


def test_an_order_booking_the_makers_moves_the_catalog_date_later(cusco_only: Ports) -> None:
    # Given the catalog's date for scarves while Cusco has nothing booked
    before = _scarf_date(cusco_only)
    # When an order of 60 scarves (16 working days of Cusco's time) is planned
    _planned_order(cusco_only, 60)
    # Then the catalog offers scarves only after that work: at least three weeks later
    after = _scarf_date(cusco_only)
    assert datetime.fromisoformat(after) - datetime.fromisoformat(before) >= timedelta(days=21), (before, after)
