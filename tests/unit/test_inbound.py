"""Received e-mail read defensively (telar.inbound): verdicts, automatic mail, senders, limits, hostile MIME."""

import random
from email.message import EmailMessage

import pytest

from local.s3_limits import user_metadata_bytes
from telar import inbound
from telar.inbound import (
    MAX_ATTACHMENT_BYTES,
    MAX_PART_OPENERS,
    MAX_PARTS,
    MAX_SPREADSHEETS,
    XLSX_TYPE,
    read_body,
    read_envelope,
)
from telar.mail_thread import MailThread, thread_from_metadata, thread_metadata
from telar.sheets.reading import MAX_UPLOAD_BYTES

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SES_PASS = (
    b"Return-Path: <luz@example.org>\r\n"
    b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
    b"Authentication-Results: amazonses.com; spf=pass (spfCheck: ok) client-ip=1.2.3.4; dkim=pass header.i=@x;"
    b" dmarc=pass header.from=example.org;\r\n"
)
OWN = {"telar@example.org", "sheets@inbound.example.org"}


def _mail(sender: str = "Luz <luz@example.org>", attachments: int = 1, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "sheets@inbound.example.org"
    message["Subject"] = headers.pop("Subject", "Re: Telar: new work")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@example.org>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("the sheet\n")
    for i in range(attachments):
        message.add_attachment(b"PK\x03\x04sheet", maintype=XLSX[0], subtype=XLSX[1], filename=f"qc-{i}.xlsx")
    return message


def _stored(message: EmailMessage | bytes, ses: bytes = SES_PASS) -> bytes:
    return ses + (message if isinstance(message, bytes) else message.as_bytes())


# ---------------------------------------------------------------- SES's verdicts
def test_a_person_s_mail_that_passed_every_check_is_read() -> None:
    envelope = read_envelope(_stored(_mail()), OWN)
    assert envelope.verdicts.refusal() is None
    assert (envelope.sender, envelope.message_id, envelope.automatic) == ("luz@example.org", "<m1@example.org>", None)


@pytest.mark.parametrize(
    ("ses", "reason"),
    [
        (SES_PASS.replace(b"Virus-Verdict: PASS", b"Virus-Verdict: FAIL"), "virus verdict fail"),
        (b"X-SES-Spam-Verdict: PASS\r\n", "virus verdict missing"),
        (SES_PASS.replace(b"dmarc=pass", b"dmarc=fail (p=REJECT)"), "DMARC failed"),
    ],
)
def test_a_virus_a_message_never_scanned_and_a_spoofed_domain_with_a_policy_are_dropped(
    ses: bytes, reason: str
) -> None:
    refusal = read_envelope(_stored(_mail(), ses), OWN).verdicts.refusal()
    assert refusal is not None and refusal.startswith(reason)


def test_failed_spf_and_dkim_of_a_domain_without_a_policy_are_judged_by_the_sender_alone() -> None:
    ses = (
        SES_PASS.replace(b"spf=pass", b"spf=fail")
        .replace(b"dkim=pass", b"dkim=fail")
        .replace(b"dmarc=pass", b"dmarc=none")
    )
    assert read_envelope(_stored(_mail(), ses), OWN).verdicts.refusal() is None


def test_verdicts_written_by_the_sender_below_ses_s_own_do_not_count() -> None:
    # Given a virus whose sender wrote "PASS" verdicts into her own headers, below the ones SES put on top
    forged = _mail(X_SES_Virus_Verdict="PASS", Authentication_Results="amazonses.com; dmarc=pass")
    ses = SES_PASS.replace(b"Virus-Verdict: PASS", b"Virus-Verdict: FAIL").replace(b"dmarc=pass", b"dmarc=fail")
    verdicts = read_envelope(_stored(forged, ses), OWN).verdicts
    assert (verdicts.virus, verdicts.dmarc) == ("fail", "fail")


# ---------------------------------------------------------------- automatic mail is never answered
@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("Luz <luz@example.org>", {"Auto_Submitted": "auto-replied"}),
        ("Luz <luz@example.org>", {"Precedence": "bulk"}),
        ("Luz <luz@example.org>", {"Precedence": "junk"}),
        ("Luz <luz@example.org>", {"List_Id": "<workshops.example.org>"}),
        ("Luz <luz@example.org>", {"X_Autoreply": "yes"}),
        ("Mail Delivery System <MAILER-DAEMON@example.org>", {}),
        ("Telar <telar@example.org>", {}),
        ("sheets@inbound.example.org", {}),
    ],
)
def test_auto_replies_lists_bounces_and_telar_s_own_mail_are_automatic(sender: str, headers: dict[str, str]) -> None:
    assert read_envelope(_stored(_mail(sender, **headers)), OWN).automatic is not None


