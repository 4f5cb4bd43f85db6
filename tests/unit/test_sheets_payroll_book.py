"""The payroll workbook finance pays from: totals are numbers that add up, per group and currency."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

from openpyxl import load_workbook

from telar.models import EarningLine, GroupPayroll
from telar.sheets.payroll_book import write_payroll_book
from tests.factories import CHIANG_MAI, make_earning_line, make_group_payroll


def _luz_topped_up(piece_earnings: str, **line: Any) -> EarningLine:
    """Luz's one passed unit over 12.5 hours: the minimum for those hours (67.91) tops her piece earnings up."""
    piece = Decimal(piece_earnings)
    minimum = Decimal("67.91")
    return make_earning_line(
        "CUS-02",
        maker_name="Luz",
        units_passed=1,
        hours_worked=Decimal("12.50"),
        piece_earnings=piece,
        minimum_for_hours=minimum,
        top_up=minimum - piece,
        **line,
    )


def _payrolls() -> list[GroupPayroll]:
    cusco = make_group_payroll(
        [
            make_earning_line("CUS-01", piece_earnings=Decimal("100.00"), top_up=Decimal("0.00")),
            _luz_topped_up("19.00", sku="EMB-CUSHION"),
            make_earning_line("CUS-02", maker_name="Luz", piece_earnings=Decimal("75.00"), units_passed=3),
        ]
    )
    chiang_mai = make_group_payroll(
        [
            make_earning_line(
                "CNX-01",
                group_id=CHIANG_MAI,
                maker_name="Malee",
                currency="THB",
                assignment_id="ord-20250303-0001-th-chiangmai",
                piece_earnings=Decimal("920.00"),
                minimum_for_hours=Decimal("760.00"),
                top_up=Decimal("0.00"),
            )
        ]
    )
    return [chiang_mai, cusco]


def _rows(ws: Any, header_row: int) -> list[dict[str, Any]]:
    names = [c.value for c in ws[header_row]]
    return [
        dict(zip(names, (c.value for c in row), strict=False))
        for row in ws.iter_rows(min_row=header_row + 1)
        if any(c.value not in (None, "") for c in row)
    ]


def _book(payrolls: list[GroupPayroll] | None = None, period: str = "March 2025") -> Any:
    return load_workbook(BytesIO(write_payroll_book(payrolls or _payrolls(), period)))


def test_the_book_has_summary_detail_and_audit_sheets_with_frozen_headers() -> None:
    wb = _book()
    assert wb.sheetnames == ["Summary", "Detail", "Audit"]
    assert wb["Summary"]["A1"].value == "Payroll — March 2025"
    assert wb["Summary"].freeze_panes == "A4"
    assert wb["Detail"].freeze_panes == wb["Audit"].freeze_panes == "A2"


def test_summary_totals_are_numbers_equal_to_the_sum_of_the_detail_lines() -> None:
    # Given payrolls for Cusco (PEN, three lines) and Chiang Mai (THB, one line)
    payrolls = _payrolls()
    wb = _book(payrolls)
    summary = _rows(wb["Summary"], 3)
    detail = _rows(wb["Detail"], 1)

    # Then each group and currency has one row whose total is the sum of its lines, as a number
    cusco = next(r for r in summary if r["Group ID"] == "pe-cusco")
    assert isinstance(cusco["Total to pay"], int | float)
    assert Decimal(str(cusco["Total to pay"])) == Decimal("242.91") == payrolls[1].total
    assert Decimal(str(cusco["Minimum-wage top-ups"])) == Decimal("48.91")
    assert (cusco["Makers"], cusco["Units passed"], cusco["Currency"]) == (2, 8, "PEN")
    lines_total = sum(Decimal(str(r["Total"])) for r in detail if r["Currency"] == "PEN")
    assert lines_total == Decimal("242.91")

    # And a total per currency, never one that mixes soles and baht
    totals = {r["Group"]: Decimal(str(r["Total to pay"])) for r in summary if r["Group"].startswith("Total")}
    assert totals == {"Total PEN": Decimal("242.91"), "Total THB": Decimal("920.00")}


def test_no_total_is_a_formula() -> None:
    wb = _book()
    for ws in wb.worksheets:
        assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)


