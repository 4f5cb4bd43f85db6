"""The papers of an assignment: its work sheet and QC template in S3, and the e-mail that brings them to the
group's production manager. SplitWork sends them for every assignment it plans, Rework for every round (its
subject says rework, and it names each maker's rejected units and their defects)."""

from typing import Any

from telar.adapters.mail import XLSX, Attachment
from telar.artifacts import papers_prefix, qc_template_name, worksheet_name
from telar.models import Assignment, Order, ReferenceData
from telar.ports import Ports
from telar.rendering import render_mail
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
    # openpyxl only here (~60 ms of a cold start): a retry whose papers are already in S3 writes none
    from telar.sheets.qc_template import write_qc_template
    from telar.sheets.worksheet import write_worksheet

    a = with_paper_keys(order, a)
    group = ref.group(a.group_id)
    assert a.worksheet_key and a.qc_template_key
    ports.artifacts.put(a.worksheet_key, write_worksheet(order, a, group, ref), XLSX)
    ports.artifacts.put(a.qc_template_key, write_qc_template(a, group, ref), XLSX)
    return a


def papers_words(a: Assignment, ref: ReferenceData) -> dict[str, Any]:
    """What the papers e-mail lists, in the group's language: the products to make, the materials to buy (totals
    of the bill of materials), for a rework round each maker's rejected units and their defects, and the
    office's note to the group."""
    group = ref.group(a.group_id)
    language = group.language
    makers = {m.worker_id: m.first_name for m in ref.makers}

    def product_name(sku: str) -> str:
        product = ref.find_product(sku)
        return product.name_in(language) if product else sku

    work = [
        {
            "units": line.quantity,
            "product": product_name(line.sku),
            "sku": line.sku,
            "options": ref.options_in(line.options, language),
        }
        for line in a.lines
    ]
    materials = [
        {
            "material": t.need.name_in(language),
            "quantity": f"{t.quantity.normalize():f}",
            "unit": t.need.unit_in(language),
        }
        for t in a.material_totals(ref)
    ]
    rework = [
        {
            "maker": makers.get(worker_id, worker_id),
            "worker_id": worker_id,
            "units": units,
            "product": product_name(line.sku),
            "defects": ", ".join(ref.defect(c).label_in(language) for c in line.rejected_for.get(worker_id, ())),
        }
        for line in a.lines
        for worker_id, units in line.per_maker.items()
    ]
    return {
        "work": work,
        "materials": materials,
        "rework": rework if a.rework_round else [],
        "note": group.note_in(language),
    }


def mail_manager_papers(
    ports: Ports, a: Assignment, buyer_reference: str, ref: ReferenceData, *, resend: str | None = None
) -> None:
    """E-mail the assignment's papers to its group's manager, once. ``resend`` names a second sending asked for by a
    person (the office, when the first never arrived): once per name too, so a form submitted twice sends once."""
    group = ref.group(a.group_id)
    assert a.worksheet_key and a.qc_template_key
    mail = render_mail(
        "papers",
        group.language,
        group=group,
        assignment=a,
        buyer_reference=buyer_reference,
        console_url=ports.console.url(),
        **papers_words(a, ref),
    )
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
