"""The work sheet: the printable sheet a production manager hands out, what to make, for whom, by when.

Written only (never read back). One sheet in the group's language (es, th, else en), A4 and one page wide,
its header row repeated on every page: the order's buyer reference, order and assignment ids, group, due date
and total units, the group's papers note from the office if it has one, then a table of `SKU`, `Product`,
`Options`, `Notes`, `Total quantity`, `Maker`, `Worker ID`,
`Quantity` and a `Done ✓` box, one row per product and maker (the product's details on its first row). Product names
and options are in the group's language (English marked [EN] where the catalog has no translation). Below it, the
materials the assignment needs: for each product line and material of its bill of materials (the reference book's
`materials` sheet) the quantity per unit, the line's units and their product, then the total of each material to
buy; a note says so when the catalog has no bill of materials for its products. A rework round's sheet says
"rework" and its round in its title, and on each maker's row the defects her rejected units had."""

import math

from telar.models import Assignment, Group, Order, ReferenceData
from telar.sheets import cells
from telar.sheets.labels import labels_for, sheet_title
from telar.sheets.xlsx import Sheet

DATE_FORMATS = {"es": "dd/mm/yyyy", "th": "dd/mm/yyyy", "en": "yyyy-mm-dd"}
QUANTITY_FORMAT = "#,##0.###"  # 0.9 m, 180 g: as many decimals as the bill of materials has, up to three
_LINE_HEIGHT = 15  # points per line of 11-point text
_TABLE = (  # (label key, width)
    ("sku", 20),
    ("product", 26),
    ("options", 18),
    ("notes", 28),
    ("line_quantity", 10),
    ("maker", 16),
    ("worker_id", 14),
    ("quantity", 10),
    ("done", 10),
)


