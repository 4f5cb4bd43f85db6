"""Photo choice (issue 17): up to three photo options per maker in the makers sheet, and the number she chose."""

from datetime import UTC, datetime

import openpyxl
import pytest
from openpyxl.utils import get_column_letter
from pydantic import ValidationError

from telar.cards import photo_files_needed
from telar.errors import SheetInvalid, SheetProblem
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book
from tests.conftest import SAMPLES
from tests.factories import make_maker, make_qc_row, make_reference
from tests.workbooks import edit_workbook, set_cell

ROW = 2  # the first maker of the sample workbook


def _cell(header: str) -> str:
    sheet = openpyxl.load_workbook(SAMPLES / "reference.xlsx")["makers"]
    column = next(c.column for c in sheet[1] if c.value == header)
    return f"{get_column_letter(column)}{ROW}"


def _problems(data: bytes) -> list[SheetProblem]:
    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(data, book_problems)
    return refused.value.problems


@pytest.mark.parametrize(
    ("options", "choice", "header", "expected"),
    [
        ("a.jpg, b.jpg, c.jpg, d.jpg", None, "Photo options", "at most 3 photo file names"),
        ("../uploads/secret.jpg", None, "Photo options", "not a file name under photos/"),
        ("photos/a.jpg", None, "Photo options", "no folders"),
        ("a b.jpg", None, "Photo options", "letters, digits"),
        ("a.jpg, a.jpg", None, "Photo options", "each photo option once"),
        ("a.jpg, b.jpg", 3, "Photo choice", "the number of one of her 2 Photo options: 1 to 2"),
        ("a.jpg", 0, "Photo choice", "the number of one of her 1 Photo options: 1"),
        (None, 1, "Photo choice", "she has no Photo options"),
        ("a.jpg", "first", "Photo choice", "a number"),
    ],
)
def test_a_bad_photo_option_or_choice_is_reported_at_its_cell(
    options: str | None, choice: object, header: str, expected: str
) -> None:
    # Given the sample workbook with the first maker's options and choice replaced
    data = set_cell((SAMPLES / "reference.xlsx").read_bytes(), "makers", "Photo options", ROW, options)
    data = set_cell(data, "makers", "Photo choice", ROW, choice)
    # When it is read, Then one problem names the sheet, the cell, the value typed and what was expected
    [problem] = _problems(data)
    assert (problem.sheet, problem.cell) == ("makers", _cell(header))
    assert problem.value == (options if header == "Photo options" else choice)
    assert expected in problem.expected


def test_options_and_a_choice_are_read_and_the_card_prints_the_chosen_one() -> None:
    # Given a maker with three options who chose the second
    data = set_cell((SAMPLES / "reference.xlsx").read_bytes(), "makers", "Photo options", ROW, "a.jpg; b.png ,c.jpg")
    data = set_cell(data, "makers", "Photo choice", ROW, 2)
    # When the workbook is read
    maker = read_reference_book(data, book_problems).reference.makers[0]
    # Then her options keep their order and numbers, and her cards print option 2
    assert maker.photo_options == ("a.jpg", "b.png", "c.jpg") and maker.photo_choice == 2
    assert maker.card_photo == "b.png"


def test_a_workbook_made_before_photo_options_still_loads_and_cards_keep_photo_file() -> None:
    # Given the sample workbook without the two new columns (an old export)
    def drop(workbook: openpyxl.Workbook) -> None:
        sheet = workbook["makers"]
        for header in ("Photo choice", "Photo options"):
            sheet.delete_cols(next(c.column for c in sheet[1] if c.value == header))

    book = read_reference_book(edit_workbook((SAMPLES / "reference.xlsx").read_bytes(), drop), book_problems)
    # Then every maker reads with no options, and her cards print her Photo file as before
    assert all(m.photo_options == () and m.photo_choice is None for m in book.reference.makers)
    assert [m.card_photo for m in book.reference.makers] == [m.photo_file for m in book.reference.makers]


def test_the_card_photo_is_the_chosen_option_else_photo_file() -> None:
    chose = make_maker(photo_file="old.png", photo_options=("a.jpg", "b.jpg"), photo_choice=2)
    undecided = make_maker(photo_file="old.png", photo_options=("a.jpg", "b.jpg"))
    none = make_maker(photo_file=None, photo_options=("a.jpg",))
    assert (chose.card_photo, undecided.card_photo, none.card_photo) == ("b.jpg", "old.png", None)
    with pytest.raises(ValidationError, match="1 to 2"):
        make_maker(photo_options=("a.jpg", "b.jpg"), photo_choice=3)


def test_cards_load_the_chosen_option_and_consent_still_decides() -> None:
    # Given two makers who chose option 2, only the first with photo consent
    consenting = make_maker("CUS-01", photo_options=("a.jpg", "b.jpg"), photo_choice=2)
    refusing = make_maker("CUS-02", photo_options=("c.jpg", "d.jpg"), photo_choice=2, consent=())
    rows = [("pe-cusco", make_qc_row("CUS-01")), ("pe-cusco", make_qc_row("CUS-02"))]
    # When the cards' photos are listed, Then only the consenting maker's chosen option is loaded
    needed = photo_files_needed(rows, make_reference(makers=[consenting, refusing]), datetime(2026, 6, 1, tzinfo=UTC))
    assert needed == {"CUS-01": "b.jpg"}
