"""The printable work sheet for a group's production manager."""

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from telar.allocation import split_order
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
    """The rows under the first header row starting with ``header_text``, up to the first empty row."""
    header = next(row for row in ws.iter_rows() if row[0].value == header_text)
    names = [c.value for c in header]
    rows = []
    for row in ws.iter_rows(min_row=header[0].row + 1):
        if all(c.value is None for c in row):
            break
        rows.append(dict(zip(names, (c.value for c in row), strict=True)))
    return rows


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
    # fitToWidth left out is 1, the file format's default (ECMA-376 Part 1, 18.3.1.63)
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
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


def _materials(ws: Worksheet, words: dict[str, str]) -> tuple[list[dict[str, Any]], list[tuple[str, Any, str]]]:
    """The work sheet's materials: its rows by header, and its totals as (material, quantity, unit)."""
    title = next(c.row for row in ws.iter_rows() for c in row if c.value == words["materials"])
    header = [c.value for c in ws[title + 1]]
    rows, totals, in_totals = [], [], False
    for row in ws.iter_rows(min_row=title + 2, values_only=True):
        in_totals = in_totals or row[0] == words["materials_total"]
        if in_totals:
            totals.append((row[2], row[5], row[6]))
        elif any(v is not None for v in row):
            rows.append(dict(zip(header, row, strict=False)))
    return rows, totals


def test_work_sheets_list_materials_that_add_up_to_the_order_s_quantities(sample_reference: Any) -> None:
    # Given an order of the sample catalog split among several groups
    order = make_order(
        lines=[
            make_order_line("KNT-SCARF-ALP", 60),
            make_order_line("EMB-CUSHION", 40),
            make_order_line("KNT-BEANIE", 30),
            make_order_line("JWL-BRACELET-BEAD", 100),
        ],
        requested_ship_date=date(2027, 3, 31),
    )
    assignments = split_order(order, sample_reference, date(2026, 11, 23)).assignments
    assert len({a.group_id for a in assignments}) > 1

    # When each group's work sheet is written
    needed: dict[tuple[str, str], Decimal] = {}
    bought: dict[tuple[str, str], Decimal] = {}
    for assignment in assignments:
        group = sample_reference.group(assignment.group_id)
        ws = load_workbook(BytesIO(write_worksheet(order, assignment, group, sample_reference))).active
        words = labels_for(group.language)
        rows, totals = _materials(ws, words)
        # Then each row is the line's units times what one unit takes, in her language
        for row in rows:
            assert Decimal(str(row[words["quantity"]])) == Decimal(str(row[words["per_unit"]])) * row[words["units"]]
            need = next(
                m
                for m in sample_reference.product(row[words["sku"]]).materials
                if m.name_in(group.language) == row[words["material"]]
            )
            key = (row[words["sku"]], need.material)
            needed[key] = needed.get(key, Decimal(0)) + Decimal(str(row[words["quantity"]]))
        # And the totals are the rows summed per material
        per_material: dict[str, Decimal] = {}
        for row in rows:
            per_material[row[words["material"]]] = per_material.get(row[words["material"]], Decimal(0)) + Decimal(
                str(row[words["quantity"]])
            )
        assert {name: Decimal(str(q)) for name, q, _unit in totals} == per_material
        for name, quantity, _unit in totals:
            bought[(group.group_id, name)] = Decimal(str(quantity))

    # And over all the work sheets, each product's materials are the order's quantity times the bill of materials
    expected = {
        (line.sku, need.material): need.quantity_per_unit * line.quantity
        for line in order.lines
        for need in sample_reference.product(line.sku).materials
    }
    assert needed == expected
    assert sum(bought.values()) == sum(expected.values())


def test_a_thai_work_sheet_names_its_materials_in_thai(sample_reference: Any) -> None:
    order = make_order(lines=[make_order_line("KNT-SCARF-ALP", 10)])
    assignment = make_assignment(
        order, group_id=CHIANG_MAI, worker_ids=[m.worker_id for m in sample_reference.makers_of(CHIANG_MAI)][:2]
    )
    data = write_worksheet(order, assignment, sample_reference.group(CHIANG_MAI), sample_reference)
    rows, totals = _materials(load_workbook(BytesIO(data)).active, labels_for("th"))
    assert [(r["วัสดุ"], r["จำนวน"], r["หน่วย"]) for r in rows] == [("ไหมพรมอัลปากา", 1800, "กรัม"), ("ป้ายผ้าทอ", 10, "ชิ้น")]
    assert totals == [("ไหมพรมอัลปากา", 1800, "กรัม"), ("ป้ายผ้าทอ", 10, "ชิ้น")]


def test_a_catalog_without_a_bill_of_materials_says_so() -> None:
    ws, _assignment = _sheet()
    assert "El catálogo aún no tiene la lista de materiales de estos productos." in _texts(ws)
