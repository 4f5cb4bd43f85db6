"""Insert cards: one card per maker and product, printed once for every unit that passed QC.

The maker's consent in force on the day the cards are generated (in her group's time zone) decides what
a card shows, and nothing else does; a withdrawal applies to every card generated from its date on:

- her photo only with photo consent and a photo that actually arrived (a missing or unreadable photo
  leaves the card without one and adds a warning; it never fails the order);
- her first name only with name consent; otherwise the alias she chose, if any; otherwise the card
  credits "the women of <group>";
- her story only with story consent, and never when it would reveal a name she has not agreed to show; a maker
  with stories per language (the reference book's `stories` sheet) has printed only the text she approved in the
  buyer's language by that day, else none (the card keeps its group line, and a warning says why).

Pure logic: the caller loads photos (see :func:`photo_files_needed` and telar.photos) and stores the HTML.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from markupsafe import Markup
from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from telar.errors import GroupNotFound
from telar.models import ConsentChange, Group, Maker, Product, QcRow, ReferenceData
from telar.models.reference import NO_CONSENT
from telar.rendering import TEMPLATES, get_template

DEFAULT_LANGUAGE = "en"
CARDS_PER_SHEET = 8  # 2 x 4 cards of 90 x 60 mm: fits A4 and Letter portrait
# page size in mm; the 186 x 258 mm grid of cards is centred on it
PAPER: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "Letter": (215.9, 279.4)}
MAX_PHOTO_BYTES = 2_000_000  # the photo is repeated on every copy; a print-size portrait needs far less

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _load_texts(folder: Path) -> dict[str, dict[str, str]]:
    """The texts printed on a card, per language: ``card_texts/<language>.json``; a new file adds a language.

    Every file must have exactly the English file's keys, with the same ``{placeholders}`` in each text, so
    a card is never printed half in one language or with a name missing.
    """
    texts = {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}
    english = texts[DEFAULT_LANGUAGE]
    for language, found in texts.items():
        if set(found) != set(english):
            raise ValueError(f"card_texts/{language}.json: keys {sorted(set(found) ^ set(english))} differ from en")
        for key, text in found.items():
            if set(_PLACEHOLDER.findall(text)) != set(_PLACEHOLDER.findall(english[key])):
                raise ValueError(f"card_texts/{language}.json: {key!r} must use the placeholders of en")
    return texts


TEXTS: dict[str, dict[str, str]] = _load_texts(TEMPLATES / "card_texts")

_IMAGE_TYPES: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)


class CardOptions(BaseModel):
    """How an organisation prints its cards (one deployment serves one organisation)."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    paper: Literal["A4", "Letter"] = "A4"
    per: Literal["unit", "maker_product"] = Field(
        "unit",
        description="'unit': one printed card per unit that passed; 'maker_product': one card per maker and "
        "product, with the number of copies to print beside it",
    )
    story_url: AnyHttpUrl | None = Field(None, description="the organisation's story page, printed as a QR code")


class Card(BaseModel):
    """One insert card, as printed; ``copies`` is the number of units it goes into."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    worker_id: str
    group_id: str
    sku: str
    product_name: str
    maker_name: str = Field(description="first name, alias, or 'Made by the women of <group>'")
    byline: str = Field(description="the line that credits the maker, e.g. 'Made by Rosa'")
    named: bool = Field(description="the card credits her first name or alias, not only her group")
    group_name: str
    place: str
    photo_data_uri: str | None = None
    story: str | None = None
    message: str
    care_instructions: str
    language: str
    copies: int = Field(gt=0)
    consent_date: date = Field(description="the day (her group's time zone) whose consent the card follows")
    warnings: tuple[str, ...] = ()


def card_language(language: str | None) -> str:
    """The language cards are printed in: the buyer's when there is a card_texts file for it, else English."""
    return language if language in TEXTS else DEFAULT_LANGUAGE


def local_date(group: Group, generated_at: datetime) -> date:
    """The calendar day in the group's place when the cards are generated: consent dates are local."""
    if generated_at.tzinfo is None:
        raise ValueError("generated_at must be timezone-aware")
    return generated_at.astimezone(ZoneInfo(group.timezone)).date()


def consent_of(maker: Maker | None, group: Group | None, generated_at: datetime) -> ConsentChange:
    if maker is None or group is None:
        return NO_CONSENT
    return maker.consent_on(local_date(group, generated_at))


