"""E-mail that comes in: what a received message says, read defensively. Pure: bytes in, facts out.

SES receiving stores each message as it came, with its own headers on top: ``X-SES-Virus-Verdict``,
``X-SES-Spam-Verdict`` and ``Authentication-Results: amazonses.com; spf=...; dkim=...; dmarc=...``.
A sender can write the same headers lower down, so only the first of each (SES's, above the sender's) counts,
and a message without a virus verdict (not scanned) is dropped. The local SMTP server (local/smtp.py) writes
them the same way.

Everything here is bounded before it is allocated: the stage reads the raw size from S3 first and gives this
module only the first ``MAX_HEADER_BYTES`` of a message over ``MAX_MESSAGE_BYTES``; parts are counted before
any payload is decoded, and an attachment's encoded length is checked before it is decoded.
"""

import re
from dataclasses import dataclass
from email import policy
from email.errors import HeaderDefect
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from typing import Any, Final, cast

from telar import messages
from telar.mail_thread import MailThread, message_ids, one_line
from telar.messages import Text

MAX_MESSAGE_BYTES: Final = 20_000_000  # raw, base64 included: ~15 MB of attachments; SES accepts up to 40 MB
MAX_HEADER_BYTES: Final = 64_000  # what is read of a message too large to take: enough to know whom to tell
MAX_PARTS: Final = 40  # every MIME part, containers included
# Lines that may open a part (a boundary line, a message/* header), counted before the message is parsed: the
# parser's time and memory grow with the parts (400,000 empty parts in 4 MB took 24 s), and it recurses into
# nested ones (a few thousand deep overflow the stack). Generous: a person's text rarely starts 400 lines "--".
MAX_PART_OPENERS: Final = 400
MAX_SPREADSHEETS: Final = 10  # .xlsx attachments in one e-mail
MAX_ATTACHMENT_BYTES: Final = 5_000_000  # the sheet readers' own limit, sheets.reading.MAX_UPLOAD_BYTES (tested)
XLSX_TYPE: Final = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# a boundary line that is not a closing one ("--b--"), or a message/* part's header
_PART_OPENER = re.compile(rb"^(?:--(?![^\r\n]*--[ \t]*\r?$)|content-type:[ \t]*message/)", re.IGNORECASE | re.MULTILINE)
_AUTOMATIC_LOCAL_PARTS = {"mailer-daemon", "postmaster", "noreply", "no-reply", "do-not-reply", "donotreply"}
_LIST_HEADERS = ("List-Id", "List-Unsubscribe", "List-Post")
_AUTO_REPLY_HEADERS = ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress")


@dataclass(frozen=True)
class Verdicts:
    """SES's verdicts on one received message, lower case (``pass``, ``fail``, ``gray``, ``none``...)."""

    virus: str | None
    spam: str | None
    spf: str | None
    dkim: str | None
    dmarc: str | None

    def refusal(self) -> str | None:
        """Why the message must be dropped unread, or None.

        A failed DMARC check is a failed SPF/DKIM check of a domain that publishes a policy (without one, SES
        says ``gray`` or ``none``); a domain without a policy cannot be told apart from its impostors, and its
        mail is judged by its sender alone.
        """
        if self.virus != "pass":
            return f"virus verdict {self.virus or 'missing (not scanned)'}"
        if self.dmarc == "fail":
            return "DMARC failed: SPF and DKIM do not vouch for the sender's domain, which publishes a policy"
        return None


@dataclass(frozen=True)
class Envelope:
    """What the headers of a received message say."""

    sender: str | None  # the one From address, lower case; None when unreadable or several
    message_id: str | None
    subject: str
    references: tuple[str, ...]
    automatic: str | None  # why no one may answer it (a bounce, an auto-reply, a list), or None
    verdicts: Verdicts

    def thread(self) -> MailThread | None:
        if self.sender is None:
            return None
        parents = (*self.references, self.message_id) if self.message_id else self.references
        return MailThread(self.sender, self.message_id, tuple(dict.fromkeys(parents))[-10:], self.subject)


@dataclass(frozen=True)
class Attached:
    """One attachment of a received message, numbered from 1 in the message's order."""

    index: int
    filename: str  # safe for an S3 key and a mail text: no path, no control characters
    content: bytes | None  # None when it was refused unread
    problem: Text | None = None

    @property
    def is_spreadsheet(self) -> bool:
        return self.filename.lower().endswith(".xlsx")


