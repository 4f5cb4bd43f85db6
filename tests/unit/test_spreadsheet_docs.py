"""The spreadsheet formats have one home: each format module's docstring, gathered into docs/spreadsheets.md."""

import ast
from pathlib import Path

import pytest

from telar.sheets import payroll_book, qc_sheet, reference_book
from telar.sheets.reading import MAX_UPLOAD_BYTES
from tests.spreadsheet_docs import DOC, ROOT, contract, render

SHEETS = ROOT / "layers" / "telar" / "telar" / "sheets"


def _runtime_imports(path: Path) -> set[str]:
    """The modules ``path`` imports when it runs (names imported only for type checking are not)."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for n in ast.walk(block)
    }
    nodes = [n for n in ast.walk(tree) if id(n) not in typing_only]
    return {n.module or "" for n in nodes if isinstance(n, ast.ImportFrom)} | {
        a.name for n in nodes if isinstance(n, ast.Import) for a in n.names
    }


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


@pytest.mark.parametrize("module", sorted(p.stem for p in SHEETS.glob("*.py") if p.stem != "__init__"))
def test_every_module_of_sheets_depends_on_models_errors_and_sheets_only(module: str) -> None:
    # Given the imports of a module in telar/sheets/
    imported = _runtime_imports(SHEETS / f"{module}.py")
    # Then none of them is a domain module, a stage or an adapter
    telar = {m for m in imported if m == "telar" or m.startswith("telar.")}
    allowed = ("telar.models", "telar.errors", "telar.sheets")
    assert [m for m in telar if not m.startswith(allowed)] == []


def test_no_domain_module_opens_a_workbook_or_touches_an_adapter() -> None:
    # Given the pure domain modules (telar/*.py but the wiring, the CLI-bearing auth and the settings;
    # photos.py names the store's StoredObject for type checking only)
    domain = [p for p in SHEETS.parent.glob("*.py") if p.stem not in ("__init__", "ports", "auth", "settings")]
    for path in domain:
        imported = _runtime_imports(path)
        # Then none imports sheets/, adapters/, openpyxl or boto3
        bad = [m for m in imported if m.startswith(("telar.sheets", "telar.adapters", "openpyxl", "boto3"))]
        assert bad == [], path.name
