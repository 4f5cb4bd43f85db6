"""The papers a manager gets, in her words: what to make, the materials to buy, and for rework what to fix."""

from decimal import Decimal
from email.message import Message
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from telar.models import ReferenceData
from telar.ports import Ports
from telar.rendering import Mail, render_mail
from telar.rework import plan_rework
from telar.sheets.worksheet import write_worksheet
from telar.stages.await_qc import await_qc
from telar.stages.papers import papers_words
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.rework import start_rework
from tests.factories import make_assignment, make_order, make_order_line, make_qc_row
from tests.fakes import sent_mails
from tests.pipeline import every_row, plan_sample_order, upload_filled

CUSCO, CHIANG_MAI = "pe-cusco", "th-chiangmai"


def _text(message: Message) -> str:
    return str(next(p.get_content() for p in message.walk() if p.get_content_type() == "text/plain"))


def _papers_mail(assignment: Any, ref: ReferenceData) -> Mail:
    """The work e-mail of ``assignment`` for Cusco, order PO-7, as the papers stage writes it."""
    group = ref.group(CUSCO)
    words = papers_words(assignment, ref)
    return render_mail("papers", group.language, group=group, assignment=assignment, buyer_reference="PO-7", **words)


def _assignment(ref: ReferenceData, group_id: str) -> object:
    order = make_order(
        lines=[make_order_line("KNT-SCARF-ALP", 10, options={"colour": "natural grey"}), make_order_line("SEW-TOTE", 5)]
    )
    makers = [m.worker_id for m in ref.makers_of(group_id)][:2]
    return order, make_assignment(order, group_id=group_id, worker_ids=makers)


def test_the_work_mail_lists_the_products_and_the_totals_of_materials_in_her_language(
    sample_reference: ReferenceData,
) -> None:
    # Given ten scarves (180 g of alpaca yarn and a label each) and five totes (0.6 m canvas, 30 m thread, a label)
    _order, assignment = _assignment(sample_reference, CUSCO)
    # When its papers mail is written for Cusco
    mail = _papers_mail(assignment, sample_reference)
    # Then it says what to make and the totals to buy, in Spanish
    assert mail.subject == "Telar: trabajo nuevo para Taller Cusco — pedido PO-7"
    assert "- 10 × Bufanda de alpaca tejida (KNT-SCARF-ALP) — color: gris natural\n" in mail.text
    assert "- 5 × Bolso de tela cosido (SEW-TOTE)\n" in mail.text
    materials = mail.text.split("Materiales a comprar para este trabajo", 1)[1].splitlines()[1:]
    assert materials == [
        "- hilo de alpaca: 1800 g",
        "- etiqueta tejida: 15 piezas",  # one per scarf and one per tote: summed
        "- lona: 3 m",
        "- hilo de coser: 150 m",
    ]


def test_the_work_mail_totals_are_the_work_sheet_s(sample_reference: ReferenceData) -> None:
    order, assignment = _assignment(sample_reference, CHIANG_MAI)
    group = sample_reference.group(CHIANG_MAI)
    ws = load_workbook(BytesIO(write_worksheet(order, assignment, group, sample_reference))).active
    total_row = next(c.row for row in ws.iter_rows() for c in row if c.value == "รวมที่ต้องซื้อ")
    on_sheet = [
        (r[2], f"{Decimal(str(r[5])).normalize():f}", r[6])
        for r in ws.iter_rows(min_row=total_row, values_only=True)
        if r[2]
    ]
    in_mail = [
        (m["material"], m["quantity"], m["unit"]) for m in papers_words(assignment, sample_reference)["materials"]
    ]
    assert in_mail == on_sheet and len(in_mail) == 4


