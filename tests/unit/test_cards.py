"""Insert cards: consent decides what is printed; one printed card per unit that passed QC."""

import base64
import json
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from telar.cards import TEXTS, Card, CardOptions, _load_texts, build_cards, photo_files_needed, render_print_sheet
from telar.models import ConsentChange, Maker, Product, QcRow, ReferenceData
from tests.factories import CUSCO, make_group, make_maker, make_product, make_qc_row

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 10:00 in Cusco
AGREED = date(2026, 2, 2)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32  # the cards only sniff the signature
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


# --- factories -------------------------------------------------------------------------------------


def a_maker(
    worker_id: str = "CUS-01", consent_photo=False, consent_name=False, consent_story=False, **overrides
) -> Maker:
    """A Cusco knitter whose consent, given on AGREED, is the three flags (unless ``consent`` is passed)."""
    fields = dict(
        group_id="pe-cusco",
        skills=("knitting",),
        consent=(ConsentChange(effective=AGREED, photo=consent_photo, name=consent_name, story=consent_story),),
        story="Carmen teaches crochet on Saturdays.",
    )
    return make_maker(worker_id, **{**fields, **overrides})


def a_product(sku: str = "KNT-SCARF-ALP", **overrides) -> Product:
    """The alpaca scarf (whatever ``sku``), with care instructions and no defect codes."""
    fields = dict(
        defect_codes=(),
        care_instructions={"en": "Hand wash cold.", "es": "Lavar a mano en agua fría.", "th": "ซักมือ"},
    )
    return make_product(sku, **{**fields, **overrides})


def reference(*makers: Maker, products: tuple[Product, ...] | None = None) -> ReferenceData:
    return ReferenceData(
        groups=(make_group(CUSCO),),
        makers=makers,
        products=products if products is not None else (a_product(),),
        wage_rules=(),
    )


def qc(worker_id: str = "CUS-01", sku: str = "KNT-SCARF-ALP", passed: int = 3, rejected: int = 0) -> QcRow:
    n = passed + rejected
    return make_qc_row(worker_id, sku, planned=n, produced=n, passed=passed, rejected=rejected, hours_worked=Decimal(8))


def only_card(
    maker: Maker, photos: dict[str, bytes | None] | None = None, language: str = "en", at: datetime = NOW
) -> Card:
    cards = build_cards([("pe-cusco", qc(maker.worker_id))], reference(maker), photos or {}, language, at)
    assert len(cards) == 1
    return cards[0]


# --- consent ---------------------------------------------------------------------------------------


def test_full_consent_shows_photo_name_and_story():
    # Given a maker who agreed to photo, name and story, and whose photo arrived
    maker = a_maker(consent_photo=True, consent_name=True, consent_story=True)
    # When her card is built
    card = only_card(maker, {"CUS-01": PNG})
    # Then it carries all three
    assert card.photo_data_uri == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert card.maker_name == "Carmen"
    assert card.byline == "Made by Carmen"
    assert card.named
    assert card.story == "Carmen teaches crochet on Saturdays."
    assert card.warnings == ()


def test_name_only_shows_neither_photo_nor_story_even_if_the_photo_was_loaded():
    # Given a maker who agreed to her name only, while a photo of her is at hand
    maker = a_maker(consent_name=True)
    # When her card is built
    card = only_card(maker, {"CUS-01": PNG})
    # Then only her name is printed
    assert card.maker_name == "Carmen"
    assert card.photo_data_uri is None
    assert card.story is None


def test_photo_without_name_or_alias_credits_the_group():
    # Given a maker who agreed to a photo but not to her name, and has no alias
    maker = a_maker(consent_photo=True, story=None)
    # When her card is built
    card = only_card(maker, {"CUS-01": JPEG})
    # Then the photo is shown and the card credits the women of her group
    assert card.photo_data_uri is not None
    assert card.photo_data_uri.startswith("data:image/jpeg;base64,")
    assert card.maker_name == "Made by the women of Taller Cusco"
    assert card.byline == card.maker_name
    assert not card.named
    assert "Carmen" not in card.model_dump_json()


