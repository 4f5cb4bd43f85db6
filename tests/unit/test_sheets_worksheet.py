"""The printable work sheet for a group's production manager."""

from datetime import datetime
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from telar.models import OptionWord
from telar.sheets.labels import labels_for
from telar.sheets.worksheet import write_worksheet
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    make_assignment,
    make_maker,
    make_makers,
    make_order,
    make_order_line,
    make_product,
    make_reference,
)

REF = make_reference()


def _sheet(order: Any = None, group_id: str = CUSCO, ref: Any = REF) -> tuple[Worksheet, Any]:
    order = order or make_order()
    assignment = make_assignment(order, group_id=group_id)
    data = write_worksheet(order, assignment, ref.group(group_id), ref)
    ws = load_workbook(BytesIO(data)).active
    assert ws is not None
    return ws, assignment


def _texts(ws: Worksheet) -> set[str]:
    return {c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)}


def _table(ws: Worksheet, header_text: str) -> list[dict[str, Any]]:
    header = next(row for row in ws.iter_rows() if row[0].value == header_text)
    names = [c.value for c in header]
    return [
        dict(zip(names, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=header[0].row + 1)
        if any(c.value is not None for c in row)
    ]


def test_a_peru_group_gets_its_work_sheet_in_spanish() -> None:
    # Given the Cusco workshop (language es) and an order due 30 April 2025
    ws, assignment = _sheet()

    # Then the labels are Spanish and the order's reference, id and due date are on it
    texts = _texts(ws)
    assert ws["A1"].value == "Hoja de trabajo — Taller Cusco"
    assert {"Fecha de entrega", "Artesana", "Cantidad", "Referencia del cliente"} <= texts
    assert {"PO-2025-0417", "ord-20250303-0001", assignment.assignment_id} <= texts
    due = next(c for row in ws.iter_rows() for c in row if isinstance(c.value, datetime))
    assert due.value.date() == assignment.due_date
    assert due.number_format == "dd/mm/yyyy"
    assert ws.title == "Hoja de trabajo"


def test_a_thai_group_gets_thai_labels() -> None:
    ws, _assignment = _sheet(group_id=CHIANG_MAI)
    assert ws["A1"].value.startswith("ใบงานการผลิต")
    assert {"วันกำหนดส่ง", "ช่างฝีมือ"} <= _texts(ws)
    assert "Fecha de entrega" not in _texts(ws)


def test_each_product_lists_who_makes_how_many() -> None:
    # Given 12 scarves (colour natural) and 6 cushions (a note), split over three makers
    ws, assignment = _sheet()
    rows = _table(ws, "SKU")

    # Then each maker has her row with first name, id and quantity, and the quantities add up per product
    by_sku: dict[str, int] = {}
    for row in rows:
        by_sku[row["SKU"]] = by_sku.get(row["SKU"], 0) + row["Cantidad"]
    assert by_sku == {line.sku: line.quantity for line in assignment.lines}
    assert [(r["Artesana"], r["ID de artesana"]) for r in rows[:3]] == [
        ("Carmen", "CUS-01"),
        ("Luz", "CUS-02"),
        ("Elena", "CUS-03"),
    ]
    # (the factories' catalog has no Spanish words: English shows, marked as untranslated)
    scarf, cushion = rows[0], rows[3]
    assert (scarf["Producto"], scarf["Opciones"], scarf["Cantidad total"]) == (
        "Alpaca knit scarf [EN]",
        "colour [EN]: natural [EN]",
        12,
    )
    assert (cushion["Producto"], cushion["Notas"]) == ("Embroidered cushion cover [EN]", "Blue thread only")


def test_product_names_and_options_are_in_her_language_where_the_catalog_has_them() -> None:
    # Given the scarf named in Spanish and Thai, and the words of its options in Thai but not "colour" in Spanish
    scarf = make_product("KNT-SCARF-ALP", names={"es": "Bufanda de alpaca", "th": "ผ้าพันคออัลปากา"})
    words = (
        OptionWord(word="colour", label={"th": "สี"}),
        OptionWord(word="Natural", label={"es": "natural", "th": "สีธรรมชาติ"}),
    )
    ref = make_reference(products=[scarf, make_product("EMB-CUSHION")]).model_copy(update={"option_words": words})
    # Then each group's sheet says them in its language; what is missing shows in English, marked
    for group_id, product, options in (
        (CUSCO, "Bufanda de alpaca", "colour [EN]: natural"),
        (CHIANG_MAI, "ผ้าพันคออัลปากา", "สี: สีธรรมชาติ"),
    ):
        ws, _assignment = _sheet(group_id=group_id, ref=ref)
        words = labels_for(ref.group(group_id).language)
        first = _table(ws, words["sku"])[0]
        assert (first[words["product"]], first[words["options"]]) == (product, options)


def test_the_sheet_prints_on_a4_one_page_wide_with_the_header_repeated() -> None:
    ws, _assignment = _sheet()
    header_row = next(row for row in ws.iter_rows() if row[0].value == "SKU")[0].row
    assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True
    assert ws.print_title_rows == f"${header_row}:${header_row}"


def test_formula_looking_text_from_buyers_and_names_is_written_as_text() -> None:
    # Given a buyer reference, a note and a maker name that look like formulas
    order = make_order(
        buyer_reference='=HYPERLINK("http://evil","PO")',
        lines=[make_order_line("KNT-SCARF-ALP", 6, notes="@SUM(1+1)*cmd|' /C calc'!A0")],
    )
    ref = make_reference(makers=[make_maker("CUS-01", first_name="=1+2"), *make_makers(CUSCO)[1:]])

    # When the work sheet is written
    ws, _assignment = _sheet(order, ref=ref)

    # Then all three are string cells holding the text exactly
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    for text in ('=HYPERLINK("http://evil","PO")', "@SUM(1+1)*cmd|' /C calc'!A0", "=1+2"):
        assert cells[text].data_type == "s"
