"""The papers of an assignment: its work sheet and QC template in S3, and the e-mail that brings them to the
group's production manager. SplitWork sends them for every assignment it plans, Rework for every round."""

from telar.adapters.mail import XLSX, Attachment
from telar.artifacts import papers_prefix, qc_template_name, worksheet_name
from telar.models import Assignment, Order, ReferenceData
from telar.ports import Ports
from telar.rendering import render_mail
from telar.sheets.qc_template import write_qc_template
from telar.sheets.worksheet import write_worksheet
from telar.stages.notify import send_once


def with_paper_keys(order: Order, a: Assignment) -> Assignment:
    """The assignment with the S3 keys of its papers (deterministic: a retry writes the same keys)."""
    prefix = papers_prefix(order.order_id, a.group_id)
    return a.model_copy(
        update={
            "worksheet_key": prefix + worksheet_name(a.assignment_id),
            "qc_template_key": prefix + qc_template_name(a.assignment_id),
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


def mail_manager_papers(
    ports: Ports, a: Assignment, buyer_reference: str, ref: ReferenceData, *, resend: str | None = None
) -> None:
    """E-mail the assignment's papers to its group's manager, once. ``resend`` names a second sending asked for by a
    person (the office, when the first never arrived): once per name too, so a form submitted twice sends once."""
    group = ref.group(a.group_id)
    assert a.worksheet_key and a.qc_template_key
    mail = render_mail("papers", group.language, group=group, assignment=a, buyer_reference=buyer_reference)
    send_once(
        ports,
        f"papers#{a.assignment_id}" + (f"#resend#{resend}" if resend else ""),
        to=[group.manager_email],
        mail=mail,
        invite_reply=True,
        attachments=(
            Attachment(worksheet_name(a.assignment_id), ports.artifacts.get(a.worksheet_key), XLSX),
            Attachment(qc_template_name(a.assignment_id), ports.artifacts.get(a.qc_template_key), XLSX),
        ),
    )