def test_alias_is_used_without_name_consent():
    # Given a maker who chose an alias and did not agree to show her name
    maker = a_maker(alias="Qori", story=None)
    # When her card is built
    card = only_card(maker)
    # Then the alias is printed and her first name is nowhere
    assert card.maker_name == "Qori"
    assert card.byline == "Made by Qori"
    assert "Carmen" not in card.model_dump_json()


def test_first_name_wins_over_alias_with_name_consent():
    # Given a maker with an alias who agreed to show her name
    maker = a_maker(alias="Qori", consent_name=True)
    # When her card is built
    card = only_card(maker)
    # Then her first name is printed
    assert card.maker_name == "Carmen"


def test_story_with_alias_and_no_name():
    # Given a maker who agreed to her story and goes by an alias; her story does not name her
    maker = a_maker(alias="Killa", consent_story=True, story="She trains every new member.")
    # When her card is built
    card = only_card(maker)
    # Then the story and the alias are printed, the name is not
    assert card.story == "She trains every new member."
    assert card.maker_name == "Killa"


def test_no_consent_at_all_gives_a_group_card():
    # Given a maker who agreed to nothing
    maker = a_maker()
    # When her card is built, even with her photo loaded by mistake
    card = only_card(maker, {"CUS-01": PNG})
    # Then the card shows no photo, no name and no story
    assert card.photo_data_uri is None
    assert card.story is None
    assert card.maker_name == "Made by the women of Taller Cusco"
    assert "Carmen" not in card.model_dump_json()


def test_story_consent_without_story_text_prints_no_story():
    # Given a maker who agreed to a story that nobody has written yet
    maker = a_maker(consent_name=True, consent_story=True, story="   ")
    # When her card is built
    card = only_card(maker)
    # Then there is no story
    assert card.story is None


def test_story_that_would_reveal_a_withheld_name_is_left_out():
    # Given a maker who agreed to her story but not her name, and the story names her
    maker = a_maker(alias="Qori", consent_story=True, story="Carmen learned to knit at nine.")
    # When her card is built
    card = only_card(maker)
    # Then the story is left out, with a warning, and her name is nowhere on the card
    assert card.story is None
    assert any("story" in w for w in card.warnings)
    html = render_print_sheet([card], title="t")
    assert "Carmen" not in html


@pytest.mark.parametrize(
    ("photo", "name", "story", "alias", "expected_name", "has_photo", "has_story"),
    [
        (p, n, s, a, ("Carmen" if n else a or "Made by the women of Taller Cusco"), p, s)
        for p in (False, True)
        for n in (False, True)
        for s in (False, True)
        for a in (None, "Qori")
    ],
)
def test_every_consent_combination(photo, name, story, alias, expected_name, has_photo, has_story):
    # Given a maker with this combination of consents, a photo at hand and a story that does not name her
    maker = a_maker(consent_photo=photo, consent_name=name, consent_story=story, alias=alias, story="She knits.")
    # When her card is built and printed
    card = only_card(maker, {"CUS-01": PNG})
    html = render_print_sheet([card], title="t")
    # Then exactly what she agreed to is shown
    assert card.maker_name == expected_name
    assert (card.photo_data_uri is not None) is has_photo
    assert ('class="photo"' in html) is has_photo
    assert (card.story == "She knits.") is has_story
    assert ("She knits." in html) is has_story
    assert ("Carmen" in html) is name


# --- photos ----------------------------------------------------------------------------------------


def test_missing_photo_prints_the_card_without_it_and_warns():
    # Given a maker who agreed to a photo, whose photo file could not be loaded
    maker = a_maker(consent_photo=True, consent_name=True, photo_file="cusco-01.png")
    # When cards are built with the photo absent (None) or not even looked up
    for photos in ({"CUS-01": None}, {}):
        card = only_card(maker, photos)
        # Then the card has no photo, and a warning names the file
        assert card.photo_data_uri is None
        assert any("cusco-01.png" in w and "missing" in w for w in card.warnings)
        # and the print sheet has no image
        assert 'class="photo"' not in render_print_sheet([card], title="t")


