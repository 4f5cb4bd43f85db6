"""local/smtp.py: SES receiving as the template's receipt rules define it, over real SMTP on the loopback."""

import smtplib
from email.message import EmailMessage
from typing import Any

import pytest

from local.cloud import free_port
from local.smtp import SmtpReceiver
from local.stack import ReceiptRule
from telar.inbound import read_envelope


class RecordingS3:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, **_: Any) -> dict[str, Any]:
        self.objects[(Bucket, Key)] = Body
        return {}


@pytest.fixture
def smtp() -> Any:
    s3 = RecordingS3()
    rule = ReceiptRule(recipients=("sheets@inbound.example.org",), bucket="uploads", prefix="inbound/", scan=True)
    receiver = SmtpReceiver([rule], s3, host="127.0.0.1", port=free_port())
    receiver.start()
    yield receiver, s3
    receiver.stop()


def _mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "luz@example.org", to, "Re: papers"
    message["Message-ID"] = "<m1@example.org>"
    message.set_content("sheet attached")
    return message


def test_mail_for_the_rule_s_recipient_is_stored_under_its_prefix_with_ses_s_headers_on_top(smtp: Any) -> None:
    receiver, s3 = smtp
    # When a mail program sends to the inbound address
    with smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client:
        client.send_message(_mail("Sheets <SHEETS@inbound.example.org>"))
    # Then it is stored once under inbound/, and reads as SES would have stored it: scanned, not refused
    [((bucket, key), raw)] = s3.objects.items()
    assert bucket == "uploads" and key.startswith("inbound/") and key.removeprefix("inbound/").isalnum()
    assert raw.startswith(b"Return-Path: <luz@example.org>\r\nReceived: from ")
    envelope = read_envelope(raw, set())
    assert envelope.verdicts.refusal() is None and envelope.verdicts.virus == "pass"
    assert (envelope.sender, envelope.message_id) == ("luz@example.org", "<m1@example.org>")


def test_a_recipient_no_rule_names_is_refused_as_ses_refuses_it(smtp: Any) -> None:
    receiver, s3 = smtp
    with (
        smtplib.SMTP(receiver.host, receiver.port, timeout=10) as client,
        pytest.raises(smtplib.SMTPRecipientsRefused) as refused,
    ):
        client.send_message(_mail("someone@inbound.example.org"))
    assert refused.value.recipients["someone@inbound.example.org"][0] == 550
    assert s3.objects == {}
