"""SES raw e-mail: text, its HTML alternative, attachments."""

import email.policy
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage

from telar.adapters.aws import client
from telar.mail_thread import MailThread


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str  # "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTML = "text/html; charset=utf-8"


@dataclass(frozen=True)
class OutgoingMail:
    """One e-mail to send: ``reply_to`` where a reply should go (the inbound address), ``thread`` to answer a
    received message in its conversation (In-Reply-To, References, "Re: " subject)."""

    to: list[str]
    subject: str
    text: str
    html: str | None = None  # the same words as HTML: sent beside the text, which mail programs fall back to
    attachments: tuple[Attachment, ...] = ()
    reply_to: str | None = None
    thread: MailThread | None = None


def header_text(text: str, limit: int = 200) -> str:
    """One line for a mail header: every control character and line break becomes a space, runs of spaces one.

    Subjects carry user text (a buyer's reference, a group's name from the reference workbook); a CR or LF in
    a header is refused by the e-mail library, and would be header injection if it were not.
    """
    flat = "".join(" " if unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} else ch for ch in text)
    return " ".join(flat.split())[:limit]


# Headers are not folded at 78 characters: Python's folding of a header that mixes plain and encoded words (a
# Spanish or Thai subject) drops the space between two encoded words and doubles another, so "producción — ord"
# arrived as "producción— ord". Unfolded, each header is one line (SMTP allows 998); the body is encoded as before.
_SEND_POLICY = email.policy.SMTP.clone(max_line_length=998)


def raw(message: EmailMessage) -> bytes:
    """The bytes SES is given for ``message``."""
    return message.as_bytes(policy=_SEND_POLICY)


class Mailer:
    def __init__(self, sender: str):
        self.sender = sender

    def send(self, mail: OutgoingMail) -> str:
        """Send one e-mail; its message id."""
        return self.deliver(mail.to, self.message(mail))

    def deliver(self, to: list[str], message: EmailMessage) -> str:
        """Hand the built message to SES; its message id."""
        reply = client("ses").send_raw_email(Source=self.sender, Destinations=to, RawMessage={"Data": raw(message)})
        return str(reply["MessageId"])

    def message(self, mail: OutgoingMail) -> EmailMessage:
        """The message as sent (the in-memory mailer of the tests keeps it)."""
        thread = mail.thread
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(mail.to)
        message["Subject"] = header_text(thread.reply_subject if thread else mail.subject)
        # RFC 3834: a program wrote this; well-behaved auto-responders (and Telar's inbound stage) never answer it
        message["Auto-Submitted"] = "auto-replied" if thread else "auto-generated"
        if mail.reply_to:
            message["Reply-To"] = mail.reply_to
        if thread and thread.message_id:
            message["In-Reply-To"] = thread.message_id
        if thread and thread.references:
            message["References"] = " ".join(thread.references)
        message.set_content(mail.text)
        if mail.html:  # multipart/alternative, text first: a reader shows the last part it can
            message.add_alternative(mail.html, subtype="html")
        for a in mail.attachments:
            maintype, subtype = a.mime_type.split("/", 1)
            message.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
        return message
