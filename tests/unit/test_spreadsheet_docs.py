"""The spreadsheet formats have one home: each format module's docstring, gathered into docs/spreadsheets.md."""

from telar.sheets import payroll_book, qc_sheet, reference_book
from telar.sheets.reading import MAX_UPLOAD_BYTES
from tests.spreadsheet_docs import DOC, contract, render


def test_docs_spreadsheets_md_is_generated_from_the_format_docstrings() -> None:
    # Given the docstrings of the format modules, When the doc is rendered, Then it is the file in docs/
    assert DOC.read_text(encoding="utf-8") == render(), "run: python -m tests.spreadsheet_docs"


def test_the_qc_sheet_contract_names_every_label_the_reader_matches() -> None:
    # Given the labels read_qc_workbook looks for
    labels = [
        qc_sheet.LABEL_ASSIGNMENT_ID,
        qc_sheet.LABEL_INSPECTED_BY,
        qc_sheet.LABEL_DATE,
        *qc_sheet.QC_COLUMNS.values(),
    ]
    # Then the contract spells each one, and the sheet's name
    doc = contract("telar.sheets.qc_sheet")
    assert [label for label in labels if f"`{label}`" not in doc] == []
    assert f"`{qc_sheet.QC_SHEET}`" in doc


def test_the_reference_book_contract_names_every_sheet() -> None:
    doc = contract("telar.sheets.reference_book")
    names = [spec.name for spec in reference_book.SHEETS] + [reference_book.INSTRUCTIONS_SHEET]
    assert [name for name in names if f"`{name}`" not in doc] == []


def test_the_payroll_book_contract_names_every_sheet() -> None:
    doc = contract("telar.sheets.payroll_book")
    assert all(f"`{name}`" in doc for name in ("Summary", "Detail", "Audit"))
    assert payroll_book.DATE_FORMAT == "yyyy-mm-dd" and "dates are year-month-day" in doc


def test_the_upload_limits_are_the_ones_the_reader_enforces() -> None:
    assert f"{MAX_UPLOAD_BYTES // 1_000_000} MB" in contract("telar.sheets.reading")