def test_bytes_that_are_not_an_image_are_not_embedded():
    # Given a "photo" that is really an HTML file
    maker = a_maker(consent_photo=True)
    # When her card is built
    card = only_card(maker, {"CUS-01": b"<html><script>alert(1)</script>"})
    # Then no photo is embedded, with a warning
    assert card.photo_data_uri is None
    assert card.warnings


def test_only_consenting_makers_photos_are_needed():
    # Given three makers: photo consent with a file, photo consent without a file, no consent
    ref = reference(
        a_maker("CUS-01", consent_photo=True, photo_file="cusco-01.png"),
        a_maker("CUS-02", consent_photo=True, photo_file=None),
        a_maker("CUS-03", photo_file="cusco-03.png"),
    )
    rows = [("pe-cusco", qc("CUS-01")), ("pe-cusco", qc("CUS-02")), ("pe-cusco", qc("CUS-03"))]
    # When the handler asks which photos to load
    needed = photo_files_needed(rows, ref, NOW)
    # Then only the consenting maker's file is asked for
    assert needed == {"CUS-01": "cusco-01.png"}


# --- escaping --------------------------------------------------------------------------------------


def test_html_in_names_stories_and_title_is_escaped():
    # Given a name, an alias, a story and a product name with markup in them
    evil = "<script>alert('x')</script>"
    named = a_maker("CUS-01", first_name=f"Ana{evil}", consent_name=True, consent_story=True, story=f"Hi {evil}")
    aliased = a_maker("CUS-02", alias=f'"><img src=x onerror=alert(1)>{evil}')
    ref = reference(named, aliased, products=(a_product(name=f"Scarf {evil}"),))
    rows = [("pe-cusco", qc("CUS-01")), ("pe-cusco", qc("CUS-02"))]
    cards = build_cards(rows, ref, {}, "en", NOW)
    # When the print sheet is rendered with a hostile title too
    html = render_print_sheet(cards, title=f"Order {evil}")
    # Then no markup from the data reaches the page raw
    assert "<script" not in html
    assert "<img" not in html
    assert "&lt;script&gt;" in html


# --- counting --------------------------------------------------------------------------------------


def test_one_card_per_maker_and_product_and_one_printed_card_per_passed_unit():
    # Given QC rows of two makers and two products, one maker appearing twice for a product (rework),
    # a row with nothing passed, and more units than fit on one sheet
    ref = reference(
        a_maker("CUS-01", consent_name=True),
        a_maker("CUS-02", first_name="Luz", consent_name=True),
        products=(a_product("KNT-SCARF-ALP"), a_product("KNT-BEANIE", name="Knitted beanie")),
    )
    rows = [
        ("pe-cusco", qc("CUS-01", "KNT-SCARF-ALP", passed=4, rejected=1)),
        ("pe-cusco", qc("CUS-01", "KNT-SCARF-ALP", passed=1)),
        ("pe-cusco", qc("CUS-01", "KNT-BEANIE", passed=6)),
        ("pe-cusco", qc("CUS-02", "KNT-SCARF-ALP", passed=0, rejected=2)),
        ("pe-cusco", qc("CUS-02", "KNT-BEANIE", passed=7)),
    ]
    # When the cards are built and printed
    cards = build_cards(rows, ref, {}, "en", NOW)
    html = render_print_sheet(cards, title="Order FL-PO-2027-014")
    # Then there is one card per maker and product with copies = passed units
    assert {(c.worker_id, c.sku): c.copies for c in cards} == {
        ("CUS-01", "KNT-BEANIE"): 6,
        ("CUS-01", "KNT-SCARF-ALP"): 5,
        ("CUS-02", "KNT-BEANIE"): 7,
    }
    # and the sheet prints exactly as many cards as units passed, 8 to a page
    total = sum(r.passed for _, r in rows)
    assert len(re.findall(r'<article class="card', html)) == total == 18
    assert html.count('<section class="sheet"') == 3
    assert html.count('data-worker="CUS-02"') == 7


def test_no_passed_units_gives_no_cards_and_an_empty_sheet():
    # Given QC rows where nothing passed
    ref = reference(a_maker())
    # When cards are built and printed
    cards = build_cards([("pe-cusco", qc(passed=0, rejected=3))], ref, {}, "es", NOW)
    html = render_print_sheet(cards, title="Pedido 7")
    # Then there are no cards, and the sheet says so
    assert cards == []
    assert "<article" not in html
    assert "Pedido 7" in html


