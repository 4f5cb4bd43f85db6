"""What a production manager reads when a QC sheet is refused, word for word, and the bounds behind it.

The error report is the manager's only guide to fixing a sheet she filled in by hand, often days later
and far from the office: each message names the cell, the value found and exactly what is expected.
Mutation testing (make mutants) showed that the other QC tests checked only fragments of these texts.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from telar.errors import SheetInvalid
from telar.models import Assignment, AssignmentLine, ReferenceData
from telar.models.qc import max_hours_per_row
from telar.qc import validate_qc
from telar.sheets.qc_sheet import read_qc_workbook
from tests.factories import CUSCO, make_assignment, make_group, make_maker, make_product, make_reference
from tests.qc_corpus import AID, ASSIGNMENT, REF, book


def _rows() -> list[list[Any]]:
    return [
        ["CUS-01", "KNT-SCARF-ALP", 4, 4, 3, 1, "LOOSE_THREAD", 17.5],
        ["CUS-02", "KNT-SCARF-ALP", 4, 4, 4, 0, None, 16],
        ["CUS-03", "EMB-CUSHION", 2, 2, 2, 0, "", 6],
    ]


def _problems(data: bytes, assignment: Assignment = ASSIGNMENT, ref: ReferenceData = REF) -> dict[str, str]:
    with pytest.raises(SheetInvalid) as excinfo:
        validate_qc(read_qc_workbook(data), assignment, ref)
    return {p.cell: p.expected for p in excinfo.value.problems}


def _row_with(column: int, value: object) -> bytes:
    rows = _rows()
    rows[0][column] = value
    return book(rows)


@pytest.mark.parametrize(
    ("column", "value", "cell", "expected"),
    [
        (0, "CUS-99", "A6", "a Worker ID of Taller Cusco (CUS-01, CUS-02, CUS-03)"),
        (1, "SEW-TOTE", "B6", "a SKU of this assignment: EMB-CUSHION, KNT-SCARF-ALP"),
        (3, None, "D6", "a whole number, 0 or more (write 0 if there is none)"),
        (3, "four", "D6", "a whole number, 0 or more"),
        (
            6,
            "BROKEN_ZIP",
            "G6",
            "defect codes of KNT-SCARF-ALP: LOOSE_THREAD, UNEVEN_TENSION, DROPPED_STITCH, WRONG_SIZE, STAIN, "
            "separated by commas",
        ),
        (7, 750, "H6", "hours worked, a number from 0 to 100 (7.5 = 7 h 30)"),
    ],
)
def test_each_row_problem_reads_in_full(column: int, value: object, cell: str, expected: str) -> None:
    assert _problems(_row_with(column, value)) == {cell: expected}


def test_the_sign_off_and_assignment_problems_read_in_full() -> None:
    # Given a sheet for another assignment, with no inspector and a date that is not one
    data = book(_rows(), labels={"Assignment ID": "ord-other", "Inspected by": " ", "Date": "someday"})
    # Then each labelled cell says exactly what belongs there
    assert _problems(data) == {
        "B1": f"the assignment id {AID!r}",
        "B2": "the inspector's name, in the cell right of 'Inspected by'",
        "B3": "the inspection date right of 'Date': a date between 2000 and 2100, as a date cell or written "
        "day/month/year or year-month-day",
    }


def test_a_sheet_without_rows_names_the_row_under_its_header() -> None:
    # Given the header on row 5 and nothing under it
    assert _problems(book([])) == {"6:6": "at least one row with a Worker ID and a SKU under the header row"}


@pytest.mark.parametrize(
    ("makers", "listed"),
    [
        (5, "CUS-01, CUS-02, CUS-03, CUS-04, CUS-05"),
        (6, "CUS-01, CUS-02, CUS-03, CUS-04, CUS-05, ..."),
    ],
)
def test_an_unknown_worker_id_lists_five_of_the_groups_ids_and_says_when_there_are_more(
    makers: int, listed: str
) -> None:
    ref = make_reference(groups=[make_group(CUSCO)], makers=[make_maker(f"CUS-{n:02d}") for n in range(1, makers + 1)])
    assert _problems(_row_with(0, "CUS-99"), ref=ref) == {"A6": f"a Worker ID of Taller Cusco ({listed})"}


def test_an_invalid_planned_count_does_not_hide_that_passed_and_rejected_exceed_produced() -> None:
    rows = _rows()
    rows[0][2:6] = ["four", 4, 3, 2]
    assert _problems(book(rows)) == {
        "C6": "a whole number, 0 or more",
        "D6": "at least Passed + Rejected = 5 (E6 + F6)",
    }


# --- hours: from 0 to a plausible bound, inclusive -----------------------------------------------------


@pytest.mark.parametrize("hours", [0, 100])
def test_hours_from_zero_to_the_bound_inclusive_are_accepted(hours: int) -> None:
    rows = _rows()
    rows[0][7] = hours
    sheet = validate_qc(read_qc_workbook(book(rows)), ASSIGNMENT, REF)
    assert sheet.rows[0].hours_worked == Decimal(hours)


@pytest.mark.parametrize(("planned", "produced"), [(40, 40), (None, 40), (40, 0)])
def test_a_large_planned_or_produced_quantity_raises_the_hours_bound(planned: int | None, produced: int) -> None:
    # Given 40 scarves (240 standard minutes each: up to 3 x 160 h = 480 h) planned or produced by one maker
    rows = _rows()
    rows[0][2:6] = [planned, produced, 0, 0]
    rows[0][6:8] = [None, 400]
    # When she claims 400 hours, more than four working weeks (100 h)
    sheet = validate_qc(read_qc_workbook(book(rows)), ASSIGNMENT, REF)
    # Then the row is accepted: the bound follows the bigger of the two quantities of that product
    assert sheet.rows[0].hours_worked == Decimal(400)
    # But 481 hours is refused, naming the bound
    rows[0][7] = 481
    assert _problems(book(rows)) == {"H6": "hours worked, a number from 0 to 480 (7.5 = 7 h 30)"}


# --- a SKU of the assignment that the catalog no longer has ----------------------------------------------


def _assignment_with_a_retired_sku() -> Assignment:
    return make_assignment().model_copy(
        update={"lines": [AssignmentLine(sku="OLD-SKU-1", quantity=4, per_maker={"CUS-01": 4})]}
    )


def test_a_retired_sku_accepts_no_defect_codes_and_says_why() -> None:
    rows = [["CUS-01", "OLD-SKU-1", 4, 4, 3, 1, "LOOSE_THREAD", 10]]
    assert _problems(book(rows), _assignment_with_a_retired_sku()) == {
        "G6": "no defect codes (OLD-SKU-1 has none in the catalog)"
    }


def test_a_retired_sku_without_defect_codes_is_accepted_with_the_group_bound_on_hours() -> None:
    rows = [["CUS-01", "OLD-SKU-1", 4, 4, 4, 0, None, 100]]
    sheet = validate_qc(read_qc_workbook(book(rows)), _assignment_with_a_retired_sku(), REF)
    assert [(r.sku, r.passed, r.defect_codes) for r in sheet.rows] == [("OLD-SKU-1", 4, ())]


def test_an_assignment_of_a_group_not_in_the_reference_data_is_refused_by_name() -> None:
    assignment = ASSIGNMENT.model_copy(update={"group_id": "pe-nowhere"})
    with pytest.raises(LookupError, match=r"^group 'pe-nowhere' is not in the reference data$"):
        validate_qc(read_qc_workbook(book(_rows())), assignment, REF)


def test_defect_codes_come_from_the_product_of_the_row() -> None:
    # Given a cushion row with a scarf-only defect code
    rows = _rows()
    rows[2][5:7] = [1, "UNEVEN_TENSION"]
    rows[2][4] = 1
    cushion = make_product("EMB-CUSHION")
    assert _problems(book(rows)) == {
        "G8": f"defect codes of EMB-CUSHION: {', '.join(cushion.defect_codes)}, separated by commas"
    }


# --- the sheet's structure: labels and header, each problem with its sheet, cell and value ---------------


def _structure_problems(data: bytes) -> list[tuple[str, str, object, str]]:
    with pytest.raises(SheetInvalid) as excinfo:
        read_qc_workbook(data)
    return [(p.sheet, p.cell, p.value, p.expected) for p in excinfo.value.problems]


def test_a_missing_label_and_a_missing_column_are_named_on_their_sheet() -> None:
    header = ["Worker ID", "SKU", "Planned", "Produced", "Passed", "Rejected", "Hours worked"]
    data = book(_rows(), header=header, labels={"Assignment ID": AID, "Date": "2025-04-22"})
    assert _structure_problems(data) == [
        ("QC", "5:5", None, "a column headed 'Defect codes' in the header row"),
        ("QC", "", None, "a cell labelled 'Inspected by' with its value to the right"),
    ]


def test_a_label_twice_is_named_at_its_second_place_with_both_places() -> None:
    data = book(_rows(), labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": "2025-04-22", "date": "x"})
    assert _structure_problems(data) == [("QC", "A4", "date", "one cell labelled 'Date' (found A3, A4)")]


def test_a_header_twice_is_named_at_its_second_column() -> None:
    header = ["Worker ID", "SKU", "Planned", "Produced", "Passed", "Rejected", "Defect codes", "Hours worked", "sku"]
    assert _structure_problems(book(_rows(), header=header)) == [
        ("QC", "I5", "sku", "'SKU' only once in the header row (it is already in B5)")
    ]


def test_a_sheet_without_a_header_row_lists_the_columns_it_needs() -> None:
    assert _structure_problems(book(_rows(), header=["Name", "Product"])) == [
        (
            "QC",
            "",
            None,
            "a header row with the columns 'Worker ID', 'SKU', 'Planned', 'Produced', 'Passed', 'Rejected', "
            "'Defect codes', 'Hours worked'",
        )
    ]


def test_an_empty_assignment_id_says_where_it_goes() -> None:
    data = book(_rows(), labels={"Assignment ID": None, "Inspected by": "Luz", "Date": "2025-04-22"})
    assert _structure_problems(data) == [("QC", "B1", None, "the assignment id, in the cell right of 'Assignment ID'")]


# --- values as spreadsheets produce them ------------------------------------------------------------------


def _sign_off(inspected_by: object = "Luz", on: object = "2025-04-22") -> Any:
    data = book(_rows(), labels={"Assignment ID": AID, "Inspected by": inspected_by, "Date": on})
    return validate_qc(read_qc_workbook(data), ASSIGNMENT, REF)


@pytest.mark.parametrize(("typed", "read"), [(1023, "1023"), (1023.0, "1023"), (" Luz ", "Luz"), (True, "True")])
def test_a_name_typed_as_a_number_reads_without_a_spurious_decimal(typed: object, read: str) -> None:
    assert _sign_off(inspected_by=typed).inspected_by == read


@pytest.mark.parametrize("on", [date(2000, 1, 1), date(2100, 12, 31), datetime(2025, 4, 22, 10, 30)])
def test_dates_from_the_first_to_the_last_day_accepted_and_date_times_read_as_their_day(on: object) -> None:
    expected = on.date() if isinstance(on, datetime) else on
    assert _sign_off(on=on).inspected_on == expected


@pytest.mark.parametrize("on", [date(1999, 12, 31), date(2101, 1, 1)])
def test_dates_outside_2000_to_2100_are_refused(on: date) -> None:
    data = book(_rows(), labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": on})
    assert list(_problems(data)) == ["B3"]


@pytest.mark.parametrize(
    ("typed", "hours"),
    [
        (timedelta(hours=7, minutes=30), Decimal("7.50")),  # a duration cell ([h]:mm)
        ("7.125", Decimal("7.13")),  # hundredths, rounded half-up
        ("7,5", Decimal("7.50")),  # a decimal comma typed into a text cell
        (7.004999, Decimal("7.00")),
    ],
)
def test_hours_as_durations_text_and_decimal_commas_read_to_the_hundredth(typed: object, hours: Decimal) -> None:
    rows = _rows()
    rows[0][7] = typed
    assert validate_qc(read_qc_workbook(book(rows)), ASSIGNMENT, REF).rows[0].hours_worked == hours


@pytest.mark.parametrize("typed", ["1,000.5", "1.000,5", "1e15", "Infinity"])
def test_hours_that_are_not_a_plain_number_of_hours_are_refused(typed: str) -> None:
    rows = _rows()
    rows[0][7] = typed
    assert list(_problems(book(rows))) == ["H6"]


def test_a_count_a_hair_off_a_whole_number_from_float_arithmetic_is_whole_but_text_must_be_exact() -> None:
    rows = _rows()
    rows[0][3] = 4.0000000001  # what a formula like =0.1*40 can leave
    assert validate_qc(read_qc_workbook(book(rows)), ASSIGNMENT, REF).rows[0].produced == 4
    rows[0][3] = "4.0000000001"
    assert list(_problems(book(rows))) == ["D6"]


# --- the hours bound itself ---------------------------------------------------------------------------------


def test_the_hours_bound_for_one_long_piece_is_three_times_its_standard_time_rounded_up() -> None:
    # Given a product of 2,410 standard minutes: one piece may take 3 x 40.17 h = 120.5 h
    tapestry = make_product("TAPESTRY", standard_minutes=Decimal(2410))
    # Then a row of one piece may claim 121 h (rounded up), more than the group's four weeks (100 h)
    assert max_hours_per_row(make_group(CUSCO), tapestry, 1) == Decimal(121)
    assert max_hours_per_row(make_group(CUSCO), tapestry, 0) == Decimal(100)


def test_a_header_of_only_worker_id_and_sku_is_found_and_the_missing_columns_named() -> None:
    problems = _structure_problems(book([["CUS-01", "KNT-SCARF-ALP"]], header=["Worker ID", "SKU"]))
    assert [(cell, expected) for _, cell, _, expected in problems] == [
        ("5:5", f"a column headed '{label}' in the header row")
        for label in ("Planned", "Produced", "Passed", "Rejected", "Defect codes", "Hours worked")
    ]


def test_a_row_with_only_a_note_beside_the_table_is_skipped_and_the_rows_after_it_are_read() -> None:
    # Given a note in column J on the row between the first and second maker's rows
    rows = _rows()
    rows.insert(1, [None] * 9 + ["checked twice"])
    sheet = validate_qc(read_qc_workbook(book(rows)), ASSIGNMENT, REF)
    assert [r.worker_id for r in sheet.rows] == ["CUS-01", "CUS-02", "CUS-03"]


def test_a_date_typed_as_a_plain_number_follows_the_workbooks_1904_date_system() -> None:
    # Given an old Mac Excel workbook (1904 dates) whose Date cell holds the serial number as a plain number
    data = book(_rows(), labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": 44000}, date1904=True)
    # Then the day is counted from 1 January 1904, not from 1900
    assert validate_qc(read_qc_workbook(data), ASSIGNMENT, REF).inspected_on == date(1904, 1, 1) + timedelta(44000)


def test_the_no_rows_problem_is_on_the_qc_sheet() -> None:
    with pytest.raises(SheetInvalid) as excinfo:
        validate_qc(read_qc_workbook(book([])), ASSIGNMENT, REF)
    assert [(p.sheet, p.cell) for p in excinfo.value.problems] == [("QC", "6:6")]
