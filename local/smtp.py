"""SES receiving, locally: an SMTP server on 127.0.0.1 that stores each message as a receipt rule's S3 action does.

Why an SMTP server: managers reply from a mail program, and a test sends with smtplib; both speak SMTP, as
they do to SES's inbound endpoint. What arrives goes through the template's own receipt rules
(local.provision reads them): a recipient no enabled rule names is refused (550, as SES refuses it), and the
message is written under the rule's ObjectKeyPrefix, named by a new message id, with the headers SES puts on
top (Return-Path, Received, the spam and virus verdicts when the rule scans, Authentication-Results). From
there S3 -> SQS -> the inbound Lambda runs exactly as on AWS.

Nothing is scanned or authenticated here (the sender is on the loopback): the virus and spam verdicts say
PASS, SPF ``pass`` and DKIM/DMARC ``none``. Tests of dropped verdicts write a message with SES's FAIL
headers straight to ``inbound/``, the same bytes SES would store.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import secrets
import string
from collections.abc import Sequence
from email.utils import formatdate
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from local.stack import ReceiptRule

log = logging.getLogger(__name__)

SES_MAX_MESSAGE_BYTES = 40 * 1024 * 1024  # SES receiving accepts messages up to 40 MB


def ses_message_id() -> str:
    """A new id in the shape of SES's (lower-case letters and digits), the stored object's name."""
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(40))


def ses_headers(mail_from: str, recipients: Sequence[str], peer: str, message_id: str, *, scan: bool) -> bytes:
    """The headers SES receiving writes above a message it stores."""
    lines = [
        f"Return-Path: <{mail_from}>",
        f"Received: from {peer} by inbound-smtp.local.telar with SMTP id {message_id} "
        f"for {', '.join(recipients)}; {formatdate(usegmt=True)}",
    ]
    if scan:
        lines += ["X-SES-Spam-Verdict: PASS", "X-SES-Virus-Verdict: PASS"]
    lines += [
        f"Received-SPF: pass (local: the loopback sender is trusted) envelope-from={mail_from};",
        f"Authentication-Results: amazonses.com; spf=pass (local) smtp.mailfrom={mail_from}; dkim=none; dmarc=none;",
    ]
    return "".join(f"{line}\r\n" for line in lines).encode("utf-8", "replace")


class _SesReceiving:
    """aiosmtpd handler: accepts the rules' recipients, stores each message once per rule."""

    def __init__(self, rules: Sequence[ReceiptRule], s3: Any) -> None:
        self._rules = list(rules)
        self._s3 = s3

    def _rule_for(self, address: str) -> ReceiptRule | None:
        address = address.lower()
        return next((r for r in self._rules if not r.recipients or address in r.recipients), None)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if self._rule_for(address) is None:
            return "550 5.1.1 Mailbox does not exist"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        rules = {id(r): r for r in (self._rule_for(a) for a in envelope.rcpt_tos) if r is not None}.values()
        peer = f"{session.host_name} ({session.peer[0] if session.peer else 'unknown'})"
        loop = asyncio.get_running_loop()
        for rule in rules:
            message_id = ses_message_id()
            data = ses_headers(envelope.mail_from or "", envelope.rcpt_tos, peer, message_id, scan=rule.scan) + content
            key = f"{rule.prefix}{message_id}"
            put = functools.partial(self._s3.put_object, Bucket=rule.bucket, Key=key, Body=data)
            await loop.run_in_executor(None, put)  # boto3 blocks: not on the SMTP server's event loop
            log.info("mail from %s stored at s3://%s/%s", envelope.mail_from, rule.bucket, key)
        return "250 Ok: queued"


class SmtpReceiver:
    """The SMTP server of the local cloud, on ``host``:``port``; start() and stop() it."""

    def __init__(self, rules: Sequence[ReceiptRule], s3: Any, *, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._controller = Controller(
            _SesReceiving(rules, s3), hostname=host, port=port, data_size_limit=SES_MAX_MESSAGE_BYTES
        )

    def start(self) -> None:
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every SMTP command at INFO
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
