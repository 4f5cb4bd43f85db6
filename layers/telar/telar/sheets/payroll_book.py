"""The payroll book: the workbook finance pays from, with `Pay`, `Summary`, `Detail` and `Audit` sheets.

Written only. `Pay` (a pay period's book only) comes first and is the sheet finance pays from: above the table the
organisation, the period's first and last day, the pay date and the currency; then one row per maker (worker ID,
name, group, payment method and its details, hours, piece earnings, paid time that is not pieces, hourly base,
minimum-wage top-up, total to pay), where the four components add up to the total as printed; then the totals per
group and currency, a control total per currency that is the sum of the Audit lines, and the minimum-wage rules
applied (amount, unit, hours it covers, hourly rate, effective date, legal source). `Cash receipts <group>`: for a
group where someone is paid in cash, one row per such maker (name, amount, a signature box and the date), on A4
portrait. `Summary`: one row per group and currency (makers, hours, units passed, piece earnings, paid time, hourly
base, minimum-wage top-ups, total to pay). `Detail`: one row per maker and product (the orders it covers, units,
hours, each amount and the total). `Audit`: one row per earning line (order, assignment, QC date and the QC upload
it came from; an attendance sheet's lines name `ATT-<group>-<month>`, the sheet's upload, and the kind of time as
`TIME:<kind>` in the SKU column). Amounts are written as numbers (the Decimal values, already quantized per
currency) with the currency's number format; totals are computed here and written as numbers, not formulas, so
every reader (Excel, LibreOffice, Google Sheets, a script) sees the same figures without recalculating. Totals
never mix currencies; dates are year-month-day.
"""

from collections.abc import Iterable
from decimal import Decimal

from telar.models import EarningLine, GroupPayroll
from telar.models.payroll import MakerPay, MakerProductPay, PayStatement
from telar.sheets import cells
from telar.sheets.xlsx import Sheet

SUMMARY_HEADERS = (
    "Group ID",
    "Group",
    "Currency",
    "Makers",
    "Hours",
    "Units passed",
    "Piece earnings",
    "Paid time",
    "Hourly base",
    "Minimum-wage top-ups",
    "Total to pay",
)
_PAY_HEADERS = (  # the last columns of Detail and Audit: what was made and what it pays
    "Units passed",
    "Hours",
    "Piece earnings",
    "Paid time",
    "Hourly base",
    "Minimum for hours",
    "Top-up",
    "Total",
)
DETAIL_HEADERS = ("Group ID", "Group", "Worker ID", "Maker", "Currency", "SKU", "Orders", *_PAY_HEADERS)
AUDIT_HEADERS = ("Order", "Assignment", "Group ID", "Worker ID", "SKU", "QC date", "QC upload", *_PAY_HEADERS)
DATE_FORMAT = "yyyy-mm-dd"  # read by finance across countries: unambiguous
AMOUNTS = ("piece_earnings", "time_pay", "hourly_base", "minimum_for_hours", "top_up", "total")
SUMMARY_HEADER_ROW = 3


PAY_HEADERS = (
    "Worker ID",
    "Name",
    "Group",
    "Payment method",
    "Payment details",
    "Hours",
    "Piece earnings",
    "Paid time (not pieces)",
    "Hourly base",
    "Minimum-wage top-up",
    "Total to pay",
)
PAY_COMPONENTS = ("piece_earnings", "time_pay", "hourly_base", "top_up")  # add up to "Total to pay"
PAY_HEADER_ROW = 7
WAGE_RULE_HEADERS = (
    "Country",
    "Region",
    "Currency",
    "Amount",
    "Unit",
    "Hours it covers",
    "Hourly",
    "Effective from",
    "Legal source",
)
RECEIPT_HEADERS = ("Worker ID", "Name", "Amount", "Signature", "Date")
_METHOD_WORDS = {"bank_transfer": "bank transfer", "mobile_wallet": "mobile wallet", "cash": "cash"}


def write_payroll_book(payrolls: list[GroupPayroll], period_label: str, statement: PayStatement | None = None) -> bytes:
    """One workbook for ``payrolls`` (any groups and currencies), titled with ``period_label``.

    With a pay period's ``statement``, the Pay sheet comes first, and a cash receipts sheet per group where
    someone is paid in cash. Detail has one row per maker and product (her lines of every order summed);
    Audit has one row per earning line, with the order, assignment and QC upload it comes from, so each
    Detail row can be traced.
    """
    ordered = sorted(payrolls, key=lambda p: (p.group_id, p.currency))
    names = {p.group_id: p.group_name for p in ordered}
    lines = [line for p in ordered for line in p.lines]
    wb, summary = cells.new_workbook("Summary")
    if statement is not None:
        _pay(wb.create_sheet("Pay", 0), statement, lines)
        for group_id in dict.fromkeys(r.group_id for r in statement.rows if r.payment_method == "cash"):
            _receipts(wb.create_sheet(f"Cash receipts {group_id}"), statement, group_id)
    _summary(summary, ordered, period_label)
    _detail(wb.create_sheet("Detail"), MakerProductPay.per_maker_product(lines), names)
    _audit(wb.create_sheet("Audit"), sorted(lines, key=lambda x: (x.order_id, x.assignment_id, x.worker_id, x.sku)))
    return cells.to_bytes(wb)


