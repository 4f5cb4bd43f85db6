"""Sheets that come back by e-mail: a manager replies to Telar's e-mail with the filled sheet attached.

SES receiving (the local SMTP server, locally) stores each message raw under ``inbound/`` in the uploads bucket;
S3 -> SQS brings its key here. In order, and before reading more than the headers:

1. dropped unread: a failed virus verdict, a failed DMARC check (see telar.inbound.Verdicts);
2. never answered: automatic mail (bounces, auto-replies, lists, Telar's own), so two robots cannot loop;
3. only registered senders: a group's manager (QC sheets) or an office address (reference workbooks); a
   stranger is logged and gets no reply (a reply to a forged address would be backscatter);
4. limits: a message over MAX_MESSAGE_BYTES, with too many parts or spreadsheets, or whose MIME is damaged, is
   refused with a reply saying so.

Each .xlsx attachment then goes under ``qc/mail/`` (``attendance/mail/`` for an attendance sheet,
``reference/mail/`` for the office's reference workbook) with metadata naming the sender and the message, and the
existing upload stages read it and answer in the same thread (the receipt or the error report with the marked
copy). A sheet for an assignment of a group she does not manage is not put: she
gets a reply saying so. One reply lists what was not taken (when a spreadsheet was refused, or nothing was
taken: a signature's logo alone is not worth an e-mail); sheets taken are answered by their stage.

Idempotent: attachment keys come from the inbound object's key and the attachment's place in the message, a
key already there is not put again (so its stage does not run twice), and the reply is sent once.
"""

from dataclasses import dataclass

from telar import messages
from telar.adapters.mail import XLSX
from telar.artifacts import ATTENDANCE_UPLOADS, QC_UPLOADS, REFERENCE_UPLOADS, mailed_upload_key
from telar.errors import SheetInvalid
from telar.inbound import (
    MAX_HEADER_BYTES,
    MAX_MESSAGE_BYTES,
    Attached,
    Envelope,
    read_body,
    read_envelope,
)
from telar.mail_thread import MailThread, thread_metadata
from telar.messages import Text
from telar.models import Group, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import render_mail
from telar.sheets.attendance_sheet import read_attendance_workbook
from telar.sheets.qc_sheet import read_qc_workbook
from telar.stages.notify import send_once

_OTHER_SPREADSHEETS = (".xls", ".ods", ".csv", ".numbers", ".xlsm", ".xlsb")


@dataclass(frozen=True)
class Sender:
    """A registered sender: the groups she manages, and whether she is one of the office's addresses."""

    address: str
    groups: tuple[Group, ...]
    office: bool

    @property
    def language(self) -> str:
        return self.groups[0].language if self.groups else "en"

    @property
    def name(self) -> str | None:
        return self.groups[0].manager_name if self.groups else None


@dataclass(frozen=True)
class Outcome:
    """What became of one attachment: ``taken`` (put for its stage, which answers) or refused with a reason."""

    filename: str
    taken: bool
    detail: Text
    sheet: bool = True  # False for what is no spreadsheet at all (a signature's logo): no reply for that alone


def registered_sender(address: str | None, ref: ReferenceData, office: list[str]) -> Sender | None:
    """The sender as the reference data knows her, or None for a stranger (addresses compared in lower case)."""
    if address is None:
        return None
    groups = ref.groups_managed_by(address)
    is_office = address in {a.lower() for a in office}
    return Sender(address, groups, is_office) if groups or is_office else None


