"""SplitWork: plan the order's assignments, write their papers, tell the managers."""

from datetime import UTC, datetime

from telar import allocation
from telar.capacity import PlanWrite, add_bookings
from telar.errors import OrderNotFound
from telar.models import Assignment, Order
from telar.observability import logger
from telar.ports import Ports
from telar.stages import buyer_news, order_reference
from telar.stages.conflicts import retry_on_conflict
from telar.stages.papers import mail_manager_papers, with_paper_keys, write_papers


def split_work(ports: Ports, order_id: str) -> list[str]:
    """Plan the order's assignments and book their capacity, write their papers, tell the managers."""
    order = ports.orders.get_order(order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    if order.assignment_ids:  # planned by an earlier attempt, which may have stopped before its papers or e-mails
        ref = order_reference(ports, order)
        for a in ports.assignments.assignments_of(order_id):
            if a.assignment_id in order.assignment_ids:
                if (
                    a.worksheet_key
                    and a.qc_template_key
                    and not all(ports.artifacts.head(k) for k in (a.worksheet_key, a.qc_template_key))
                ):
                    write_papers(ports, order, a, ref)
                mail_manager_papers(ports, a, order.buyer_reference, ref)  # once each: send_once remembers
        buyer_news.confirmed(ports, order, ref, order.expected_ship_date)  # once, whichever attempt gets here
        return order.assignment_ids
    # The version is read first, then that version loaded: an import meanwhile cannot mix two versions.
    version = ports.reference.reference_version()
    ref = ports.reference.load_reference(version)
    today = datetime.now(UTC).date()

    def plan_and_store() -> tuple[allocation.Plan, list[Assignment]]:
        ledgers = ports.assignments.capacity_ledgers(g.group_id for g in ref.groups)
        plan = allocation.split_order(order, ref, today, ledgers)
        # Papers are written once the plan is stored: a plan that loses a race leaves no papers behind.
        stored = [with_paper_keys(order, a) for a in plan.assignments]
        ports.assignments.create_assignments(
            PlanWrite(
                order_id,
                stored,
                ledgers=[add_bookings(ledgers[g], booked, today) for g, booked in sorted(plan.bookings.items())],
                order_fields={
                    "expected_ship_date": plan.expected_ship_date.isoformat(),
                    "reference_version": version,  # later stages read the catalog and groups as planned
                    **({"status_reason": _late_reason(plan, order)} if plan.is_late(order) else {}),
                },
            )
        )
        return plan, stored

    def planned_meanwhile() -> list[str] | None:
        """The plan a concurrent attempt for this order stored first: it stands."""
        current = ports.orders.get_order(order_id)
        assert current is not None  # orders are never deleted
        return current.assignment_ids or None

    outcome = retry_on_conflict(plan_and_store, planned_meanwhile, what=f"plan {order_id}")
    if isinstance(outcome, list):
        return outcome
    plan, stored = outcome
    logger.info(
        "planned",
        groups=len(stored),
        finish=plan.finish_date.isoformat(),
        bound=plan.bound_date.isoformat(),
        skilled_makers_with_work_share=round(plan.skilled_makers_with_work_share, 3),
        assigned_hours_gini=round(plan.assigned_hours_gini, 3),
    )
    for a in stored:
        write_papers(ports, order, a, ref)
    detail = f"{len(stored)} group(s)" + (f"; {_late_reason(plan, order)}" if plan.is_late(order) else "")
    ports.orders.record_timeline(order_id, "IN_PRODUCTION", detail=detail)
    for a in stored:
        mail_manager_papers(ports, a, order.buyer_reference, ref)
    buyer_news.confirmed(ports, order, ref, plan.expected_ship_date)
    return [a.assignment_id for a in stored]


def _late_reason(plan: allocation.Plan, order: Order) -> str:
    return (
        f"capacity is short: expected to ship {plan.expected_ship_date.isoformat()}, "
        f"after the {'committed' if order.committed_ship_date else 'requested'} {order.promised_ship_date.isoformat()}"
    )
