"""The inbound mail stage against moto: who is answered, what is put where, once, and the thread carried on."""

import email
import email.policy
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from email.message import EmailMessage
from typing import Any, cast

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.ses.models import ses_backends

from local.manager import RowResult, fill_qc_sheet
from telar import messages, orders
from telar.inbound import MAX_MESSAGE_BYTES, MAX_SPREADSHEETS
from telar.models import AssignmentStatus, Buyer, OrderRequest
from telar.ports import Ports
from telar.rendering import translator
from telar.stages.attendance_upload import accept_attendance_upload
from telar.stages.await_qc import await_qc
from telar.stages.inbound_mail import handle_inbound_mail
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.reference_upload import accept_reference_upload
from telar.stages.split_work import split_work
from tests.attendance_sheets import fill_attendance
from tests.conftest import SAMPLES, import_sample_reference
from tests.pipeline import order_request

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SES = b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\nAuthentication-Results: amazonses.com; dmarc=none;\r\n"
INBOUND = "sheets@inbound.example.org"


@pytest.fixture
def ports(aws: Ports) -> Ports:
    return replace(aws, settings=aws.settings.model_copy(update={"inbound_address": INBOUND}))


@pytest.fixture
def waiting(ports: Ports) -> list[str]:
    """An order split among at least two groups, every assignment waiting for QC."""
    import_sample_reference(ports)
    buyer = Buyer(buyer_id="buyer-test", name="Test Buyer", email="buyer@example.org", language="es")
    ports.auth.put_buyer(buyer, "hash-of-key")
    request: OrderRequest = order_request()
    view = orders.submit_order(ports, buyer, request)
    assignment_ids = split_work(ports, view.order_id)
    for i, assignment_id in enumerate(assignment_ids):
        await_qc(ports, assignment_id, f"token-{i}")
    return assignment_ids


def _sent() -> list[EmailMessage]:
    return [
        cast(EmailMessage, email.message_from_string(m.raw_data, policy=email.policy.default))
        for m in ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sent_messages
    ]


def _manager(ports: Ports, assignment_id: str) -> str:
    a = ports.assignments.get_assignment(assignment_id)
    assert a is not None
    return str(ports.reference.load_reference().group(a.group_id).manager_email)


def _in_her_language(ports: Ports, assignment_id: str) -> Any:
    """The mail texts in the language of the assignment's group (``_(message, **values)``)."""
    a = ports.assignments.get_assignment(assignment_id)
    assert a is not None
    return translator(ports.reference.load_reference().group(a.group_id).language)


def _filled(ports: Ports, assignment_id: str) -> bytes:
    a = ports.assignments.get_assignment(assignment_id)
    assert a is not None and a.qc_template_key
    return fill_qc_sheet(
        ports.artifacts.get(a.qc_template_key),
        "Rosa",
        datetime.now(UTC).date(),
        lambda worker_id, sku, planned: RowResult(planned, 0, "", Decimal(planned)),
    )


def _message(sender: str, name: str = "m1", **headers: str) -> EmailMessage:
    """A reply to Telar's e-mail, without attachments; ``headers`` (Subject, References...) as given."""
    message = EmailMessage()
    message["From"], message["To"] = sender, INBOUND
    message["Subject"] = headers.pop("Subject", "Re: Telar: new work")
    message["Message-ID"] = f"<{name}@example.org>"
    for header, value in headers.items():
        message[header] = value
    message.set_content("the sheets\n")
    return message


def _stored(ports: Ports, message: EmailMessage, name: str = "m1", padding: bytes = b"") -> str:
    """The message as SES receiving stores it under inbound/ (its verdicts on top)."""
    return ports.uploads.put(f"inbound/{name}", SES + message.as_bytes() + padding, "message/rfc822").key


def _receive(
    ports: Ports, sender: str, sheets: dict[str, bytes], name: str = "m1", padding: bytes = b"", **headers: str
) -> str:
    message = _message(sender, name, **headers)
    for filename, data in sheets.items():
        message.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=filename)
    return _stored(ports, message, name, padding)


def _keys(ports: Ports, prefix: str) -> list[str]:
    from telar.adapters.aws import client

    listed = client("s3").list_object_versions(Bucket=ports.settings.uploads_bucket, Prefix=prefix)
    return [v["Key"] for v in listed.get("Versions", [])]


