"""QC reminders (daily): keep each waiting QC task alive, and remind managers whose QC sheet is overdue.

AwaitQc waits on people for days. Its HeartbeatSeconds (2 days) fails the task if this daily job stops
sending heartbeats, so a broken reminder path shows as an order needing attention instead of silence;
its TimeoutSeconds (QC_TIMEOUT) ends the wait. Before that, a manager whose sheet is past its due date,
or whose wait ends within REMIND_BEFORE_TIMEOUT, gets one reminder a day with the QC template attached.
"""

from datetime import datetime, timedelta
from typing import Any

from telar.adapters.mail import XLSX, Attachment
from telar.artifacts import qc_template_name
from telar.models import Assignment, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import render_mail
from telar.stages.notify import send_once

QC_TIMEOUT = timedelta(days=14)  # AwaitQc's TimeoutSeconds in statemachines/order_pipeline.src.json (tested)
REMIND_BEFORE_TIMEOUT = timedelta(days=3)


def send_qc_reminders(ports: Ports, now: datetime) -> dict[str, Any]:
    """One pass over the assignments waiting for QC; safe to run again (one reminder per assignment a day)."""
    ref: ReferenceData | None = None
    alive, gone, reminded = 0, [], []
    for a in ports.assignments.awaiting_qc():
        assert a.task_token, f"{a.assignment_id} waits for QC without a task token"
        if not ports.workflow.heartbeat(a.task_token):  # the execution timed out or was stopped
            ports.assignments.stop_awaiting(a.assignment_id)
            gone.append(a.assignment_id)
            continue
        alive += 1
        deadline = (a.awaiting_since or now) + QC_TIMEOUT
        if now.date() <= a.due_date and deadline - now > REMIND_BEFORE_TIMEOUT:
            continue
        ref = ref or ports.reference.load_reference()
        _remind(ports, a, ref, now, deadline)
        reminded.append(a.assignment_id)
    logger.info("QC reminders", waiting=alive, reminded=len(reminded), no_longer_waiting=gone)
    return {"waiting": alive, "reminded": reminded, "no_longer_waiting": gone}


def _remind(ports: Ports, a: Assignment, ref: ReferenceData, now: datetime, deadline: datetime) -> None:
    group = ref.group(a.group_id)
    order = ports.orders.get_order(a.order_id)
    reference = order.buyer_reference if order else a.order_id
    attachments: tuple[Attachment, ...] = ()
    if a.qc_template_key:
        attachments = (Attachment(qc_template_name(a.assignment_id), ports.artifacts.get(a.qc_template_key), XLSX),)
    mail = render_mail(
        "qc_reminder",
        group.language,
        group=group,
        assignment=a,
        reference=reference,
        days_late=(now.date() - a.due_date).days,
        deadline=deadline,
        console_url=ports.console.url(),
    )
    send_once(
        ports,
        f"qc-reminder#{a.assignment_id}#{now.date().isoformat()}",  # at most one a day, whatever the retries
        to=[group.manager_email],
        mail=mail,
        attachments=attachments,
        invite_reply=True,
    )
