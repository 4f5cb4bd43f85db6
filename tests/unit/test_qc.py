"""Reading and validating uploaded QC sheets (the format in docs/spreadsheets.md), including hostile uploads."""

import re
import zipfile
from datetime import date, datetime, time
from decimal import Decimal
from io import BytesIO
from typing import Any

import openpyxl
import pytest
from defusedxml import EntitiesForbidden
from openpyxl import Workbook

from telar.errors import SheetInvalid, SheetProblem
from telar.models import ParsedQc, QcRow
from telar.qc import max_hours_per_row, validate_qc
from telar.sheets.qc_sheet import read_qc_workbook
from telar.sheets.qc_template import write_qc_template
from telar.sheets.reading import ZipLimits, check_container, read_grid
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    fill_qc_template,
    make_group,
    make_maker,
    make_makers,
    make_reference,
)
from tests.qc_corpus import AID, ASSIGNMENT, HEADER, REF, book, edit_sheet_xml, zip_of


def good_rows() -> list[list[Any]]:
    return [
        ["CUS-01", "KNT-SCARF-ALP", 4, 4, 3, 1, "LOOSE_THREAD", 17.5],
        ["CUS-02", "KNT-SCARF-ALP", 4, 4, 4, 0, None, 16],
        ["CUS-03", "EMB-CUSHION", 2, 2, 2, 0, "", 6],
    ]


def problems_of(excinfo: pytest.ExceptionInfo[SheetInvalid]) -> dict[str, SheetProblem]:
    return {p.cell: p for p in excinfo.value.problems}


def validate(data: bytes) -> Any:
    return validate_qc(read_qc_workbook(data), ASSIGNMENT, REF)


# --- the happy paths ------------------------------------------------------------------------------------


def test_template_filled_in_by_a_manager_round_trips_to_a_qc_sheet() -> None:
    # Given the template Telar sends, filled in with one rejected scarf for Luz (CUS-02)
    group = REF.group(CUSCO)
    template = write_qc_template(ASSIGNMENT, group, REF)
    filled = fill_qc_template(
        template,
        {("CUS-02", "KNT-SCARF-ALP"): {"Passed": 3, "Rejected": 1, "Defect codes": "stain; loose_thread"}},
        inspected_by="Patricia Quispe",
        inspected_on=date(2025, 4, 22),
    )

    # When it is read and validated
    sheet = validate_qc(read_qc_workbook(filled), ASSIGNMENT, REF)

    # Then every planned row comes back with its counts, codes in catalog spelling, hours as Decimal
    assert sheet.assignment_id == AID
    assert sheet.inspected_by == "Patricia Quispe"
    assert sheet.inspected_on == date(2025, 4, 22)
    assert len(sheet.rows) == 6
    luz = next(r for r in sheet.rows if (r.worker_id, r.sku) == ("CUS-02", "KNT-SCARF-ALP"))
    counts = (luz.planned, luz.produced, luz.passed, luz.rejected, luz.defect_codes, luz.hours_worked)
    assert counts == (4, 4, 3, 1, ("STAIN", "LOOSE_THREAD"), Decimal("16.00"))
    assert sheet.passed == 17 and sheet.rejected == 1


def test_a_spare_row_filled_for_a_maker_who_stepped_in_is_accepted_with_nothing_planned() -> None:
    # Given the template with Carmen's cushion row zeroed and a spare row filled for her scarf work
    template = write_qc_template(ASSIGNMENT, REF.group(CUSCO), REF)
    wb = openpyxl.load_workbook(BytesIO(fill_qc_template(template)))
    ws = wb["QC"]
    spare = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value is None and r > 12)
    for col, value in zip((1, 3, 7, 8, 9, 11), ("cus-03", "knt-scarf-alp", 1, 1, 0, 4), strict=True):
        ws.cell(spare, col).value = value
    buffer = BytesIO()
    wb.save(buffer)

    # When validated
    sheet = validate(buffer.getvalue())

    # Then the extra row is there, ids in the catalog's spelling and Planned read as 0
    extra = sheet.rows[-1]
    assert (extra.worker_id, extra.sku, extra.planned, extra.produced) == ("CUS-03", "KNT-SCARF-ALP", 0, 1)