@dataclass(frozen=True)
class Body:
    """The attachments of a received message, or why it could not be read at all."""

    attachments: tuple[Attached, ...]
    problem: Text | None = None


# Python's e-mail package parses a header when it is read, and a hostile one can make it raise nearly anything
# (IndexError, ValueError on a NUL, HeaderParseError...; found by fuzzing): every header is read through these.


def _first(message: EmailMessage, name: str) -> str | None:
    """The first header of that name (SES writes its own above the sender's), as text; None if absent or bad."""
    try:
        values = message.get_all(name) or []
        return str(values[0]) if values else None
    except Exception:  # see above
        return None


def _all(message: EmailMessage, name: str) -> list[str]:
    """Every readable header of that name, as text."""
    try:
        return [str(v) for v in message.get_all(name) or []]
    except Exception:  # see above
        return []


def _verdicts(message: EmailMessage) -> Verdicts:
    found: dict[str, str] = {}
    for text in _all(message, "Authentication-Results"):
        if text.split(";", 1)[0].strip().lower() == "amazonses.com":
            for method, result in re.findall(r"\b(spf|dkim|dmarc)=([a-z_]+)", text.lower()):
                found.setdefault(method, result)
            break  # SES's own: the first one it wrote

    def lower(name: str) -> str | None:
        value = _first(message, name)
        return value.strip().lower() if value else None

    return Verdicts(
        lower("X-SES-Virus-Verdict"),
        lower("X-SES-Spam-Verdict"),
        found.get("spf"),
        found.get("dkim"),
        found.get("dmarc"),
    )


def _sender(message: EmailMessage) -> str | None:
    try:
        header = message["From"]
        addresses: tuple[Any, ...] = tuple(header.addresses) if header is not None else ()
    except Exception:  # see _first
        return None
    if header is None or any(isinstance(d, HeaderDefect) for d in getattr(header, "defects", ())):
        return None
    if len(addresses) != 1 or not addresses[0].username or not addresses[0].domain:
        return None
    address = addresses[0].addr_spec.lower()
    return address if one_line(address) == address and len(address) <= 254 else None


