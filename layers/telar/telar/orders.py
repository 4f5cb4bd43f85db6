"""The buyers' use cases: submit an order (once per Idempotency-Key), follow it, browse the catalog."""

import contextlib
from collections.abc import Hashable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, cast
from zoneinfo import ZoneInfo

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import BaseModel, Field

from telar.allocation import SHIP_AFTER_DUE, split_order
from telar.artifacts import buyer_documents
from telar.capacity import skill_capacity
from telar.errors import CapacityExceeded, OrderConflict, OrderNotFound, OrderRejected, ReferenceChanged
from telar.intake import accept_order, catalog_problems, commit_ship_date, earliest_ship_date
from telar.models import ENDED, AssignmentStatus, Buyer, Order, OrderRequest, OrderStatus, ReferenceData, TimelineEntry
from telar.observability import logger, metrics
from telar.pipeline_start import start_pipeline
from telar.ports import Ports, idempotency_store
from telar.progress import GroupStage, group_stage
from telar.rendering import render_mail
from telar.settings import Settings, from_environment
from telar.stages import buyer_news
from telar.stages.notify import send_once
from telar.stages.order_status import release_order_bookings

# A key is kept for a day: long enough for any client's retry policy, short enough to let keys be reused.
IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[buyer_id, idempotency_key]",  # keys are per buyer: two buyers may pick the same one
    payload_validation_jmespath="order",  # the same key with another body is refused, not replayed
    raise_on_no_idempotency_key=True,
    expires_after_seconds=24 * 3600,
)


class IntakeSettings(Settings):
    idempotency_table_name: str


class GroupProgress(BaseModel, defer_build=True):
    """One group's part of the order, one entry per QC round."""

    group_id: str
    group_name: str
    stage: GroupStage = Field(
        description="PLANNED until its makers' time begins; IN_PRODUCTION until its due date; AWAITING_QC until "
        "the quality check is signed off (DONE); REWORK for a round of rejected units being made again; CANCELLED"
    )
    rework_round: int = Field(default=0, description="0 for the first QC round; n for the n-th round of rejected units")
    units_planned: int
    units_passed: int
    due_date: date


LINK_SECONDS = 3600  # a link stays valid this long; asking for the order again gives fresh ones


class ArtifactLink(BaseModel, defer_build=True):
    """A document of the order the buyer can download: an HTTPS link that needs no credentials, until it expires."""

    url: str
    expires_at: datetime


class OrderView(BaseModel, defer_build=True):
    """What a buyer sees of an order: its own records and the pipeline's progress per group."""

    order_id: str
    buyer_reference: str
    status: OrderStatus
    status_reason: str | None
    requested_ship_date: date
    committed_ship_date: date = Field(description="the date Telar committed to when it accepted the order")
    expected_ship_date: date
    created_at: datetime
    updated_at: datetime
    units_ordered: int
    units_passed: int
    groups: list[GroupProgress]
    timeline: list[TimelineEntry]
    artifacts: dict[str, ArtifactLink] = Field(
        description="when the order is ready: `cards` (the insert cards' print sheet) and `packing_list`"
    )


class OrderPage(BaseModel, defer_build=True):
    orders: list[OrderView]
    next_cursor: str | None


class CatalogItem(BaseModel, defer_build=True):
    sku: str
    name: str
    skill: str
    min_quantity: int
    max_quantity: int
    unit_price_usd: Decimal
    earliest_ship_date: date


class Catalog(BaseModel, defer_build=True):
    items: list[CatalogItem]


def _reference_in_force(ports: Ports) -> ReferenceData:
    """The reference data in force: one small read of its version number, then the version's items once per
    warm environment. A version's items never change once it is in force (an import writes a new version and
    then switches to it), and reading them is a Query of every group, maker and product: per request, it was
    most of the intake's DynamoDB read units."""
    store = ports.reference
    version = store.reference_version()
    if version is None:
        return store.load_reference()
    _last_read(cast(Hashable, store))["version"] = version
    # keyed by the store object too: each store (a table, a test's fake) has its own versions
    return _reference_version(cast(Hashable, store), version)


def _reference_as_last_read(ports: Ports) -> tuple[ReferenceData, int] | None:
    """The reference version this environment read last and its data, without reading the version again (None
    before the first read). What is decided on it is stored only with a check that it is still in force."""
    store = cast(Hashable, ports.reference)
    version = _last_read(store).get("version")
    return (_reference_version(store, version), version) if version is not None else None


@lru_cache(maxsize=4)
def _reference_version(store: Any, version: int) -> ReferenceData:
    return store.load_reference(version)


@lru_cache(maxsize=4)
def _last_read(store: Any) -> dict[str, int]:
    """The version in force when this environment last read it, per store (a box the reads fill)."""
    return {}