def test_columns_in_any_order_labels_in_any_case_on_an_unnamed_first_sheet() -> None:
    # Given a sheet called "Hoja1" whose header is shuffled, lower-case, padded, with a colon and an extra column
    header = [
        "hours worked",
        "Nombre",
        " sku ",
        "WORKER ID",
        "Rejected:",
        "passed",
        "Produced",
        "planned",
        "defect codes",
    ]
    row = [8, "Carmen", "KNT-SCARF-ALP", "CUS-01", 0, 2, 2, 4, None]
    labels = {"assignment id:": AID, "INSPECTED BY": "Luz", " date ": date(2025, 4, 22)}
    data = book([row], header=header, labels=labels, sheet="Hoja1")

    # When read and validated
    sheet = validate(data)

    # Then the values are taken from the right columns
    assert sheet.rows == [
        QcRow(
            worker_id="CUS-01",
            sku="KNT-SCARF-ALP",
            planned=4,
            produced=2,
            passed=2,
            rejected=0,
            hours_worked=Decimal(8),
        )
    ]


def test_the_sheet_named_qc_is_read_even_when_it_is_not_the_first() -> None:
    data = book(good_rows(), sheet="QC", before=("Notas",))
    assert read_qc_workbook(data).sheet == "QC"


def test_numbers_typed_as_text_with_decimals_and_spaces_are_accepted() -> None:
    # Given counts as "12", "12.0 ", 12.0, " 4", a worker id typed lower-case with spaces, hours "7,5"
    rows = [
        [" cus-01 ", "KNT-SCARF-ALP ", "4", "4.0 ", 4.0, " 0", None, "7,5"],
        ["CUS-02", "knt-scarf-alp", 4.0, "4", "3", "1.0", "Wrong_Size", " 12.25 "],
        ["CUS-03", "EMB-CUSHION", "2", 2, "2", 0, None, "6:30"],
    ]

    # When validated
    sheet = validate(book(rows))

    # Then all are whole numbers and decimal hours
    assert [(r.worker_id, r.sku, r.produced, r.passed, r.rejected) for r in sheet.rows] == [
        ("CUS-01", "KNT-SCARF-ALP", 4, 4, 0),
        ("CUS-02", "KNT-SCARF-ALP", 4, 3, 1),
        ("CUS-03", "EMB-CUSHION", 2, 2, 0),
    ]
    assert [r.hours_worked for r in sheet.rows] == [Decimal("7.50"), Decimal("12.25"), Decimal("6.50")]
    assert sheet.rows[1].defect_codes == ("WRONG_SIZE",)


def test_empty_and_blank_rows_between_data_rows_are_skipped_and_cells_keep_their_rows() -> None:
    # Given empty rows, a row of spaces and a filled row at 12
    rows = [good_rows()[0], [], [" ", None, "  "], [], [], ["CUS-02", "KNT-SCARF-ALP", 4, 4, 4, 0, None, -1]]

    # When validated
    with pytest.raises(SheetInvalid) as excinfo:
        validate(book(rows))

    # Then only the row at 11 is read, and its bad hours are named at H11
    assert list(problems_of(excinfo)) == ["H11"]
    assert len(read_qc_workbook(book(rows)).rows) == 2


def _with_cached_values(data: bytes, cached: dict[str, str]) -> bytes:
    """Add a saved result to formula cells, as Excel does (openpyxl itself writes formulas without one)."""

    def edit(text: str) -> str:
        for cell, value in cached.items():
            text, count = re.subn(rf'(<c r="{cell}"[^>]*>)(<f>[^<]*</f>)<v\s*/>', rf"\1\2<v>{value}</v>", text)
            assert count == 1, cell
        return text

    return edit_sheet_xml(data, edit)


