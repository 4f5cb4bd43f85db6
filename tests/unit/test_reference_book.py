"""The reference workbook: template and export written with openpyxl, uploads read and validated as a whole."""

from collections.abc import Callable
from decimal import Decimal
from io import BytesIO
from typing import Any

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from samples.make_reference_book import sample_book
from telar.errors import SheetInvalid, SheetProblem
from telar.models import Maker, ReferenceBook
from telar.models.reference import ReferenceRows, SheetRow
from telar.reference_book import book_problems, deactivated, keep_departed_makers
from telar.sheets.reference_book import SHEETS, read_reference_book, write_reference_book
from tests.conftest import SAMPLES
from tests.workbooks import edit_workbook


def _column(sheet: Worksheet, header: str) -> int:
    return next(c.column for c in sheet[1] if c.value == header)


def _set(sheet: str, header: str, row: int, value: Any) -> Callable[[openpyxl.Workbook], None]:
    def change(workbook: openpyxl.Workbook) -> None:
        workbook[sheet].cell(row=row, column=_column(workbook[sheet], header)).value = value

    return change


def _problems(data: bytes) -> list[SheetProblem]:
    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(data, book_problems)
    return refused.value.problems


def _where(problems: list[SheetProblem]) -> set[tuple[str, str]]:
    return {(p.sheet, p.cell) for p in problems}


@pytest.fixture(scope="module")
def exported() -> bytes:
    return write_reference_book(sample_book())


def test_the_sample_workbook_holds_exactly_the_sample_data() -> None:
    # Given samples/reference.xlsx as committed (made by samples/make_reference_book.py)
    # When it is read as an upload would be
    book = read_reference_book((SAMPLES / "reference.xlsx").read_bytes(), book_problems)
    # Then it is the JSON samples, consent histories and buyers included
    assert book == sample_book(), "regenerate it: PYTHONPATH=layers/telar python samples/make_reference_book.py"
    assert any(len(m.consent) > 1 for m in book.reference.makers)
    assert not all(m.active for m in book.reference.makers)


def test_an_export_read_back_gives_identical_data(exported: bytes) -> None:
    # Given the sample data exported, with text that looks like a formula or a number
    tricky = (
        sample_book()
        .reference.makers[0]
        .model_copy(update={"story": '=HYPERLINK("http://evil","x")', "alias": "00123"})
    )
    ref = sample_book().reference
    book = ReferenceBook(
        reference=ref.model_copy(update={"makers": (tricky, *ref.makers[1:])}), buyers=sample_book().buyers
    )
    data = write_reference_book(book)
    # When it is read back
    back = read_reference_book(data, book_problems)
    # Then every value is the same, and the tricky text is a text cell, not a formula
    assert back == book
    sheet = openpyxl.load_workbook(BytesIO(data))["makers"]
    story = sheet.cell(row=2, column=_column(sheet, "Story"))
    assert story.data_type == "s" and story.value.startswith("=HYPERLINK")


def test_the_template_has_every_sheet_and_column_but_no_data() -> None:
    # When the empty template is written
    workbook = openpyxl.load_workbook(BytesIO(write_reference_book()))
    # Then it has the instructions and one sheet per kind, each with only its header row
    assert workbook.sheetnames == ["instructions", *(s.name for s in SHEETS)]
    catalog = workbook["catalog"]
    headers = [c.value for c in catalog[1]]
    assert {"SKU", "Standard minutes", "Piece rates PEN", "Piece rates THB", "Care instructions es"} <= set(headers)
    assert catalog.max_row == 1
    # And an upload of the untouched template says what is missing
    assert ("groups", "A2") in _where(_problems(write_reference_book()))


