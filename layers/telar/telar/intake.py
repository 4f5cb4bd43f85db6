"""Accepting a buyer's order: the rules that JSON validation alone cannot check."""

import math
import secrets
from datetime import date, datetime, timedelta

from telar.allocation import weekly_capacity_units
from telar.errors import OrderRejected
from telar.models import Buyer, Order, OrderRequest, OrderStatus, ReferenceData, TimelineEntry


def new_order_id(now: datetime) -> str:
    """Sortable, unguessable, and valid as a Step Functions execution name."""
    return f"ord-{now:%Y%m%d%H%M%S}-{secrets.token_hex(5)}"


def accept_order(request: OrderRequest, buyer: Buyer, ref: ReferenceData, now: datetime) -> Order:
    """Check the order against the catalog and the calendar; every problem is reported at once.

    Raises
    ------
    OrderRejected
        with one problem per offending field (``lines[1].quantity``, ``requested_ship_date``...).
    """
    problems: list[dict[str, str]] = []
    today: date = now.date()
    if request.requested_ship_date <= today:
        problems.append({"field": "requested_ship_date", "message": f"must be after today ({today.isoformat()})"})
    for i, line in enumerate(request.lines):
        product = ref.product(line.sku)
        if product is None:
            problems.append({"field": f"lines[{i}].sku", "message": f"unknown SKU {line.sku!r}; see GET /catalog"})
        elif not product.min_quantity <= line.quantity <= product.max_quantity:
            problems.append(
                {
                    "field": f"lines[{i}].quantity",
                    "message": f"{line.quantity} is outside {product.min_quantity}..{product.max_quantity} "
                    f"for {line.sku}",
                }
            )
    if problems:
        raise OrderRejected(problems)
    return Order(
        **request.model_dump(),
        order_id=new_order_id(now),
        buyer_id=buyer.buyer_id,
        status=OrderStatus.RECEIVED,
        created_at=now,
        updated_at=now,
        timeline={OrderStatus.RECEIVED.value: TimelineEntry(stage=OrderStatus.RECEIVED.value, at=now)},
    )


def earliest_ship_date(ref: ReferenceData, sku: str, quantity: int, today: date) -> date | None:
    """The first date ``quantity`` units could ship if every skilled group started today; None if none can.

    Mirrors the allocation: a group's share takes whole weeks of its capacity, and goods ship a week after
    the work is due. Work already planned is not counted yet (issue 4 brings a capacity calendar).
    """
    capacity = sum(weekly_capacity_units(ref, g.group_id, sku) for g in ref.groups)
    if capacity <= 0:
        return None
    return today + timedelta(weeks=math.ceil(quantity / capacity), days=7)
