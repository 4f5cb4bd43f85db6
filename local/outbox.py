"""Every e-mail Telar sends, copied to an outbox folder as an .eml file a person can open.

Why read moto's SES backend: it is where every send lands (SES v1 SendEmail/SendRawEmail and SES v2
SendEmail, from any client in the process or outside it). A background thread collects new messages
every few tenths of a second, and an ``after-call`` hook on boto3's default session collects them
synchronously right after a send from this process, so the file exists when the handler returns.

File names sort by time and are unique: ``20250101T120000.123456Z-0001-payroll-ayacucho.eml``. A message with an
HTML alternative also has it beside, ``...-payroll-ayacucho.html``, to open in a browser; the .eml holds both.
"""

from __future__ import annotations

import email.policy
import logging
import re
import threading
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from moto.ses.models import Message, RawMessage, ses_backends

from local.files import write_atomically

log = logging.getLogger(__name__)

_SEND_EVENTS = (
    "after-call.ses.SendRawEmail",
    "after-call.ses.SendEmail",
    "after-call.ses.SendTemplatedEmail",
    "after-call.sesv2.SendEmail",
)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:48] or "message"


def as_eml(message: Any) -> bytes:
    """One message of moto's SES backend as RFC 5322 bytes."""
    if isinstance(message, RawMessage):
        raw = message.raw_data
        return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    mail = EmailMessage()
    mail["From"] = message.source
    mail["X-SES-Message-ID"] = getattr(message, "id", None) or ",".join(getattr(message, "ids", []))
    destinations = message.destinations if isinstance(message.destinations, dict) else {}
    for header, key in (("To", "ToAddresses"), ("Cc", "CcAddresses"), ("Bcc", "BccAddresses")):
        if destinations.get(key):
            mail[header] = ", ".join(destinations[key])
    if isinstance(message, Message):
        mail["Subject"] = message.subject
        body = message.body or ""
        mail.set_content(body, subtype="html" if "<html" in body.lower() else "plain")
    else:  # templated: moto keeps the template's name and data, not the rendered text
        mail["Subject"] = f"[template {message.template}]"
        mail.set_content(f"Template: {message.template}\nTemplate data: {message.template_data}\n")
    return mail.as_bytes()


class Outbox:
    """Copies new SES messages of one account and region into ``directory``."""

    def __init__(self, directory: Path, *, account_id: str, region: str, interval: float = 0.2) -> None:
        self.directory = directory
        self._account_id = account_id
        self._region = region
        self._interval = interval
        self._lock = threading.Lock()
        self._backend: Any = None
        self._seen = 0
        self._sequence = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ses-outbox", daemon=True)

    def start(self, *, clean: bool = True) -> None:
        """Create the folder (emptied of earlier messages unless ``clean`` is false) and start collecting."""
        self.directory.mkdir(parents=True, exist_ok=True)
        if clean:
            for old in [*self.directory.glob("*.eml"), *self.directory.glob("*.html")]:
                old.unlink()
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()
        self.flush()

    def install(self, session: Any) -> None:
        """Collect synchronously after every SES send made through this boto3 session."""
        for event in _SEND_EVENTS:
            session.events.register(event, self._after_send, unique_id=f"telar_local_outbox_{event}")

    def _after_send(self, **_: Any) -> None:
        self.flush()

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.flush()
            except Exception:
                log.exception("collecting SES messages failed")

    def flush(self) -> list[Path]:
        """Write every message sent since the last flush; return the new files."""
        with self._lock:
            backend = ses_backends[self._account_id][self._region]
            if backend is not self._backend:  # moto was reset: a new backend, a new list
                self._backend, self._seen = backend, 0
            messages = list(backend.sent_messages[self._seen :])
            self._seen += len(messages)
            return [self._write(message) for message in messages]

    def _write(self, message: Any) -> Path:
        data = as_eml(message)
        parsed = BytesParser(policy=email.policy.default).parsebytes(data)
        subject = parsed.get("Subject", "")
        self._sequence += 1
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{self._sequence:04d}-{_slug(str(subject))}.eml"
        if (html := parsed.get_body(("html",))) is not None:  # first: a reader of the .eml finds it there
            write_atomically(path.with_suffix(".html"), html.get_content(), replace=False)
        write_atomically(path, data, replace=False)  # a reader globbing *.eml never sees half a message
        log.info("e-mail %r -> %s", str(subject), path)
        return path
