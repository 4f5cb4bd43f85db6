"""Accepting a buyer's order: the rules that JSON validation alone cannot check."""

import secrets
from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from telar.allocation import SHIP_AFTER_DUE
from telar.capacity import HORIZON_DAYS
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
    problems += _line_problems([line.model_dump() for line in request.lines], ref)
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


def commit_ship_date(order: Order, earliest: date | None) -> Order:
    """The order with the date Telar commits to, given the earliest date the workshops could ship it now.

    The requested date when they can meet it; the earliest date when they cannot and the buyer said she would
    take a later one (``accept_later_date``).

    Raises
    ------
    OrderRejected
        naming ``requested_ship_date``, with the earliest date in the message and in ``earliest_ship_date``, when
        it is too early and no later date was accepted; naming ``lines`` when no group can make the order within
        the planning horizon.
    """
    if earliest is None:
        message = f"the workshops cannot make these lines within {HORIZON_DAYS} days; order fewer units"
        raise OrderRejected([{"field": "lines", "message": message}])
    if earliest <= order.requested_ship_date:
        return order.model_copy(update={"committed_ship_date": order.requested_ship_date})
    if order.accept_later_date:
        return order.model_copy(update={"committed_ship_date": earliest})
    message = (
        f"the workshops can ship this order on {earliest.isoformat()} at the earliest; ask for that date or later, "
        "or send accept_later_date: true to take it"
    )
    raise OrderRejected([{"field": "requested_ship_date", "message": message}], earliest_ship_date=earliest)


def _line_problems(lines: list[Any], ref: ReferenceData) -> list[dict[str, str]]:
    """Unknown SKUs and quantities outside a product's limits, for lines as parsed or as raw JSON objects."""
    problems: list[dict[str, str]] = []
    for i, line in enumerate(lines):
        sku, quantity = (line.get("sku"), line.get("quantity")) if isinstance(line, dict) else (None, None)
        if not isinstance(sku, str):
            continue
        product = ref.find_product(sku.strip())
        if product is None:
            problems.append({"field": f"lines[{i}].sku", "message": f"unknown SKU {sku!r}; see GET /catalog"})
        elif type(quantity) is int and not product.min_quantity <= quantity <= product.max_quantity:
            problems.append(
                {
                    "field": f"lines[{i}].quantity",
                    "message": f"{quantity} is outside {product.min_quantity}..{product.max_quantity} for {sku}",
                }
            )
    return problems


def catalog_problems(body: Any, ref: ReferenceData, already: set[str]) -> list[dict[str, str]]:
    """For a body the schema refused: the catalog's problems with its lines, so one reply names both kinds
    (an unknown SKU and a bad quantity on the same line). Fields in ``already`` were named by the schema."""
    lines = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(lines, list):
        return []
    return [p for p in _line_problems(lines[:50], ref) if p["field"] not in already]


def earliest_ship_date(
    ref: ReferenceData, capacity: Mapping[tuple[str, str], list[float]], sku: str, quantity: int, today: date
) -> date | None:
    """The first date ``quantity`` units of ``sku`` could ship; None if no group can make them within the horizon.

    ``capacity`` is :func:`telar.capacity.skill_capacity` (work booked for earlier orders already taken off), so
    one read of the ledgers serves a whole catalog. Mirrors the allocation: a line under two minimum batches
    stays with one group, a larger one may be shared among groups, and goods ship a week after the work is
    finished. This is the plan's bound: sharing among makers in whole units can add a day.
    """
    product = ref.find_product(sku)
    if product is None:
        return None
    cumulative = [c for (_group, skill), c in capacity.items() if skill == product.skill]
    if not cumulative:
        return None
    if quantity >= 2 * product.min_quantity:
        cumulative = [[sum(day) for day in zip(*cumulative, strict=True)]]
    work = quantity * float(product.standard_minutes)
    day = min(bisect_left(c, work - 1e-6) for c in cumulative)
    if day >= HORIZON_DAYS:
        return None
    return today + timedelta(days=day) + SHIP_AFTER_DUE