def refused_line_problems(ports: Ports, body: Any, already: set[str]) -> list[dict[str, str]]:
    """The catalog's problems with a body the schema refused, beyond the fields it named (see
    :func:`telar.intake.catalog_problems`)."""
    return catalog_problems(body, _reference_in_force(ports), already)


def submit_order(ports: Ports, buyer: Buyer, request: OrderRequest, idempotency_key: str | None = None) -> OrderView:
    """Accept an order; with an Idempotency-Key, a repeat returns the first reply instead of a second order.

    Raises
    ------
    IdempotencyValidationError
        the key was used before with another body.
    IdempotencyAlreadyInProgressError
        the first request with this key is still being handled.
    """
    if idempotency_key is None:
        return _submit(ports, buyer, request)

    def once(data: dict[str, Any]) -> dict[str, Any]:
        return _submit(ports, buyer, request).model_dump(mode="json")

    keyed = idempotent_function(
        data_keyword_argument="data", persistence_store=_idempotency_store(ports.settings), config=IDEMPOTENCY
    )(once)
    data = {"buyer_id": buyer.buyer_id, "idempotency_key": idempotency_key, "order": request.model_dump(mode="json")}
    return OrderView.model_validate(keyed(data=data))


@cache  # once per environment: the settings are read and checked once
def _idempotency_store(settings: Settings) -> DynamoDBPersistenceLayer:
    return idempotency_store(from_environment(IntakeSettings, **settings.model_dump()).idempotency_table_name)


def _submit(ports: Ports, buyer: Buyer, request: OrderRequest) -> OrderView:
    """Store the order with a start-pending marker, then start its pipeline; the sweeper retries a failed start.

    The order is first accepted on the reference version this environment read last, and the transaction that
    stores it checks that version is still in force: one DynamoDB read fewer per order than reading the version
    first. If an import switched versions since, nothing was stored, and the order is accepted again on the
    data in force; so is an order refused on the version read last (a refusal is only said on today's catalog).
    """
    if (last_read := _reference_as_last_read(ports)) is not None:
        with contextlib.suppress(ReferenceChanged, OrderRejected):
            return _accept_and_start(ports, buyer, request, *last_read)
    return _accept_and_start(ports, buyer, request, _reference_in_force(ports), None)


def _accept_and_start(
    ports: Ports, buyer: Buyer, request: OrderRequest, ref: ReferenceData, version_to_check: int | None
) -> OrderView:
    now = datetime.now(UTC)
    order = accept_order(request, buyer, ref, now)
    order = commit_ship_date(order, _earliest_ship_date(ports, order, ref, now.date()))
    ports.orders.create_order(order, reference_in_force=version_to_check)
    logger.append_keys(order_id=order.order_id)
    if not start_pipeline(ports, order):
        order = order.model_copy(update={"status": OrderStatus.START_PENDING})
    metrics.add_metric(name="OrdersAccepted", unit="Count", value=1)
    logger.info("order accepted", units=sum(line.quantity for line in order.lines))
    return _view(ports, order)


def _earliest_ship_date(ports: Ports, order: Order, ref: ReferenceData, today: date) -> date | None:
    """The date the order would ship if it were planned now, on the bookings as they stand: the plan SplitWork
    would make (one read of the ledgers, one plan in memory; nothing is booked here). None if it cannot be made."""
    ledgers = ports.assignments.capacity_ledgers(g.group_id for g in ref.groups)
    as_soon_as_possible = order.model_copy(update={"requested_ship_date": today, "committed_ship_date": None})
    try:
        return split_order(as_soon_as_possible, ref, today, ledgers).expected_ship_date
    except CapacityExceeded:
        return None


def _links(ports: Ports, order: Order) -> dict[str, ArtifactLink]:
    """Links to the order's documents, made when asked (a link expires; the keys are never shown)."""
    if order.status is not OrderStatus.READY_TO_SHIP:
        return {}
    expires_at = datetime.now(UTC) + timedelta(seconds=LINK_SECONDS)
    return {
        name: ArtifactLink(url=ports.artifacts.link(key, LINK_SECONDS), expires_at=expires_at)
        for name, key in sorted(order.artifacts.items())
        if name in buyer_documents(order.order_id)  # orders made ready before links listed payroll files too
    }


def get_order(ports: Ports, buyer: Buyer, order_id: str) -> OrderView:
    order = ports.orders.get_order(order_id)
    if order is None or order.buyer_id != buyer.buyer_id:  # another buyer's order does not exist for you
        raise OrderNotFound(order_id)
    return _view(ports, order)