def handle_inbound_mail(ports: Ports, key: str, version_id: str | None) -> str:
    """Read one received message and act on it; returns what happened, for the log.

    ``dropped`` (verdicts), ``automatic``, ``stranger``, ``refused`` (the whole message, with a reply) or
    ``read`` (each attachment taken or refused, with a reply when anything was refused).
    """
    size, _ = ports.uploads.describe(key, version_id)
    too_large = size > MAX_MESSAGE_BYTES
    # A message too large to take is read only as far as its headers: enough to tell its sender why.
    raw = ports.uploads.get(key, version_id, first_bytes=MAX_HEADER_BYTES if too_large else None)
    envelope = read_envelope(raw, {ports.settings.sender_email.lower(), ports.settings.inbound_address.lower()})
    if reason := envelope.verdicts.refusal():
        logger.warning("inbound mail dropped", key=key, reason=reason)
        return "dropped"
    if envelope.automatic:
        logger.info("inbound mail is automatic: not answered", key=key, reason=envelope.automatic)
        return "automatic"
    ref = ports.reference.load_reference()
    sender = registered_sender(envelope.sender, ref, ports.settings.finance_recipients)
    thread = envelope.thread()
    if sender is None or thread is None:
        logger.warning("inbound mail from an unregistered sender: not answered", key=key, sender=envelope.sender)
        return "stranger"
    if too_large:
        _reply(
            ports,
            key,
            sender,
            thread,
            problem=messages.MESSAGE_TOO_LARGE(mb=f"{size / 1_000_000:.0f}", limit=MAX_MESSAGE_BYTES // 1_000_000),
        )
        return "refused"
    body = read_body(raw)
    if body.problem:
        _reply(ports, key, sender, thread, problem=body.problem)
        return "refused"
    outcomes = [_take(ports, key, sender, envelope, thread, a) for a in body.attachments]
    logger.info("inbound mail read", key=key, sender=sender.address, outcomes=[o.__dict__ for o in outcomes])
    if not any(o.taken for o in outcomes) or any(o.sheet and not o.taken for o in outcomes):
        _reply(ports, key, sender, thread, outcomes=outcomes)
    return "read"


def _take(ports: Ports, key: str, sender: Sender, envelope: Envelope, thread: MailThread, a: Attached) -> Outcome:
    if a.problem or a.content is None:
        return Outcome(a.filename, False, a.problem or messages.UNREADABLE_ATTACHMENT())
    if a.filename.lower() == "winmail.dat":  # Outlook's rich text: her sheet is inside, where no one can read it
        return Outcome(a.filename, False, messages.WINMAIL_DAT())
    if not a.is_spreadsheet:
        other_sheet = a.filename.lower().endswith(_OTHER_SPREADSHEETS)
        reason = messages.NOT_XLSX_SAVE_AS() if other_sheet else messages.NOT_XLSX()
        return Outcome(a.filename, False, reason, sheet=other_sheet)
    prefix, refusal = _destination(ports, sender, a.content)
    if refusal or prefix is None:
        return Outcome(a.filename, False, refusal or messages.NO_SHEET_FROM_YOU())
    upload_key = mailed_upload_key(prefix, key, a.index, a.filename)
    if ports.uploads.head(upload_key) is None:  # put once: each put would run its stage again
        ports.uploads.put(upload_key, a.content, XLSX, metadata=thread_metadata(thread))
    logger.info("mailed sheet put for its stage", key=upload_key, message_id=envelope.message_id)
    return Outcome(a.filename, True, messages.RECEIVED())


def _destination(ports: Ports, sender: Sender, content: bytes) -> tuple[str | None, Text | None]:
    """Where a spreadsheet from this sender goes (``attendance/``, ``qc/`` or ``reference/``), or why it is refused.

    An attendance sheet (its labels and header read) goes to ``attendance/`` from the manager of the group it
    names, or from the office; anything else is a QC sheet from a manager, or a reference workbook from the office.
    """
    try:
        group_id: str | None = read_attendance_workbook(content).group_id
    except Exception:  # SheetInvalid or worse: not an attendance sheet; read on as a QC sheet
        group_id = None
    if group_id is not None:
        if sender.office or group_id.casefold() in {g.group_id.casefold() for g in sender.groups}:
            return ATTENDANCE_UPLOADS, None
        return None, messages.NOT_YOUR_GROUP_ATTENDANCE(group=group_id)
    try:
        assignment_id: str | None = read_qc_workbook(content).assignment_id
    except SheetInvalid:
        assignment_id = None  # not a readable QC sheet: its stage reports what is wrong, by cell
    except Exception:  # a workbook that does not even open: its stage says so, as for any upload
        assignment_id = None
    if sender.office and (assignment_id is None or not sender.groups):
        return REFERENCE_UPLOADS, None
    if not sender.groups:
        return None, messages.ONLY_MANAGERS()
    assignment = ports.assignments.get_assignment(assignment_id) if assignment_id is not None else None
    if assignment is not None and assignment.group_id not in {g.group_id for g in sender.groups}:
        return None, messages.NOT_YOUR_GROUP(assignment=assignment_id)
    return QC_UPLOADS, None


def _reply(
    ports: Ports,
    key: str,
    sender: Sender,
    thread: MailThread,
    *,
    problem: Text | None = None,
    outcomes: list[Outcome] | None = None,
) -> None:
    mail = render_mail(
        "inbound_reply",
        person=sender.name,
        language=sender.language,
        problem=problem,
        outcomes=outcomes or [],
        manager=bool(sender.groups),
    )
    send_once(ports, f"inbound-reply#{key}", to=[sender.address], mail=mail, thread=thread)
