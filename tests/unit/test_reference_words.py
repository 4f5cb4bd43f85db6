"""Product names and order options in each group's language, from the reference book; English shown marked."""

from io import BytesIO

import openpyxl
import pytest

from samples.make_reference_book import sample_book
from telar.errors import SheetInvalid
from telar.models import OptionWord
from telar.reference_book import book_problems, missing_translations
from telar.sheets.qc_template import COL, write_qc_template
from telar.sheets.reference_book import read_reference_book, write_reference_book
from tests.factories import CHIANG_MAI, CUSCO, make_assignment, make_product, make_reference
from tests.workbooks import edit_workbook

WORDS = (
    OptionWord(word="colour", label={"es": "color", "th": "สี"}),
    OptionWord(word="natural grey", label={"es": "gris natural"}),
)
REF = make_reference(
    products=[make_product("KNT-SCARF-ALP", names={"es": "Bufanda de alpaca"}), make_product("EMB-CUSHION")]
).model_copy(update={"option_words": WORDS})


@pytest.mark.parametrize(
    ("language", "options", "said"),
    [
        ("es", {"colour": "natural grey"}, "color: gris natural"),
        ("es", {"Colour": "  Natural  Grey"}, "color: gris natural"),  # as the buyer typed it, any case or spacing
        ("th", {"colour": "natural grey"}, "สี: natural grey [EN]"),  # no Thai label: the English word, marked
        ("th", {"size": "40"}, "size [EN]: 40"),  # a number reads the same in every language
        ("en", {"colour": "natural grey"}, "colour: natural grey"),  # English as the buyer wrote it
    ],
)
def test_order_options_are_said_in_her_language_or_marked_english(
    language: str, options: dict[str, str], said: str
) -> None:
    assert REF.options_in(options, language) == said


def test_a_product_name_falls_back_to_english_visibly() -> None:
    scarf = REF.product("KNT-SCARF-ALP")
    assert (scarf.name_in("es"), scarf.name_in("th"), scarf.name_in("en")) == (
        "Bufanda de alpaca",
        "Alpaca knit scarf [EN]",
        "Alpaca knit scarf",
    )


def test_the_qc_template_names_products_in_her_language() -> None:
    assignment = make_assignment(group_id=CUSCO)
    ws = openpyxl.load_workbook(BytesIO(write_qc_template(assignment, REF.group(CUSCO), REF)))["QC"]
    products = {ws.cell(row=r, column=COL["product"]).value for r in range(1, ws.max_row + 1)}
    assert {"Bufanda de alpaca", "Embroidered cushion cover [EN]"} <= products
    assert "color: natural [EN]" in {ws.cell(row=r, column=COL["options"]).value for r in range(1, ws.max_row + 1)}


def test_missing_translations_are_listed_for_the_groups_languages_only() -> None:
    # Given groups speaking Spanish and Thai
    lines = missing_translations(REF)
    # Then each missing word is a line, for the languages some group speaks
    assert "catalog: KNT-SCARF-ALP has no name in th" in lines
    assert "catalog: EMB-CUSHION has no name in es, th" in lines
    assert "option_words: natural grey has no label in th" in lines
    assert not any(line.startswith("option_words: colour") for line in lines)
    # And a book with only Spanish groups does not ask for Thai
    spanish = REF.model_copy(update={"groups": tuple(g for g in REF.groups if g.group_id != CHIANG_MAI)})
    assert "catalog: KNT-SCARF-ALP has no name in th" not in missing_translations(spanish)


def test_the_catalog_has_a_name_column_per_language_and_the_instructions_explain_the_fallback() -> None:
    wb = openpyxl.load_workbook(BytesIO(write_reference_book(sample_book())))
    headers = [c.value for c in wb["catalog"][1]]
    assert headers[1:4] == ["Name", "Name es", "Name th"]
    assert [c.value for c in wb["option_words"][1]] == ["Word", "Label en", "Label es", "Label th"]
    guide = " ".join(str(c.value) for row in wb["instructions"].iter_rows() for c in row if c.value)
    assert "marked [EN]" in guide and "warning" in guide


def test_a_book_without_the_language_columns_and_sheets_still_loads() -> None:
    # Given a workbook made before issue 17: no Name es / Name th columns, no defects and option_words sheets
    def old(wb: openpyxl.Workbook) -> None:
        catalog = wb["catalog"]
        for header in ("Name th", "Name es"):
            catalog.delete_cols(next(c.column for c in catalog[1] if c.value == header))
        wb.remove(wb["defects"])
        wb.remove(wb["option_words"])

    ref = read_reference_book(edit_workbook(write_reference_book(sample_book()), old), book_problems).reference
    # Then it loads with English words only, and says what is missing
    assert ref.product("KNT-SCARF-ALP").names == {}
    assert ref.option_words == () and ref.defects == ()
    assert ref.product("KNT-SCARF-ALP").name_in("es") == "Alpaca knit scarf [EN]"
    assert "catalog: KNT-SCARF-ALP has no name in es, th" in missing_translations(ref)


def test_a_name_in_a_language_telar_does_not_speak_is_refused_at_its_cell() -> None:
    def french(wb: openpyxl.Workbook) -> None:
        catalog = wb["catalog"]
        column = catalog.max_column + 1
        catalog.cell(row=1, column=column).value = "Name fr"
        catalog.cell(row=2, column=column).value = "Écharpe"

    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(edit_workbook(write_reference_book(sample_book()), french), book_problems)
    (problem,) = refused.value.problems
    assert (problem.sheet, problem.value) == ("catalog", "Écharpe")
    assert problem.cell.endswith("2")


def test_the_materials_sheet_is_checked_cell_by_cell_and_folds_into_the_catalog() -> None:
    data = write_reference_book(sample_book())
    headers = [c.value for c in openpyxl.load_workbook(BytesIO(data))["materials"][1]]
    assert headers == ["SKU", "Material", "Name es", "Name th", "Unit", "Unit es", "Unit th", "Quantity per unit"]
    scarf = read_reference_book(data, book_problems).reference.product("KNT-SCARF-ALP")
    assert [(m.material, m.unit, m.quantity_per_unit) for m in scarf.materials] == [
        ("alpaca yarn", "g", 180),
        ("woven label", "pieces", 1),
    ]

    # Given a row for a SKU the catalog lacks, a quantity of 0 and one that is not a number
    def bad(wb: openpyxl.Workbook) -> None:
        ws = wb["materials"]
        ws["A2"], ws["H3"], ws["H4"] = "KNT-SCARF-ALPACA", 0, "a little"

    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(edit_workbook(data, bad), book_problems)
    # Then each is refused at its cell
    assert {(p.sheet, p.cell, p.expected) for p in refused.value.problems} == {
        ("materials", "A2", "a SKU from the catalog sheet"),
        ("materials", "H3", "Input should be greater than 0"),
        ("materials", "H4", "a number"),
    }
