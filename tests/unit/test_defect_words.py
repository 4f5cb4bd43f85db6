"""Defects in the manager's language: a stable code plus a label per language; a QC cell may say either.

The Thai word for "loose thread" used to be refused in a defect cell (issue 17). A label is compared as
``word_key`` does: Unicode NFC (accents and Thai marks typed in either order), no zero-width characters,
case and spacing aside; the accepted row keeps the stable code.
"""

from io import BytesIO
from typing import Any

import openpyxl
import pytest

from samples.make_reference_book import sample_book
from telar.errors import SheetInvalid
from telar.models import DefectCode, ReferenceBook, ReferenceData
from telar.models.reference import word_key
from telar.qc import validate_qc
from telar.reference_book import book_problems, missing_translations
from telar.sheets.qc_sheet import read_qc_workbook
from telar.sheets.qc_template import COL, write_qc_template
from telar.sheets.reference_book import read_reference_book, write_reference_book
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    fill_qc_template,
    make_assignment,
    make_defects,
    make_reference,
)
from tests.workbooks import edit_workbook

REF = make_reference().model_copy(update={"defects": make_defects()})


def _accepted(group_id: str, defects: str, ref: ReferenceData = REF) -> tuple[str, ...]:
    """The codes stored for the first maker's scarf row when her manager writes ``defects`` in its cell."""
    assignment = make_assignment(group_id=group_id)
    worker = assignment.lines[0].per_maker
    first = next(iter(worker))
    template = write_qc_template(assignment, ref.group(group_id), ref)
    filled = fill_qc_template(template, {(first, "KNT-SCARF-ALP"): {"Rejected": 1, "Defect codes": defects}})
    sheet = validate_qc(read_qc_workbook(filled), assignment, ref)
    return next(r.defect_codes for r in sheet.rows if (r.worker_id, r.sku) == (first, "KNT-SCARF-ALP"))


def _refusal(group_id: str, defects: str, ref: ReferenceData = REF) -> str:
    assignment = make_assignment(group_id=group_id)
    first = next(iter(assignment.lines[0].per_maker))
    template = write_qc_template(assignment, ref.group(group_id), ref)
    filled = fill_qc_template(template, {(first, "KNT-SCARF-ALP"): {"Rejected": 1, "Defect codes": defects}})
    with pytest.raises(SheetInvalid) as refused:
        validate_qc(read_qc_workbook(filled), assignment, ref)
    (problem,) = refused.value.problems
    return problem.expected


def test_a_thai_qc_sheet_with_thai_defect_labels_is_accepted_and_keeps_the_codes() -> None:
    # Given Chiang Mai's QC template, When its manager writes two defects in Thai
    # Then the sheet is accepted and the row stores the stable codes, in her order
    assert _accepted(CHIANG_MAI, "ด้ายหลุด, คราบเปื้อน") == ("LOOSE_THREAD", "STAIN")


@pytest.mark.parametrize(
    ("typed", "codes"),
    [
        ("Hilo suelto; MANCHA", ("LOOSE_THREAD", "STAIN")),  # Spanish labels, any case
        ("Punto cai\u0301do", ("DROPPED_STITCH",)),  # "í" typed as i + combining accent (NFD, as macOS saves)
        ("  loose   thread ", ("LOOSE_THREAD",)),  # the English label, spaced out
        ("loose_thread\nstain", ("LOOSE_THREAD", "STAIN")),  # the codes, lower case, one per line
        ("ด้าย\u200bหลุด", ("LOOSE_THREAD",)),  # a Thai zero-width word break inside the label
        ("ขนาดผิด, Wrong size", ("WRONG_SIZE",)),  # the same defect in two languages is stored once
    ],
)
def test_any_language_s_label_or_the_code_is_accepted_in_a_spanish_group_s_sheet(
    typed: str, codes: tuple[str, ...]
) -> None:
    assert _accepted(CUSCO, typed) == codes


