"""SplitWork: plan the order's assignments, write their papers, tell the managers."""

import random
import time
from datetime import UTC, datetime

from telar import allocation
from telar.adapters.mail import XLSX, Attachment
from telar.capacity import add_bookings
from telar.errors import CapacityContention, ConditionFailed, OrderNotFound
from telar.models import Assignment, Order, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.sheets.qc_template import write_qc_template
from telar.sheets.worksheet import write_worksheet
from telar.stages import order_reference
from telar.stages.notify import send_once

PLAN_ATTEMPTS = 5  # another order booking the same groups at the same moment makes us plan again


def split_work(ports: Ports, order_id: str) -> list[str]:
    """Plan the order's assignments and book their capacity, write their papers, tell the managers."""
    order = ports.repo.get_order(order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    if order.assignment_ids:  # planned by an earlier attempt, which may have stopped before its papers or e-mails
        ref = order_reference(ports, order)
        for a in ports.repo.assignments_of(order_id):
            if a.assignment_id in order.assignment_ids:
                if (
                    a.worksheet_key
                    and a.qc_template_key
                    and not all(ports.artifacts.head(k) for k in (a.worksheet_key, a.qc_template_key))
                ):
                    write_papers(ports, order, a, ref)
                mail_manager_papers(ports, a, order.buyer_reference, ref)  # once each: send_once remembers
        return order.assignment_ids
    # The version is read first, then that version loaded: an import meanwhile cannot mix two versions.
    version = ports.repo.reference_version()
    ref = ports.repo.load_reference(version)
    today = datetime.now(UTC).date()
    for attempt in range(1, PLAN_ATTEMPTS + 1):
        ledgers = ports.repo.capacity_ledgers(g.group_id for g in ref.groups)
        plan = allocation.split_order(order, ref, today, ledgers)
        # Papers are written once the plan is stored: a plan that loses a race leaves no papers behind.
        stored = [with_paper_keys(order, a) for a in plan.assignments]
        late = plan.is_late(order)
        reason = (
            f"capacity is short: expected to ship {plan.expected_ship_date.isoformat()}, "
            f"after the requested {order.requested_ship_date.isoformat()}"
        )
        try:
            ports.repo.create_assignments(
                order_id,
                stored,
                ledgers=[add_bookings(ledgers[g], booked, today) for g, booked in sorted(plan.bookings.items())],
                order_fields={
                    "expected_ship_date": plan.expected_ship_date.isoformat(),
                    "reference_version": version,  # later stages read the catalog and groups as planned
                    **({"status_reason": reason} if late else {}),
                },
            )
            break
        except ConditionFailed:
            current = ports.repo.get_order(order_id)
            assert current is not None
            if current.assignment_ids:  # a concurrent attempt for this order stored its plan first: it stands
                return current.assignment_ids
            # another order booked some of the same makers since we read the ledgers: plan again
            logger.info("capacity bookings changed while planning; planning again", attempt=attempt)
            time.sleep(random.uniform(0.05, 0.2) * attempt)
    else:
        raise CapacityContention(f"capacity bookings kept changing during {PLAN_ATTEMPTS} attempts to plan {order_id}")
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
    detail = f"{len(stored)} group(s)" + (f"; {reason}" if late else "")
    ports.repo.record_timeline(order_id, "IN_PRODUCTION", detail=detail)
    for a in stored:
        mail_manager_papers(ports, a, order.buyer_reference, ref)
    return [a.assignment_id for a in stored]


def with_paper_keys(order: Order, a: Assignment) -> Assignment:
    """The assignment with the S3 keys of its papers (deterministic: a retry writes the same keys)."""
    prefix = f"orders/{order.order_id}/{a.group_id}"
    return a.model_copy(
        update={
            "worksheet_key": f"{prefix}/worksheet-{a.assignment_id}.xlsx",
            "qc_template_key": f"{prefix}/qc-{a.assignment_id}.xlsx",
        }
    )


def write_papers(ports: Ports, order: Order, a: Assignment, ref: ReferenceData) -> Assignment:
    """Write the assignment's work sheet and QC template to S3 at its paper keys; returns it with the keys."""
    a = with_paper_keys(order, a)
    group = ref.group(a.group_id)
    assert a.worksheet_key and a.qc_template_key
    ports.artifacts.put(a.worksheet_key, write_worksheet(order, a, group, ref), XLSX)
    ports.artifacts.put(a.qc_template_key, write_qc_template(a, group, ref), XLSX)
    return a


def mail_manager_papers(ports: Ports, a: Assignment, buyer_reference: str, ref: ReferenceData) -> None:
    group = ref.group(a.group_id)
    assert a.worksheet_key and a.qc_template_key
    send_once(
        ports,
        f"papers#{a.assignment_id}",
        to=[group.manager_email],
        subject=f"Telar: new work for {group.name} — order {buyer_reference}",
        text=(
            f"Hello {group.manager_name},\n\n{group.name} has new work ({a.planned_units} units, due "
            f"{a.due_date.isoformat()}). The work sheet to print and the QC sheet to fill in are attached.\n"
            f"When QC is done, upload the filled QC sheet to the uploads bucket under qc/.\n"
        ),
        attachments=(
            Attachment(f"worksheet-{a.assignment_id}.xlsx", ports.artifacts.get(a.worksheet_key), XLSX),
            Attachment(f"qc-{a.assignment_id}.xlsx", ports.artifacts.get(a.qc_template_key), XLSX),
        ),
    )