def test_unknown_worker_still_gets_a_group_card_with_a_warning():
    # Given a QC row for a worker the reference data does not know
    ref = reference(a_maker("CUS-01"))
    # When cards are built
    cards = build_cards([("pe-cusco", qc("CUS-99", passed=2))], ref, {"CUS-99": PNG}, "en", NOW)
    # Then the units still get cards crediting the group, without a photo
    assert len(cards) == 1
    assert cards[0].copies == 2
    assert cards[0].maker_name == "Made by the women of Taller Cusco"
    assert cards[0].photo_data_uri is None
    assert any("CUS-99" in w for w in cards[0].warnings)


# --- language --------------------------------------------------------------------------------------


def test_spanish_buyer_gets_spanish_message_and_care():
    # Given a named maker
    maker = a_maker(consent_name=True)
    # When the card is built for a Spanish-speaking buyer
    card = only_card(maker, language="es")
    # Then the message, the byline and the care instructions are in Spanish
    assert card.language == "es"
    assert card.byline == "Hecho por Carmen"
    assert "pago justo" in card.message
    assert "Carmen" in card.message
    assert card.care_instructions == "Lavar a mano en agua fría."
    assert '<html lang="es">' in render_print_sheet([card], title="t")


def test_english_buyer_gets_english_message_and_care():
    # Given a maker who goes unnamed
    maker = a_maker()
    # When the card is built for an English-speaking buyer
    card = only_card(maker, language="en")
    # Then the message and the care instructions are in English
    assert card.language == "en"
    assert "paid fairly" in card.message
    assert "women of Taller Cusco" in card.message
    assert card.care_instructions == "Hand wash cold."


def test_a_thai_buyer_gets_the_card_in_thai_from_its_texts_file():
    # Given a named maker and the Thai card texts file
    maker = a_maker(consent_name=True)
    # When the card is built for a Thai-speaking buyer
    card = only_card(maker, language="th")
    # Then the byline, the message and the page are in Thai
    assert card.language == "th"
    assert card.byline == "ทำโดย Carmen"
    assert "ค่าแรงขั้นต่ำ" in card.message and "Carmen" in card.message
    assert card.care_instructions == "ซักมือ"
    assert '<html lang="th">' in render_print_sheet([card], title="t")


@pytest.mark.parametrize(
    ("broken", "problem"),
    [
        ({"made_by": "Hecho por {maker}"}, r"keys \[.*'message_named'.*\] differ from en"),
        ({**TEXTS["es"], "made_by": "Hecho por {nombre}"}, "placeholders of en"),
    ],
)
def test_a_card_texts_file_that_does_not_match_english_is_refused(tmp_path, broken, problem):
    # Given a new language file that misses texts, or names a placeholder the code does not fill
    (tmp_path / "en.json").write_text(json.dumps(TEXTS["en"]), encoding="utf-8")
    (tmp_path / "xx.json").write_text(json.dumps(broken), encoding="utf-8")
    # When the texts are loaded, it is refused by name rather than printing a half-translated card
    with pytest.raises(ValueError, match=problem):
        _load_texts(tmp_path)


def test_a_language_without_card_texts_falls_back_to_english_throughout():
    # Given a buyer whose language has no card texts file (French)
    maker = a_maker(consent_name=True)
    # When the card is built
    card = only_card(maker, language="fr")
    # Then the whole card is in English, not a mix
    assert card.language == "en"
    assert "paid fairly" in card.message
    assert card.care_instructions == "Hand wash cold."


def test_care_instructions_fall_back_to_english_when_missing_in_the_buyers_language():
    # Given a product with English care instructions only
    ref = reference(a_maker(), products=(a_product(care_instructions={"en": "Wipe clean."}),))
    # When a card is built for a Spanish buyer
    [card] = build_cards([("pe-cusco", qc())], ref, {}, "es", NOW)
    # Then the English care instructions are printed rather than none
    assert card.care_instructions == "Wipe clean."


