"""Sheets come back by e-mail: a manager replies to her papers with the filled QC sheet attached (issue 13).

Everything goes the way it goes on AWS: smtplib -> the local SMTP server (SES receiving) -> inbound/ in S3 ->
SQS -> inbound_mail -> qc/mail/ -> SQS -> qc_upload -> a reply in her thread, in the outbox.
"""

import shutil
import smtplib
import subprocess
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.demo import Demo, client_options
from local.manager import RowResult, fill_qc_sheet
from telar import messages
from telar.models import ReferenceData
from telar.rendering import translator
from tests.conftest import SAMPLES
from tests.e2e.conftest import mails
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _all_passed(worker_id: str, sku: str, planned: int) -> RowResult:
    return RowResult(produced=planned, rejected=0, defect_codes="", hours_worked=Decimal(planned))


def _reply(served: dict[str, Any], sender: str, sheets: dict[str, bytes], **headers: str) -> str:
    """Send, as ``sender``, a reply with ``sheets`` attached to the inbound address; returns its Message-ID."""
    message = EmailMessage()
    message_id = make_msgid(domain=sender.split("@")[1])
    message["From"] = sender
    message["To"] = served["inbound_address"]
    message["Subject"] = headers.pop("Subject", "Re: Telar: new work")
    message["Message-ID"] = message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content("Here is the sheet.\n")
    for filename, data in sheets.items():
        message.add_attachment(data, maintype=XLSX[0], subtype=XLSX[1], filename=filename)
    with smtplib.SMTP(served["smtp"]["host"], served["smtp"]["port"], timeout=30) as smtp:
        smtp.send_message(message)
    return message_id


def _replies_to(outbox: Path, message_id: str) -> list[EmailMessage]:
    return [m for m in mails(outbox) if m["In-Reply-To"] == message_id]


def _text(message: EmailMessage) -> str:
    body = message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


def _inbound_queue_drained(served: dict[str, Any]) -> bool:
    url = served["stack_outputs"]["InboundMailQueueUrl"]
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    sqs = boto3.client("sqs", **client_options(served))
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return all(counts[n] == "0" for n in names)


def _resave_in_libreoffice(data: bytes, folder: Path) -> bytes:
    source = folder / "filled.xlsx"
    source.write_bytes(data)
    out = folder / "resaved"
    command = [
        "soffice",
        f"-env:UserInstallation={(folder / 'profile').as_uri()}",
        "--headless",
        "--convert-to",
        "xlsx:Calc MS Excel 2007 XML",
        "--outdir",
        str(out),
        str(source),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=240)
    return (out / "filled.xlsx").read_bytes()