def test_formulas_are_read_as_the_values_the_spreadsheet_saved() -> None:
    # Given Produced and Hours computed by formulas, saved with their results
    rows = good_rows()
    rows[0][3] = "=E6+F6"
    rows[0][7] = "=2*8.75"
    data = _with_cached_values(book(rows), {"D6": "4", "H6": "17.5"})

    # When validated
    sheet = validate(data)

    # Then the saved results are used
    assert (sheet.rows[0].produced, sheet.rows[0].hours_worked) == (4, Decimal("17.50"))


def test_a_formula_without_a_saved_result_is_reported_at_its_cell() -> None:
    rows = good_rows()
    rows[1][3] = "=E7+F7"  # openpyxl saves no result, as a script that never opened Excel would
    with pytest.raises(SheetInvalid) as excinfo:
        validate(book(rows))
    assert "whole number" in problems_of(excinfo)["D7"].expected


@pytest.mark.parametrize(
    "value",
    [
        datetime(2025, 4, 22, 0, 0),
        date(2025, 4, 22),
        45769,  # Excel serial
        45769.0,
        "45769",
        "2025-04-22",
        "2025-04-22T00:00:00",
        "22/04/2025",
        "22.4.2025",
        " 22-04-2025 ",
        "22/04/2568",  # Buddhist era, as written in Thailand
    ],
)
def test_inspection_dates_as_date_cells_serials_or_text(value: object) -> None:
    data = book(good_rows(), labels={"Assignment ID": AID, "Inspected by": "Luz", "Date": value})
    assert validate(data).inspected_on == date(2025, 4, 22)


def test_serials_follow_the_1904_date_system_when_the_workbook_uses_it() -> None:
    # Given a workbook saved in the 1904 date system (old Mac Excel) whose Date cell holds the serial 44307
    data = book(good_rows(), labels={"Assignment ID": AID, "Inspected by": "L", "Date": 44307}, date1904=True)
    # Then the serial counts from 1904: 22 April 2025 (in the 1900 system it would be 21 April 2021)
    assert validate(data).inspected_on == date(2025, 4, 22)


# --- structure: SheetInvalid before any value is looked at ---------------------------------------------


def test_a_sheet_without_assignment_id_or_some_headers_reports_all_of_it() -> None:
    # Given no Assignment ID label and a header without Passed and Hours worked
    header = [h for h in HEADER if h not in ("Passed", "Hours worked")]
    data = book([["CUS-01", "KNT-SCARF-ALP", 4, 4, 0, None]], header=header, labels={"Inspected by": "L", "Date": "x"})

    # When read
    with pytest.raises(SheetInvalid) as excinfo:
        read_qc_workbook(data)

    # Then each missing thing is a problem of its own
    expected = [p.expected for p in excinfo.value.problems]
    assert any("'Passed'" in e for e in expected)
    assert any("'Hours worked'" in e for e in expected)
    assert any("'Assignment ID'" in e for e in expected)
    assert problems_of(excinfo).keys() >= {"5:5"}


def test_a_sheet_without_any_header_row_is_refused() -> None:
    with pytest.raises(SheetInvalid, match="header row"):
        read_qc_workbook(book([], header=["Nombre", "Cantidad"]))


def test_an_empty_assignment_id_is_named_at_its_cell() -> None:
    data = book(good_rows(), labels={"Assignment ID": None, "Inspected by": "L", "Date": date(2025, 4, 22)})
    with pytest.raises(SheetInvalid) as excinfo:
        read_qc_workbook(data)
    assert list(problems_of(excinfo)) == ["B1"]


def test_a_label_written_twice_is_ambiguous() -> None:
    labels = {"Assignment ID": AID, "Inspected by": "L", "Date": date(2025, 4, 22), "date": "22/04/2025"}
    with pytest.raises(SheetInvalid, match="one cell labelled 'Date'"):
        read_qc_workbook(book(good_rows(), labels=labels))