# --- consent over time -----------------------------------------------------------------------------


def test_withdrawn_photo_consent_applies_to_cards_generated_from_that_day_on():
    # Given a maker who agreed to photo and name, and withdrew her photo on 1 September
    maker = a_maker(
        consent=(
            ConsentChange(effective=AGREED, photo=True, name=True),
            ConsentChange(effective=date(2026, 9, 1), photo=False, name=True),
        )
    )
    # When cards are generated the day before and the day of the withdrawal
    before = only_card(maker, {"CUS-01": PNG}, at=datetime(2026, 8, 31, 12, tzinfo=UTC))
    after = only_card(maker, {"CUS-01": PNG}, at=datetime(2026, 9, 1, 12, tzinfo=UTC))
    # Then the earlier card shows her photo and the later one does not, while both keep her name
    assert before.photo_data_uri is not None
    assert after.photo_data_uri is None
    assert before.maker_name == after.maker_name == "Carmen"
    assert after.consent_date == date(2026, 9, 1)
    # and the photo is not even loaded any more
    assert photo_files_needed([("pe-cusco", qc())], reference(maker), datetime(2026, 9, 1, 12, tzinfo=UTC)) == {}


def test_withdrawal_of_everything_then_renewed_consent():
    # Given a maker who withdrew all consent in March and agreed to her story again in June
    maker = a_maker(
        alias="Qori",
        story="She knits.",
        consent=(
            ConsentChange(effective=date(2026, 6, 1), story=True),  # given out of order: sorted by date
            ConsentChange(effective=AGREED, photo=True, name=True, story=True),
            ConsentChange(effective=date(2026, 3, 10)),
        ),
    )
    # When cards are generated in April and in July
    april = only_card(maker, {"CUS-01": PNG}, at=datetime(2026, 4, 15, tzinfo=UTC))
    july = only_card(maker, {"CUS-01": PNG}, at=datetime(2026, 7, 15, tzinfo=UTC))
    # Then April shows only her alias, and July her alias and her story
    assert (april.maker_name, april.photo_data_uri, april.story) == ("Qori", None, None)
    assert (july.maker_name, july.photo_data_uri, july.story) == ("Qori", None, "She knits.")


def test_cards_generated_before_any_consent_show_nothing_of_her():
    # Given a maker whose consent takes effect on AGREED
    maker = a_maker(consent_photo=True, consent_name=True, consent_story=True)
    # When a card is generated the day before
    card = only_card(maker, {"CUS-01": PNG}, at=datetime(2026, 2, 1, 12, tzinfo=UTC))
    # Then it credits the group only
    assert card.maker_name == "Made by the women of Taller Cusco"
    assert card.photo_data_uri is None
    assert card.story is None


def test_consent_dates_are_days_in_her_groups_time_zone():
    # Given a maker in Cusco (UTC-5) who withdrew her name consent effective 1 September
    maker = a_maker(
        consent=(
            ConsentChange(effective=AGREED, name=True),
            ConsentChange(effective=date(2026, 9, 1), name=False),
        )
    )
    # When cards are generated at 02:00 UTC on 1 September (still 31 August in Cusco) and at 06:00 UTC
    late_evening = only_card(maker, at=datetime(2026, 9, 1, 2, tzinfo=UTC))
    morning = only_card(maker, at=datetime(2026, 9, 1, 6, tzinfo=UTC))
    # Then the Cusco calendar decides
    assert late_evening.maker_name == "Carmen"
    assert morning.maker_name == "Made by the women of Taller Cusco"


def test_two_consent_changes_on_one_day_are_refused():
    # Given two contradicting changes recorded for the same day
    # When the maker is validated, Then it is refused with a clear message
    with pytest.raises(ValueError, match="same day"):
        a_maker(consent=(ConsentChange(effective=AGREED, photo=True), ConsentChange(effective=AGREED)))


def test_generation_time_must_be_timezone_aware():
    with pytest.raises(ValueError, match=r"^generated_at must be timezone-aware$"):
        only_card(a_maker(), at=datetime(2026, 9, 1, 12))


