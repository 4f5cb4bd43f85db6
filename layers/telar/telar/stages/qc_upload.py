"""QC uploads: parse and validate a sheet, record it once, resume the waiting execution."""

from datetime import UTC, datetime

from telar import messages
from telar.artifacts import qc_report_stem, upload_name
from telar.capacity import CapacityLedger, release_bookings
from telar.errors import QcNotYetAwaited, SheetInvalid
from telar.mail_thread import MailThread, thread_from_metadata
from telar.models import ENDED, Assignment, AssignmentStatus
from telar.observability import logger
from telar.ports import Ports
from telar.qc import validate_qc
from telar.rendering import render_mail
from telar.sheets.qc_sheet import read_qc_workbook
from telar.stages import order_reference
from telar.stages.conflicts import retry_on_conflict
from telar.stages.notify import report_refused_sheet, send_once
from telar.stages.qc_resume import resume_with_qc


def accept_qc_upload(ports: Ports, key: str, version_id: str | None) -> str:
    """Handle one uploaded QC sheet; returns what happened (``accepted``, ``duplicate``, ``rejected``).

    An invalid sheet gets an error report (saved under qc-reports/ and e-mailed to the manager) and the
    execution keeps waiting for a corrected upload. The upload itself is never changed or deleted.
    A sheet that came by e-mail (telar.stages.inbound_mail puts it with metadata naming the sender and the
    message) is answered as a reply to that message, to its sender.

    Raises
    ------
    CapacityContention
        the record kept losing to other writes of the group's ledger: SQS delivers the message again later.
    """
    upload_ref = f"{key}#{version_id or 'null'}"
    _, metadata = ports.uploads.describe(key, version_id)
    thread = thread_from_metadata(metadata)
    data = ports.uploads.get(key, version_id)
    # A lost write (the group's ledger changed, or another delivery signed the sheet off) decides again on fresh
    # reads: the next attempt sees the sheet as a duplicate, or books against the new ledger.
    return retry_on_conflict(
        lambda: _accept(ports, key, upload_ref, data, thread), lambda: None, what=f"record the QC sheet {key}"
    )


def _accept(ports: Ports, key: str, upload_ref: str, data: bytes, thread: MailThread | None) -> str:
    assignment: Assignment | None = None
    try:
        parsed = read_qc_workbook(data)
        assignment = ports.assignments.get_assignment(parsed.assignment_id)
        if assignment is None:
            raise SheetInvalid([parsed.assignment_id_cell.problem(messages.ASSIGNMENT_SENT())])
        if assignment.status == AssignmentStatus.QC_DONE:
            if assignment.qc_upload == upload_ref:
                resume_with_qc(ports, assignment)  # the earlier attempt may have stopped before resuming
                return "duplicate"
            raise SheetInvalid([parsed.assignment_id_cell.problem(messages.STILL_WAITING(upload=assignment.qc_upload))])
        order = ports.orders.get_order(assignment.order_id)
        if assignment.status == AssignmentStatus.CANCELLED or (
            assignment.status == AssignmentStatus.PLANNED and order is not None and order.status in ENDED
        ):
            _report_not_awaited(ports, key, upload_ref, assignment)  # retrying would never help: say so now
            return "not_awaited"
        if assignment.status != AssignmentStatus.AWAITING_QC:
            raise QcNotYetAwaited(assignment.assignment_id)
        # the group's makers, defect codes and standard minutes as planned; the manager as now
        ref = order_reference(ports, order)
        sheet = validate_qc(parsed, assignment, ref)
    except SheetInvalid as invalid:
        # To the group's manager, in her language, when the sheet names a real assignment; otherwise nobody can be
        # told but the office. A sheet that came by e-mail is answered to its sender (checked when it came in).
        logger.warning("QC sheet rejected", key=key, problems=len(invalid.problems))
        group = ports.reference.load_reference().group(assignment.group_id) if assignment else None
        report = ("qc_report", qc_report_stem(key, upload_ref.rsplit("#", 1)[1]), f"qc-report#{upload_ref}")
        report_refused_sheet(ports, key, data, invalid, report=report, group=group, thread=thread)
        return "rejected"
    ports.assignments.record_qc(sheet, upload_ref, _unused_capacity(ports, assignment))  # ConditionFailed: decide again
    accepted = ports.assignments.get_assignment(sheet.assignment_id)
    assert accepted is not None
    ports.orders.record_timeline(
        accepted.order_id, "QC_DONE", group_id=accepted.group_id, rework_round=accepted.rework_round
    )
    resume_with_qc(ports, accepted)
    logger.info("QC accepted", assignment_id=sheet.assignment_id, passed=sheet.passed, rejected=sheet.rejected)
    group = ref.group(accepted.group_id)
    mail = render_mail(
        "qc_receipt",
        group.language,
        assignment_id=accepted.assignment_id,
        group=group,
        key=upload_name(key),
        sheet=sheet,
    )
    send_once(ports, f"qc-receipt#{upload_ref}", to=[group.manager_email], mail=mail, thread=thread)
    return "accepted"


def _unused_capacity(ports: Ports, assignment: Assignment) -> CapacityLedger | None:
    """The group's ledger without what was booked for this work in the weeks after this one: signed off, it needs
    no more time (a sheet signed off early frees its makers for the next orders). None if nothing is freed."""
    if not assignment.booked:
        return None
    ledger = ports.assignments.capacity_ledgers([assignment.group_id])[assignment.group_id]
    return release_bookings(ledger, assignment.booked, datetime.now(UTC).date())


def _report_not_awaited(ports: Ports, key: str, upload_ref: str, assignment: Assignment) -> None:
    """A sheet for work whose order stopped: the manager and the office are told on the first delivery (an SQS
    retry would never make it acceptable). The upload stays in the bucket; nothing is recorded or paid from it."""
    order = ports.orders.get_order(assignment.order_id)
    reason = order.status_reason if order and order.status_reason else "it was stopped"
    group = ports.reference.load_reference().group(assignment.group_id)
    logger.warning("QC sheet for work no longer in production", key=key, assignment_id=assignment.assignment_id)
    mail = render_mail(
        "qc_not_awaited", group.language, assignment=assignment, group=group, key=upload_name(key), reason=reason
    )
    send_once(
        ports, f"qc-not-awaited#{upload_ref}", to=[group.manager_email, *ports.settings.finance_recipients], mail=mail
    )