def test_a_manager_s_sheet_is_put_once_for_qc_and_answered_in_her_thread(ports: Ports, waiting: list[str]) -> None:
    # Given a manager's reply with her filled QC sheet (and her signature's logo)
    manager = _manager(ports, waiting[0])
    key = _receive(ports, manager, {"QC Cusco ñ.xlsx": _filled(ports, waiting[0]), "logo.png": b"\x89PNG"})
    sent_before = len(_sent())
    # When the stage reads it, twice (SQS delivers at least once)
    assert handle_inbound_mail(ports, key, None) == handle_inbound_mail(ports, key, None) == "read"
    # Then the sheet is under qc/mail/ once (one version: its stage runs once), naming the sender and the message
    [put] = _keys(ports, "qc/mail/")
    assert put == "qc/mail/m1/1-QC Cusco ñ.xlsx"
    _, metadata = ports.uploads.describe(put)
    assert metadata["telar-mail-from"] == manager
    # And no reply yet: the QC stage answers (nothing was refused)
    assert len(_sent()) == sent_before
    # When the QC stage reads it
    assert accept_qc_upload(ports, put, None) == "accepted"
    # Then the receipt goes to her, threaded, with Reply-To the inbound address
    receipt = _sent()[-1]
    assert receipt["To"] == manager and receipt["In-Reply-To"] == "<m1@example.org>"
    assert receipt["Subject"] == "Re: Telar: new work" and receipt["Reply-To"] == INBOUND
    text = receipt.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _in_her_language(ports, waiting[0])("The makers' pay for the passed units is in the next pay run.") in text
    a = ports.assignments.get_assignment(waiting[0])
    assert a is not None and a.status == AssignmentStatus.QC_DONE


def test_a_sheet_of_a_group_she_does_not_manage_is_refused_with_a_reply(ports: Ports, waiting: list[str]) -> None:
    # Given two groups' managers, and one sends the other's sheet with hers and one saved in LibreOffice's format
    mine, theirs = waiting[0], next(a for a in waiting if _manager(ports, a) != _manager(ports, waiting[0]))
    manager = _manager(ports, mine)
    sheets = {"hers.xlsx": _filled(ports, theirs), "mine.xlsx": _filled(ports, mine), "old.ods": b"PK"}
    key = _receive(ports, manager, sheets)
    # When the stage reads it
    handle_inbound_mail(ports, key, None)
    # Then only hers is put, and one reply says which was refused and why
    assert _keys(ports, "qc/mail/") == ["qc/mail/m1/2-mine.xlsx"]
    reply = _sent()[-1]
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert reply["To"] == manager and reply["In-Reply-To"] == "<m1@example.org>"
    # in her language, the reasons too (she manages a Spanish-speaking group)
    say = _in_her_language(ports, mine)
    assert say("Hello,") != "Hello,"
    assert f"hers.xlsx: {say('not taken: %(reason)s.', reason=messages.NOT_YOUR_GROUP(assignment=theirs))}" in text
    assert f"mine.xlsx: {say(messages.RECEIVED())}." in text
    assert f"old.ods: {say('not taken: %(reason)s.', reason=messages.NOT_XLSX_SAVE_AS())}" in text
    assert "belongs to a group you do not manage" not in text and "received;" not in text


def test_outlook_s_winmail_dat_is_answered_with_how_to_send_the_sheet_in_her_language(
    ports: Ports, waiting: list[str]
) -> None:
    # Given a manager's reply from Outlook in rich text: her sheet is packed inside winmail.dat
    manager = _manager(ports, waiting[0])
    message = _message(manager)
    message.add_attachment(b"\x78\x9f\x3e\x22tnef", maintype="application", subtype="ms-tnef", filename="winmail.dat")
    key = _stored(ports, message)
    # When the stage reads it
    assert handle_inbound_mail(ports, key, None) == "read"
    # Then nothing is put, and she is told, in her language and her thread, how to send it so it can be read
    assert _keys(ports, "qc/mail/") == []
    reply = _sent()[-1]
    assert reply["To"] == manager and reply["In-Reply-To"] == "<m1@example.org>"
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    say = _in_her_language(ports, waiting[0])
    assert f"winmail.dat: {say('not taken: %(reason)s.', reason=messages.WINMAIL_DAT())}" in text
    assert "Outlook" in text and say(messages.WINMAIL_DAT()) != str(messages.WINMAIL_DAT())


