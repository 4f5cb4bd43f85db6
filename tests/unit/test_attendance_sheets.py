"""The month's blank attendance sheets (issue 15): one per group with makers, kept and e-mailed to its manager once."""

from dataclasses import replace
from io import BytesIO

from openpyxl import load_workbook

from telar.models import PayPeriod
from telar.ports import Ports
from telar.rendering import render_mail
from telar.sheets.attendance_sheet import ATTENDANCE_SHEET
from telar.stages.attendance_sheets import send_attendance_sheets
from tests.factories import CHIANG_MAI, CUSCO, make_group, make_makers, make_reference
from tests.fakes import sent_mails

DECEMBER = PayPeriod(period="2026-12")


def test_each_manager_gets_her_groups_sheet_once_in_her_language(ports: Ports) -> None:
    # Given Cusco and Chiang Mai with makers, and a group with none; replies go to the inbound address
    ports = replace(ports, settings=ports.settings.model_copy(update={"inbound_address": "sheets@in.example.org"}))
    ref = make_reference(
        groups=[make_group(CUSCO), make_group(CHIANG_MAI), make_group("pe-empty")],
        makers=[*make_makers(CUSCO), *make_makers(CHIANG_MAI)],
    )
    ports.reference.put_reference(ref)
    # When the month's sheets are sent, twice (a retried run)
    first = send_attendance_sheets(ports, DECEMBER)
    again = send_attendance_sheets(ports, DECEMBER)
    # Then the two groups with makers each got one e-mail, with the sheet attached, inviting a reply
    assert first == again == {"month": "2026-12", "groups": [CUSCO, CHIANG_MAI]}
    mails = sent_mails(ports)
    assert sorted(m.to[0] for m in mails) == sorted(str(ref.group(g).manager_email) for g in (CUSCO, CHIANG_MAI))
    spanish = next(m for m in mails if m.to == [str(ref.group(CUSCO).manager_email)])
    assert spanish.subject == "Telar: hoja de asistencia de 2026-12 — Taller Cusco"
    assert spanish.message["Reply-To"] == "sheets@in.example.org"
    [sheet] = spanish.attachments
    assert sheet.filename == "attendance-pe-cusco-2026-12.xlsx"
    ws = load_workbook(BytesIO(sheet.content))[ATTENDANCE_SHEET]
    # her words first and bold, the contract's English label the reader finds small beside them, then the value
    assert [ws["A2"].value, ws["B2"].value, ws["C2"].value] == ["Código del grupo", "Group ID", CUSCO]
    assert ws["A2"].font.b and not ws["B2"].font.b and ws["B2"].font.sz < 11
    assert [ws["A3"].value, ws["B3"].value, ws["C3"].value] == ["Mes", "Month", "2026-12"]
    # And the sheet is kept where the office finds it
    assert ports.artifacts.get("attendance/2026-12/attendance-pe-cusco-2026-12.xlsx") == sheet.content


def test_the_sheet_mail_reads_in_english() -> None:
    mail = render_mail("attendance_sheet", group=make_group(CUSCO), month="2026-12")
    assert mail.subject == "Telar: attendance sheet for 2026-12 — Taller Cusco"
    assert "reply to this e-mail with the filled sheet attached" in mail.text
