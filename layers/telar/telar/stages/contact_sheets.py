"""Contact sheets sent when a reference version is applied: one per group whose makers' photo options are new.

Runs after the version is in force and the office's receipt is sent, so nothing here can undo it. A group's sheet
is written and mailed to its manager once per set of options (``send_once``, named by a hash of them): a redelivered
upload, or a later upload that changes only choices or other columns, sends nothing. A failed send raises, so the
queue's retry sends it; the version stays applied (the retry finds it in force).
"""

from datetime import UTC, datetime

from telar import contact_sheets
from telar.adapters.mail import HTML, Attachment
from telar.artifacts import PHOTOS, contact_sheet_key
from telar.models import ReferenceData
from telar.observability import logger
from telar.photos import PhotoUnreadable, to_print  # Pillow itself only when a photo is resized
from telar.ports import Ports
from telar.rendering import render_mail
from telar.stages.notify import send_once


def _print_photo(ports: Ports, file: str) -> bytes | None:
    """The option at print size, or None when it is missing or unreadable: the sheet then shows a box saying so."""
    data = ports.uploads.get_if_exists(PHOTOS + file)
    if data is None:
        return None
    try:
        return to_print(data)
    except PhotoUnreadable as error:
        logger.warning("photo option unreadable: shown as missing on the contact sheet", file=file, error=str(error))
        return None


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
        photos = {f: _print_photo(ports, f) for f in contact_sheets.photo_files(makers)}
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
