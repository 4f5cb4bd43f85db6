"""SplitWork: plan the order's assignments, write their papers, tell the managers."""

from datetime import UTC, datetime

from telar import allocation
from telar.adapters.mail import XLSX, Attachment
from telar.adapters.repository import ConditionFailed
from telar.models import Assignment, Order, ReferenceData
from telar.ports import Ports
from telar.sheets.qc_template import write_qc_template
from telar.sheets.worksheet import write_worksheet
from telar.stages.notify import send_once


def split_work(ports: Ports, order_id: str) -> list[str]:
    """Plan the order's assignments, write their work sheets and QC templates, tell the managers."""
    order = ports.repo.get_order(order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    if order.assignment_ids:  # planned by an earlier attempt
        return order.assignment_ids
    ref = ports.repo.load_reference()
    planned = allocation.split_order(order, ref, datetime.now(UTC).date())
    stored = [write_papers(ports, order, a, ref) for a in planned]
    try:
        ports.repo.create_assignments(order_id, stored)
    except ConditionFailed:
        # A concurrent attempt stored its plan first: that plan stands.
        current = ports.repo.get_order(order_id)
        assert current is not None
        return current.assignment_ids
    ports.repo.record_timeline(order_id, "IN_PRODUCTION", detail=f"{len(stored)} group(s)")
    for a in stored:
        mail_manager_papers(ports, a, order.buyer_reference, ref)
    return [a.assignment_id for a in stored]


def write_papers(ports: Ports, order: Order, a: Assignment, ref: ReferenceData) -> Assignment:
    """Write the assignment's work sheet and QC template to S3 (deterministic keys: a retry overwrites)."""
    group = ref.group(a.group_id)
    prefix = f"orders/{order.order_id}/{a.group_id}"
    worksheet = ports.artifacts.put(
        f"{prefix}/worksheet-{a.assignment_id}.xlsx", write_worksheet(order, a, group, ref), XLSX
    )
    template = ports.artifacts.put(f"{prefix}/qc-{a.assignment_id}.xlsx", write_qc_template(a, group, ref), XLSX)
    return a.model_copy(update={"worksheet_key": worksheet.key, "qc_template_key": template.key})


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