def test_story_naming_her_in_capitals_is_left_out_without_name_consent():
    # Given a story that names her in capitals, and no name consent
    maker = a_maker(alias="Qori", consent_story=True, story="CARMEN learned to knit at nine.")
    # When her card is built, Then the story is left out
    assert only_card(maker).story is None


# --- print options ---------------------------------------------------------------------------------


def test_a_photo_is_embedded_once_however_many_copies_print():
    # Given one maker with a photo and 11 passed units
    maker = a_maker(consent_photo=True, consent_name=True)
    [card] = build_cards([("pe-cusco", qc(passed=11))], reference(maker), {"CUS-01": PNG}, "en", NOW)
    # When the print sheet is rendered per unit
    html = render_print_sheet([card], title="t", generated_at=NOW)
    # Then 11 cards draw the photo, whose bytes appear once
    assert html.count('<use href="#photo-1"/>') == 11
    assert html.count(base64.b64encode(PNG).decode()) == 1
    assert html.count('<section class="sheet"') == 2
    assert "generated 2026-11-23" in html


def test_one_card_per_maker_and_product_with_the_count_to_print():
    # Given two makers' cards with 5 and 3 units
    ref = reference(a_maker("CUS-01", consent_name=True), a_maker("CUS-02", first_name="Luz", consent_name=True))
    cards = build_cards(
        [("pe-cusco", qc("CUS-01", passed=5)), ("pe-cusco", qc("CUS-02", passed=3))], ref, {}, "es", NOW
    )
    # When printed as one card per maker and product
    html = render_print_sheet(cards, title="t", options=CardOptions(per="maker_product"))
    # Then each card appears once, with its count to print beside it
    assert len(re.findall(r'<article class="card', html)) == 2
    assert re.findall(r'data-copies="(\d+)"', html) == ["5", "3"]
    assert "imprimir 5" in html


def test_letter_paper_and_a_qr_code_to_the_story_page():
    # Given an organisation printing on Letter paper with a story page
    options = CardOptions(paper="Letter", story_url="https://example.org/stories?from=card&x=<b>")
    card = only_card(a_maker(consent_name=True))
    # When the sheet is rendered
    html = render_print_sheet([card], title="t", options=options)
    # Then the page is Letter-sized and every copy carries the QR code, defined once as inline SVG
    assert "@page { size: Letter portrait" in html
    assert "width: 215.9mm" in html
    assert html.count('<svg class="qr"') == card.copies == 3
    assert html.count('<g id="qr-code"><svg viewBox=') == 1
    assert "x=<b>" not in html
    # and without a story page there is none
    assert 'class="qr"' not in render_print_sheet([card], title="t")


def test_a_story_url_that_is_not_a_web_address_is_refused():
    with pytest.raises(ValueError, match="URL"):
        CardOptions(story_url="javascript:alert(1)")


# --- found by mutation testing (make mutants): each states a rule no test pinned -----------------------


def test_a_photo_is_loaded_for_one_passed_unit_and_never_for_none():
    # Given two consenting makers with photos, one with a single passed unit and one with none passed
    ref = reference(
        a_maker("CUS-01", consent_photo=True, photo_file="cusco-01.png"),
        a_maker("CUS-02", consent_photo=True, photo_file="cusco-02.png"),
    )
    rows = [("pe-cusco", qc("CUS-01", passed=1)), ("pe-cusco", qc("CUS-02", passed=0, rejected=2))]
    # When the handler asks which photos to load
    # Then only the photo of the maker who will have a card is loaded
    assert photo_files_needed(rows, ref, NOW) == {"CUS-01": "cusco-01.png"}


def test_a_card_belongs_to_the_makers_own_group_whatever_group_the_qc_row_came_with():
    # Given a Cusco maker whose rows arrive under another group's id (a sheet filed under the wrong group)
    ayacucho = make_group("pe-ayacucho", name="Taller Ayacucho")
    ref = ReferenceData(
        groups=(make_group(CUSCO), ayacucho),
        makers=(a_maker("CUS-01", consent_name=True),),
        products=(a_product(),),
        wage_rules=(),
    )
    rows = [("pe-ayacucho", qc("CUS-01", passed=2)), ("pe-cusco", qc("CUS-01", passed=1))]
    # When cards are built
    [card] = build_cards(rows, ref, {}, "en", NOW)
    # Then her units add up on one card of her own group
    assert (card.group_id, card.group_name, card.copies) == (CUSCO, "Taller Cusco", 3)