def cancel_order(ports: Ports, buyer: Buyer, order_id: str) -> OrderView:
    """Cancel the buyer's order before production has finished any of it; a repeat is harmless.

    Every step is safe to run again, so a retry after a crash finishes what the first call began: the order is
    marked CANCELLED first (a plan stored meanwhile is then refused by the store), its execution is stopped, its
    unfinished work is cancelled with its makers' time given back, and each manager is told once.

    Raises
    ------
    OrderNotFound
        the order does not exist, or is another buyer's.
    OrderConflict
        a QC sheet of it was accepted (that work is done and paid), or the order has ended.
    """
    order = ports.orders.get_order(order_id)
    if order is None or order.buyer_id != buyer.buyer_id:
        raise OrderNotFound(order_id)
    if order.status in ENDED and order.status is not OrderStatus.CANCELLED:
        raise OrderConflict(f"the order is {order.status.value} and can no longer be cancelled")
    signed_off = [a for a in ports.assignments.assignments_of(order_id) if a.status is AssignmentStatus.QC_DONE]
    if signed_off:
        day = min(a.inspected_on for a in signed_off if a.inspected_on)
        raise OrderConflict(
            f"production has finished for part of it (a quality check was signed off on {day.isoformat()}), "
            "so it can no longer be cancelled; contact us to stop the rest"
        )
    ports.orders.update_order(order_id, status=OrderStatus.CANCELLED.value, status_reason="Cancelled at your request.")
    ports.orders.clear_start_pending(order)  # a start not yet confirmed is never retried
    ports.workflow.stop_order(order_id, cause="cancelled by its buyer")
    cancelled = set(release_order_bookings(ports, order_id))
    ports.orders.record_timeline(order_id, OrderStatus.CANCELLED.value)
    ref = _reference_in_force(ports)  # the managers of now
    for a in ports.assignments.assignments_of(order_id):
        if a.status is AssignmentStatus.CANCELLED:  # each manager is told once (a repeat finds it sent)
            group = ref.group(a.group_id)
            mail = render_mail(
                "order_cancelled", group.language, group=group, assignment=a, reference=order.buyer_reference
            )
            send_once(ports, f"cancelled#{a.assignment_id}", to=[group.manager_email], mail=mail)
    logger.info("order cancelled by its buyer", order_id=order_id, assignments=sorted(cancelled))
    current = ports.orders.get_order(order_id)
    assert current is not None  # orders are never deleted
    buyer_news.tell_buyer(ports, current, "cancelled")
    return _view(ports, current)


def list_orders(ports: Ports, buyer: Buyer, limit: int, cursor: str | None) -> OrderPage:
    try:
        orders, next_cursor = ports.orders.list_orders(buyer.buyer_id, limit, cursor)
    except ValueError as e:
        raise OrderRejected([{"field": "cursor", "message": f"{e}; use next_cursor from the previous page"}]) from e
    return OrderPage(orders=[_view(ports, o, with_groups=False) for o in orders], next_cursor=next_cursor)


def catalog(ports: Ports, today: date) -> Catalog:
    """Products some group can make now, with the earliest ship date for their minimum quantity given the work
    already booked (one read of the ledgers for the whole catalog)."""
    ref = _reference_in_force(ports)
    capacity = skill_capacity(ref, ports.assignments.capacity_ledgers(g.group_id for g in ref.groups), today)
    items = []
    for p in sorted(ref.products, key=lambda p: p.sku):
        ship = earliest_ship_date(ref, capacity, p.sku, p.min_quantity, today)
        if ship is None:
            continue
        offered = p.model_dump(include=set(CatalogItem.model_fields))  # what a buyer may see of a product
        items.append(CatalogItem(**offered, earliest_ship_date=ship))
    return Catalog(items=items)


def _view(ports: Ports, order: Order, with_groups: bool = True) -> OrderView:
    groups: list[GroupProgress] = []
    due_dates: list[date] = []
    if with_groups and order.assignment_ids:
        ref, now = _reference_in_force(ports), datetime.now(UTC)
        for a in ports.assignments.assignments_of(order.order_id):
            due_dates.append(a.due_date)
            group = ref.group(a.group_id)
            groups.append(
                GroupProgress(
                    group_id=a.group_id,
                    group_name=group.name,
                    stage=group_stage(a, now.astimezone(ZoneInfo(group.timezone)).date()),
                    rework_round=a.rework_round,
                    units_planned=a.planned_units,
                    units_passed=a.units_passed,
                    due_date=a.due_date,
                )
            )
    as_stored = order.model_dump(include={"order_id", "buyer_reference", "status", "status_reason"})
    return OrderView(
        **as_stored,
        requested_ship_date=order.requested_ship_date,
        committed_ship_date=order.promised_ship_date,
        # Work due a week before the committed date ships on it; later work ships a week after it is due.
        expected_ship_date=max(
            [order.expected_ship_date or order.promised_ship_date, *(d + SHIP_AFTER_DUE for d in due_dates)]
        ),
        created_at=order.created_at,
        updated_at=order.updated_at,
        units_ordered=sum(line.quantity for line in order.lines),
        units_passed=sum(g.units_passed for g in groups) if groups else order.units_passed,
        groups=groups,
        timeline=sorted(order.timeline.values(), key=lambda e: e.at),
        artifacts=_links(ports, order),
    )
