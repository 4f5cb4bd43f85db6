"""E-mails sent at most once, whatever the number of deliveries of the stage that sends them."""

from collections.abc import Callable

from telar.adapters.mail import XLSX, Attachment, OutgoingMail
from telar.artifacts import upload_name
from telar.errors import SheetInvalid, SheetProblem
from telar.mail_thread import MailThread
from telar.messages import english
from telar.models import Group
from telar.ports import Ports
from telar.rendering import Mail, render_mail, translator


def outgoing(
    mail: Mail,
    to: list[str],
    attachments: tuple[Attachment, ...] = (),
    *,
    reply_to: str | None = None,
    thread: MailThread | None = None,
) -> OutgoingMail:
    """The rendered ``mail`` to send: its subject, its text and the HTML alternative beside it."""
    return OutgoingMail(to, mail.subject, mail.text, mail.html, attachments, reply_to, thread)


def send_once(
    ports: Ports,
    name: str,
    *,
    to: list[str],
    mail: Mail,
    attachments: tuple[Attachment, ...] = (),
    invite_reply: bool = False,
    thread: MailThread | None = None,
) -> None:
    """Send an e-mail at most once per ``name``; a failed send releases the claim so a retry sends it, and a
    claim whose holder died before completing it expires (see the claim store's ``claim``), so a later retry sends
    it. While another attempt holds the claim this raises ActionInProgress, for the stage to be retried.

    ``invite_reply``: the e-mail asks for a sheet back, so replies go to the inbound address (when there is
    one). ``thread``: it answers a received e-mail, in that e-mail's conversation, to its sender (first) and
    ``to``.
    """
    if not ports.claims.claim(f"mail#{name}"):
        return
    reply_to = ports.settings.inbound_address if invite_reply or thread else None
    try:
        recipients = list(dict.fromkeys([thread.recipient, *to])) if thread else to
        ports.mailer.send(outgoing(mail, recipients, attachments, reply_to=reply_to or None, thread=thread))
    except Exception:
        ports.claims.release(f"mail#{name}")
        raise
    ports.claims.complete(f"mail#{name}")


def _managed_by(ports: Ports, thread: MailThread | None) -> Group | None:
    """The group whose manager sent the mail a sheet came in, if a manager sent it (her first, as the inbound
    stage answers her)."""
    if thread is None:
        return None
    return next(iter(ports.reference.load_reference().groups_managed_by(thread.recipient)), None)


def keep_error_report(
    ports: Ports,
    stem: str,
    report: str,
    upload: bytes,
    problems: list[SheetProblem],
    _: Callable[..., str] = english,
) -> tuple[Attachment, ...]:
    """Save a refused upload's report beside it in the uploads bucket: ``<stem>.txt`` (the text of the e-mail,
    every problem) and, where the upload opens, ``<stem>.xlsx`` with the bad cells marked, its notes in the words of
    the translator ``_`` (the reader's language, as the e-mail). Returns the attachments to mail."""
    # imported here: openpyxl is a tenth of a second of cold start, and most stages that mail never refuse a sheet
    from telar.sheets.error_report import annotate_problems

    ports.uploads.put(f"{stem}.txt", report.encode(), "text/plain; charset=utf-8")
    if annotated := annotate_problems(upload, problems, _):
        ports.uploads.put(f"{stem}.xlsx", annotated, XLSX)
        return (Attachment(f"{stem.rsplit('/', 1)[-1]}.xlsx", annotated, XLSX),)
    return ()


def report_refused_sheet(
    ports: Ports,
    key: str,
    data: bytes,
    invalid: SheetInvalid,
    *,
    report: tuple[str, str, str],
    group: Group | None,
    thread: MailThread | None,
) -> None:
    """Answer the refused upload ``key``: its report (``report`` = mail template, report stem, once-claim) kept
    beside it with, where the upload opens, a copy with the bad cells marked, and mailed to the group's manager in
    her language, or to the office when the sheet names no group we know; a mailed sheet is answered in its thread.
    A sheet that names no group but was mailed by a manager (one too damaged to name its assignment) is hers to
    mend: it is answered to her alone, in her group's language.
    """
    template, stem, claim = report
    group = group or _managed_by(ports, thread)
    language = group.language if group else "en"
    mail = render_mail(template, language, key=upload_name(key), problems=invalid.problems)
    attachments = keep_error_report(ports, stem, mail.text, data, invalid.problems, translator(language))
    to = [str(group.manager_email)] if group else ports.settings.finance_recipients
    send_once(ports, claim, to=to, mail=mail, attachments=attachments, invite_reply=True, thread=thread)
