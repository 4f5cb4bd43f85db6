"""The month's attendance sheets: each group's blank sheet, kept in the artifacts bucket and e-mailed to its manager."""

from typing import Any

from telar.adapters.mail import XLSX, Attachment
from telar.artifacts import attendance_sheet_key
from telar.models import PayPeriod
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import render_mail
from telar.sheets.attendance_template import write_attendance_sheet
from telar.stages.notify import send_once


def send_attendance_sheets(ports: Ports, month: PayPeriod) -> dict[str, Any]:
    """Write each group's attendance sheet for ``month`` (groups with a maker active in it) and e-mail it to the
    group's manager once per group and month, in her language, inviting a reply with the sheet filled in.

    Safe to run twice: the sheet is rewritten at the same key with the same content; each e-mail is claimed once.
    """
    ref = ports.reference.load_reference()
    sent = []
    for group in ref.groups:
        makers = [m for m in ref.makers_of(group.group_id) if m.works_on(month.first_day) or m.works_on(month.last_day)]
        if not makers:
            continue
        data = write_attendance_sheet(group, month, ref)
        key = attendance_sheet_key(month.period, group.group_id)
        ports.artifacts.put(key, data, XLSX)
        mail = render_mail(
            "attendance_sheet", group.language, group=group, month=month.period, console_url=ports.console.url()
        )
        send_once(
            ports,
            f"attendance-sheet#{month.period}#{group.group_id}",
            to=[str(group.manager_email)],
            mail=mail,
            attachments=(Attachment(key.rsplit("/", 1)[-1], data, XLSX),),
            invite_reply=True,
        )
        sent.append(group.group_id)
    logger.info("attendance sheets sent", month=month.period, groups=sent)
    return {"month": month.period, "groups": sent}
