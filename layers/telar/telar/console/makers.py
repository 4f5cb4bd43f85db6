"""Consent and photo status per maker, as the office checks it before cards print: who chose to show her photo,
and whose chosen photo is not in the uploads (her card then prints without it: telar.cards)."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from telar.artifacts import PHOTOS
from telar.models import Maker


class PhotoStatus(StrEnum):
    MISSING = "missing"  # she chose to show her photo; no photo is there to print
    SHOWN = "shown"  # she chose to show it, and it is there
    NOT_CHOSEN = "not_chosen"  # she did not consent (or withdrew): no photo is printed, whatever is uploaded


@dataclass(frozen=True)
class MakerPhoto:
    maker: Maker
    status: PhotoStatus
    name_shown: bool


def photo_key(maker: Maker) -> str | None:
    return f"{PHOTOS}{maker.card_photo}" if maker.card_photo else None


def maker_photos(makers: Iterable[Maker], today: date, exists: Callable[[str], bool]) -> list[MakerPhoto]:
    """Each active maker's photo status today, those whose chosen photo is missing first; ``exists`` is asked only
    about the photos of makers who chose to show one."""
    rows = []
    for maker in makers:
        if not maker.active:
            continue
        consent = maker.consent_on(today)
        key = photo_key(maker)
        if not consent.photo:
            status = PhotoStatus.NOT_CHOSEN
        elif key is not None and exists(key):
            status = PhotoStatus.SHOWN
        else:
            status = PhotoStatus.MISSING
        rows.append(MakerPhoto(maker, status, consent.name))
    order = {PhotoStatus.MISSING: 0, PhotoStatus.SHOWN: 1, PhotoStatus.NOT_CHOSEN: 2}
    return sorted(rows, key=lambda r: (order[r.status], r.maker.group_id, r.maker.worker_id))
