"""The pipeline's stages as use cases: each reads what it needs, calls the pure domain, writes its results.

Every stage is idempotent: Step Functions and SQS deliver at least once, so a stage that runs again
finds its own earlier results (conditional writes, deterministic S3 keys, claimed e-mails) and does
not repeat a side effect.
"""

from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote_plus

from telar import allocation, cards, payroll
from telar.adapters.mail import XLSX, Attachment
from telar.adapters.repository import ConditionFailed
from telar.errors import SheetInvalid
from telar.models import Assignment, AssignmentStatus, OrderStatus
from telar.observability import logger
from telar.ports import Ports
from telar.qc import read_qc_workbook, validate_qc
from telar.sheets.payroll_book import write_payroll_book
from telar.sheets.qc_template import write_qc_template
from telar.sheets.worksheet import write_worksheet

QC_REPORTS_PREFIX = "qc-reports/"  # outside qc/, so a report never triggers another QC run


class QcNotYetAwaited(Exception):
    """The sheet arrived before the pipeline started waiting for it: retry later (SQS redelivers)."""


# ---------------------------------------------------------------- SplitWork
def split_work(ports: Ports, order_id: str) -> list[str]:
    """Plan the order's assignments, write their work sheets and QC templates, tell the managers."""
    order = ports.repo.get_order(order_id)
    if order is None:
        raise LookupError(f"order {order_id} does not exist")
    if order.assignment_ids:  # planned by an earlier attempt
        return order.assignment_ids
    ref = ports.repo.load_reference()
    planned = allocation.split_order(order, ref, datetime.now(UTC).date())
    stored: list[Assignment] = []
    for a in planned:
        group = ref.group(a.group_id)
        prefix = f"orders/{order_id}/{a.group_id}"
        worksheet = ports.artifacts.put(f"{prefix}/worksheet.xlsx", write_worksheet(order, a, group, ref), XLSX)
        template = ports.artifacts.put(f"{prefix}/qc-{a.assignment_id}.xlsx", write_qc_template(a, group, ref), XLSX)
        stored.append(a.model_copy(update={"worksheet_key": worksheet.key, "qc_template_key": template.key}))
    try:
        ports.repo.create_assignments(order_id, stored)
    except ConditionFailed:
        # A concurrent attempt stored its plan first: that plan stands.
        current = ports.repo.get_order(order_id)
        assert current is not None
        return current.assignment_ids
    for a in stored:
        _mail_manager_papers(ports, a, order.buyer_reference, ref)
    return [a.assignment_id for a in stored]


def _mail_manager_papers(ports: Ports, a: Assignment, buyer_reference: str, ref: Any) -> None:
    group = ref.group(a.group_id)
    assert a.worksheet_key and a.qc_template_key
    _send_once(
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
            Attachment("worksheet.xlsx", ports.artifacts.get(a.worksheet_key), XLSX),
            Attachment(f"qc-{a.assignment_id}.xlsx", ports.artifacts.get(a.qc_template_key), XLSX),
        ),
    )


# ---------------------------------------------------------------- AwaitQc
def await_qc(ports: Ports, assignment_id: str, task_token: str) -> None:
    ports.repo.await_qc(assignment_id, task_token)


# ---------------------------------------------------------------- QC upload
def accept_qc_upload(ports: Ports, key: str, version_id: str | None) -> str:
    """Handle one uploaded QC sheet; returns what happened (``accepted``, ``duplicate``, ``rejected``).

    An invalid sheet gets an error report (saved under qc-reports/ and e-mailed to the manager) and the
    execution keeps waiting for a corrected upload. The upload itself is never changed or deleted.
    """
    upload_ref = f"{key}#{version_id or 'null'}"
    data = ports.uploads.get(key, version_id)
    assignment: Assignment | None = None
    try:
        parsed = read_qc_workbook(data)
        assignment = ports.repo.get_assignment(parsed.assignment_id)
        if assignment is None:
            raise SheetInvalid([parsed.assignment_id_cell.problem("the Assignment ID of a QC template Telar sent")])
        if assignment.status == AssignmentStatus.QC_DONE:
            if assignment.qc_upload == upload_ref:
                _resume(ports, assignment)  # the earlier attempt may have stopped before resuming
                return "duplicate"
            raise SheetInvalid(
                [
                    parsed.assignment_id_cell.problem(
                        f"an assignment still waiting for QC; it was signed off with {assignment.qc_upload}"
                    )
                ]
            )
        if assignment.status != AssignmentStatus.AWAITING_QC:
            raise QcNotYetAwaited(assignment.assignment_id)
        ref = ports.repo.load_reference()
        sheet = validate_qc(parsed, assignment, ref)
    except SheetInvalid as invalid:
        _report_invalid_sheet(ports, key, upload_ref, invalid, assignment)
        return "rejected"
    try:
        ports.repo.record_qc(sheet, upload_ref)
    except ConditionFailed:
        return accept_qc_upload(ports, key, version_id)  # lost a race: decide again on fresh state
    accepted = ports.repo.get_assignment(sheet.assignment_id)
    assert accepted is not None
    _resume(ports, accepted)
    logger.info("QC accepted", assignment_id=sheet.assignment_id, passed=sheet.passed, rejected=sheet.rejected)
    return "accepted"


def _resume(ports: Ports, assignment: Assignment) -> None:
    assert assignment.task_token
    output = {
        "assignment_id": assignment.assignment_id,
        "units_passed": assignment.units_passed,
        "units_rejected": assignment.units_rejected,
    }
    try:
        ports.workflow.resume(assignment.task_token, output)
    except Exception as e:  # an already-resumed task answers with an error we can ignore
        if type(e).__name__ not in ("TaskTimedOut", "InvalidToken", "TaskDoesNotExist"):
            raise
        logger.info("task already resumed", assignment_id=assignment.assignment_id, error=type(e).__name__)