def test_a_header_written_twice_is_refused() -> None:
    with pytest.raises(SheetInvalid, match="'Produced' only once"):
        read_qc_workbook(book(good_rows(), header=[*HEADER, "produced"]))


def test_an_extra_date_column_in_the_header_is_not_the_sign_off_label() -> None:
    # Given a manager who added her own "Date" column to the table
    rows = [[*row, "21/04/2025"] for row in good_rows()]

    # When validated, then the sign-off date is still the one right of the "Date" label at A3
    assert validate(book(rows, header=[*HEADER, "Date"])).inspected_on == date(2025, 4, 22)


def test_sign_off_below_the_rows_is_found_and_not_read_as_a_row() -> None:
    # Given the sign-off cells written under the table, in the Worker ID column
    rows = [*good_rows(), [], ["Inspected by", "Luz"], ["Date", "22/04/2025"]]
    data = book(rows, labels={"Assignment ID": AID})

    # When validated
    sheet = validate(data)

    # Then they are the sign-off, and the three rows the data
    assert (sheet.inspected_by, sheet.inspected_on, len(sheet.rows)) == ("Luz", date(2025, 4, 22), 3)


# --- validation: every problem, each at its cell -------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "cell", "expected"),
    [
        (0, "CNX-01", "A6", "Worker ID of Taller Cusco"),  # a maker of another group
        (0, None, "A6", "Worker ID"),
        (1, "SEW-TOTE", "B6", "SKU of this assignment"),
        (2, "four", "C6", "whole number"),
        (3, None, "D6", "write 0 if there is none"),
        (3, -4, "D6", "whole number, 0 or more"),
        (3, 4.5, "D6", "whole number"),
        (3, "4 pcs", "D6", "whole number"),
        (3, True, "D6", "whole number"),
        (4, "#VALUE!", "E6", "whole number"),
        (5, "NaN", "F6", "whole number"),
        (6, "LOOSE_THREAD, BROKEN_ZIP", "G6", "defect codes of KNT-SCARF-ALP"),
        (7, None, "H6", "hours worked"),
        (7, 750, "H6", "from 0 to 100"),
        (7, "7 h", "H6", "hours worked"),
        (7, datetime(2025, 1, 7), "H6", "hours worked"),
    ],
)
def test_each_bad_value_is_reported_at_its_cell(column: int, value: object, cell: str, expected: str) -> None:
    # Given a good sheet with one bad value in row 6
    rows = good_rows()
    rows[0][column] = value

    # When validated
    with pytest.raises(SheetInvalid) as excinfo:
        validate(book(rows))

    # Then exactly that cell is named, with the value found and what was expected
    problems = excinfo.value.problems
    assert [(p.sheet, p.cell) for p in problems] == [("QC", cell)]
    assert expected in problems[0].expected
    assert f"QC!{cell}" in str(excinfo.value)


def test_passed_and_rejected_cannot_exceed_produced() -> None:
    rows = good_rows()
    rows[0][3:6] = [4, 3, 2]
    with pytest.raises(SheetInvalid) as excinfo:
        validate(book(rows))
    problem = problems_of(excinfo)["D6"]
    assert (problem.value, problem.expected) == (4, "at least Passed + Rejected = 5 (E6 + F6)")


def test_several_problems_are_reported_at_once() -> None:
    # Given a wrong assignment id, an unknown worker, bad counts in two rows and no inspector
    rows = good_rows()
    rows[0][0] = "CUS-99"
    rows[1][4] = -1
    rows[2][7] = "lots"
    data = book(rows, labels={"Assignment ID": "ord-other", "Inspected by": "  ", "Date": "31/02/2025"})

    # When validated
    with pytest.raises(SheetInvalid) as excinfo:
        validate(data)

    # Then all six are listed, each at its own cell
    assert sorted(problems_of(excinfo)) == ["A6", "B1", "B2", "B3", "E7", "H8"]
    assert "ord-other" in repr(problems_of(excinfo)["B1"].value)