def _pay(ws: Sheet, statement: PayStatement, lines: list[EarningLine]) -> None:
    title = f"Pay — {statement.organisation} — pay period {statement.period}"
    cells.put_text(ws.cell(row=1, column=1), title).font = cells.TITLE_FONT
    currencies = sorted({r.currency for r in statement.rows})
    for row, label in enumerate(("Organisation", "Period", "Pay date", "Currency"), start=2):
        cells.put_text(ws.cell(row=row, column=1), label).font = cells.LABEL_FONT
    cells.put_text(ws.cell(row=2, column=2), statement.organisation)
    cells.put_value(ws.cell(row=3, column=2), statement.first_day, DATE_FORMAT)
    cells.put_text(ws.cell(row=3, column=3), "to")
    cells.put_value(ws.cell(row=3, column=4), statement.last_day, DATE_FORMAT)
    cells.put_value(ws.cell(row=4, column=2), statement.pay_date, DATE_FORMAT)
    cells.put_text(ws.cell(row=5, column=2), ", ".join(currencies) or "none: nothing to pay")
    _header(ws, PAY_HEADER_ROW, PAY_HEADERS)
    row = PAY_HEADER_ROW + 1
    for pay in statement.rows:
        _pay_row(ws, row, pay)
        row += 1
    row += 1
    for (group_id, currency), total in statement.totals().items():
        group_rows = [r for r in statement.rows if (r.group_id, r.currency) == (group_id, currency)]
        row = _total_row(ws, row, f"Total {group_rows[0].group_name}", currency, group_rows, total)
    for currency in currencies:
        currency_rows = [r for r in statement.rows if r.currency == currency]
        total = sum((r.total for r in currency_rows), Decimal(0))
        row = _total_row(ws, row, f"Total {currency}", currency, currency_rows, total)
        audit = sum((line.total for line in lines if line.currency == currency), Decimal(0))
        cells.put_text(ws.cell(row=row, column=1), f"Control total {currency}: the sum of the Audit lines")
        ws.cell(row=row, column=1).font = cells.LABEL_FONT
        cells.put_value(ws.cell(row=row, column=len(PAY_HEADERS)), audit, cells.money_format(currency))
        row += 1
    row += 1
    cells.put_text(ws.cell(row=row, column=1), "Minimum wage applied (from the reference data)").font = cells.LABEL_FONT
    _header(ws, row + 1, WAGE_RULE_HEADERS)
    for rule_row, rule in enumerate(statement.wage_rules, start=row + 2):
        texts = (rule.country, rule.region, rule.currency)
        for col, text in enumerate(texts, start=1):
            cells.put_text(ws.cell(row=rule_row, column=col), text)
        cells.put_value(ws.cell(row=rule_row, column=4), rule.amount, cells.money_format(rule.currency))
        cells.put_text(ws.cell(row=rule_row, column=5), f"per {rule.unit}")
        cells.put_value(ws.cell(row=rule_row, column=6), rule.hours_covered, cells.HOURS_FORMAT)
        hourly = rule.hourly.quantize(Decimal("0.0001"))
        cells.put_value(ws.cell(row=rule_row, column=7), hourly, cells.money_format(rule.currency))
        cells.put_value(ws.cell(row=rule_row, column=8), rule.effective_from, DATE_FORMAT)
        cells.put_text(ws.cell(row=rule_row, column=9), rule.source or "not recorded in the reference data")
    cells.set_widths(ws, [14, 22, 22, 16, 30, 9, 15, 15, 13, 15, 15])
    ws.freeze(PAY_HEADER_ROW + 1)
    cells.setup_print(ws, header_row=PAY_HEADER_ROW, landscape=True)


def _pay_row(ws: Sheet, row: int, pay: MakerPay) -> None:
    method = _METHOD_WORDS.get(pay.payment_method or "", "not recorded")
    texts = (pay.worker_id, pay.maker_name, pay.group_name, method, pay.payment_details)
    for col, text in enumerate(texts, start=1):
        cells.put_text(ws.cell(row=row, column=col), text)
    cells.put_value(ws.cell(row=row, column=6), pay.hours, cells.HOURS_FORMAT)
    money = cells.money_format(pay.currency)
    for col, amount in enumerate((*(getattr(pay, c) for c in PAY_COMPONENTS), pay.total), start=7):
        cells.put_value(ws.cell(row=row, column=col), amount, money)