def test_a_long_thai_subject_and_a_long_thread_still_fit_the_sheet_s_metadata_and_are_answered(
    ports: Ports, waiting: list[str]
) -> None:
    # Given a manager's reply deep in a thread: ten long message-ids (a list server's, with "=" and "+", which
    # escaped to three characters each) and a Thai subject of 120 letters (nine each): over S3's 2 KB of metadata
    # as they were escaped before, which S3 refuses (and the moto fixture now does too)
    manager = _manager(ports, waiting[0])
    references = " ".join(f"<{i}{'ab=+' * 45}@lists.example.org>" for i in range(10))
    subject = "Re: " + "งานใหม่สำหรับกลุ่มเชียงใหม่ " * 5
    key = _receive(ports, manager, {"qc.xlsx": _filled(ports, waiting[0])}, Subject=subject, References=references)
    # When the stage reads it, Then the sheet is put with its thread, and its stage answers in that thread
    assert handle_inbound_mail(ports, key, None) == "read"
    [put] = _keys(ports, "qc/mail/")
    assert accept_qc_upload(ports, put, None) == "accepted"
    receipt = _sent()[-1]
    assert receipt["To"] == manager and receipt["In-Reply-To"] == "<m1@example.org>"
    assert str(receipt["Subject"]).startswith("Re: งานใหม่สำหรับกลุ่มเชียงใหม่")


def test_a_mailed_sheet_too_damaged_to_name_its_assignment_is_answered_to_her_alone_in_her_language(
    ports: Ports, waiting: list[str]
) -> None:
    # Given a manager's reply whose .xlsx is no workbook at all (so it names no assignment, and no group)
    manager = _manager(ports, waiting[0])
    key = _receive(ports, manager, {"control calidad.xlsx": b"PK\x03\x04 not really a workbook"})
    handle_inbound_mail(ports, key, None)
    [put] = _keys(ports, "qc/mail/")
    sent_before = len(_sent())
    # When the QC stage reads it
    assert accept_qc_upload(ports, put, None) == "rejected"
    # Then the report goes to her alone (the office cannot mend her file), in her thread and in her language
    [report] = _sent()[sent_before:]
    assert report["To"] == manager and report["In-Reply-To"] == "<m1@example.org>"
    text = report.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    say = _in_her_language(ports, waiting[0])
    assert say(messages.WORKBOOK()) != "workbook" and f"- {say(messages.WORKBOOK())}: " in text