def test_an_empty_return_path_is_a_bounce_and_auto_submitted_no_is_a_person() -> None:
    bounce = SES_PASS.replace(b"Return-Path: <luz@example.org>", b"Return-Path: <>")
    assert read_envelope(_stored(_mail(), bounce), OWN).automatic == "a bounce (empty Return-Path)"
    assert read_envelope(_stored(_mail(Auto_Submitted="no")), OWN).automatic is None


# ---------------------------------------------------------------- the sender and the thread
@pytest.mark.parametrize(
    "sender", ["luz@example.org, ana@example.org", "not an address", "Luz <luz@example.org>\r\n\tBcc: x@evil.example"]
)
def test_no_single_readable_from_address_is_no_sender(sender: str) -> None:
    raw = SES_PASS + f"From: {sender}\r\nSubject: x\r\n\r\nbody\r\n".encode()
    envelope = read_envelope(raw, OWN)
    assert envelope.sender is None and envelope.thread() is None  # a stranger: nobody to answer


def test_header_injection_in_the_subject_and_message_ids_never_reaches_the_reply() -> None:
    # Given a subject and ids that try to add headers to Telar's reply
    raw = SES_PASS + (
        b"From: luz@example.org\r\nSubject: =?utf-8?q?hola=0D=0ABcc=3A_all=40example=2Eorg?=\r\n"
        b"Message-ID: <ok@example.org>\r\nReferences: <a@x> <b@x>\r\n\tBcc: evil@example.org <bad id>\r\n\r\nbody\r\n"
    )
    thread = read_envelope(raw, OWN).thread()
    assert thread is not None
    # Then the reply's subject is one line, and only well-formed ids are carried
    assert "\r" not in thread.reply_subject and "\n" not in thread.reply_subject
    assert thread.reply_subject == "Re: hola Bcc: all@example.org"
    assert thread.references == ("<a@x>", "<b@x>", "<ok@example.org>")


def test_a_reply_s_subject_is_not_prefixed_twice() -> None:
    assert MailThread("a@x.org", None, (), "RE: papers").reply_subject == "RE: papers"
    assert MailThread("a@x.org", None, (), "papers").reply_subject == "Re: papers"


def test_the_thread_travels_in_s3_metadata_as_ascii_and_comes_back_whole() -> None:
    thread = MailThread("luz@example.org", "<m1@x>", ("<p@x>", "<m1@x>"), "Re: Telar: nuevo trabajo — Cusco ñ")
    metadata = thread_metadata(thread)
    assert all(value.isascii() for value in metadata.values())
    assert thread_from_metadata(metadata) == thread
    assert thread_from_metadata({}) is None  # an upload made any other way
    assert thread_from_metadata({"telar-mail-from": "luz%40x.org%0D%0ABcc%3A%20y"}) is None


# ---------------------------------------------------------------- the body: limits and hostile MIME
def test_attachments_are_numbered_in_order_with_their_names() -> None:
    body = read_body(_stored(_mail(attachments=2)))
    assert body.problem is None
    assert [(a.index, a.filename, a.is_spreadsheet) for a in body.attachments] == [
        (1, "qc-0.xlsx", True),
        (2, "qc-1.xlsx", True),
    ]


def test_twenty_spreadsheets_in_one_mail_are_refused_as_a_whole() -> None:
    body = read_body(_stored(_mail(attachments=20)))
    assert body.problem == f"it has 20 spreadsheets; send at most {MAX_SPREADSHEETS} per e-mail"


def test_too_many_parts_are_refused_before_any_is_decoded() -> None:
    message = _mail(attachments=0)
    for i in range(45):
        message.add_attachment(f"note {i}", filename=f"n{i}.txt")
    assert (read_body(_stored(message)).problem or "").startswith("it has 47 parts")


def test_a_flood_of_parts_is_counted_and_refused_before_the_parser_allocates_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 400,000 empty parts in 4 MB: the parser took 24 s and 150 MB to list them
    raw = SES_PASS + (
        b"From: luz@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        + b"--b\r\n\r\nx\r\n" * 400_000
        + b"--b--\r\n"
    )
    monkeypatch.setattr(inbound, "BytesParser", None)  # parsing it would raise: it must not be parsed
    assert read_body(raw).problem == f"it has 400001 parts; Telar reads e-mails of at most {MAX_PARTS}"