def test_a_sheet_without_rows_is_refused() -> None:
    with pytest.raises(SheetInvalid, match="at least one row"):
        validate(book([]))


def test_defect_codes_are_matched_case_insensitively_with_commas_or_semicolons() -> None:
    rows = good_rows()
    rows[0][5:7] = [1, "loose_thread ;Stain,  wrong_size,stain"]
    assert validate(book(rows)).rows[0].defect_codes == ("LOOSE_THREAD", "STAIN", "WRONG_SIZE")


def test_a_maker_who_has_left_the_group_can_still_be_paid_for_her_work() -> None:
    # Given CUS-03 marked inactive in the reference data
    ref = make_reference(
        makers=[
            *make_makers(CUSCO)[:2],
            make_maker("CUS-03", first_name="Elena", active=False),
            *make_makers(CHIANG_MAI),
        ]
    )
    # When validated, her row is accepted
    assert [r.worker_id for r in validate_qc(read_qc_workbook(book(good_rows())), ASSIGNMENT, ref).rows][-1] == "CUS-03"


def test_the_hours_bound_is_four_working_weeks_or_more_for_large_quantities() -> None:
    # Given Cusco works 5 h a day, 5 days a week; a scarf takes 240 standard minutes
    group, scarf = make_group(CUSCO), REF.product("KNT-SCARF-ALP")

    # Then one row may claim four weeks (100 h), or three times the standard time of many pieces
    assert max_hours_per_row(group) == Decimal(100)
    assert max_hours_per_row(group, scarf, 4) == Decimal(100)
    assert max_hours_per_row(group, scarf, 40) == Decimal(480)

    rows = good_rows()
    rows[0][7] = 100.01
    with pytest.raises(SheetInvalid, match="from 0 to 100"):
        validate(book(rows))


def test_an_implausible_date_is_refused() -> None:
    data = book(good_rows(), labels={"Assignment ID": AID, "Inspected by": "L", "Date": 13})
    with pytest.raises(SheetInvalid) as excinfo:
        validate(data)
    assert list(problems_of(excinfo)) == ["B3"]


def test_parsed_values_keep_their_cell_references() -> None:
    parsed = read_qc_workbook(book(good_rows()))
    assert isinstance(parsed, ParsedQc)
    assert parsed.assignment_id_cell.ref == "QC!B1"
    assert parsed.rows[2].cells["hours_worked"].ref == "QC!H8"
    assert parsed.rows[2].cells["hours_worked"].value == 6
    # And each value is already read as its column's kind (the reader's job; telar.qc checks meaning)
    first = parsed.rows[0]
    assert (first.worker_id, first.sku, first.defect_codes) == ("CUS-01", "KNT-SCARF-ALP", ("LOOSE_THREAD",))
    assert first.counts == {"planned": 4, "produced": 4, "passed": 3, "rejected": 1}
    assert first.hours_worked == Decimal("17.50")
    assert (parsed.inspector, parsed.inspection_date) == ("Luz Mamani", date(2025, 4, 22))


# --- hostile or wrong files: always SheetInvalid, with a message a person understands ---------------------


def _xlsx_parts() -> dict[str, bytes]:
    source = zipfile.ZipFile(BytesIO(book(good_rows())))
    return {name: source.read(name) for name in source.namelist()}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "an empty file"),
        (b"Worker ID,SKU,Planned\nCUS-01,KNT-SCARF-ALP,4\n", "a text or CSV file"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "an old .xls file or a password-protected workbook"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not a spreadsheet"),
        (b"PK\x03\x04" + b"\x00" * 100, "a damaged zip file"),
        (zip_of({"notes.txt": b"hello"}), "not a workbook"),
        (zip_of({"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"}), ".ods"),
        (zip_of({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"not xml"}), "cannot be read"),
    ],
    ids=["empty", "csv", "xls", "png", "broken-zip", "plain-zip", "ods", "broken-xlsx"],
)
def test_files_that_are_not_xlsx_are_refused_with_a_clear_message(data: bytes, message: str) -> None:
    with pytest.raises(SheetInvalid) as excinfo:
        read_qc_workbook(data)
    problem = excinfo.value.problems[0]
    assert message in str(problem.value)
    assert ".xlsx" in problem.expected