def write_worksheet(order: Order, assignment: Assignment, group: Group, ref: ReferenceData) -> bytes:
    """A one-sheet .xlsx in the group's language, A4 and one page wide, its header row on every page.

    One row per product and maker: the product's SKU, name, options, notes and total on the maker's
    first row, then her first name, worker id and how many she makes (``AssignmentLine.per_maker``).
    """
    words = labels_for(group.language)
    wb, ws = cells.new_workbook(words["worksheet_title"])

    title = sheet_title(words, "worksheet_title", group.name, assignment.rework_round)
    cells.put_text(ws.cell(row=1, column=1), title).font = cells.TITLE_FONT
    info: list[tuple[str, object]] = [
        ("buyer_reference", order.buyer_reference),
        ("order_id", order.order_id),
        ("assignment_id", assignment.assignment_id),
        ("group", group.name),
        ("due_date", assignment.due_date),
        ("total_units", assignment.planned_units),
    ]
    for row, (key, value) in enumerate(info, start=2):
        cells.put_text(ws.cell(row=row, column=1), words[key]).font = cells.LABEL_FONT
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        cell = ws.cell(row=row, column=3)
        if key == "due_date":
            cells.put_value(cell, assignment.due_date, DATE_FORMATS.get(group.language, DATE_FORMATS["en"]))
        elif key == "total_units":
            cells.put_value(cell, assignment.planned_units, cells.INTEGER_FORMAT)
        else:
            cells.put_text(cell, value)
        cell.font = cells.LABEL_FONT
        cell.alignment = cells.LEFT

    row = len(info) + 2
    if note := group.note_in(group.language):  # the office's standing note, under the facts it goes with
        cells.put_text(ws.cell(row=row, column=1), words["papers_note"]).font = cells.LABEL_FONT
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=len(_TABLE))
        cell = cells.put_text(ws.cell(row=row, column=3), note)
        cell.alignment = cells.WRAP
        ws.row_heights[row] = _LINE_HEIGHT * min(6, 1 + len(note) // 90 + note.count("\n"))
        row += 1
    header = row + 1
    for col, (key, _width) in enumerate(_TABLE, start=1):
        cells.put_text(ws.cell(row=header, column=col), words[key])
    cells.style_header_row(ws, header, 1, len(_TABLE))
    ws.row_heights[header] = _LINE_HEIGHT * 2  # "Total quantity" takes two lines

    makers = {m.worker_id: m for m in ref.makers}
    row = header + 1
    for line in assignment.lines:
        product = ref.find_product(line.sku)
        options = ref.options_in(line.options, group.language)
        for index, (worker_id, quantity) in enumerate(line.per_maker.items()):
            cells.put_text(ws.cell(row=row, column=1), line.sku)
            if index == 0:  # the product's details once, on its first row
                cells.put_text(ws.cell(row=row, column=2), product.name_in(group.language) if product else "")
                cells.put_text(ws.cell(row=row, column=3), options)
                cells.put_text(ws.cell(row=row, column=4), line.notes or "")
                cells.put_value(ws.cell(row=row, column=5), line.quantity, cells.INTEGER_FORMAT)
                for col in range(1, len(_TABLE) + 1):
                    ws.cell(row=row, column=col).border = cells.TOP_LINE
                # spreadsheets do not grow a row for wrapped text on opening: make room for it
                lines = max(
                    math.ceil(len(text) / (_TABLE[col][1] - 2)) for col, text in ((2, options), (3, line.notes or ""))
                )
                ws.row_heights[row] = _LINE_HEIGHT * max(lines, 1)
            if rejected := line.rejected_for.get(worker_id):  # a rework round: what to fix, in her words
                said = ", ".join(ref.defect(code).label_in(group.language) for code in rejected)
                notes = [line.notes or ""] if index == 0 else []
                text = "\n".join(n for n in [*notes, f"{words['rejected_for']}: {said}"] if n)
                cells.put_text(ws.cell(row=row, column=4), text)
                ws.row_heights[row] = _LINE_HEIGHT * (text.count("\n") + 2)
            maker = makers.get(worker_id)
            cells.put_text(ws.cell(row=row, column=6), maker.first_name if maker else "")
            cells.put_text(ws.cell(row=row, column=7), worker_id)
            cells.put_value(ws.cell(row=row, column=8), quantity, cells.INTEGER_FORMAT)
            ws.cell(row=row, column=9).border = cells.BOX
            for col in range(1, 8):
                ws.cell(row=row, column=col).alignment = cells.WRAP
            row += 1

    _materials(ws, row + 1, assignment, group, ref, words)
    cells.set_widths(ws, [width for _key, width in _TABLE])
    ws.freeze(header + 1)
    cells.setup_print(ws, header_row=header, landscape=True)
    return cells.to_bytes(wb)


def _materials(
    ws: Sheet, row: int, assignment: Assignment, group: Group, ref: ReferenceData, words: dict[str, str]
) -> None:
    """Below the makers: each line's materials (units x what one unit takes), then the totals to buy."""
    cells.put_text(ws.cell(row=row, column=1), words["materials"]).font = cells.TITLE_FONT
    lines = assignment.materials(ref)
    if not lines:
        cells.put_text(ws.cell(row=row + 1, column=1), words["no_materials"])
        return
    header = row + 1
    for col, key in enumerate(("sku", "product", "material", "per_unit", "units", "quantity", "unit"), start=1):
        cells.put_text(ws.cell(row=header, column=col), words[key])
    cells.style_header_row(ws, header, 1, 7)
    row = header + 1
    for line in lines:
        product = ref.find_product(line.sku)
        cells.put_text(ws.cell(row=row, column=1), line.sku)
        cells.put_text(ws.cell(row=row, column=2), product.name_in(group.language) if product else "")
        cells.put_text(ws.cell(row=row, column=3), line.need.name_in(group.language))
        cells.put_value(ws.cell(row=row, column=4), line.need.quantity_per_unit, QUANTITY_FORMAT)
        cells.put_value(ws.cell(row=row, column=5), line.units, cells.INTEGER_FORMAT)
        cells.put_value(ws.cell(row=row, column=6), line.quantity, QUANTITY_FORMAT)
        cells.put_text(ws.cell(row=row, column=7), line.need.unit_in(group.language))
        for col in (2, 3):
            ws.cell(row=row, column=col).alignment = cells.WRAP
        row += 1
    for index, total in enumerate(assignment.material_totals(ref)):
        if index == 0:
            cells.put_text(ws.cell(row=row, column=1), words["materials_total"]).font = cells.LABEL_FONT
            for col in range(1, 8):
                ws.cell(row=row, column=col).border = cells.TOP_LINE
        cells.put_text(ws.cell(row=row, column=3), total.need.name_in(group.language)).font = cells.LABEL_FONT
        cells.put_value(ws.cell(row=row, column=6), total.quantity, QUANTITY_FORMAT).font = cells.LABEL_FONT
        cells.put_text(ws.cell(row=row, column=7), total.need.unit_in(group.language))
        row += 1