@pytest.mark.parametrize("depth", [300, MAX_PART_OPENERS, 5_000])
@pytest.mark.parametrize("container", ["multipart", "message"])
def test_parts_nested_deep_are_refused_not_a_crash(depth: int, container: str) -> None:
    # The parser recurses into nested parts: a few thousand deep overflowed the stack (RecursionError)
    raw = b"hello\r\n"
    for level in range(depth):
        if container == "multipart":
            b = b"b%d" % level
            raw = b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + raw
            raw += b"\r\n--" + b + b"--\r\n"
        else:
            raw = b"Content-Type: message/rfc822\r\n\r\nFrom: luz@example.org\r\n" + raw
    problem = read_body(SES_PASS + b"From: luz@example.org\r\nMIME-Version: 1.0\r\n" + raw).problem
    assert problem is not None and problem.startswith(("it has", "its structure (MIME) is damaged"))


def test_damaged_mime_is_refused_with_a_reason_not_a_crash() -> None:
    raw = SES_PASS + (
        b"From: luz@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="never-used"\r\n\r\n'
        b"--wrong\r\nContent-Type: application/octet-stream\r\n\r\nPK\x03\x04\r\n"
    )
    assert read_body(raw).problem == "its structure (MIME) is damaged, so its attachments cannot be told apart"


def test_an_attachment_too_large_is_refused_unread_and_bad_base64_is_refused() -> None:
    message = _mail(attachments=0)
    message.add_attachment(
        b"x" * (MAX_ATTACHMENT_BYTES + 100_000), maintype=XLSX[0], subtype=XLSX[1], filename="big.xlsx"
    )
    [big] = read_body(_stored(message)).attachments
    assert big.content is None and (big.problem or "").startswith("it is larger than")
    raw = SES_PASS + (
        b"From: luz@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=q.xlsx\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n!!!not*base64@@@=\r\n--b--\r\n"
    )
    [bad] = read_body(raw).attachments
    assert (bad.filename, bad.content, bad.problem) == ("q.xlsx", None, "it could not be decoded")


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        (b'attachment; filename="../../etc/passwd.xlsx"', "passwd.xlsx"),
        (b'attachment; filename="C:\\\\Users\\\\luz\\\\QC.xlsx"', "QC.xlsx"),
        (b'attachment; filename="Hoja\xe1 QC\xff.xlsx"', None),  # raw latin-1 bytes: not UTF-8
        (b"attachment; filename*=iso-8859-1''Hoja%E1%20QC.xlsx", "Hoja\u00e1 QC.xlsx"),
        (b'attachment; filename="a\r\n b.xlsx"', "a b.xlsx"),
        (b"attachment", "attachment-1"),
    ],
)
def test_file_names_from_any_mail_program_become_safe_names(disposition: bytes, expected: str | None) -> None:
    raw = SES_PASS + (
        b"From: luz@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: " + disposition + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b--\r\n"
    )
    [attached] = read_body(raw).attachments
    assert attached.content == b"PK\x03\x04"
    assert "/" not in attached.filename and "\\" not in attached.filename and "\n" not in attached.filename
    assert attached.filename.isprintable() and len(attached.filename) <= 100
    if expected is not None:
        assert attached.filename == expected


def test_an_attachment_may_be_as_large_as_the_sheet_readers_read() -> None:
    assert MAX_ATTACHMENT_BYTES == MAX_UPLOAD_BYTES


@pytest.mark.parametrize(
    ("content_type", "disposition", "expected"),
    [
        (XLSX_TYPE, b'attachment; filename="Hoja de control"', "Hoja de control.xlsx"),  # a phone dropped it
        (XLSX_TYPE, b"attachment", "attachment-1.xlsx"),  # no name at all
        (XLSX_TYPE, b'attachment; filename="hoja.ods"', "hoja.ods"),  # a name that says otherwise is kept
        ("application/octet-stream", b'attachment; filename="Hoja de control"', "Hoja de control"),
    ],
)
def test_a_spreadsheet_without_its_extension_is_known_by_its_type(
    content_type: str, disposition: bytes, expected: str
) -> None:
    raw = SES_PASS + (
        b"From: luz@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
        b"--b\r\nContent-Type: " + content_type.encode() + b"\r\nContent-Disposition: " + disposition + b"\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nUEsDBA==\r\n--b--\r\n"
    )
    [attached] = read_body(raw).attachments
    assert attached.filename == expected
    assert attached.is_spreadsheet == expected.endswith(".xlsx")


# ---------------------------------------------------------------- headers Python's e-mail package trips on
NUL_CHARSET = b"Content-Type: application/octet-stream; name*=ut\x00f-8''abc\r\n"  # ValueError when decoded


