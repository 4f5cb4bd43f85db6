"""The payroll book: the workbook finance pays from, with `Summary`, `Detail` and `Audit` sheets.

Written only. `Summary`: one row per group and currency (makers, hours, units passed, piece earnings, hourly
base, minimum-wage top-ups, total to pay). `Detail`: one row per maker and product (the orders it covers,
units, hours, each amount and the total). `Audit`: one row per earning line (order, assignment, QC date and
the QC upload it came from). Amounts are written as numbers (the Decimal values, already quantized per
currency) with the currency's number format; totals are computed here and written as numbers, not formulas,
so every reader (Excel, LibreOffice, Google Sheets, a script) sees the same figures without recalculating.
Totals never mix currencies; dates are year-month-day.
"""

from collections.abc import Iterable
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from telar.models import EarningLine, GroupPayroll
from telar.models.payroll import MakerProductPay
from telar.sheets import cells

SUMMARY_HEADERS = (
    "Group ID",
    "Group",
    "Currency",
    "Makers",
    "Hours",
    "Units passed",
    "Piece earnings",
    "Hourly base",
    "Minimum-wage top-ups",
    "Total to pay",
)
_PAY_HEADERS = (  # the last columns of Detail and Audit: what was made and what it pays
    "Units passed",
    "Hours",
    "Piece earnings",
    "Hourly base",
    "Minimum for hours",
    "Top-up",
    "Total",
)
DETAIL_HEADERS = ("Group ID", "Group", "Worker ID", "Maker", "Currency", "SKU", "Orders", *_PAY_HEADERS)
AUDIT_HEADERS = ("Order", "Assignment", "Group ID", "Worker ID", "SKU", "QC date", "QC upload", *_PAY_HEADERS)
DATE_FORMAT = "yyyy-mm-dd"  # read by finance across countries: unambiguous
AMOUNTS = ("piece_earnings", "hourly_base", "minimum_for_hours", "top_up", "total")
SUMMARY_HEADER_ROW = 3


def write_payroll_book(payrolls: list[GroupPayroll], period_label: str) -> bytes:
    """One workbook for ``payrolls`` (any groups and currencies), titled with ``period_label``.

    Detail has one row per maker and product (her lines of every order summed); Audit has one row per
    earning line, with the order, assignment and QC upload it comes from, so each Detail row can be traced.
    """
    ordered = sorted(payrolls, key=lambda p: (p.group_id, p.currency))
    names = {p.group_id: p.group_name for p in ordered}
    lines = [line for p in ordered for line in p.lines]
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, ordered, period_label)
    _detail(wb.create_sheet("Detail"), MakerProductPay.per_maker_product(lines), names)
    _audit(wb.create_sheet("Audit"), sorted(lines, key=lambda x: (x.order_id, x.assignment_id, x.worker_id, x.sku)))
    return cells.to_bytes(wb)


def _totals(lines: Iterable[EarningLine]) -> tuple[int, Decimal, int, Decimal, Decimal, Decimal, Decimal]:
    items = list(lines)
    return (
        len({line.worker_id for line in items}),
        sum((line.hours_worked for line in items), Decimal(0)),
        sum(line.units_passed for line in items),
        sum((line.piece_earnings for line in items), Decimal(0)),
        sum((line.hourly_base for line in items), Decimal(0)),
        sum((line.top_up for line in items), Decimal(0)),
        sum((line.total for line in items), Decimal(0)),
    )


def _summary(ws: Worksheet, payrolls: list[GroupPayroll], period_label: str) -> None:
    cells.put_text(ws.cell(row=1, column=1), f"Payroll — {period_label}").font = cells.TITLE_FONT
    header = SUMMARY_HEADER_ROW
    _header(ws, header, SUMMARY_HEADERS)
    # one row per group and currency, even if the caller passed one payroll per order
    groups: dict[tuple[str, str], tuple[str, list[EarningLine]]] = {}
    for p in payrolls:
        name, lines = groups.setdefault((p.group_id, p.currency), (p.group_name, []))
        lines.extend(p.lines)
    row = header + 1
    for (group_id, currency), (name, lines) in groups.items():
        _summary_row(ws, row, (group_id, name, currency), currency, _totals(lines))
        row += 1
    row += 1
    for currency in sorted({currency for _group, currency in groups}):
        lines = [line for (_g, c), (_n, ls) in groups.items() if c == currency for line in ls]
        _summary_row(ws, row, ("", f"Total {currency}", currency), currency, _totals(lines))
        for col in range(1, len(SUMMARY_HEADERS) + 1):
            ws.cell(row=row, column=col).font = cells.LABEL_FONT
        row += 1
    cells.set_widths(ws, [14, 34, 9, 8, 10, 12, 16, 12, 20, 16])
    ws.freeze_panes = ws.cell(row=header + 1, column=1)
    cells.setup_print(ws, header_row=header, landscape=True)