def _total_row(ws: Sheet, row: int, label: str, currency: str, rows: list[MakerPay], total: Decimal) -> int:
    cells.put_text(ws.cell(row=row, column=1), label)
    cells.put_value(ws.cell(row=row, column=6), sum((r.hours for r in rows), Decimal(0)), cells.HOURS_FORMAT)
    money = cells.money_format(currency)
    sums = [sum((getattr(r, c) for r in rows), Decimal(0)) for c in PAY_COMPONENTS]
    for col, amount in enumerate((*sums, total), start=7):
        cells.put_value(ws.cell(row=row, column=col), amount, money)
    for col in range(1, len(PAY_HEADERS) + 1):
        ws.cell(row=row, column=col).font = cells.LABEL_FONT
    return row + 1


def _receipts(ws: Sheet, statement: PayStatement, group_id: str) -> None:
    rows = [r for r in statement.rows if r.group_id == group_id and r.payment_method == "cash"]
    title = f"Cash receipts — {rows[0].group_name} — pay period {statement.period}"
    cells.put_text(ws.cell(row=1, column=1), title).font = cells.TITLE_FONT
    cells.put_text(ws.cell(row=2, column=1), "Pay date").font = cells.LABEL_FONT
    cells.put_value(ws.cell(row=2, column=2), statement.pay_date, DATE_FORMAT)
    cells.put_text(ws.cell(row=3, column=1), "Each maker signs and dates her row when she receives her pay.")
    header = 5
    _header(ws, header, RECEIPT_HEADERS)
    for row, pay in enumerate(rows, start=header + 1):
        cells.put_text(ws.cell(row=row, column=1), pay.worker_id)
        cells.put_text(ws.cell(row=row, column=2), pay.maker_name)
        cells.put_value(ws.cell(row=row, column=3), pay.total, cells.money_format(pay.currency))
        ws.row_heights[row] = 36  # room to sign
    cells.set_widths(ws, [12, 24, 16, 40, 14])
    cells.setup_print(ws, header_row=header)


_Totals = tuple[int, Decimal, int, Decimal, Decimal, Decimal, Decimal, Decimal]


def _totals(lines: Iterable[EarningLine]) -> _Totals:
    items = list(lines)
    return (
        len({line.worker_id for line in items}),
        sum((line.hours_worked for line in items), Decimal(0)),
        sum(line.units_passed for line in items),
        sum((line.piece_earnings for line in items), Decimal(0)),
        sum((line.time_pay for line in items), Decimal(0)),
        sum((line.hourly_base for line in items), Decimal(0)),
        sum((line.top_up for line in items), Decimal(0)),
        sum((line.total for line in items), Decimal(0)),
    )


def _summary(ws: Sheet, payrolls: list[GroupPayroll], period_label: str) -> None:
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
    cells.set_widths(ws, [14, 34, 9, 8, 10, 12, 16, 12, 12, 20, 16])
    ws.freeze(header + 1)
    cells.setup_print(ws, header_row=header, landscape=True)


def _summary_row(
    ws: Sheet,
    row: int,
    texts: tuple[str, str, str],
    currency: str,
    totals: _Totals,
) -> None:
    for col, text in enumerate(texts, start=1):
        cells.put_text(ws.cell(row=row, column=col), text)
    makers, hours, units, piece, time_pay, base, top_ups, total = totals
    cells.put_value(ws.cell(row=row, column=4), makers, cells.INTEGER_FORMAT)
    cells.put_value(ws.cell(row=row, column=5), hours, cells.HOURS_FORMAT)
    cells.put_value(ws.cell(row=row, column=6), units, cells.INTEGER_FORMAT)
    for col, amount in zip((7, 8, 9, 10, 11), (piece, time_pay, base, top_ups, total), strict=True):
        cells.put_value(ws.cell(row=row, column=col), amount, cells.money_format(currency))


def _detail(ws: Sheet, rows: list[MakerProductPay], group_names: dict[str, str]) -> None:
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
    _table(ws, DETAIL_HEADERS, len(rows), [12, 26, 12, 16, 9, 16, 24, 10, 8, 14, 12, 12, 16, 12, 14])


def _audit(ws: Sheet, lines: list[EarningLine]) -> None:
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
    _table(ws, AUDIT_HEADERS, len(lines), [16, 18, 12, 12, 16, 11, 50, 10, 8, 14, 12, 12, 16, 12, 14])


def _header(ws: Sheet, row: int, headers: tuple[str, ...]) -> None:
    for col, text in enumerate(headers, start=1):
        cells.put_text(ws.cell(row=row, column=col), text)
    cells.style_header_row(ws, row, 1, len(headers))


def _table(ws: Sheet, headers: tuple[str, ...], count: int, widths: list[float]) -> None:
    cells.set_widths(ws, widths)
    ws.freeze(2)
    ws.auto_filter(1, 1, count + 1, len(headers))
    cells.setup_print(ws, header_row=1, landscape=True)