@pytest.mark.parametrize(
    ("change", "at", "expected"),
    [
        (_set("groups", "Hours per day", 3, "four"), ("groups", "Hours per day", 3), "a number"),
        (_set("groups", "Days per week", 3, 8), ("groups", "Days per week", 3), "less than or equal to 7"),
        (_set("groups", "Kind", 2, "jail"), ("groups", "Kind", 2), "'prison'"),
        (_set("groups", "Manager email", 2, "gloria at example"), ("groups", "Manager email", 2), "email"),
        (_set("groups", "Timezone", 2, "Peru/Lima"), ("groups", "Timezone", 2), "time zone"),
        (_set("groups", "Region", 7, "Lamphun"), ("groups", "Region", 7), "minimum-wage rule"),
        (_set("makers", "Group ID", 2, "pe-nowhere"), ("makers", "Group ID", 2), "groups sheet"),
        (_set("makers", "First name", 2, None), ("makers", "First name", 2), "required"),
        (_set("makers", "Skills", 2, "knitting, juggling"), ("makers", "Skills", 2), "'knitting'"),
        (_set("makers", "Active", 2, "maybe"), ("makers", "Active", 2), "yes or no"),
        (_set("makers", "Worker ID", 3, "AYA-01"), ("makers", "Worker ID", 3), "not already used on row 2"),
        (_set("consent", "Worker ID", 2, "XXX-99"), ("consent", "Worker ID", 2), "makers sheet"),
        (_set("consent", "Effective", 2, "next week"), ("consent", "Effective", 2), "a date"),
        (_set("catalog", "Piece rates THB", 2, None), ("catalog", "Piece rates THB", 2), "a piece rate in THB"),
        (_set("catalog", "Max quantity", 2, 1), ("catalog", "Max quantity", 2), "at least the Min quantity"),
        (_set("catalog", "Min quantity", 2, 2.5), ("catalog", "Min quantity", 2), "a whole number"),
        (_set("wage_rules", "Unit", 2, "week"), ("wage_rules", "Unit", 2), "'month'"),
        (_set("buyers", "Email", 3, "not-an-address"), ("buyers", "Email", 3), "email"),
    ],
)
def test_each_kind_of_bad_value_is_reported_at_its_cell(
    exported: bytes, change: Callable[[openpyxl.Workbook], None], at: tuple[str, str, int], expected: str
) -> None:
    # Given the sample export with one bad value
    data = edit_workbook(exported, change)
    sheet = openpyxl.load_workbook(BytesIO(exported))[at[0]]
    where = (at[0], sheet.cell(row=at[2], column=_column(sheet, at[1])).coordinate)
    # When it is read
    problems = _problems(data)
    # Then the problem names the sheet and the cell, and what was expected there
    found = [p for p in problems if (p.sheet, p.cell) == where]
    assert found, problems
    assert any(expected.casefold() in p.expected.casefold() for p in found), found


def test_every_problem_in_the_book_is_reported_at_once(exported: bytes) -> None:
    # Given problems on three sheets
    def change(workbook: openpyxl.Workbook) -> None:
        _set("groups", "Currency", 2, "EUR")(workbook)
        _set("makers", "Group ID", 4, "pe-nowhere")(workbook)
        _set("buyers", "Language", 2, "fr")(workbook)

    # When it is read, Then all three come back together
    assert {"groups", "makers", "buyers"} == {p.sheet for p in _problems(edit_workbook(exported, change))}


def test_structure_problems_missing_sheet_missing_column_unknown_column(exported: bytes) -> None:
    # Given a book without the wage_rules sheet, a makers sheet without Worker ID and a typo in a header
    def change(workbook: openpyxl.Workbook) -> None:
        del workbook["wage_rules"]
        workbook["makers"].cell(row=1, column=_column(workbook["makers"], "Worker ID")).value = "Note: old id"
        workbook["catalog"].cell(row=1, column=_column(workbook["catalog"], "Defect codes")).value = "Defekt codes"

    problems = _problems(edit_workbook(exported, change))
    expected = {p.sheet: p.expected for p in problems}
    # Then each is named: the sheet, the missing column, the unknown header (a "Note" column is allowed)
    assert "a sheet named 'wage_rules'" in expected["wage_rules"]
    assert any(p.sheet == "makers" and "Worker ID" in p.expected for p in problems)
    assert any(p.sheet == "catalog" and p.value == "Defekt codes" for p in problems)
    assert not any(p.value == "Note: old id" for p in problems)


def test_a_file_that_is_not_a_workbook_is_refused_as_a_whole() -> None:
    problems = _problems(b"worker_id,group_id\nAYA-01,pe-ayacucho\n")
    assert problems[0].sheet == "workbook" and "CSV" in str(problems[0].value)


def test_rows_may_come_in_any_order_and_headers_in_any_case(exported: bytes) -> None:
    # Given the buyers sheet with its two rows swapped and a header in lower case with underscores
    def change(workbook: openpyxl.Workbook) -> None:
        sheet = workbook["buyers"]
        for c in range(1, sheet.max_column + 1):
            a, b = sheet.cell(row=2, column=c), sheet.cell(row=3, column=c)
            a.value, b.value = b.value, a.value
        sheet.cell(row=1, column=1).value = "buyer_id"
        catalog = workbook["catalog"]
        catalog.cell(row=1, column=_column(catalog, "Piece rates PEN")).value = "piece rates pen"

    # When read, Then it is the same data in another order
    book = read_reference_book(edit_workbook(exported, change), book_problems)
    assert book != sample_book() and book.canonical() == sample_book().canonical()