def photo_files_needed(rows: Iterable[tuple[str, QcRow]], ref: ReferenceData, generated_at: datetime) -> dict[str, str]:
    """``worker_id -> photo_file`` for the makers whose photo goes on a card: load only these.

    A photo is never loaded for a maker who has not agreed to show it on the day the cards are generated.
    """
    makers = {m.worker_id: m for m in ref.makers}
    groups = {g.group_id: g for g in ref.groups}
    needed: dict[str, str] = {}
    for _, row in rows:
        maker = makers.get(row.worker_id)
        if (
            row.passed > 0
            and maker
            and maker.card_photo
            and consent_of(maker, groups.get(maker.group_id), generated_at).photo
        ):
            needed[maker.worker_id] = maker.card_photo
    return needed


def build_cards(
    rows: Iterable[tuple[str, QcRow]],
    ref: ReferenceData,
    photos: Mapping[str, bytes | None],
    language: str,
    generated_at: datetime,
) -> list[Card]:
    """Build the insert cards of one order from its accepted QC rows.

    Parameters
    ----------
    rows
        ``(group_id, QcRow)`` pairs of every accepted QC sheet of the order. Rows of the same maker and
        product (say, after rework) add up; rows with nothing passed print no card.
    ref
        Reference data: makers with their consent history, groups and the catalog.
    photos
        ``worker_id -> image bytes`` (PNG, JPEG or GIF); ``None`` or absent when the photo could not be
        loaded. Bytes of a maker without photo consent are ignored.
    language
        The buyer's language; see :func:`card_language`.
    generated_at
        When the cards are generated (timezone-aware): each maker's consent on that day in her group's
        time zone applies, so a withdrawal is honoured from its date on.

    Returns
    -------
    list[Card]
        One card per maker and product, ordered by group, product and worker, with ``copies`` equal to
        the units that passed. Anything that made a card poorer than the maker chose (a missing photo,
        an unknown worker) is explained in the card's ``warnings``.
    """
    lang = card_language(language)
    texts = TEXTS[lang]
    makers = {m.worker_id: m for m in ref.makers}
    groups = {g.group_id: g for g in ref.groups}

    passed: dict[tuple[str, str, str], int] = {}
    for group_id, row in rows:
        if row.passed > 0:
            maker = makers.get(row.worker_id)
            # the maker's own group is the truth; the row's group only matters for an unknown worker
            key = (maker.group_id if maker else group_id, row.sku, row.worker_id)
            passed[key] = passed.get(key, 0) + row.passed

    cards: list[Card] = []
    for (group_id, sku, worker_id), copies in sorted(passed.items()):
        group = groups.get(group_id)
        if group is None:
            raise GroupNotFound(f"QC rows name group {group_id!r}, which is not in the reference data")
        maker = makers.get(worker_id)
        cards.append(
            _card(
                maker=maker,
                consent=consent_of(maker, group, generated_at),
                consent_date=local_date(group, generated_at),
                worker_id=worker_id,
                group=group,
                sku=sku,
                product=ref.find_product(sku),
                photo=photos.get(worker_id),
                lang=lang,
                texts=texts,
                copies=copies,
            )
        )
    return cards


def _card(
    *,
    maker: Maker | None,
    consent: ConsentChange,
    consent_date: date,
    worker_id: str,
    group: Group,
    sku: str,
    product: Product | None,
    photo: bytes | None,
    lang: str,
    texts: dict[str, str],
    copies: int,
) -> Card:
    warnings: list[str] = []
    if maker is None:
        warnings.append(f"worker {worker_id} is not in the reference data: card credits the group only")
    if product is None:
        warnings.append(f"SKU {sku} is not in the catalog: card shows the SKU and no care instructions")

    name = _display_name(maker, consent)
    photo_uri = _photo(maker, consent, photo, warnings)
    story = _story(maker, consent, lang, consent_date, warnings)
    if name is None:
        maker_name = byline = texts["women_of"].format(group=group.name)
        message = texts["message_group"].format(group=group.name)
    else:
        maker_name, byline = name, texts["made_by"].format(maker=name)
        message = texts["message_named"].format(maker=name)
    care = ""
    if product is not None:
        care = product.care_instructions.get(lang) or product.care_instructions.get(DEFAULT_LANGUAGE, "")
    return Card(
        worker_id=worker_id,
        group_id=group.group_id,
        sku=sku,
        # the buyer's language where the catalog has it (no [EN] mark on a card a customer reads)
        product_name=next((n for k, n in product.names.items() if k == lang and n), product.name) if product else sku,
        maker_name=maker_name,
        byline=byline,
        named=name is not None,
        group_name=group.name,
        place=group.place,
        photo_data_uri=photo_uri,
        story=story,
        message=message,
        care_instructions=care,
        language=lang,
        copies=copies,
        consent_date=consent_date,
        warnings=tuple(warnings),
    )