def _summary_row(
    ws: Worksheet,
    row: int,
    texts: tuple[str, str, str],
    currency: str,
    totals: tuple[int, Decimal, int, Decimal, Decimal, Decimal, Decimal],
) -> None:
    for col, text in enumerate(texts, start=1):
        cells.put_text(ws.cell(row=row, column=col), text)
    makers, hours, units, piece, base, top_ups, total = totals
    cells.put_value(ws.cell(row=row, column=4), makers, cells.INTEGER_FORMAT)
    cells.put_value(ws.cell(row=row, column=5), hours, cells.HOURS_FORMAT)
    cells.put_value(ws.cell(row=row, column=6), units, cells.INTEGER_FORMAT)
    for col, amount in zip((7, 8, 9, 10), (piece, base, top_ups, total), strict=True):
        cells.put_value(ws.cell(row=row, column=col), amount, cells.money_format(currency))


def _detail(ws: Worksheet, rows: list[MakerProductPay], group_names: dict[str, str]) -> None:
    _header(ws, 1, DETAIL_HEADERS)
    for row, pay in enumerate(rows, start=2):
        line = pay.first
        texts = (
            line.group_id,
            group_names[line.group_id],
            line.worker_id,
            line.maker_name,
            line.currency,
            line.sku,
            ", ".join(pay.orders),
        )
        for col, text in enumerate(texts, start=1):
            cells.put_text(ws.cell(row=row, column=col), text)
        cells.put_value(ws.cell(row=row, column=8), sum(x.units_passed for x in pay.lines), cells.INTEGER_FORMAT)
        cells.put_value(ws.cell(row=row, column=9), pay.total_of("hours_worked"), cells.HOURS_FORMAT)
        money = cells.money_format(line.currency)
        for col, amount in enumerate(AMOUNTS, start=10):
            cells.put_value(ws.cell(row=row, column=col), pay.total_of(amount), money)
    _table(ws, DETAIL_HEADERS, len(rows), [12, 26, 12, 16, 9, 16, 24, 10, 8, 14, 12, 16, 12, 14])


def _audit(ws: Worksheet, lines: list[EarningLine]) -> None:
    _header(ws, 1, AUDIT_HEADERS)
    for row, line in enumerate(lines, start=2):
        texts = (line.order_id, line.assignment_id, line.group_id, line.worker_id, line.sku)
        for col, text in enumerate(texts, start=1):
            cells.put_text(ws.cell(row=row, column=col), text)
        cells.put_value(ws.cell(row=row, column=6), line.inspected_on, DATE_FORMAT)
        cells.put_text(ws.cell(row=row, column=7), line.qc_upload or "")
        cells.put_value(ws.cell(row=row, column=8), line.units_passed, cells.INTEGER_FORMAT)
        cells.put_value(ws.cell(row=row, column=9), line.hours_worked, cells.HOURS_FORMAT)
        money = cells.money_format(line.currency)
        for col, amount in enumerate(AMOUNTS, start=10):
            cells.put_value(ws.cell(row=row, column=col), getattr(line, amount), money)
    _table(ws, AUDIT_HEADERS, len(lines), [16, 18, 12, 12, 16, 11, 50, 10, 8, 14, 12, 16, 12, 14])


def _header(ws: Worksheet, row: int, headers: tuple[str, ...]) -> None:
    for col, text in enumerate(headers, start=1):
        cells.put_text(ws.cell(row=row, column=col), text)
    cells.style_header_row(ws, row, 1, len(headers))


def _table(ws: Worksheet, headers: tuple[str, ...], count: int, widths: list[float]) -> None:
    cells.set_widths(ws, widths)
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{ws.cell(row=1, column=len(headers)).column_letter}{count + 1}"
    cells.setup_print(ws, header_row=1, landscape=True)