def test_detail_lines_carry_every_amount_with_the_currency_format() -> None:
    wb = _book()
    rows = _rows(wb["Detail"], 1)
    assert len(rows) == 4
    luz = next(r for r in rows if r["SKU"] == "EMB-CUSHION")
    assert (luz["Worker ID"], luz["Maker"], luz["Hours"]) == ("CUS-02", "Luz", 12.5)
    assert (luz["Piece earnings"], luz["Minimum for hours"], luz["Top-up"], luz["Total"]) == (19, 67.91, 48.91, 67.91)
    ws = wb["Detail"]
    header = [c.value for c in ws[1]]
    pen_row = next(r for r in range(2, 6) if ws.cell(r, header.index("Currency") + 1).value == "PEN")
    thb_row = next(r for r in range(2, 6) if ws.cell(r, header.index("Currency") + 1).value == "THB")
    assert '"S/"' in ws.cell(pen_row, header.index("Total") + 1).number_format
    assert '"฿"' in ws.cell(thb_row, header.index("Total") + 1).number_format


def test_two_payrolls_of_the_same_group_and_currency_make_one_summary_row() -> None:
    first, second = make_group_payroll([make_earning_line("CUS-01")]), make_group_payroll([make_earning_line("CUS-02")])
    summary = _rows(_book([first, second])["Summary"], 3)
    groups = [r for r in summary if r["Group ID"] == "pe-cusco"]
    assert len(groups) == 1 and groups[0]["Makers"] == 2


def test_audit_lists_the_qc_upload_behind_each_line() -> None:
    rows = _rows(_book()["Audit"], 1)
    assert len(rows) == 4
    assert {r["QC upload"] for r in rows} == {"qc/taller-cusco.xlsx#3HL4kqtJlcpXroDTDmJ"}
    assert {r["Assignment"] for r in rows} == {"ord-20250303-0001-pe-cusco", "ord-20250303-0001-th-chiangmai"}


def test_formula_looking_names_and_period_are_written_as_text() -> None:
    # Given a maker name and a group name that look like formulas
    evil = '=HYPERLINK("http://x","y")'
    payroll = make_group_payroll([make_earning_line(maker_name=evil)], group_name="+cmd|' /C calc'!A0")

    # When the book is written
    wb = _book([payroll])

    # Then they are string cells with the exact text
    cells = {c.value: c for ws in wb.worksheets for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells[evil].data_type == "s"
    assert cells["+cmd|' /C calc'!A0"].data_type == "s"


def test_an_hourly_base_has_its_own_column_and_counts_in_the_totals() -> None:
    # Given a line paid S/ 32.00 of hourly base beside its piece earnings
    line = make_earning_line(hourly_base=Decimal("32.00"), piece_earnings=Decimal("60.00"), top_up=Decimal("0.00"))
    wb = _book([make_group_payroll([line])])
    # Then Summary and Detail show the base, and the totals include it
    [cusco, *_] = _rows(wb["Summary"], 3)
    [detail] = _rows(wb["Detail"], 1)
    assert (cusco["Hourly base"], cusco["Total to pay"]) == (32, 92)
    assert (detail["Hourly base"], detail["Total"]) == (32, 92)


def test_detail_sums_a_makers_product_over_orders_and_audit_keeps_each_line() -> None:
    # Given a maker paid for the same product in two orders (one topped up), and a rework round
    lines = [
        make_earning_line("CUS-02", maker_name="Luz", order_id="ord-b", assignment_id="ord-b-pe-cusco"),
        _luz_topped_up(
            "25.00",
            order_id="ord-a",
            assignment_id="ord-a-pe-cusco-rework1",
            inspected_on=date(2026, 11, 30),
            qc_upload="qc/cusco rework.xlsx#v2",
        ),
    ]
    wb = _book([make_group_payroll(lines)])
    # Then Detail has one row for her and the product, every figure the sum of the two lines, as numbers
    [detail] = _rows(wb["Detail"], 1)
    assert (detail["Worker ID"], detail["SKU"], detail["Orders"]) == ("CUS-02", "KNT-SCARF-ALP", "ord-a, ord-b")
    assert (detail["Units passed"], detail["Hours"]) == (5, 28.5)
    assert (detail["Piece earnings"], detail["Top-up"], detail["Total"]) == (125, 42.91, 167.91)
    # And Audit has each line with where it comes from and its own amounts
    audit = _rows(wb["Audit"], 1)
    assert [(r["Order"], r["Assignment"], r["QC upload"], r["Total"]) for r in audit] == [
        ("ord-a", "ord-a-pe-cusco-rework1", "qc/cusco rework.xlsx#v2", 67.91),
        ("ord-b", "ord-b-pe-cusco", "qc/taller-cusco.xlsx#3HL4kqtJlcpXroDTDmJ", 100),
    ]
    assert audit[0]["QC date"].date() == date(2026, 11, 30)
    assert sum(Decimal(str(r["Total"])) for r in audit) == Decimal(str(detail["Total"]))
