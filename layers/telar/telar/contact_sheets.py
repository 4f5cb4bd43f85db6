"""Contact sheets: the printed page from which each maker chooses her card photo (issue 17).

The office uploads up to three photos of a maker (the makers sheet's ``Photo options``); the group's manager
prints this page on A4 and takes it inside, where there is no internet; each woman points at the number she
wants, and the number comes back in the workbook's ``Photo choice`` column. Pure rendering: the caller loads the
photos (print size, see telar.photos) and stores the HTML.
"""

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from telar.models import Group, Maker, ReferenceData
from telar.rendering import get_template

_JPEG = b"\xff\xd8\xff"  # telar.photos.to_print always writes JPEG


@dataclass(frozen=True)
class PhotoOption:
    number: int  # what she points at, 1 to 3
    file: str
    data_uri: str | None  # None: the photo is missing or unreadable, a "photo N missing" box is printed


@dataclass(frozen=True)
class ContactEntry:
    worker_id: str
    name: str  # her alias if she has one, else her first name: the name she is known by inside
    options: tuple[PhotoOption, ...]


def makers_to_choose(ref: ReferenceData, group_id: str, on: date) -> list[Maker]:
    """The group's makers working on ``on`` who have photo options, in worker id order."""
    return sorted(
        (m for m in ref.makers if m.group_id == group_id and m.active and m.works_on(on) and m.photo_options),
        key=lambda m: m.worker_id,
    )


def options_digest(makers: Iterable[Maker]) -> str:
    """A short hash of who has which options: a new one means a new contact sheet to print and send.

    The choice is left out on purpose: a choice coming back must not send the same sheet again.
    """
    listed = sorted((m.worker_id, list(m.photo_options)) for m in makers)
    return hashlib.sha256(json.dumps(listed, ensure_ascii=False).encode()).hexdigest()[:16]


def photo_files(makers: Iterable[Maker]) -> list[str]:
    """Every option file the sheet shows, once each (two makers may share a group photo)."""
    return sorted({f for m in makers for f in m.photo_options})


def contact_entries(makers: Iterable[Maker], photos: Mapping[str, bytes | None]) -> list[ContactEntry]:
    """Each maker with her numbered options; ``photos`` maps a file to its print-size JPEG (None/absent: missing)."""
    entries = []
    for maker in makers:
        options = []
        for number, file in enumerate(maker.photo_options, start=1):
            data = photos.get(file)
            readable = data is not None and data.startswith(_JPEG)
            uri = f"data:image/jpeg;base64,{base64.b64encode(data).decode('ascii')}" if data and readable else None
            options.append(PhotoOption(number, file, uri))
        entries.append(ContactEntry(maker.worker_id, (maker.alias or "").strip() or maker.first_name, tuple(options)))
    return entries


def render_contact_sheet(group: Group, makers: Iterable[Maker], photos: Mapping[str, bytes | None]) -> str:
    """The group's contact sheet as one self-contained HTML page (photos embedded), in the group's language,
    autoescaped: names come from spreadsheets."""
    return get_template("contact_sheet.html.j2").render(
        group=group, language=group.language, entries=contact_entries(makers, photos)
    )