def test_thai_marks_typed_in_either_order_are_the_same_word() -> None:
    # Given "ปุ่ม" (button) typed vowel-below then tone mark, and tone mark then vowel-below
    typed_one_way, typed_the_other = "\u0e1b\u0e38\u0e48\u0e21", "\u0e1b\u0e48\u0e38\u0e21"
    assert typed_one_way != typed_the_other
    # Then they compare equal, and a defect labelled one way is accepted typed the other way
    assert word_key(typed_one_way) == word_key(typed_the_other)
    button = DefectCode(code="LOST_BUTTON", label={"en": "Lost button", "th": typed_one_way + "หลุด"})
    scarf = REF.product("KNT-SCARF-ALP")
    ref = REF.model_copy(
        update={
            "defects": (*REF.defects, button),
            "products": tuple(
                p.model_copy(update={"defect_codes": (*scarf.defect_codes, "LOST_BUTTON")}) if p.sku == scarf.sku else p
                for p in REF.products
            ),
        }
    )
    assert _accepted(CHIANG_MAI, typed_the_other + "หลุด", ref) == ("LOST_BUTTON",)


def test_an_unknown_defect_is_refused_naming_the_product_s_defects_in_her_language() -> None:
    assert _refusal(CHIANG_MAI, "รูขาด") == (
        "defect codes of KNT-SCARF-ALP: ด้ายหลุด, แรงดึงไม่สม่ำเสมอ, ฝีเข็มหลุด, ขนาดผิด, คราบเปื้อน, separated by commas"
    )
    # a cushion's defect is not the scarf's, whatever the language
    assert _refusal(CUSCO, "Fruncido").startswith("defect codes of KNT-SCARF-ALP: Hilo suelto, Tensión desigual")


def _validations_of(ws: Any, column: int) -> list[Any]:
    letter = openpyxl.utils.get_column_letter(column)
    return [dv for dv in ws.data_validations.dataValidation if any(letter in str(r) for r in dv.sqref.ranges)]


def test_the_qc_template_offers_her_language_s_labels_and_lists_them_with_their_codes() -> None:
    # Given the Thai template
    assignment = make_assignment(group_id=CHIANG_MAI)
    wb = openpyxl.load_workbook(BytesIO(write_qc_template(assignment, REF.group(CHIANG_MAI), REF)))
    # Then the defect dropdown of a scarf row lists the Thai labels, not the codes
    formulas = [dv.formula1 for dv in _validations_of(wb["QC"], COL["defect_codes"])]
    assert '"ด้ายหลุด,แรงดึงไม่สม่ำเสมอ,ฝีเข็มหลุด,ขนาดผิด,คราบเปื้อน"' in formulas
    assert not any(f and "LOOSE_THREAD" in f for f in formulas)
    # And the instructions list each product's labels with their codes
    listed = [c.value for row in wb.worksheets[1].iter_rows() for c in row if isinstance(c.value, str)]
    assert any(v.startswith("ด้ายหลุด (LOOSE_THREAD), แรงดึงไม่สม่ำเสมอ (UNEVEN_TENSION)") for v in listed)


def test_a_missing_label_shows_the_english_one_marked_and_that_is_accepted_too() -> None:
    # Given a book whose STAIN has no Thai label
    defects = tuple(
        d.model_copy(update={"label": {k: v for k, v in d.label.items() if k != "th"}}) if d.code == "STAIN" else d
        for d in REF.defects
    )
    ref = REF.model_copy(update={"defects": defects})
    assignment = make_assignment(group_id=CHIANG_MAI)
    wb = openpyxl.load_workbook(BytesIO(write_qc_template(assignment, ref.group(CHIANG_MAI), ref)))
    # Then the dropdown offers the English label, visibly marked as untranslated
    formulas = [dv.formula1 or "" for dv in _validations_of(wb["QC"], COL["defect_codes"])]
    assert any("คราบเปื้อน" not in f and "Stain [EN]" in f for f in formulas)
    # And picking it is accepted as the code
    assert _accepted(CHIANG_MAI, "Stain [EN]", ref) == ("STAIN",)
    # And the receipt's warnings name what is missing
    assert [w for w in missing_translations(ref) if w.startswith("defects:")] == ["defects: STAIN has no label in th"]


# ------------------------------------------------------------------------------------ the reference book


def _book(defects: tuple[DefectCode, ...]) -> bytes:
    book = sample_book()
    return write_reference_book(
        ReferenceBook(reference=book.reference.model_copy(update={"defects": defects}), buyers=book.buyers)
    )