def test_qc_rows_of_a_group_not_in_the_reference_data_are_refused_by_name():
    with pytest.raises(LookupError, match="'pe-nowhere'"):
        build_cards([("pe-nowhere", qc("XX-01"))], reference(), {}, "en", NOW)


def test_a_product_not_in_the_catalog_prints_its_sku_without_care_instructions_and_warns():
    # Given a QC row for a SKU the catalog no longer has
    ref = reference(a_maker(consent_name=True))
    # When the card is built
    [card] = build_cards([("pe-cusco", qc(sku="OLD-SKU-1"))], ref, {}, "en", NOW)
    # Then it shows the SKU as the product, no care instructions, and says why
    assert (card.product_name, card.care_instructions) == ("OLD-SKU-1", "")
    assert "SKU OLD-SKU-1 is not in the catalog: card shows the SKU and no care instructions" in card.warnings


def test_care_instructions_in_neither_the_buyers_language_nor_english_print_none():
    ref = reference(a_maker(), products=(a_product(care_instructions={"th": "ซักมือ"}),))
    [card] = build_cards([("pe-cusco", qc())], ref, {}, "es", NOW)
    assert card.care_instructions == ""


def test_a_photo_of_exactly_the_size_limit_is_printed_and_one_byte_more_is_not():
    from telar.cards import MAX_PHOTO_BYTES

    maker = a_maker(consent_photo=True, photo_file="cusco-01.png")
    at_limit = PNG + b"\x00" * (MAX_PHOTO_BYTES - len(PNG))
    assert only_card(maker, {"CUS-01": at_limit}).photo_data_uri is not None
    over = only_card(maker, {"CUS-01": at_limit + b"\x00"})
    assert over.photo_data_uri is None
    assert over.warnings == (
        f"photo cusco-01.png of CUS-01 is {MAX_PHOTO_BYTES + 1} bytes (limit {MAX_PHOTO_BYTES}): "
        "card printed without it",
    )


def test_the_card_grid_is_centred_on_the_page_and_the_sheets_count_every_card():
    # Given 10 copies of one card (two sheets)
    card = build_cards([("pe-cusco", qc(passed=10))], reference(a_maker(consent_name=True)), {}, "en", NOW)[0]
    for paper, top, left in (("A4", 19.5, 12.0), ("Letter", 10.7, 14.95)):
        # When printed on A4 or Letter
        html = render_print_sheet([card], title="t", options=CardOptions(paper=paper))
        # Then the 186 x 258 mm grid sits in the middle of the page
        assert f"top: {top}mm;" in html and f"left: {left}mm;" in html
        # And each sheet's footer counts its cards out of all 10
        assert "1–8 / 10" in html and "9–10 / 10" in html


def test_a_sheet_of_cards_without_photos_defines_no_photo():
    card = only_card(a_maker(consent_name=True))
    html = render_print_sheet([card], title="t")
    assert 'id="photo-' not in html and "<defs>" not in html


def test_a_card_in_a_language_the_sheet_does_not_know_uses_the_english_texts():
    # Given a card built for Spanish whose language is not among the card texts when printed
    card = only_card(a_maker(consent_name=True), language="es").model_copy(update={"language": "xx"})
    # When the sheet is rendered
    html = render_print_sheet([card], title="t")
    # Then its labels are the English ones rather than an error
    assert TEXTS["en"]["sheet"] in html


def test_a_card_names_the_product_as_the_catalog_does():
    assert only_card(a_maker(consent_name=True)).product_name == "Alpaca knit scarf"


def test_the_qr_code_encodes_the_story_page():
    from telar.cards import qr_svg

    options = CardOptions(story_url="https://example.org/stories")
    html = render_print_sheet([only_card(a_maker(consent_name=True))], title="t", options=options)
    assert str(qr_svg(str(options.story_url))[0]) in html
    assert str(qr_svg("None")[0]) not in html
