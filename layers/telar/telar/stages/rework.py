"""Rework: after a QC sign-off with rejects, send the rejected units back for another round, or flag them."""

from datetime import UTC, datetime
from typing import Any

from telar import messages
from telar.capacity import add_bookings
from telar.errors import AssignmentNotFound, OrderNotFound
from telar.models import Assignment, Order, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.rework import book_rework, moved_ship_date, plan_rework
from telar.stages import buyer_news, order_reference
from telar.stages.conflicts import retry_on_conflict
from telar.stages.papers import mail_manager_papers, with_paper_keys, write_papers


def start_rework(ports: Ports, assignment_id: str) -> dict[str, Any]:
    """The next QC round for ``assignment_id``'s rejected units.

    Returns ``{"rework": True, "assignment_id": <round id>}`` when a round starts (the state machine waits
    for its QC sheet), or ``{"rework": False, "assignment_id": assignment_id}`` when nothing is left to
    rework or the rounds are used up; then the assignment is flagged and the order ends NEEDS_ATTENTION.
    """
    signed_off = ports.assignments.get_assignment(assignment_id)
    if signed_off is None:
        raise AssignmentNotFound(f"assignment {assignment_id} does not exist")
    rework = plan_rework(signed_off)
    if rework is None:
        return {"rework": False, "assignment_id": assignment_id}
    if rework.rework_round > ports.settings.max_rework_rounds:
        reason = (
            f"{signed_off.units_rejected} unit(s) still rejected after {signed_off.rework_round} rework round(s) "
            f"of {signed_off.rework_of or signed_off.assignment_id}"
        )
        ports.assignments.flag_assignment(assignment_id, reason)
        logger.warning("rework rounds used up", assignment_id=assignment_id, reason=reason)
        return {"rework": False, "assignment_id": assignment_id}
    order = ports.orders.get_order(signed_off.order_id)
    if order is None:
        raise OrderNotFound(f"order {signed_off.order_id} of {assignment_id} does not exist")
    ref = order_reference(ports, order)  # the catalog as planned; the manager as now
    stored = ports.assignments.get_assignment(rework.assignment_id) or _book_and_store(
        ports, with_paper_keys(order, rework), ref
    )
    ports.orders.record_timeline(
        order.order_id,
        "REWORK",
        group_id=stored.group_id,
        detail=f"{stored.planned_units} unit(s) back to their makers, due {stored.due_date.isoformat()}",
        rework_round=stored.rework_round,
    )
    # Papers once the round is stored (its due date comes from the booking); a redelivery writes the same ones.
    write_papers(ports, order, stored, ref)
    mail_manager_papers(ports, stored, order.buyer_reference, ref)  # once per round, whoever stored it
    _move_the_ship_date(ports, order, stored)
    return {"rework": True, "assignment_id": stored.assignment_id}


def _move_the_ship_date(ports: Ports, order: Order, rework: Assignment) -> None:
    """A round due later than the order could ship moves its expected date: on the order, its timeline, the buyer."""
    moved = moved_ship_date(order, ports.assignments.assignments_of(order.order_id), rework)
    if moved is None:
        return
    before, after = moved
    detail = f"expected to ship {after.isoformat()} (was {before.isoformat()}): {messages.MADE_AGAIN()}"
    # the reason of now replaces an earlier one (a plan late for capacity), which no longer explains the date
    ports.orders.update_order(order.order_id, expected_ship_date=after.isoformat(), status_reason=detail)
    ports.orders.record_timeline(order.order_id, "DATE_CHANGED", group_id=rework.group_id, detail=detail)
    buyer_news.date_changed(ports, order, before, after, messages.MADE_AGAIN())


def _book_and_store(ports: Ports, rework: Assignment, ref: ReferenceData) -> Assignment:
    """Store the round with its makers' time booked on the group's ledger, in one transaction.

    Another order booking the same group meanwhile makes us book again on its ledger; another delivery of this
    stage storing the round first makes its round the one that stands.
    """
    now = datetime.now(UTC)
    today = now.date()

    def book_and_store() -> Assignment:
        ledger = ports.assignments.capacity_ledgers([rework.group_id])[rework.group_id]
        booked = book_rework(rework, ref, ledger, today, sent_at=now)  # its papers go out now
        ports.assignments.create_rework(booked, add_bookings(ledger, booked.booked, today) if booked.booked else None)
        logger.info(
            "rework round started",
            assignment_id=booked.assignment_id,
            units=booked.planned_units,
            due=str(booked.due_date),
        )
        return booked

    def stored_meanwhile() -> Assignment | None:
        return ports.assignments.get_assignment(rework.assignment_id)

    return retry_on_conflict(book_and_store, stored_meanwhile, what=f"book {rework.assignment_id}")