def _automatic(message: EmailMessage, sender: str | None, own: set[str]) -> str | None:
    """Why a message was sent by a program (RFC 3834 and common practice), or None for a person's mail."""
    auto_submitted = (_first(message, "Auto-Submitted") or "no").strip().lower()
    if auto_submitted.split(";")[0].strip() != "no":
        return f"Auto-Submitted: {auto_submitted}"
    return_path = _first(message, "Return-Path")
    if return_path is not None and return_path.strip() in ("<>", ""):
        return "a bounce (empty Return-Path)"
    if sender is not None and sender.split("@")[0] in _AUTOMATIC_LOCAL_PARTS:
        return f"sent by {sender.split('@')[0]}"
    if sender is not None and sender in own:
        return "sent by Telar itself"
    precedence = (_first(message, "Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in (*_LIST_HEADERS, *_AUTO_REPLY_HEADERS):
        if name in message:  # by name alone: its value is not parsed
            return f"carries {name}"
    try:
        report = "report" in message.get_content_type() and message.get_param("report-type") is not None
    except Exception:  # see _first
        report = False
    return "a delivery or feedback report" if report else None


def read_envelope(head: bytes, own_addresses: set[str]) -> Envelope:
    """The headers of a received message (``head`` may be the whole message or only its first bytes).

    ``own_addresses``: Telar's sender and inbound addresses, lower case; mail from them is never answered.
    """
    try:
        message = cast(EmailMessage, BytesHeaderParser(policy=policy.default).parsebytes(head))
    except Exception:  # see _first. Read as plain text: SES's verdicts still count, and no sender can be read
        message = cast(EmailMessage, BytesHeaderParser(policy=policy.compat32).parsebytes(head))
    sender = _sender(message)
    message_id = next(iter(message_ids(_first(message, "Message-ID"))), None)
    subject = one_line(_first(message, "Subject") or "")
    references = (*message_ids(_first(message, "References")), *message_ids(_first(message, "In-Reply-To")))
    return Envelope(
        sender=sender,
        message_id=message_id,
        subject=subject,
        references=tuple(dict.fromkeys(references)),
        automatic=_automatic(message, sender, own_addresses),
        verdicts=_verdicts(message),
    )


def _safe_filename(raw: str | None, index: int) -> str:
    name = one_line(raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[^\w .()+,-]", "_", name).strip(" .")[:100]
    return name or f"attachment-{index}"


def _filename(part: EmailMessage) -> str | None:
    try:
        return part.get_filename()
    except (ValueError, LookupError, TypeError, UnicodeError):
        return None


def read_body(raw: bytes) -> Body:
    """The attachments of a whole message (at most ``MAX_MESSAGE_BYTES``, which the caller checked).

    A message whose MIME structure cannot be read, or with too many parts or spreadsheets, is refused as a
    whole (``problem``); an attachment too large or that cannot be decoded is refused on its own.
    """
    openers = sum(1 for _ in _PART_OPENER.finditer(raw))
    if openers > MAX_PART_OPENERS:  # refused before the parser allocates a part for each
        return Body((), messages.TOO_MANY_PARTS(parts=openers + 1, limit=MAX_PARTS))
    try:
        message = cast(EmailMessage, BytesParser(policy=policy.default).parsebytes(raw))
        parts = list(message.walk())
    except Exception:  # nested deeper than the stack (RecursionError), or a header the parser trips on (see _first)
        return Body((), messages.MIME_DAMAGED())
    if len(parts) > MAX_PARTS:
        return Body((), messages.TOO_MANY_PARTS(parts=len(parts), limit=MAX_PARTS))
    broken = [d for part in parts for d in part.defects if type(d).__name__ in _STRUCTURE_DEFECTS]
    if broken:
        return Body((), messages.MIME_DAMAGED())
    try:
        attachments = _attachments(parts)
    except Exception:  # a part's headers the e-mail package cannot read (see _first): no part can be trusted
        return Body((), messages.MIME_DAMAGED())
    spreadsheets = sum(1 for a in attachments if a.is_spreadsheet)
    if spreadsheets > MAX_SPREADSHEETS:
        return Body(tuple(attachments), messages.TOO_MANY_SPREADSHEETS(count=spreadsheets, limit=MAX_SPREADSHEETS))
    return Body(tuple(attachments))


def _attachments(parts: list[EmailMessage]) -> list[Attached]:
    attachments: list[Attached] = []
    for part in parts:
        if part.is_multipart():
            continue
        filename = _filename(part)
        if filename is None and part.get_content_disposition() != "attachment":
            continue  # the text of the mail
        index = len(attachments) + 1
        name = _safe_filename(filename, index)
        if "." not in name and part.get_content_type() == XLSX_TYPE:
            name += ".xlsx"  # a phone's mail app may drop the extension; the type still says what it is
        attachments.append(_attachment(part, index, name))
    return attachments


_STRUCTURE_DEFECTS = {
    "StartBoundaryNotFoundDefect",
    "CloseBoundaryNotFoundDefect",
    "MultipartInvariantViolationDefect",
    "NoBoundaryInMultipartDefect",
    "MisplacedEnvelopeHeaderDefect",
}


def _attachment(part: EmailMessage, index: int, filename: str) -> Attached:
    encoded = part.get_payload()
    if not isinstance(encoded, str | bytes):
        return Attached(index, filename, None, messages.UNREADABLE_ATTACHMENT())
    # base64 is 4/3 of the bytes it carries: refuse a large one before decoding it
    too_large = messages.ATTACHMENT_TOO_LARGE(mb=MAX_ATTACHMENT_BYTES // 1_000_000)
    if len(encoded) * 3 // 4 > MAX_ATTACHMENT_BYTES + 4096:
        return Attached(index, filename, None, too_large)
    try:
        content = part.get_payload(decode=True)
    except (ValueError, LookupError, TypeError):
        content = None
    if not isinstance(content, bytes) or any(type(d).__name__.startswith("InvalidBase64") for d in part.defects):
        return Attached(index, filename, None, messages.UNDECODABLE_ATTACHMENT())
    if len(content) > MAX_ATTACHMENT_BYTES:
        return Attached(index, filename, None, too_large)
    return Attached(index, filename, content)