def _problems(data: bytes) -> dict[tuple[str, str], str]:
    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(data, book_problems)
    return {(p.sheet, p.cell): p.expected for p in refused.value.problems}


def test_the_defects_sheet_round_trips_with_a_label_per_language() -> None:
    # Given the samples' defects written to a workbook
    data = write_reference_book(sample_book())
    sheet = openpyxl.load_workbook(BytesIO(data))["defects"]
    assert [c.value for c in sheet[1]] == ["Code", "Label en", "Label es", "Label th"]
    # Then they read back the same, and every language the groups speak is covered
    read = read_reference_book(data, book_problems).reference
    assert read.defects == sample_book().reference.defects
    assert read.defect("LOOSE_THREAD").label_in("th") == "ด้ายหลุด"
    assert missing_translations(read) == []


def test_a_book_made_before_defect_labels_still_loads_and_its_codes_are_their_own_words() -> None:
    # Given a workbook without the defects sheet
    data = edit_workbook(write_reference_book(sample_book()), lambda wb: wb.remove(wb["defects"]))
    # Then it loads, codes and all, and a QC cell may still say the codes
    ref = read_reference_book(data, book_problems).reference
    assert ref.defects == ()
    assert ref.product("KNT-SCARF-ALP").defect_codes[0] == "LOOSE_THREAD"
    assert ref.defect("LOOSE_THREAD").label_in("th") == "LOOSE_THREAD"
    assert ref.defect_words(["LOOSE_THREAD"]) == {"loose thread": "LOOSE_THREAD", "loose thread [en]": "LOOSE_THREAD"}


def test_the_defects_sheet_must_cover_the_catalog_and_say_each_word_of_one_code_only() -> None:
    # Given defects without BENT_HOOK, a Spanish label shared by two codes and a label holding a comma
    defects = [d for d in sample_book().reference.defects if d.code != "BENT_HOOK"]
    data = _book(tuple(defects))

    def change(wb: openpyxl.Workbook) -> None:
        ws = wb["defects"]
        rows = {ws.cell(row=r, column=1).value: r for r in range(2, ws.max_row + 1)}
        ws.cell(row=rows["BROKEN_ZIP"], column=3).value = "broche  ROTO"  # BROKEN_CLASP's Spanish label
        ws.cell(row=rows["STAIN"], column=4).value = "คราบ, เปื้อน"

    problems = _problems(edit_workbook(data, change))
    # Then each is refused at its cell
    catalog = openpyxl.load_workbook(BytesIO(data))["catalog"]
    column = next(c.column_letter for c in catalog[1] if c.value == "Defect codes")
    earring = next(
        r for r in range(2, catalog.max_row + 1) if catalog.cell(row=r, column=1).value == "JWL-EARRING-SILVER"
    )
    assert problems.pop(("catalog", f"{column}{earring}")) == "defect codes listed on the defects sheet"
    zip_row = 2 + [d.code for d in defects].index("BROKEN_ZIP")
    assert problems.pop(("defects", f"A{zip_row}")) == "labels other than those of BROKEN_CLASP"
    stain_row = 2 + [d.code for d in defects].index("STAIN")
    assert problems.pop(("defects", f"D{stain_row}")) == "a label without commas or semicolons"
    assert problems == {}


def test_a_groups_papers_note_without_her_language_is_a_warning_of_the_upload() -> None:
    # Given Chiang Mai (Thai) with a note in English only, and Cusco (Spanish) with its note in Spanish too
    ref = make_reference()
    cusco, chiang_mai = ref.group("pe-cusco"), ref.group("th-chiangmai")
    notes = {"pe-cusco": {"en": "Bring this sheet.", "es": "Traiga esta hoja."}, "th-chiangmai": {"en": "Count them."}}
    ref = ref.model_copy(
        update={"groups": tuple(g.model_copy(update={"papers_note": notes.get(g.group_id, {})}) for g in ref.groups)}
    )
    # Then only Chiang Mai's is listed as missing, and her papers show the English one, marked
    assert [w for w in missing_translations(ref) if w.startswith("groups:")] == [
        "groups: th-chiangmai's papers note has no th text"
    ]
    assert ref.group(chiang_mai.group_id).note_in("th") == "Count them. [EN]"
    assert ref.group(cusco.group_id).note_in("es") == "Traiga esta hoja."
