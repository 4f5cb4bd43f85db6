"""Attendance uploads: parse and validate a month's attendance sheet, record what it pays once, tell the manager."""

from datetime import UTC, datetime
from decimal import Decimal

from telar import messages
from telar.artifacts import attendance_report_stem, console_attendance_group, upload_name
from telar.attendance import attendance_earnings, recorded_from, validate_attendance
from telar.errors import SheetInvalid
from telar.mail_thread import MailThread, thread_from_metadata
from telar.models import EarningLine, Group
from telar.models.attendance import Attendance, attendance_order_id
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import render_mail
from telar.sheets.attendance_sheet import read_attendance_workbook
from telar.stages.notify import report_refused_sheet, send_once


def accept_attendance_upload(ports: Ports, key: str, version_id: str | None) -> str:
    """Handle one uploaded attendance sheet; returns what happened (``accepted``, ``duplicate``, ``rejected``).

    The sheet's lines (one per maker and kind of time, and her guaranteed hours) are recorded once: each with a
    conditional put, and a group's month from one upload only, so an SQS redelivery records nothing twice and a
    second, different sheet for the same month is refused (the office corrects a recorded month). An invalid
    sheet gets an error report (saved under attendance-reports/ and e-mailed to the manager). The next pay run
    pays what was recorded.
    """
    upload_ref = f"{key}#{version_id or 'null'}"
    _, metadata = ports.uploads.describe(key, version_id)
    thread = thread_from_metadata(metadata)
    data = ports.uploads.get(key, version_id)
    ref = ports.reference.load_reference()
    group: Group | None = None
    try:
        parsed = read_attendance_workbook(data)
        group = next((g for g in ref.groups if g.group_id.casefold() == parsed.group_id.casefold()), None)
        if (page := console_attendance_group(key)) is not None and (group is None or group.group_id != page):
            # a manager uploads from her own group's page: a sheet of another group is never recorded from there
            group = next((g for g in ref.groups if g.group_id == page), None)
            raise SheetInvalid([parsed.group_cell.problem(messages.A_GROUP_OF_THE_PAGE(group=page))])
        attendance = validate_attendance(parsed, ref, datetime.now(UTC).date())
        earlier = recorded_from(ports.earnings.earnings_of(attendance_order_id(attendance.group_id, attendance.month)))
        # lines recorded before owners were kept name their upload; else the first sheet to own the month wins
        owner = earlier or ports.earnings.own_earnings(
            attendance_order_id(attendance.group_id, attendance.month), upload_ref
        )
        if owner != upload_ref:
            recorded = upload_name(owner.rsplit("#", 1)[0])  # its file's name, never its key
            raise SheetInvalid([parsed.month_cell.problem(messages.ATTENDANCE_RECORDED(upload=recorded))])
    except SheetInvalid as invalid:  # told to her group's manager in her language, or the office if no group
        logger.warning("attendance sheet rejected", key=key, problems=len(invalid.problems))
        stem = attendance_report_stem(key, upload_ref.rsplit("#", 1)[1])
        report = ("attendance_report", stem, f"attendance-report#{upload_ref}")
        report_refused_sheet(ports, key, data, invalid, report=report, group=group, thread=thread)
        return "rejected"
    lines = attendance_earnings(attendance, ref, upload_ref)
    new = ports.earnings.record_earnings(lines)  # conditional per line: a redelivery records none again
    group = ref.group(attendance.group_id)
    logger.info("attendance recorded", key=key, group_id=group.group_id, month=attendance.month, lines=new)
    _receipt(ports, key, upload_ref, attendance, group, lines, thread)
    return "accepted" if new or not lines else "duplicate"


def _receipt(
    ports: Ports,
    key: str,
    upload_ref: str,
    attendance: Attendance,
    group: Group,
    lines: list[EarningLine],
    thread: MailThread | None,
) -> None:
    totals = attendance.totals()
    mail = render_mail(
        "attendance_receipt",
        group.language,
        group=group,
        key=upload_name(key),
        month=attendance.month,
        makers=len({d.worker_id for d in attendance.days}),
        totals=[(kind, hours) for kind, hours in totals.items() if hours],
        amount=sum((line.total for line in lines), Decimal(0)),
        currency=group.currency,
        guaranteed=bool(group.guaranteed_hours_per_week),
    )
    send_once(ports, f"attendance-receipt#{upload_ref}", to=[str(group.manager_email)], mail=mail, thread=thread)