def test_managers_reply_with_sheets_and_only_they_are_answered(served: dict[str, Any], tmp_path: Path) -> None:
    # Given an order waiting for QC from at least two groups, and the papers each manager was e-mailed
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    demo = Demo(served, ref, out_dir=tmp_path)
    # (an order of its own: the demo's idempotency key is the file's name, and other tests submit the samples)
    sample = tmp_path / "sheets-by-mail.json"
    sample.write_bytes(sorted((SAMPLES / "orders").glob("*.json"))[-1].read_bytes())
    [order_id] = demo.submit_orders([sample])
    [order] = demo.wait_for([order_id], demo.every_group_awaits_qc, "QC waits")
    groups = [g["group_id"] for g in order["groups"]]
    assert len(groups) >= 2, groups
    outbox = Path(served["outbox_dir"])
    first, second = (ref.group(g) for g in groups[:2])
    papers = wait_for(lambda: [m for m in mails(outbox, first.name) if any(order_id in f for f in _attachments(m))])
    assert papers[0]["Reply-To"] == served["inbound_address"]
    reply_with_the_sheet = (
        "When QC is done, reply to this e-mail with the filled QC sheet attached (or upload it from the "
        "assignment's page in the staff console)."
    )
    assert translator(first.language)(reply_with_the_sheet) in _text(papers[0])
    template = _attachments(papers[0])[f"qc-{order_id}-{first.group_id}.xlsx"]
    filled = fill_qc_sheet(template, first.manager_name, date.today(), _all_passed)
    other_key = f"orders/{order_id}/{second.group_id}/qc-{order_id}-{second.group_id}.xlsx"
    other_template = demo.s3.get_object(Bucket=served["artifacts_bucket"], Key=other_key)["Body"].read()
    other_filled = fill_qc_sheet(other_template, second.manager_name, date.today(), _all_passed)

    # When a stranger, an auto-responder and a sender whose DMARC or virus verdict failed send sheets
    stranger = _reply(served, "someone@elsewhere.example", {"qc.xlsx": other_filled})
    automatic = _reply(served, second.manager_email, {"qc.xlsx": other_filled}, Auto_Submitted="auto-replied")
    verdicts = {
        "virus": b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: FAIL\r\n"
        b"Authentication-Results: amazonses.com; spf=pass; dkim=pass; dmarc=pass;\r\n",
        "spoofed": b"X-SES-Spam-Verdict: PASS\r\nX-SES-Virus-Verdict: PASS\r\n"
        b"Authentication-Results: amazonses.com; spf=fail; dkim=fail; dmarc=fail (p=REJECT);\r\n",
    }
    dropped = []
    for name, ses_headers in verdicts.items():
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = second.manager_email, served["inbound_address"], name
        message["Message-ID"] = message_id = make_msgid()
        message.set_content("sheet")
        message.add_attachment(other_filled, maintype=XLSX[0], subtype=XLSX[1], filename="qc.xlsx")
        raw = b"Return-Path: <" + second.manager_email.encode() + b">\r\n" + ses_headers + message.as_bytes()
        demo.s3.put_object(Bucket=served["uploads_bucket"], Key=f"inbound/{name}{order_id[-8:]}", Body=raw)
        dropped.append(message_id)
    # And her manager sends the other group's sheet (not hers to send)
    refused = _reply(served, first.manager_email, {"not mine.xlsx": other_filled})

    # Then the sheet that is not hers is refused in a reply to her, in her thread, saying why
    [refusal] = wait_for(lambda: _replies_to(outbox, refused), timeout=60, what="the refusal")
    assert refusal["To"] == first.manager_email and refusal["Subject"].startswith("Re: ")
    assert refused in refusal["References"] and refusal["Auto-Submitted"] == "auto-replied"
    not_hers = messages.NOT_YOUR_GROUP(assignment=f"{order_id}-{second.group_id}")
    assert translator(first.language)(not_hers) in _text(refusal)
    # And the others changed nothing and got no reply: no backscatter, no robot conversation
    wait_for(lambda: _inbound_queue_drained(served), timeout=60, what="every received e-mail handled")
    for message_id in (stranger, automatic, *dropped):
        assert _replies_to(outbox, message_id) == []
    assert (second.group_id, 0) in demo.qc_awaited(order_id)

    # When the manager replies to her papers with her filled sheet
    accepted = _reply(
        served,
        first.manager_email,
        {"QC hecho.xlsx": filled},
        Subject=f"Re: {papers[0]['Subject']}",
        In_Reply_To="<papers@telar.example>",
        References="<papers@telar.example>",
    )
    # Then her assignment is accepted and the receipt reaches her in the same thread
    [receipt] = wait_for(lambda: _replies_to(outbox, accepted), timeout=60, what="the QC receipt")
    assert receipt["To"] == first.manager_email and receipt["Subject"] == f"Re: {papers[0]['Subject']}"
    assert receipt["References"].split() == ["<papers@telar.example>", accepted]
    pay_follows = "The makers' pay for the passed units is in the next pay run."
    assert translator(first.language)(pay_follows) in _text(receipt)
    stages = {g["group_id"]: g["stage"] for g in demo.order(order_id)["groups"]}
    assert stages[first.group_id] == "DONE"

    # When the second group's manager sends hers, re-saved by LibreOffice (where it is installed)
    if shutil.which("soffice"):
        other_filled = _resave_in_libreoffice(other_filled, tmp_path)
    hers = _reply(served, second.manager_email, {"qc.xlsx": other_filled})
    # Then it is accepted too, and answered to her
    [answer] = wait_for(lambda: _replies_to(outbox, hers), timeout=120, what="the second receipt")
    assert answer["To"] == second.manager_email and translator(second.language)(pay_follows) in _text(answer)
    stages = {g["group_id"]: g["stage"] for g in demo.order(order_id)["groups"]}
    assert stages[second.group_id] == "DONE"


def _attachments(message: EmailMessage) -> dict[str, bytes]:
    return {
        str(part.get_filename()): bytes(part.get_payload(decode=True))
        for part in message.iter_attachments()
        if part.get_filename()
    }