def test_makers_left_out_are_kept_inactive() -> None:
    # Given the sample data, and an upload without two makers (one of them already inactive)
    previous = sample_book().reference
    inactive = next(m for m in previous.makers if not m.active)
    leaving = next(m for m in previous.makers if m.active)
    incoming = previous.model_copy(
        update={
            "makers": tuple(m for m in previous.makers if m.worker_id not in {leaving.worker_id, inactive.worker_id})
        }
    )
    # When it is applied over the previous data
    merged, departed = keep_departed_makers(previous, incoming)
    # Then both are still there, inactive, and only the one who was active counts as deactivated now
    kept: dict[str, Maker] = {m.worker_id: m for m in merged.makers}
    assert not kept[leaving.worker_id].active and not kept[inactive.worker_id].active
    assert kept[leaving.worker_id].first_name == leaving.first_name
    assert {m.worker_id for m in departed} == {leaving.worker_id, inactive.worker_id}
    assert deactivated(previous, merged) == [leaving.worker_id]
    assert keep_departed_makers(None, incoming) == (incoming, [])


def test_an_unreadable_cell_is_reported_once(exported: bytes) -> None:
    # Given a required number written as a word
    problems = _problems(edit_workbook(exported, _set("groups", "Hours per day", 3, "four")))
    # Then only that it is not a number is said (not also that the value is missing)
    assert [(p.value, p.expected) for p in problems] == [("four", "a number")]


def test_a_group_s_own_piece_rate_round_trips_and_must_name_a_group() -> None:
    # Given a product with a rate of its own for the Cusco group
    book = sample_book()
    product = book.reference.products[0].model_copy(update={"group_piece_rates": {"pe-cusco": Decimal("27.50")}})
    ref = book.reference.model_copy(update={"products": (product, *book.reference.products[1:])})
    data = write_reference_book(book.model_copy(update={"reference": ref}))
    # When it is read back, Then the group's rate is there, in its own column
    assert read_reference_book(data, book_problems).reference.products[0].group_piece_rates == {
        "pe-cusco": Decimal("27.50")
    }
    # And a rate under a group that does not exist is refused at its cell
    sheet = openpyxl.load_workbook(BytesIO(data))["catalog"]
    column = _column(sheet, "Group piece rates pe-cusco")
    problems = _problems(
        edit_workbook(
            data, lambda wb: setattr(wb["catalog"].cell(row=1, column=column), "value", "Group piece rates pe-lim")
        )
    )
    assert [(p.sheet, p.cell, p.value) for p in problems] == [
        ("catalog", f"{sheet.cell(row=2, column=column).coordinate}", "pe-lim")
    ]


def _row(item: Any, cells: dict[tuple[str, str | None], str], **values: Any) -> SheetRow:
    return SheetRow(item, values, cells, first_cell="A9")


def test_the_cross_sheet_rules_are_pure_domain_and_name_the_cell_of_each_problem() -> None:
    # Given rows as a reader hands them over, with no workbook at all: a maker of a group that is not on the
    # groups sheet, a consent row for a maker that is not on the makers sheet, and a product with no rate
    ref = sample_book().reference
    group, maker, wage = ref.groups[0], ref.makers[0], ref.wage_rules
    stray = maker.model_copy(update={"group_id": "nowhere"})
    product = ref.products[0].model_copy(update={"piece_rates": {}, "group_piece_rates": {}})
    rows = ReferenceRows(
        {
            "groups": [_row(group, {("region", None): "D2"}, group_id=group.group_id)],
            "makers": [_row(stray, {("group_id", None): "B5"}, worker_id=stray.worker_id)],
            "consent": [_row(None, {("worker_id", None): "A3"}, worker_id="W-GHOST")],
            "catalog": [_row(product, {("piece_rates", group.currency): "F2"})],
            "wage_rules": [_row(w, {}) for w in wage],
        }
    )
    # When the domain's rules look across the sheets
    problems = book_problems(rows)
    # Then each problem stands at its cell, with the value and what was expected
    assert [(p.sheet, p.cell, p.value, p.expected) for p in problems] == [
        ("makers", "B5", "nowhere", "a Group ID from the groups sheet"),
        ("consent", "A3", "W-GHOST", "a Worker ID from the makers sheet"),
        ("catalog", "F2", None, f"a piece rate in {group.currency}"),
    ]
    # And once the maker's group is right, her problem is gone and the others stay
    mended = ReferenceRows({**rows.sheets, "makers": [_row(maker, {}, worker_id=maker.worker_id)]})
    assert [p.sheet for p in book_problems(mended)] == ["consent", "catalog"]