def test_an_oversize_file_is_refused_before_it_is_opened() -> None:
    with pytest.raises(SheetInvalid, match="at most 1,000 bytes"):
        read_qc_workbook(book(good_rows()), max_bytes=1_000)


def test_a_zip_bomb_is_refused_by_its_compression_ratio() -> None:
    # Given a real workbook carrying 3 MB of zeros that compress to a few kB
    bomb = zip_of({**_xlsx_parts(), "xl/media/image1.png": b"\x00" * 3_000_000})
    assert len(bomb) < 100_000

    # When read, then it is refused without being inflated
    with pytest.raises(SheetInvalid, match="zip bomb"):
        read_qc_workbook(bomb)


def test_a_zip_that_inflates_past_the_limit_is_refused() -> None:
    data = zip_of({**_xlsx_parts(), "xl/media/big.bin": bytes(range(256)) * 4_000})
    with pytest.raises(SheetInvalid, match="inflates to"):
        check_container(data, max_bytes=5_000_000, limits=ZipLimits(max_uncompressed=500_000))


def test_a_zip_with_too_many_entries_is_refused() -> None:
    entries = {**_xlsx_parts(), **{f"xl/media/{i}.bin": b"x" for i in range(600)}}
    with pytest.raises(SheetInvalid, match="entries"):
        read_qc_workbook(zip_of(entries))


def test_xml_entity_expansion_is_refused() -> None:
    # Given a worksheet that declares entities (the start of a "billion laughs") and uses one
    parts = _xlsx_parts()
    doctype = b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    sheet = parts["xl/worksheets/sheet1.xml"].replace(b"<t>Luz Mamani</t>", b"<t>&lol2;</t>")
    parts["xl/worksheets/sheet1.xml"] = doctype + sheet

    # When read
    with pytest.raises(SheetInvalid) as excinfo:
        read_qc_workbook(zip_of(parts))

    # Then the stream check refused it before any reader could expand it
    [problem] = excinfo.value.problems
    assert "DTD" in str(problem.value) or "XML that does not parse" in str(problem.value)


def test_openpyxl_parses_xml_through_defusedxml() -> None:
    # openpyxl still opens uploads to annotate error reports: entity attacks must be refused there too
    parts = _xlsx_parts()
    doctype = b'<!DOCTYPE worksheet [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
    parts["xl/worksheets/sheet1.xml"] = doctype + parts["xl/worksheets/sheet1.xml"]
    with pytest.raises(ValueError) as excinfo:  # openpyxl wraps what its XML parser raised
        openpyxl.load_workbook(BytesIO(zip_of(parts)))
    causes, error = [], excinfo.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    assert any(isinstance(cause, EntitiesForbidden) for cause in causes)


def test_content_below_the_row_limit_is_refused() -> None:
    with pytest.raises(SheetInvalid, match="within the first 7 rows"):
        read_grid(book(good_rows()), preferred_sheet="QC", max_bytes=5_000_000, max_rows=7)


def test_a_cell_far_down_the_sheet_is_found_without_reading_a_million_rows_into_memory() -> None:
    # Given a workbook whose last row is 1,048,576 (the most Excel allows)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"], ws["A1048576"] = "top", "bottom"
    buffer = BytesIO()
    wb.save(buffer)

    # When read with the default limit, then it is refused, naming the row
    with pytest.raises(SheetInvalid, match=r"Sheet!A1048576: .* within the first 10,000 rows"):
        read_grid(buffer.getvalue(), preferred_sheet=None, max_bytes=5_000_000)


def test_times_of_day_as_hours_are_understood() -> None:
    rows = good_rows()
    rows[0][7] = time(7, 45)
    assert validate(book(rows)).rows[0].hours_worked == Decimal("7.75")
