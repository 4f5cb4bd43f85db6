"""Reference data for time that is not pieces (issue 15): each group's rates, guaranteed hours and public-holiday
rule, and the public holidays of each country, as sheets of the reference book, checked at their cells."""

from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from samples.make_reference_book import sample_book
from telar.errors import SheetInvalid
from telar.reference_book import book_problems
from telar.sheets.reference_book import read_reference_book, write_reference_book
from tests.workbooks import set_cell


def test_rates_guaranteed_hours_and_holidays_go_round_the_reference_book() -> None:
    # Given the samples, whose groups set rates per kind of time and whose countries have public holidays
    book = sample_book()
    read = read_reference_book(write_reference_book(book), book_problems)
    # Then the book holds them as written, a column per kind of time
    assert read.canonical() == book.canonical()
    cusco = read.reference.group("pe-cusco")
    assert cusco.time_rates["training"] == Decimal("6.00") and cusco.guaranteed_hours_per_week == 20
    assert read.reference.public_holidays("PE", date(2026, 12, 1), date(2026, 12, 31)) == {
        date(2026, 12, 8): "Inmaculada Concepción",
        date(2026, 12, 9): "Batalla de Ayacucho",
        date(2026, 12, 25): "Navidad",
    }
    headers = [c.value for c in load_workbook(BytesIO(write_reference_book()))["groups"][1]]
    assert {"Time rates training", "Time rates holiday", "Guaranteed hours per week", "Paid public holidays"} <= set(
        headers
    )


def test_a_book_made_before_the_holidays_sheet_still_reads() -> None:
    wb = load_workbook(BytesIO(write_reference_book(sample_book())))
    del wb["holidays"]
    out = BytesIO()
    wb.save(out)
    assert read_reference_book(out.getvalue(), book_problems).reference.holidays == ()


@pytest.mark.parametrize(
    ("sheet", "header", "value", "expected"),
    [
        ("groups", "Time rates training", -1, "an hourly rate of 0 or more"),
        ("groups", "Guaranteed hours per week", 30, "at most the group's week: 24 hours"),
        ("holidays", "Country", "CO", "'PE' or 'TH'"),
        ("holidays", "Day", "someday", "date"),
    ],
)
def test_each_rule_is_reported_at_its_cell(sheet: str, header: str, value: object, expected: str) -> None:
    data = set_cell(write_reference_book(sample_book()), sheet, header, 2, value)
    with pytest.raises(SheetInvalid) as raised:
        read_reference_book(data, book_problems)
    [problem] = raised.value.problems
    assert problem.sheet == sheet and problem.cell.endswith("2") and expected in str(problem.expected)
