"""Stories in her language and the buyer's: a card prints only a story approved in the buyer's language."""

from datetime import date
from io import BytesIO

import openpyxl
import pytest

from samples.make_reference_book import sample_book
from telar.cards import build_cards
from telar.errors import SheetInvalid
from telar.models import MakerStory, ReferenceBook
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book, write_reference_book
from tests.unit.test_cards import AGREED, NOW, a_maker, a_product, only_card, qc, reference

THE_DAY = NOW.date()
SPANISH = MakerStory(language="es", text="Carmen enseña crochet los sábados.", approved_on=date(2026, 3, 1))
ENGLISH = MakerStory(language="en", text="Carmen teaches crochet on Saturdays.", approved_on=date(2026, 3, 2))


def _maker(*stories: MakerStory, story: str | None = None) -> object:
    return a_maker(consent_story=True, consent_name=True, story=story, stories=stories)


@pytest.mark.parametrize(
    ("stories", "language", "printed"),
    [
        ((SPANISH, ENGLISH), "en", ENGLISH.text),  # the buyer's language, approved
        ((SPANISH, ENGLISH), "es", SPANISH.text),
        ((SPANISH,), "en", None),  # approved in hers only: nothing in the buyer's
        ((SPANISH, ENGLISH.model_copy(update={"approved_on": None})), "en", None),  # written, not approved yet
        ((SPANISH, ENGLISH.model_copy(update={"approved_on": date(2026, 12, 1)})), "en", None),  # approved later
    ],
)
def test_a_card_prints_only_a_story_approved_in_the_buyer_s_language(
    stories: tuple[MakerStory, ...], language: str, printed: str | None
) -> None:
    card = only_card(_maker(*stories, story="An old English story."), language=language)
    assert card.story == printed
    if printed is None:  # the card keeps its group line, and the office is told why there is no story
        assert card.place and any("no story approved in" in w for w in card.warnings)


def test_without_story_consent_no_approved_story_prints() -> None:
    maker = a_maker(consent_story=False, consent_name=True, stories=(ENGLISH,))
    assert only_card(maker).story is None


def test_a_maker_without_stories_per_language_keeps_her_story_as_before() -> None:
    assert only_card(_maker(story="Carmen teaches crochet on Saturdays.")).story == ENGLISH.text


def test_stories_round_trip_through_their_own_sheet_and_are_checked_by_cell() -> None:
    # Given a sample maker with her story in Spanish (approved) and in English (not yet)
    book = sample_book()
    ref = book.reference
    first = ref.makers[0].model_copy(update={"stories": (SPANISH, ENGLISH.model_copy(update={"approved_on": None}))})
    book = ReferenceBook(reference=ref.model_copy(update={"makers": (first, *ref.makers[1:])}), buyers=book.buyers)
    data = write_reference_book(book)
    sheet = openpyxl.load_workbook(BytesIO(data))["stories"]
    assert [c.value for c in sheet[1]] == ["Worker ID", "Language", "Text", "Approved on"]
    # Then they read back as written
    read = read_reference_book(data, book_problems).reference
    assert read.makers[0].stories == first.stories

    # And a story of an unknown maker, or in a language Telar does not speak, is refused at its cell
    def bad(wb: openpyxl.Workbook) -> None:
        ws = wb["stories"]
        ws["A2"], ws["B3"] = "NOBODY-1", "fr"

    wb = openpyxl.load_workbook(BytesIO(data))
    bad(wb)
    out = BytesIO()
    wb.save(out)
    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(out.getvalue(), book_problems)
    assert {(p.sheet, p.cell) for p in refused.value.problems} == {("stories", "A2"), ("stories", "B3")}
    assert AGREED < THE_DAY


def test_a_card_names_the_product_in_the_buyer_s_language_where_the_catalog_has_it() -> None:
    maker = a_maker(consent_name=True)
    scarf = a_product(names={"es": "Bufanda de alpaca"})
    names = {
        language: build_cards([("pe-cusco", qc())], reference(maker, products=(scarf,)), {}, language, NOW)[0]
        for language in ("es", "th", "en")
    }
    assert {k: c.product_name for k, c in names.items()} == {
        "es": "Bufanda de alpaca",
        "th": "Alpaca knit scarf",  # no Thai name: the English one, unmarked on a customer's card
        "en": "Alpaca knit scarf",
    }
