"""The work sheet: the printable sheet a production manager hands out, what to make, for whom, by when.

Written only (never read back). One sheet in the group's language (es, th, else en), A4 and one page wide,
its header row repeated on every page: the order's buyer reference, order and assignment ids, group, due date
and total units, then a table of `SKU`, `Product`, `Options`, `Notes`, `Total quantity`, `Maker`, `Worker ID`,
`Quantity` and a `Done ✓` box, one row per product and maker (the product's details on its first row)."""

import math

from openpyxl.styles import Alignment, Border

from telar.models import Assignment, Group, Order, ReferenceData
from telar.sheets import cells
from telar.sheets.labels import labels_for

DATE_FORMATS = {"es": "dd/mm/yyyy", "th": "dd/mm/yyyy", "en": "yyyy-mm-dd"}
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

    cells.put_text(ws.cell(row=1, column=1), f"{words['worksheet_title']} — {group.name}").font = cells.TITLE_FONT
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
        cell.alignment = Alignment(horizontal="left")

    header = len(info) + 3
    for col, (key, _width) in enumerate(_TABLE, start=1):
        cells.put_text(ws.cell(row=header, column=col), words[key])
    cells.style_header_row(ws, header, 1, len(_TABLE))
    ws.row_dimensions[header].height = _LINE_HEIGHT * 2  # "Total quantity" takes two lines

    makers = {m.worker_id: m for m in ref.makers}
    row = header + 1
    for line in assignment.lines:
        product = ref.find_product(line.sku)
        options = ", ".join(f"{k}: {v}" for k, v in line.options.items())
        for index, (worker_id, quantity) in enumerate(line.per_maker.items()):
            cells.put_text(ws.cell(row=row, column=1), line.sku)
            if index == 0:  # the product's details once, on its first row
                cells.put_text(ws.cell(row=row, column=2), product.name if product else "")
                cells.put_text(ws.cell(row=row, column=3), options)
                cells.put_text(ws.cell(row=row, column=4), line.notes or "")
                cells.put_value(ws.cell(row=row, column=5), line.quantity, cells.INTEGER_FORMAT)
                for col in range(1, len(_TABLE) + 1):
                    ws.cell(row=row, column=col).border = Border(top=cells.THIN)
                # spreadsheets do not grow a row for wrapped text on opening: make room for it
                lines = max(
                    math.ceil(len(text) / (_TABLE[col][1] - 2)) for col, text in ((2, options), (3, line.notes or ""))
                )
                ws.row_dimensions[row].height = _LINE_HEIGHT * max(lines, 1)
            maker = makers.get(worker_id)
            cells.put_text(ws.cell(row=row, column=6), maker.first_name if maker else "")
            cells.put_text(ws.cell(row=row, column=7), worker_id)
            cells.put_value(ws.cell(row=row, column=8), quantity, cells.INTEGER_FORMAT)
            ws.cell(row=row, column=9).border = cells.BOX
            for col in range(1, 8):
                ws.cell(row=row, column=col).alignment = cells.WRAP
            row += 1

    cells.set_widths(ws, [width for _key, width in _TABLE])
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    cells.setup_print(ws, header_row=header, landscape=True)
    return cells.to_bytes(wb)
