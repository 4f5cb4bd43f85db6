"""The pipeline's outcome on the order: READY_TO_SHIP, or NEEDS_ATTENTION with the reason.

An order that fails gives back the capacity its unfinished assignments booked (compensation), so no group
stays booked for work that will never come. The buyer reads a reason written for her; the internal cause
(error name, message, stack) goes to the logs and to the order's ``attention_detail``, the staff's view.
"""

from datetime import UTC, datetime
from typing import Any

from telar.artifacts import buyer_documents
from telar.capacity import release_bookings
from telar.errors import ON_OUR_SIDE, buyer_message
from telar.models import Assignment, AssignmentStatus, OrderStatus
from telar.observability import logger
from telar.ports import Ports
from telar.stages import buyer_news
from telar.stages.conflicts import retry_on_conflict

QC_LATE = "A production group has not reported its quality check in time. Our team is following it up."
# Step Functions' own errors; a stage's error brings its words (TelarError.buyer_message); anything else is a
# fault of ours, told as such.
STATES_REASONS = {"States.Timeout": QC_LATE, "States.HeartbeatTimeout": QC_LATE}


def rework_used_up(units: int, rounds: int) -> str:
    """Rework rounds used up, in the buyer's words; which assignment it was is the staff's (attention_detail)."""
    after = f" after {rounds} round(s) of rework" if rounds else ""
    return f"{units} unit(s) did not pass the quality check{after}. Our team will contact you about them."


def buyer_reason(error: dict[str, Any]) -> str:
    name = str(error.get("Error", ""))
    return STATES_REASONS.get(name) or buyer_message(name) or ON_OUR_SIDE


def staff_detail(error: dict[str, Any]) -> str:
    """The internal cause as Step Functions caught it (a Lambda error's Cause is JSON with the message)."""
    name, cause = str(error.get("Error", "Error")), str(error.get("Cause", ""))
    return f"{name}: {cause}"[:2000]


def release_order_bookings(ports: Ports, order_id: str) -> list[str]:
    """Cancel the order's assignments not yet signed off, each with its bookings given back in the same
    transaction; returns the ids cancelled now. Idempotent: a cancelled or signed-off one is left as it is.

    Raises
    ------
    CapacityContention
        when the group's ledger kept changing under us (the state machine retries).
    """
    cancelled: list[str] = []
    for a in ports.assignments.assignments_of(order_id):
        if a.status in (AssignmentStatus.PLANNED, AssignmentStatus.AWAITING_QC) and _cancel(ports, a):
            cancelled.append(a.assignment_id)
    return cancelled


def _cancel(ports: Ports, a: Assignment) -> bool:
    """Cancel ``a`` and give back its booked minutes; False if it was signed off or cancelled meanwhile."""

    def release() -> bool:
        ledger = ports.assignments.capacity_ledgers([a.group_id])[a.group_id] if a.booked else None
        released = release_bookings(ledger, a.booked, datetime.now(UTC).date(), this_week_too=True) if ledger else None
        ports.assignments.cancel_assignment(a.assignment_id, released)
        return True

    def ended_meanwhile() -> bool | None:
        current = ports.assignments.get_assignment(a.assignment_id)
        open_ = current is not None and current.status in (AssignmentStatus.PLANNED, AssignmentStatus.AWAITING_QC)
        return None if open_ else False  # False: nothing of it to give back here; None: the ledger changed

    return retry_on_conflict(release, ended_meanwhile, what=f"release {a.assignment_id}")


def record_outcome(ports: Ports, order_id: str, outcome: str, error: dict[str, Any] | None = None) -> str:
    current = ports.orders.get_order(order_id)
    if current is not None and current.status is OrderStatus.CANCELLED:
        # its buyer cancelled it: an execution that ran on (a stop racing its last step) records nothing over that
        logger.info("outcome of a cancelled order not recorded", order_id=order_id, outcome=outcome)
        return OrderStatus.CANCELLED.value
    status = OrderStatus(outcome)
    fields: dict[str, Any] = {"status": status.value}
    if status is OrderStatus.NEEDS_ATTENTION:
        released = release_order_bookings(ports, order_id)
        logger.info("bookings released", order_id=order_id, assignments=released)
    assignments = ports.assignments.assignments_of(order_id)
    fields["units_passed"] = sum(a.units_passed for a in assignments)
    if error:
        fields["status_reason"] = buyer_reason(error)
        fields["attention_detail"] = staff_detail(error)
        logger.error("order needs attention", order_id=order_id, error=error.get("Error"), cause=error.get("Cause"))
    if status is OrderStatus.READY_TO_SHIP:
        # what the buyer is given links to; payroll is internal and never listed here
        fields["artifacts"] = buyer_documents(order_id)
        fields["status_reason"] = None  # a note such as "capacity is short" no longer applies once it is ready
        if flagged := [a for a in assignments if a.attention]:  # rework rounds used up
            status = OrderStatus.NEEDS_ATTENTION
            units, rounds = sum(a.units_rejected for a in flagged), max(a.rework_round for a in flagged)
            fields |= {
                "status": status.value,
                "status_reason": rework_used_up(units, rounds),
                "attention_detail": "; ".join(str(a.attention) for a in flagged),
            }
    ports.orders.update_order(order_id, **fields)
    ports.orders.record_timeline(order_id, status.value, detail=fields.get("status_reason"))
    if current is not None:  # the buyer is told once, whichever delivery of this stage gets here
        if status is OrderStatus.READY_TO_SHIP:
            buyer_news.ready(ports, current, fields["units_passed"])
        else:
            buyer_news.attention(ports, current, fields.get("status_reason") or "")
    return status.value