def test_a_message_id_the_e_mail_package_cannot_parse_is_no_message_id_not_a_crash() -> None:
    # "<" alone raised IndexError inside the e-mail package (found by fuzzing)
    raw = _stored(b"From: luz@example.org\r\nMessage-ID: <\r\nReferences: <@> <m0@example.org>\r\n\r\nhi\r\n")
    envelope = read_envelope(raw, OWN)
    assert (envelope.sender, envelope.message_id) == ("luz@example.org", None)
    assert "<m0@example.org>" in envelope.references
    assert envelope.verdicts.refusal() is None


def test_headers_that_stop_the_parser_leave_the_verdicts_and_no_sender_to_answer() -> None:
    envelope = read_envelope(_stored(b"From: luz@example.org\r\n" + NUL_CHARSET + b"\r\nhi\r\n"), OWN)
    assert envelope.sender is None and envelope.thread() is None  # no one to answer: a stranger
    assert envelope.verdicts.virus == "pass"


def test_a_part_whose_headers_stop_the_parser_is_damaged_mime_not_a_crash() -> None:
    raw = _stored(
        b"From: luz@example.org\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\n" + NUL_CHARSET + b"Content-Disposition: attachment\r\n\r\nUEsDBA==\r\n--b--\r\n"
    )
    assert read_body(raw).problem == "its structure (MIME) is damaged, so its attachments cannot be told apart"


def test_mangled_mail_never_raises() -> None:
    # Given a person's mail and a forwarded one, each mangled 2,000 times (bytes changed, cut, and tokens of MIME
    # and of encoded words put in); the seed is fixed, so a failure is the same every run
    forwarded = EmailMessage()
    forwarded["From"] = "luz@example.org"
    forwarded.set_content("forwarded")
    forwarded.add_attachment(_mail(Subject="Re: hoja ñ", References="<r1@example.org> <r2@example.org>"))
    seeds = [_stored(_mail(attachments=2)), _stored(forwarded)]
    tokens = [b"\r\n", b"--", b"=?utf-8?b?", b"?=", b"boundary=", b"\x00", b"\xff", b"filename*0*=", b"'", b'"',
              b"Content-Type: message/rfc822\r\n", b"<", b">", b"@", b"=\r\n", b"charset=x-unknown"]  # fmt: skip
    rng = random.Random(20261205)
    for _ in range(2_000):
        raw = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 8)):
            at = rng.randrange(len(raw) or 1)
            choice = rng.random()
            if choice < 0.3 and raw:
                raw[at] = rng.randrange(256)
            elif choice < 0.6:
                raw[at:at] = rng.choice(tokens)
            elif choice < 0.8:
                del raw[at : at + rng.randint(1, 50)]
            else:
                raw = raw[:at]
        # When it is read as the stage reads it, Then each part of the reading answers, whatever the bytes
        envelope = read_envelope(bytes(raw), OWN)
        thread = envelope.thread()
        if thread is not None:
            assert thread_from_metadata(thread_metadata(thread)) is not None
        body = read_body(bytes(raw))
        assert all(a.filename.isprintable() for a in body.attachments)


def test_the_thread_fits_in_s3_s_two_kilobytes_of_metadata_keeping_whom_and_what_to_answer() -> None:
    # Given the longest thread a message can bring: a 254-character address, 250-character message-ids full of
    # characters that escape, and a Thai subject (9 characters a letter once escaped)
    longest = MailThread(
        recipient=f"{'a' * 64}@{'b' * 185}.org",
        message_id="<" + "%" * 248 + ">",
        references=tuple(f"<{i}{'%' * 246}>" for i in range(10)),
        subject="ตอบกลับ " * 40,
    )
    metadata = thread_metadata(longest)
    # Then S3 would take it (it refuses over 2 KB, keys and values), and the reply still reaches her, threaded
    assert user_metadata_bytes({f"x-amz-meta-{k}": v for k, v in metadata.items()}) <= 2048
    back = thread_from_metadata(metadata)
    assert back is not None and (back.recipient, back.message_id) == (longest.recipient, longest.message_id)
    assert back.subject and longest.subject.startswith(back.subject)
    # And an everyday thread (Gmail's ids, a Thai subject) comes back whole
    everyday = MailThread(
        recipient="somchai@example.org",
        message_id="<CAB+x=1@mail.gmail.com>",
        references=tuple(f"<CAB{i}{'x' * 40}@mail.gmail.com>" for i in range(4)),
        subject="Re: งานใหม่สำหรับกลุ่มเชียงใหม่ 100%",
    )
    assert thread_from_metadata(thread_metadata(everyday)) == everyday