def test_a_30_mb_mail_is_refused_by_its_size_alone_with_a_reply(ports: Ports, waiting: list[str]) -> None:
    # Given a manager's mail of 30 MB
    manager = _manager(ports, waiting[0])
    key = _receive(ports, manager, {"qc.xlsx": b"PK"}, padding=b"x" * 30_000_000)
    # When the stage reads it; Then it is refused with a reply saying how large it is, and nothing is put
    assert handle_inbound_mail(ports, key, None) == "refused"
    assert _keys(ports, "qc/mail/") == []
    text = _sent()[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    too_large = messages.MESSAGE_TOO_LARGE(mb="30", limit=MAX_MESSAGE_BYTES // 1_000_000)
    assert too_large == f"it is 30 MB; Telar reads e-mails of at most {MAX_MESSAGE_BYTES // 1_000_000} MB"
    assert _in_her_language(ports, waiting[0])(too_large) in text and too_large not in text


def test_a_mail_with_twenty_sheets_is_refused_as_a_whole_with_a_reply_in_her_language(
    ports: Ports, waiting: list[str]
) -> None:
    # Given a manager's mail with twenty copies of her filled sheet
    manager, sheet = _manager(ports, waiting[0]), _filled(ports, waiting[0])
    key = _receive(ports, manager, {f"qc-{i}.xlsx": sheet for i in range(20)})
    # When the stage reads it; Then nothing is put, nothing recorded, and she is told why in her language
    assert handle_inbound_mail(ports, key, None) == "refused"
    assert _keys(ports, "qc/") == []
    reply = _sent()[-1]
    assert reply["To"] == manager and reply["In-Reply-To"] == "<m1@example.org>"
    text = reply.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    why = messages.TOO_MANY_SPREADSHEETS(count=20, limit=MAX_SPREADSHEETS)
    assert _in_her_language(ports, waiting[0])(why) in text
    a = ports.assignments.get_assignment(waiting[0])
    assert a is not None and a.status == AssignmentStatus.AWAITING_QC


def test_a_mail_with_damaged_mime_is_refused_with_a_reply_not_a_crash(ports: Ports, waiting: list[str]) -> None:
    # Given a manager's mail whose multipart boundary is never used (parts cannot be told apart)
    manager = _manager(ports, waiting[0])
    raw = (
        SES
        + (
            f"From: {manager}\r\nTo: {INBOUND}\r\nSubject: Re: Telar: new work\r\nMessage-ID: <m1@example.org>\r\n"
            'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="never-used"\r\n\r\n'
            "--wrong\r\nContent-Type: application/octet-stream\r\n\r\nPK\r\n"
        ).encode()
    )
    key = ports.uploads.put("inbound/m1", raw, "message/rfc822").key
    # When the stage reads it; Then it is refused with a reply saying so, in her language, and nothing is put
    assert handle_inbound_mail(ports, key, None) == "refused"
    assert _keys(ports, "qc/") == []
    text = _sent()[-1].get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert _in_her_language(ports, waiting[0])(messages.MIME_DAMAGED()) in text


def test_strangers_and_automatic_mail_change_nothing_and_get_no_reply(ports: Ports, waiting: list[str]) -> None:
    sheet = _filled(ports, waiting[0])
    sent_before = len(_sent())
    stranger = _receive(ports, "someone@elsewhere.example", {"qc.xlsx": sheet}, name="s")
    auto_reply = {"Subject": "Out of office", "Auto-Submitted": "auto-replied"}
    auto = _receive(ports, _manager(ports, waiting[0]), {"qc.xlsx": sheet}, name="a", **auto_reply)
    assert handle_inbound_mail(ports, stranger, None) == "stranger"
    assert handle_inbound_mail(ports, auto, None) == "automatic"
    assert _keys(ports, "qc/") == [] and len(_sent()) == sent_before


def test_the_office_sends_reference_workbooks(ports: Ports) -> None:
    # Given the office replying with the reference workbook
    import_sample_reference(ports)
    office = ports.settings.finance_recipients[0]
    key = _receive(ports, office, {"reference.xlsx": (SAMPLES / "reference.xlsx").read_bytes()})
    # When the stage reads it; Then it is put for the reference stage, and the office gets no reply yet
    handle_inbound_mail(ports, key, None)
    [put] = _keys(ports, "reference/")
    assert put == "reference/mail/m1/1-reference.xlsx"
    # And the reference stage's receipt answers her in her thread, the rest of the office copied
    assert accept_reference_upload(ports, put, None) in ("applied", "unchanged")
    # (the managers' contact sheets of the new version follow it, each in a mail of its own)
    [receipt] = [m for m in _sent() if m["In-Reply-To"] == "<m1@example.org>"]
    assert receipt["Subject"] == "Re: Telar: new work"
    assert [a.strip() for a in receipt["To"].split(",")] == ports.settings.finance_recipients


def test_a_manager_s_attendance_sheet_is_put_for_its_stage_and_another_group_s_is_refused(ports: Ports) -> None:
    # Given Cusco's manager replying with her group's attendance sheet for November
    import_sample_reference(ports)
    ref = ports.reference.load_reference()
    sheet = fill_attendance(ref, "pe-cusco", "2026-11", {("CUS-01", date(2026, 11, 2)): {"Training": 2}})
    cusco, ayacucho = (str(ref.group(g).manager_email) for g in ("pe-cusco", "pe-ayacucho"))
    key = _receive(ports, cusco, {"asistencia noviembre.xlsx": sheet})
    # When the stage reads it; Then it is put under attendance/mail/ for the attendance stage
    assert handle_inbound_mail(ports, key, None) == "read"
    [put] = _keys(ports, "attendance/")
    assert put == "attendance/mail/m1/1-asistencia noviembre.xlsx"
    # And the attendance stage's receipt answers her in her thread
    assert accept_attendance_upload(ports, put, None) == "accepted"
    receipt = _sent()[-1]
    assert receipt["In-Reply-To"] == "<m1@example.org>" and receipt["To"] == cusco
    # When Ayacucho's manager sends Cusco's sheet; Then it is not put, and she is told why, in Spanish
    other = _receive(ports, ayacucho, {"asistencia.xlsx": sheet}, name="m2")
    assert handle_inbound_mail(ports, other, None) == "read"
    assert _keys(ports, "attendance/") == [put]
    reply = _sent()[-1]
    assert reply["To"] == ayacucho
    assert (
        "la hoja de asistencia es del grupo pe-cusco, que usted no coordina" in reply.get_body(("plain",)).get_content()
    )