def _display_name(maker: Maker | None, consent: ConsentChange) -> str | None:
    if maker is None:
        return None
    if consent.name and maker.first_name.strip():
        return maker.first_name.strip()
    if maker.alias and maker.alias.strip():
        return maker.alias.strip()
    return None


def _photo(maker: Maker | None, consent: ConsentChange, photo: bytes | None, warnings: list[str]) -> str | None:
    if maker is None or not consent.photo:
        return None
    if not photo:
        if maker.card_photo:
            warnings.append(
                f"photo {maker.card_photo} of {maker.worker_id} is missing or unreadable: card printed without it"
            )
        return None
    if len(photo) > MAX_PHOTO_BYTES:
        warnings.append(
            f"photo {maker.card_photo} of {maker.worker_id} is {len(photo)} bytes "
            f"(limit {MAX_PHOTO_BYTES}): card printed without it"
        )
        return None
    mime = next((m for magic, m in _IMAGE_TYPES if photo.startswith(magic)), None)
    if mime is None:
        warnings.append(f"photo {maker.card_photo} of {maker.worker_id} is not a PNG, JPEG or GIF image")
        return None
    return f"data:{mime};base64,{base64.b64encode(photo).decode('ascii')}"


def _story(maker: Maker | None, consent: ConsentChange, lang: str, on: date, warnings: list[str]) -> str | None:
    """Her story in the buyer's language ``lang``, approved by ``on``, when she consents to one (Maker.story_for)."""
    if maker is None or not consent.story:
        return None
    story = maker.story_for(lang, on)
    if story is None:
        if maker.stories:
            warnings.append(f"{maker.worker_id} has no story approved in {lang}: the card shows its group line only")
        return None
    first_name = maker.first_name.strip()
    if not consent.name and first_name and re.search(rf"\b{re.escape(first_name)}\b", story, re.IGNORECASE):
        # printing it would reveal the name she chose not to show
        warnings.append(f"story of {maker.worker_id} names her without name consent: story left out")
        return None
    return story


@lru_cache(maxsize=8)
def qr_svg(url: str) -> tuple[Markup, int]:
    """The QR code for ``url`` as SVG markup to define once, and its side in modules.

    A 2-module quiet zone is enough on a white card and keeps the code large in its 13 mm box.
    """
    import segno  # only with a story page (CARDS_STORY_URL, empty by default): ~3 ms of a cold start

    qr = segno.make(url, error="m")
    svg = qr.svg_inline(scale=1, border=2, omitsize=True, dark="#2b2622")
    return Markup(svg), int(qr.symbol_size(scale=1, border=2)[0])  # noqa: S704  # segno output, not user markup


def render_print_sheet(
    cards: list[Card], *, title: str, options: CardOptions | None = None, generated_at: datetime | None = None
) -> str:
    """Render print sheets: 2 x 4 cards of 90 x 60 mm per A4 or Letter page, with crop marks.

    With ``per="unit"`` each card is repeated once per copy; with ``per="maker_product"`` each card is
    printed once with the number of copies to print beside it (outside the crop marks). The HTML is
    self-contained: each photo is embedded once as a data: URI and reused by every copy, there are no
    external fonts or styles, so it can be opened from S3 or an e-mail and printed at 100 % scale.
    """
    options = options or CardOptions()
    slots = cards if options.per == "maker_product" else [card for card in cards for _ in range(card.copies)]
    sheets = [slots[i : i + CARDS_PER_SHEET] for i in range(0, len(slots), CARDS_PER_SHEET)]
    language = cards[0].language if cards else DEFAULT_LANGUAGE
    photo_ids: dict[str, str] = {}
    for card in cards:
        if card.photo_data_uri and card.photo_data_uri not in photo_ids:
            photo_ids[card.photo_data_uri] = f"photo-{len(photo_ids) + 1}"
    width, height = PAPER[options.paper]
    return get_template("cards.html.j2").render(
        title=title,
        sheets=sheets,
        language=language,
        texts=TEXTS,
        default_texts=TEXTS[DEFAULT_LANGUAGE],
        total_cards=len(slots),
        per_sheet=CARDS_PER_SHEET,
        show_copies=options.per == "maker_product",
        photo_ids=photo_ids,
        qr=qr_svg(str(options.story_url)) if options.story_url else None,  # (svg, size) defined once
        paper=options.paper,
        page_width=width,
        page_height=height,
        grid_top=round((height - 258) / 2, 2),
        grid_left=round((width - 186) / 2, 2),
        generated=generated_at.date().isoformat() if generated_at else None,
    )
