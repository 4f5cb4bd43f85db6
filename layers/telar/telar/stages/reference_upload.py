"""Reference workbooks uploaded to ``reference/``: validate the whole book, apply it as a new version, reply.

Nothing is applied unless the whole book is valid, and nothing that would break open work (see
telar.reference_guards) unless the workbook confirms it; a valid book becomes the new version in one switch
(see the reference store's put_reference) and earlier versions stay readable. Makers left out are kept, inactive;
buyers left out or deactivated lose API access at once.
New buyers get an API key by e-mail, once; only its hash is stored. Every step is safe to repeat: an
upload delivered twice finds its data already in force and its e-mails already sent. Each group whose makers'
photo options are new gets its contact sheet (telar.stages.contact_sheets), once per set of options.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace

from telar.adapters.mail import XLSX, Attachment
from telar.artifacts import (
    CURRENT_REFERENCE_EXPORT,
    REFERENCE_EXPORTS,
    reference_export_name,
    reference_report_stem,
    upload_name,
)
from telar.auth import hash_api_key, new_api_key, new_webhook_secret
from telar.errors import SheetInvalid
from telar.mail_thread import MailThread, thread_from_metadata
from telar.models import Buyer, ReferenceBook
from telar.observability import logger
from telar.ports import Ports
from telar.reference_book import (
    book_problems,
    deactivated,
    keep_departed_makers,
    missing_translations,
    orphaned_groups,
    webhook_problems,
)
from telar.reference_guards import revoked_buyers, risky_changes
from telar.rendering import render_mail
from telar.sheets.reference_book import read_reference_book, write_reference_book
from telar.stages.contact_sheets import send_contact_sheets
from telar.stages.notify import keep_error_report, outgoing, send_once


@dataclass(frozen=True)
class ImportResult:
    version: int
    changed: bool  # False: the book equals the version in force (a redelivery, or an unchanged re-upload)
    deactivated: tuple[str, ...]
    new_keys: dict[str, str]  # buyer id -> plain API key, issued now; the caller must never log these

    def __repr__(self) -> str:  # keeps the plain keys out of logs and tracebacks
        return f"ImportResult(version={self.version}, changed={self.changed}, new_keys={sorted(self.new_keys)})"


def import_reference(
    ports: Ports, book: ReferenceBook, source: str, issue_key: Callable[[str], str] | None = None
) -> ImportResult:
    """Apply a validated book as the new version (unless it equals the one in force) and key new buyers.

    ``issue_key(buyer_id)`` makes a buyer's key (random by default; the local cloud passes its fixed
    sample keys).

    Raises
    ------
    SheetInvalid
        the book leaves out a group whose makers are kept (nothing is applied).
    """
    new_keys: dict[str, str] = {}
    if (applied := ports.reference.reference_applied_from(source)) is not None:
        # A redelivery, possibly after later uploads: never roll them back; finish what may have been cut short.
        for buyer in book.buyers:
            if ports.auth.get_buyer(buyer.buyer_id) is None:
                ports.auth.put_buyer_profile(buyer)
            if (key := _deliver_key(ports, buyer, issue_key)) is not None:
                new_keys[buyer.buyer_id] = key
        return ImportResult(applied, False, (), new_keys)
    current = ports.reference.reference_version()
    stored = ports.reference.load_reference_book(current) if current else None
    previous = stored.reference if stored else None
    merged, _ = keep_departed_makers(previous, book.reference)
    if problems := orphaned_groups(merged):
        raise SheetInvalid(problems)
    previous_buyers = stored.buyers if stored else ()
    open_work = ports.assignments.open_work()
    leaving = ports.orders.buyers_with_open_orders(revoked_buyers(previous_buyers, book.buyers))
    open_work = replace(open_work, buyers=open_work.buyers | leaving)
    risky = risky_changes(previous, merged, previous_buyers, book.buyers, open_work)
    if risky and not book.confirmed:
        raise SheetInvalid(risky)
    if risky:
        logger.warning("risky reference changes confirmed in the workbook", changes=[str(p) for p in risky])
    incoming = ReferenceBook(reference=merged, buyers=book.buyers).canonical()
    in_force = stored.canonical() if stored else None
    if current is not None and incoming == in_force:
        version, changed = current, False
    else:
        version, changed = ports.reference.put_reference(incoming.reference, incoming.buyers, source), True
    for buyer in incoming.buyers:
        ports.auth.put_buyer_profile(buyer)
        if buyer.active and (key := _deliver_key(ports, buyer, issue_key)) is not None:
            new_keys[buyer.buyer_id] = key
        if buyer.active and buyer.webhook_url:
            _deliver_webhook_secret(ports, buyer)
    removed = {b.buyer_id for b in incoming.buyers}
    for buyer in previous_buyers:  # left out of the book: her access ends now (the authorizer checks `active`)
        if buyer.buyer_id not in removed and buyer.active:
            ports.auth.put_buyer_profile(buyer.model_copy(update={"active": False}))
    return ImportResult(version, changed, tuple(deactivated(previous, incoming.reference)), new_keys)


def _deliver_key(ports: Ports, buyer: Buyer, issue_key: Callable[[str], str] | None) -> str | None:
    """A key for a buyer Telar never sent one to, e-mailed once; None if she has had hers."""
    claim = f"apikey#{buyer.buyer_id}"
    if not ports.claims.claim(claim):
        return None
    api_key = issue_key(buyer.buyer_id) if issue_key else new_api_key()
    key_hash = hash_api_key(api_key)
    ports.auth.put_api_key(buyer.buyer_id, key_hash)
    try:
        mail = render_mail("api_key", buyer=buyer, api_key=api_key)
        ports.mailer.send(outgoing(mail, [str(buyer.email)]))
    except Exception:  # not delivered: the key must not stay valid, and a retry issues a fresh one
        ports.auth.revoke_api_key(key_hash)
        ports.claims.release(claim)
        raise
    ports.claims.complete(claim)
    return api_key


def _deliver_webhook_secret(ports: Ports, buyer: Buyer) -> None:
    """A buyer's first webhook URL: a signing secret made, kept in the secret store and e-mailed to her once.
    Changing the URL later keeps the secret."""
    claim = f"webhooksecret#{buyer.buyer_id}"
    if not ports.claims.claim(claim):
        return
    secret = new_webhook_secret()
    if not ports.webhook_secrets.create(buyer.buyer_id, secret):  # she has one (an operator set it): keep it
        ports.claims.complete(claim)
        return
    try:
        mail = render_mail("webhook_secret", buyer=buyer, secret=secret)
        ports.mailer.send(outgoing(mail, [str(buyer.email)]))
    except Exception:  # not delivered: nobody can verify with it, and a retry makes a fresh one
        ports.webhook_secrets.delete(buyer.buyer_id)
        ports.claims.release(claim)
        raise
    ports.claims.complete(claim)
    logger.info("webhook secret issued", buyer_id=buyer.buyer_id)


def apply_reference_workbook(
    ports: Ports,
    data: bytes,
    source: str,
    issue_key: Callable[[str], str] | None = None,
    thread: MailThread | None = None,
) -> ImportResult | None:
    """Read, validate and apply an uploaded workbook; e-mail the office a receipt or an error report (in the
    conversation of the e-mail it came in, when ``thread`` names one).

    Returns None when the workbook was refused (nothing applied).
    """
    try:
        allow_private = ports.settings.webhooks_allow_private
        book = read_reference_book(data, lambda rows: book_problems(rows) + webhook_problems(rows, allow_private))
        result = import_reference(ports, book, source, issue_key)
    except SheetInvalid as invalid:
        _report_invalid(ports, source, data, invalid, thread)
        return None
    exported = ports.reference.load_reference_book(result.version)
    export = write_reference_book(exported)  # the same workbook staff upload
    ports.uploads.put(REFERENCE_EXPORTS + reference_export_name(result.version), export, XLSX)
    if result.version == ports.reference.reference_version():  # a late redelivery leaves the newer export alone
        ports.uploads.put(CURRENT_REFERENCE_EXPORT, export, XLSX)
    logger.info(
        "reference workbook applied",
        source=source,
        version=result.version,
        changed=result.changed,
        deactivated=len(result.deactivated),
        new_buyers=sorted(result.new_keys),
    )
    applied_here = result.changed or ports.reference.reference_source(result.version) == source
    mail = render_mail(
        "reference_receipt",
        ref=exported.reference,
        source=upload_name(source.rpartition("#")[0] or source),
        version=result.version,
        buyers=book.buyers,
        deactivated=result.deactivated,
        new_buyers=sorted(result.new_keys),
        applied_here=applied_here,
        warnings=missing_translations(exported.reference),
    )
    send_once(
        ports,
        f"reference-receipt#{source}",
        to=ports.settings.finance_recipients,
        mail=mail,
        attachments=(Attachment(reference_export_name(result.version), export, XLSX),),
        invite_reply=True,
        thread=thread,
    )
    if result.version == ports.reference.reference_version():  # an older version's options are not the ones to print
        # last: the version is applied and the office told, so a failed send (raised for the queue to retry) undoes
        # neither, and the retry finds both done
        send_contact_sheets(ports, exported.reference)
    return result


def _report_invalid(ports: Ports, source: str, data: bytes, invalid: SheetInvalid, thread: MailThread | None) -> None:
    key, _, version = source.rpartition("#")
    mail = render_mail("reference_report", key=upload_name(key), problems=invalid.problems)
    attachments = keep_error_report(
        ports, reference_report_stem(key, version or "null"), mail.text, data, invalid.problems
    )
    logger.warning("reference workbook refused", source=source, problems=len(invalid.problems))
    send_once(
        ports,
        f"reference-report#{source}",
        to=ports.settings.finance_recipients,
        mail=mail,
        attachments=attachments,
        invite_reply=True,
        thread=thread,
    )


def accept_reference_upload(ports: Ports, key: str, version_id: str | None) -> str:
    """Handle one upload under reference/; returns ``applied``, ``unchanged`` or ``rejected``."""
    source = f"{key}#{version_id or 'null'}"
    _, metadata = ports.uploads.describe(key, version_id)
    result = apply_reference_workbook(
        ports, ports.uploads.get(key, version_id), source, thread=thread_from_metadata(metadata)
    )
    if result is None:
        return "rejected"
    return "applied" if result.changed else "unchanged"