def _report_invalid_sheet(
    ports: Ports, key: str, upload_ref: str, invalid: SheetInvalid, assignment: Assignment | None
) -> None:
    lines = [f"The QC sheet {key} could not be accepted. Please correct it and upload it again.", ""]
    lines += [f"- {p}" for p in invalid.problems]
    report = "\n".join(lines) + "\n"
    version = upload_ref.rsplit("#", 1)[1]
    ports.uploads.put(
        f"{QC_REPORTS_PREFIX}{key.removeprefix('qc/')}.{version}.errors.txt",
        report.encode(),
        "text/plain; charset=utf-8",
    )
    logger.warning("QC sheet rejected", key=key, problems=len(invalid.problems))
    # The group's manager when the sheet names a real assignment; otherwise nobody can be told but the office.
    to = (
        [ports.repo.load_reference().group(assignment.group_id).manager_email]
        if assignment
        else ports.settings.finance_recipients
    )
    _send_once(
        ports, f"qc-report#{upload_ref}", to=to, subject=f"Telar: QC sheet needs correcting — {key}", text=report
    )


def s3_records(event_body: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """(bucket, key, version id) of each S3 record in an SQS message body; test events give none."""
    return [
        (r["s3"]["bucket"]["name"], unquote_plus(r["s3"]["object"]["key"]), r["s3"]["object"].get("versionId"))
        for r in event_body.get("Records", [])
        if r.get("eventName", "").startswith("ObjectCreated")
    ]


# ---------------------------------------------------------------- Payroll
def run_payroll(ports: Ports, order_id: str) -> list[str]:
    """Record each maker's earnings for the order once, write a payroll file per group, e-mail finance."""
    ref = ports.repo.load_reference()
    assignments = ports.repo.assignments_of(order_id)
    for a in assignments:
        assert a.inspected_on is not None, f"{a.assignment_id} has no QC sign-off"
        ports.repo.record_earnings(payroll.earnings_for(a, ref, a.inspected_on))
    recorded = ports.repo.earnings_of(order_id)  # what is on record is what gets paid
    keys, attachments = [], []
    for group_payroll in payroll.by_group(recorded, ref):
        book = write_payroll_book([group_payroll], period_label=f"order {order_id}")
        name = f"payroll-{order_id}-{group_payroll.group_id}-{group_payroll.currency}.xlsx"
        keys.append(ports.artifacts.put(f"payroll/{order_id}/{name}", book, XLSX).key)
        attachments.append(Attachment(name, book, XLSX))
    summary = "\n".join(
        f"- {p.group_name}: {len(p.lines)} lines, total {p.currency} {p.total} (top-ups {p.top_ups})"
        for p in payroll.by_group(recorded, ref)
    )
    _send_once(
        ports,
        f"payroll#{order_id}",
        to=ports.settings.finance_recipients,
        subject=f"Telar: payroll for order {order_id}",
        text=f"Payroll for order {order_id}, per group and currency:\n\n{summary}\n\nFiles attached.\n",
        attachments=tuple(attachments),
    )
    return keys


# ---------------------------------------------------------------- Insert cards
def make_cards(ports: Ports, order_id: str) -> tuple[str, int]:
    """Render the order's insert cards print sheet; returns its S3 key and the number of cards."""
    ref = ports.repo.load_reference()
    order = ports.repo.get_order(order_id)
    assert order is not None
    rows = [(a.group_id, row) for a in ports.repo.assignments_of(order_id) for row in a.qc_rows]
    photos = {
        worker_id: ports.uploads.get_if_exists(f"photos/{photo_file}")
        for worker_id, photo_file in cards.photo_files_needed(rows, ref).items()
    }
    buyer = ports.repo.get_buyer(order.buyer_id)
    built = cards.build_cards(rows, ref, photos, buyer.language if buyer else "en")
    for warning in (w for c in built for w in c.warnings):  # a missing photo never fails the order
        logger.warning(warning, order_id=order_id)
    html = cards.render_print_sheet(built, title=f"Insert cards — {order.buyer_reference}")
    key = ports.artifacts.put(cards_key(order_id), html.encode(), "text/html; charset=utf-8").key
    return key, sum(c.copies for c in built)


def cards_key(order_id: str) -> str:
    return f"cards/{order_id}/cards.html"


# ---------------------------------------------------------------- Outcome
def record_outcome(ports: Ports, order_id: str, outcome: str, error: dict[str, Any] | None = None) -> str:
    status = OrderStatus(outcome)
    fields: dict[str, Any] = {"status": status.value}
    assignments = ports.repo.assignments_of(order_id)
    fields["units_passed"] = sum(a.units_passed for a in assignments)
    if error:
        fields["status_reason"] = f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:500]}"
    if status is OrderStatus.READY_TO_SHIP:
        fields["artifacts"] = {"cards": cards_key(order_id), "payroll": f"payroll/{order_id}/"}
    ports.repo.update_order(order_id, **fields)
    return status.value


def _send_once(ports: Ports, name: str, **message: Any) -> None:
    """Send an e-mail at most once per ``name``; a failed send releases the claim so a retry sends it."""
    if not ports.repo.claim(f"mail#{name}"):
        return
    try:
        ports.mailer.send(**message)
    except Exception:
        ports.repo.release(f"mail#{name}")
        raise