def test_rework_papers_say_rework_and_name_each_maker_s_rejected_units_and_defects(
    sample_reference: ReferenceData,
) -> None:
    # Given Cusco's scarves signed off with two makers' rejects, one with two defects
    order, assignment = _assignment(sample_reference, CUSCO)
    first, second = list(assignment.lines[0].per_maker)
    rows = [
        make_qc_row(
            worker_id,
            planned=5,
            produced=5,
            passed=5 - rejected,
            rejected=rejected,
            defect_codes=defects,
            hours_worked=Decimal(20),
        )
        for worker_id, rejected, defects in ((first, 2, ("LOOSE_THREAD", "STAIN")), (second, 1, ("DROPPED_STITCH",)))
    ]
    rework = plan_rework(assignment.model_copy(update={"qc_rows": rows}))
    assert rework is not None
    group = sample_reference.group(CUSCO)
    # When its papers are written
    mail = _papers_mail(rework, sample_reference)
    # Then the subject says rework in Spanish, and the mail names each maker's units and defects in her words
    assert mail.subject == "Telar: REPROCESO para Taller Cusco — pedido PO-7, ronda 1"
    names = {m.worker_id: m.first_name for m in sample_reference.makers}
    assert (
        f"- {names[first]} ({first}): 2 × Bufanda de alpaca tejida, rechazadas por: Hilo suelto, Mancha\n" in mail.text
    )
    assert f"- {names[second]} ({second}): 1 × Bufanda de alpaca tejida, rechazadas por: Punto caído\n" in mail.text
    # And the work sheet says rework in its title and the defects on each maker's row
    ws = load_workbook(BytesIO(write_worksheet(order, rework, group, sample_reference))).active
    assert ws["A1"].value == "Hoja de trabajo — REPROCESO, ronda 1 — Taller Cusco"
    texts = {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert {"Rechazadas por: Hilo suelto, Mancha", "Rechazadas por: Punto caído"} <= texts


def test_the_rework_stage_mails_papers_whose_subject_says_rework(ports: Ports) -> None:
    # Given a sample order whose first assignment is signed off with a reject on every row
    _order_id, assignment_ids = plan_sample_order(ports)
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=1), "rejects.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    signed_off = ports.assignments.get_assignment(assignment_ids[0])
    assert signed_off is not None
    group = ports.reference.load_reference().group(signed_off.group_id)
    first_papers = [m.message for m in sent_mails(ports) if group.manager_email in str(m.message["To"])]
    before = len(sent_mails(ports))
    # When the rework stage starts the next round
    assert start_rework(ports, assignment_ids[0])["rework"] is True
    # Then its manager's mail says rework in her language, unlike her first papers, and names what to fix
    (mail,) = [m.message for m in sent_mails(ports)[before:] if group.manager_email in str(m.message["To"])]
    word = {"es": "REPROCESO", "th": "REWORK", "en": "REWORK"}[group.language]
    assert word in str(mail["Subject"])
    assert first_papers and not any(word in str(m["Subject"]) for m in first_papers)
    makers = {w for r in signed_off.qc_rows if r.rejected for w in [r.worker_id]}
    assert all(f"({w}): " in _text(mail) for w in makers)


def test_the_office_s_note_is_on_her_work_sheet_and_in_her_work_mail_in_her_language(ports: Ports) -> None:
    # Given the sample groups: Cusco's note in Spanish, Chiang Mai's in Thai (both with English), Ayacucho none
    _order_id, _assignment_ids = plan_sample_order(ports)
    mails = {m.to[0]: m for m in sent_mails(ports)}  # each manager's work mail (and the buyer's confirmation)
    ref = ports.reference.load_reference()
    notes = {
        "pe-cusco": (
            "Nota de la oficina",
            "Los materiales se recogen en la oficina de Cusco los lunes; traiga esta hoja.",
        ),
        "th-chiangmai": ("หมายเหตุจากสำนักงาน", "ชิ้นงานที่เสร็จแล้วใส่กลับในถุงสีน้ำเงิน กรุณานับจำนวนก่อนวันเยี่ยม"),
        "pe-ayacucho": None,
    }
    for group_id, expected in notes.items():
        mail = mails[str(ref.group(group_id).manager_email)]
        [sheet] = [a for a in mail.attachments if a.filename.startswith("worksheet")]
        ws = load_workbook(BytesIO(sheet.content)).worksheets[0]
        texts = [c.value for row in ws.iter_rows(max_row=12) for c in row if isinstance(c.value, str)]
        if expected is None:  # no note: no line for one, on the sheet or in the mail
            assert not any("oficina" in t.casefold() or "office" in t.casefold() for t in texts), texts
            assert "Nota de la oficina" not in mail.text
            continue
        label, note = expected
        # Then her work sheet carries it under the assignment's facts, and the mail says it, in her language
        assert texts[texts.index(label) + 1] == note
        assert f"{label}: {note}\n" in mail.text
