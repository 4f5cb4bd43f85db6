"""SES raw e-mail with attachments."""

import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage

from telar.adapters.aws import client


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mime_type: str  # "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header_text(text: str, limit: int = 200) -> str:
    """One line for a mail header: every control character and line break becomes a space, runs of spaces one.

    Subjects carry user text (a buyer's reference, a group's name from the reference workbook); a CR or LF in
    a header is refused by the e-mail library, and would be header injection if it were not.
    """
    flat = "".join(" " if unicodedata.category(ch) in {"Cc", "Cs", "Zl", "Zp"} else ch for ch in text)
    return " ".join(flat.split())[:limit]


class Mailer:
    def __init__(self, sender: str):
        self.sender = sender

    def send(self, to: list[str], subject: str, text: str, attachments: tuple[Attachment, ...] = ()) -> str:
        message = self.message(to, subject, text, attachments)
        reply = client("ses").send_raw_email(
            Source=self.sender, Destinations=to, RawMessage={"Data": message.as_bytes()}
        )
        return str(reply["MessageId"])

    def message(self, to: list[str], subject: str, text: str, attachments: tuple[Attachment, ...]) -> EmailMessage:
        """The message as sent (the in-memory mailer of the tests keeps it)."""
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = ", ".join(to)
        message["Subject"] = header_text(subject)
        message.set_content(text)
        for a in attachments:
            maintype, subtype = a.mime_type.split("/", 1)
            message.add_attachment(a.content, maintype=maintype, subtype=subtype, filename=a.filename)
        return message
