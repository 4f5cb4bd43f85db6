"""Contact sheets sent when a reference version is applied: one per group whose makers' photo options are new.

Runs after the version is in force and the office's receipt is sent, so nothing here can undo it. A group's sheet
is written and mailed to its manager once per set of options (``send_once``, named by a hash of them): a redelivered
upload, or a later upload that changes only choices or other columns, sends nothing. A failed send raises, so the
queue's retry sends it; the version stays applied (the retry finds it in force).
"""

from datetime import UTC, datetime

from telar import contact_sheets
from telar.adapters.mail import HTML, Attachment
from telar.artifacts import contact_sheet_key
from telar.models import ReferenceData
from telar.observability import logger
from telar.photos import load_print_photos  # Pillow itself only when a photo is resized
from telar.ports import Ports
from telar.rendering import render_mail
from telar.stages.notify import send_once


def _print_photos(ports: Ports, files: list[str]) -> dict[str, bytes]:
    """The options at print size, through the cards' photo cache: each version of a photo is resized once, for
    this sheet, a retry of it, and the cards of the option she chooses. A missing or unreadable one is left out:
    the sheet shows a box saying so."""
    loaded = load_print_photos({file: file for file in files}, ports.uploads, ports.artifacts)
    for file, problem in sorted(loaded.problems.items()):
        logger.warning("photo option shown as missing on the contact sheet", file=file, problem=problem)
    return loaded.photos


def send_contact_sheets(ports: Ports, ref: ReferenceData, now: datetime | None = None) -> list[str]:
    """Write and mail the contact sheet of each group whose photo options have not been sent yet; returns their ids."""
    today = (now or datetime.now(UTC)).date()
    sent = []
    for group in ref.groups:
        makers = contact_sheets.makers_to_choose(ref, group.group_id, today)
        if not makers:
            continue
        name = f"contact-sheet#{group.group_id}#{contact_sheets.options_digest(makers)}"
        if ports.claims.is_done(f"mail#{name}"):  # these options were sent: no photo is resized again
            continue
        photos = _print_photos(ports, contact_sheets.photo_files(makers))
        html = contact_sheets.render_contact_sheet(group, makers, photos).encode()
        key = contact_sheet_key(group.group_id)
        ports.artifacts.put(key, html, HTML)
        mail = render_mail("contact_sheet", group.language, group=group, makers=len(makers))
        # once per set of options; a failed send raises for the queue's retry, which writes and sends it again
        send_once(
            ports,
            name,
            to=[str(group.manager_email)],
            mail=mail,
            attachments=(Attachment(key.rsplit("/", 1)[-1], html, HTML),),
        )
        sent.append(group.group_id)
        logger.info("contact sheet sent", group_id=group.group_id, makers=len(makers))
    return sent
