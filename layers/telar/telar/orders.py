"""The buyers' use cases: submit an order, follow it, browse the catalog."""

from datetime import UTC, date, datetime
from decimal import Decimal

from pydantic import BaseModel

from telar.auth import hash_api_key
from telar.errors import NotAuthenticated, OrderNotFound
from telar.intake import accept_order
from telar.models import Buyer, Order, OrderRequest, OrderStatus
from telar.observability import logger, metrics
from telar.ports import Ports


class GroupProgress(BaseModel):
    group_id: str
    group_name: str
    stage: str
    units_planned: int
    units_passed: int
    due_date: date


class OrderView(BaseModel):
    """What a buyer sees of an order: its own records and the pipeline's progress per group."""

    order_id: str
    buyer_reference: str
    status: OrderStatus
    status_reason: str | None
    requested_ship_date: date
    created_at: datetime
    updated_at: datetime
    units_ordered: int
    units_passed: int
    groups: list[GroupProgress]


class OrderPage(BaseModel):
    orders: list[OrderView]
    next_cursor: str | None


class CatalogItem(BaseModel):
    sku: str
    name: str
    skill: str
    min_quantity: int
    max_quantity: int
    unit_price_usd: Decimal


class Catalog(BaseModel):
    items: list[CatalogItem]


def authenticate(ports: Ports, api_key: str | None) -> Buyer:
    buyer = ports.repo.buyer_for_key(hash_api_key(api_key)) if api_key else None
    if buyer is None:
        raise NotAuthenticated("a valid x-api-key header is required")
    return buyer


def submit_order(ports: Ports, buyer: Buyer, request: OrderRequest) -> OrderView:
    """Store the order, then start its pipeline; an order whose start failed is kept as START_PENDING."""
    order = accept_order(request, buyer, ports.repo.load_reference(), datetime.now(UTC))
    ports.repo.create_order(order)
    logger.append_keys(order_id=order.order_id)
    try:
        ports.workflow.start_order(order.order_id)
    except Exception:
        logger.exception("pipeline start failed; the order is kept for a retry")
        ports.repo.update_order(order.order_id, status=OrderStatus.START_PENDING.value)
        order = order.model_copy(update={"status": OrderStatus.START_PENDING})
    metrics.add_metric(name="OrdersAccepted", unit="Count", value=1)
    return _view(ports, order)


def get_order(ports: Ports, buyer: Buyer, order_id: str) -> OrderView:
    order = ports.repo.get_order(order_id)
    if order is None or order.buyer_id != buyer.buyer_id:  # another buyer's order does not exist for you
        raise OrderNotFound(order_id)
    return _view(ports, order)


def list_orders(ports: Ports, buyer: Buyer, limit: int, cursor: str | None) -> OrderPage:
    orders, next_cursor = ports.repo.list_orders(buyer.buyer_id, limit, cursor)
    return OrderPage(orders=[_view(ports, o, with_groups=False) for o in orders], next_cursor=next_cursor)


def catalog(ports: Ports) -> Catalog:
    ref = ports.repo.load_reference()
    return Catalog(
        items=[
            CatalogItem(
                sku=p.sku,
                name=p.name,
                skill=p.skill,
                min_quantity=p.min_quantity,
                max_quantity=p.max_quantity,
                unit_price_usd=p.unit_price_usd,
            )
            for p in sorted(ref.products, key=lambda p: p.sku)
        ]
    )


def _view(ports: Ports, order: Order, with_groups: bool = True) -> OrderView:
    groups: list[GroupProgress] = []
    if with_groups and order.assignment_ids:
        ref = ports.repo.load_reference()
        groups = [
            GroupProgress(
                group_id=a.group_id,
                group_name=ref.group(a.group_id).name,
                stage=a.status.value,
                units_planned=a.planned_units,
                units_passed=a.units_passed,
                due_date=a.due_date,
            )
            for a in ports.repo.assignments_of(order.order_id)
        ]
    return OrderView(
        order_id=order.order_id,
        buyer_reference=order.buyer_reference,
        status=order.status,
        status_reason=order.status_reason,
        requested_ship_date=order.requested_ship_date,
        created_at=order.created_at,
        updated_at=order.updated_at,
        units_ordered=sum(line.quantity for line in order.lines),
        units_passed=sum(g.units_passed for g in groups) if groups else order.units_passed,
        groups=groups,
    )
