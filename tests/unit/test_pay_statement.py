"""The pay period's Pay sheet, the one finance pays from: a row per maker that adds up, how she is paid, the
control total, the wage rules applied, and a receipt sheet to sign where someone is paid in cash (issue 15)."""

from datetime import date
from decimal import Decimal
from io import BytesIO
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from samples.make_reference_book import sample_book
from telar.attendance import attendance_earnings
from telar.errors import SheetInvalid
from telar.models import EarningLine, GroupPayroll, Maker, PayPeriod, ReferenceData
from telar.models.attendance import Attendance, AttendanceDay
from telar.models.reference import PAYMENT_METHODS, TIME_KINDS
from telar.payroll import by_group, earnings_for, pay_date, pay_statement, settle_guarantees
from telar.reference_book import book_problems
from telar.sheets.payroll_book import PAY_COMPONENTS, PAY_HEADER_ROW, PAY_HEADERS, write_payroll_book
from telar.sheets.reference_book import read_reference_book, write_reference_book
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    make_assignment,
    make_earning_line,
    make_group_payroll,
    make_makers,
    make_qc_row,
    make_reference,
)

NOVEMBER = PayPeriod(period="2026-11")
PAID_ON = date(2026, 12, 5)


def _reference() -> ReferenceData:
    """Cusco's three makers, one paid each way."""
    ref = make_reference()
    ways = {
        "CUS-01": {"payment_method": "bank_transfer", "bank": "Banco de la Nación", "bank_account": "018-123-45"},
        "CUS-02": {"payment_method": "mobile_wallet", "wallet_provider": "Yape", "wallet_number": "987654321"},
        "CUS-03": {"payment_method": "cash"},
    }
    makers = tuple(m.model_copy(update=ways.get(m.worker_id, {})) for m in ref.makers)
    return ref.model_copy(update={"makers": makers})


def _cusco() -> GroupPayroll:
    on = date(2026, 11, 20)
    return make_group_payroll(
        [
            make_earning_line("CUS-01", inspected_on=on),
            make_earning_line("CUS-01", sku="EMB-CUSHION", piece_earnings=Decimal("38.00"), inspected_on=on),
            make_earning_line(
                "CUS-02",
                maker_name="Luz",
                piece_earnings=Decimal("19.00"),
                top_up=Decimal("67.92"),
                inspected_on=on,
            ),
            make_earning_line("CUS-03", maker_name="Elena", hourly_base=Decimal("8.00"), inspected_on=on),
        ]
    )


def _rows(ws: Any, header_row: int) -> list[dict[str, Any]]:
    names = [c.value for c in ws[header_row]]
    rows = []
    for values in ws.iter_rows(min_row=header_row + 1, values_only=True):
        if not any(v not in (None, "") for v in values):
            break  # the table ends at its first blank row; the totals follow
        rows.append(dict(zip(names, values, strict=False)))
    return rows


def _book(payrolls: list[GroupPayroll], ref: ReferenceData) -> Any:
    statement = pay_statement(payrolls, ref, NOVEMBER, PAID_ON, "Manos Libres")
    return load_workbook(BytesIO(write_payroll_book(payrolls, "pay period 2026-11", statement)), data_only=True)


def _money(value: Any) -> Decimal:
    assert isinstance(value, int | float), value
    return Decimal(str(value))


def test_the_pay_sheet_comes_first_with_the_period_the_pay_date_and_who_pays() -> None:
    wb = _book([_cusco()], _reference())
    assert wb.sheetnames[0] == "Pay" and wb.active.title == "Pay"
    ws = wb["Pay"]
    heading = {
        ws.cell(row=r, column=1).value: [ws.cell(row=r, column=c).value for c in (2, 3, 4)] for r in (2, 3, 4, 5)
    }
    assert heading["Organisation"][0] == "Manos Libres"
    assert [v.date() if hasattr(v, "date") else v for v in heading["Period"]] == [
        date(2026, 11, 1),
        "to",
        date(2026, 11, 30),
    ]
    assert heading["Pay date"][0].date() == PAID_ON
    assert heading["Currency"][0] == "PEN"
    assert [c.value for c in ws[PAY_HEADER_ROW]][: len(PAY_HEADERS)] == list(PAY_HEADERS)


def test_one_row_per_maker_sums_her_products_and_adds_up_as_printed() -> None:
    # Given Carmen paid for two products, Luz topped up to the minimum, Elena with an hourly base
    rows = {r["Worker ID"]: r for r in _rows(_book([_cusco()], _reference())["Pay"], PAY_HEADER_ROW)}
    # Then each maker has one row
    assert sorted(rows) == ["CUS-01", "CUS-02", "CUS-03"]
    carmen, luz, elena = rows["CUS-01"], rows["CUS-02"], rows["CUS-03"]
    assert _money(carmen["Piece earnings"]) == Decimal("138.00") and _money(carmen["Hours"]) == 32
    assert _money(luz["Minimum-wage top-up"]) == Decimal("67.92")
    assert _money(elena["Hourly base"]) == Decimal("8.00")
    # And every row's printed components add up to its printed total
    components = ("Piece earnings", "Paid time (not pieces)", "Hourly base", "Minimum-wage top-up")
    for row in rows.values():
        assert sum(_money(row[c]) for c in components) == _money(row["Total to pay"]), row


def test_every_payment_method_is_named_with_its_details() -> None:
    rows = {r["Worker ID"]: r for r in _rows(_book([_cusco()], _reference())["Pay"], PAY_HEADER_ROW)}
    assert (rows["CUS-01"]["Payment method"], rows["CUS-01"]["Payment details"]) == (
        "bank transfer",
        "Banco de la Nación 018-123-45",
    )
    assert (rows["CUS-02"]["Payment method"], rows["CUS-02"]["Payment details"]) == ("mobile wallet", "Yape 987654321")
    assert (rows["CUS-03"]["Payment method"], rows["CUS-03"]["Payment details"]) == (
        "cash",
        "cash through her group's manager",
    )
    # And a maker with no method on record is shown as such, never guessed
    unknown = _reference().model_copy(update={"makers": ()})
    [row, *_] = _rows(_book([_cusco()], unknown)["Pay"], PAY_HEADER_ROW)
    assert (row["Payment method"], row["Payment details"]) == ("not recorded", "not recorded")


def test_group_and_control_totals_equal_the_audit_lines() -> None:
    # Given two groups' payrolls in one book (the stage writes one per group; the sheet takes any)
    thai = make_group_payroll(
        [
            make_earning_line(
                "CNX-01", group_id=CHIANG_MAI, currency="THB", maker_name="Malee", inspected_on=date(2026, 11, 2)
            )
        ]
    )
    ws = _book([_cusco(), thai], _reference())["Pay"]
    labelled = {
        str(ws.cell(row=r, column=1).value): _money(ws.cell(row=r, column=len(PAY_HEADERS)).value)
        for r in range(PAY_HEADER_ROW + 1, ws.max_row + 1)
        if str(ws.cell(row=r, column=1).value or "").startswith(("Total", "Control"))
    }
    audit = sum((line.total for line in _cusco().lines), Decimal(0))
    assert labelled["Total Taller Cusco"] == labelled["Total PEN"] == audit
    assert labelled["Control total PEN: the sum of the Audit lines"] == audit
    assert labelled["Control total THB: the sum of the Audit lines"] == labelled["Total THB"] == Decimal("100.00")


def test_the_wage_rules_applied_are_stated_with_their_source() -> None:
    ref = _reference()
    rules = tuple(r.model_copy(update={"source": f"Decreto {r.amount}"}) for r in ref.wage_rules)
    ws = _book([_cusco()], ref.model_copy(update={"wage_rules": rules}))["Pay"]
    start = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Country")
    [peru] = _rows(ws, start)
    applied = ref.minimum_wage(ref.group(CUSCO), date(2026, 11, 20))
    assert (peru["Country"], peru["Unit"], _money(peru["Amount"]), _money(peru["Hours it covers"])) == (
        "PE",
        f"per {applied.unit}",
        applied.amount,
        applied.hours_covered,
    )
    assert peru["Effective from"].date() == applied.effective_from
    assert peru["Legal source"] == f"Decreto {applied.amount}"


def test_cash_receipts_list_only_the_makers_paid_in_cash_with_room_to_sign_on_a4() -> None:
    wb = _book([_cusco()], _reference())
    ws = wb["Cash receipts pe-cusco"]
    [elena] = _rows(ws, 5)
    pay = {r["Worker ID"]: r for r in _rows(wb["Pay"], PAY_HEADER_ROW)}
    assert (elena["Worker ID"], elena["Name"]) == ("CUS-03", "Elena")
    assert _money(elena["Amount"]) == _money(pay["CUS-03"]["Total to pay"])
    assert elena["Signature"] is None and elena["Date"] is None  # for her pen
    assert ws.row_dimensions[6].height >= 30
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) and ws.page_setup.orientation == "portrait"
    # And no receipt sheet where nobody is paid in cash
    nobody = _reference().model_copy(
        update={"makers": tuple(m for m in _reference().makers if m.worker_id != "CUS-03")}
    )
    assert not [name for name in _book([_cusco()], nobody).sheetnames if name.startswith("Cash")]


def test_the_pay_date_is_the_pay_day_of_the_next_month_or_today_when_later() -> None:
    assert pay_date(NOVEMBER, 5, today=date(2026, 12, 1)) == date(2026, 12, 5)
    assert pay_date(NOVEMBER, 5, today=date(2026, 12, 9)) == date(2026, 12, 9)
    assert pay_date(PayPeriod(period="2026-12"), 28, today=date(2026, 12, 31)) == date(2027, 1, 28)


@pytest.mark.parametrize(
    ("change", "cell_field", "expected"),
    [
        ({"payment_method": None}, "payment_method", "a payment method: bank_transfer, mobile_wallet, cash"),
        ({"payment_method": "bank_transfer", "bank": "BCP"}, "bank_account", "the bank account for bank_transfer"),
        (
            {"payment_method": "mobile_wallet", "wallet_number": "9"},
            "wallet_provider",
            "the wallet provider for mobile_wallet",
        ),
    ],
)
def test_a_maker_without_a_complete_payment_method_is_refused_at_her_cell(
    change: dict[str, Any], cell_field: str, expected: str
) -> None:
    # Given the sample book with one maker's payment details incomplete
    book = sample_book()
    ref = book.reference
    first: Maker = ref.makers[0].model_copy(
        update={"bank": None, "bank_account": None, "wallet_provider": None, "wallet_number": None, **change}
    )
    data = write_reference_book(
        book.model_copy(update={"reference": ref.model_copy(update={"makers": (first, *ref.makers[1:])})})
    )
    # When it is read
    with pytest.raises(SheetInvalid) as refused:
        read_reference_book(data, book_problems)
    # Then the one problem is on the makers sheet, at her row, saying what is needed
    [problem] = refused.value.problems
    assert (problem.sheet, problem.expected) == ("makers", expected)
    header = load_workbook(BytesIO(data))["makers"][1]
    column = next(c.column_letter for c in header if c.value and c.value.casefold() == cell_field.replace("_", " "))
    assert problem.cell == f"{column}2"


def test_every_payment_method_is_one_the_reference_book_offers() -> None:
    assert PAYMENT_METHODS == ("bank_transfer", "mobile_wallet", "cash")


_ROW = st.tuples(
    st.sampled_from([m.worker_id for m in make_makers(CUSCO)]),
    st.sampled_from(["KNT-SCARF-ALP", "EMB-CUSHION", "SEW-TOTE"]),
    st.integers(min_value=0, max_value=30),  # passed
    st.decimals(min_value=0, max_value=200, places=2),  # hours
    st.dates(min_value=date(2024, 6, 1), max_value=date(2026, 11, 30)),  # QC day: either side of a raise
)


def _cusco_across_a_raise(**group: Any) -> ReferenceData:
    """The test reference with Cusco's terms changed by ``group`` and Peru's minimum wage before its last raise."""
    ref = _reference()
    cusco = ref.group(CUSCO).model_copy(update=group)
    [peru] = [r for r in ref.wage_rules if r.country == "PE"]
    before_the_raise = peru.model_copy(update={"amount": Decimal("1025.00"), "effective_from": date(2022, 5, 1)})
    return ref.model_copy(
        update={"groups": (cusco, *ref.groups[1:]), "wage_rules": (*ref.wage_rules, before_the_raise)}
    )


def _qc_lines(rows: list[tuple[str, str, int, Decimal, date]], ref: ReferenceData) -> list[EarningLine]:
    """The earning lines of one QC round per row (maker, product, units passed, hours, QC day), by the real rules."""
    lines = []
    for i, (worker, sku, passed, hours, on) in enumerate(rows):
        qc = make_qc_row(worker, sku, planned=passed, produced=passed, passed=passed, hours_worked=hours)
        lines += earnings_for(make_assignment(assignment_id=f"a-{i}", qc_rows=[qc]), ref, on)
    return lines


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, min_size=1, max_size=12), st.sampled_from(["0", "2.50"]))
def test_every_maker_is_paid_at_least_the_minimum_for_all_her_hours_and_the_pay_total_is_the_audit_total(
    rows: list[tuple[str, str, int, Decimal, date]], hourly_base: str
) -> None:
    # Given QC rounds on random days, with random output and hours, paid by the real rules
    ref = _cusco_across_a_raise(hourly_base=Decimal(hourly_base))
    lines = _qc_lines(rows, ref)
    payrolls = by_group(lines, ref)
    statement = pay_statement(payrolls, ref, NOVEMBER, PAID_ON, "Telar")
    for pay in statement.rows:
        mine = [line for line in lines if line.worker_id == pay.worker_id]
        # Then she is paid at least the minimum wage for every hour she worked in the period
        assert pay.total >= sum((line.minimum_for_hours for line in mine), Decimal(0))
        assert pay.hours == sum((line.hours_worked for line in mine), Decimal(0))
        # And her row adds up as it is printed
        assert pay.total == sum((getattr(pay, c) for c in PAY_COMPONENTS), Decimal(0))
    # And the Pay total is the Audit total
    assert sum((p.total for p in statement.rows), Decimal(0)) == sum((line.total for line in lines), Decimal(0))


_DAY = st.tuples(
    st.sampled_from([m.worker_id for m in make_makers(CUSCO)]),
    st.dates(min_value=date(2026, 11, 1), max_value=date(2026, 11, 30)),
    st.decimals(min_value=0, max_value=8, places=2),  # present
    st.sampled_from(TIME_KINDS),
    st.decimals(min_value=0, max_value=8, places=2),  # hours of that kind
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_ROW, max_size=8), st.lists(_DAY, min_size=1, max_size=25), st.sampled_from(["0", "10", "25"]))
def test_with_random_attendance_every_maker_is_paid_the_minimum_for_all_her_hours_and_her_guaranteed_ones(
    rows: list[tuple[str, str, int, Decimal, date]],
    days: list[tuple[str, date, Decimal, str, Decimal]],
    guaranteed: str,
) -> None:
    # Given QC rounds and a November attendance sheet with random hours of every kind, in a group that may
    # guarantee hours, paid by the real rules (the guarantee settled as the pay run settles it)
    ref = _cusco_across_a_raise(guaranteed_hours_per_week=Decimal(guaranteed))
    group = ref.group(CUSCO)
    lines = _qc_lines(rows, ref)
    sheet: dict[tuple[str, date], AttendanceDay] = {}
    for worker, day, present, kind, hours in days:
        if group.is_open_on(day) and (worker, day) not in sheet:
            working = hours if kind != "holiday" else Decimal(0)
            sheet[(worker, day)] = AttendanceDay(
                worker_id=worker, day=day, present=max(present, working), hours={kind: hours} if hours else {}
            )
    attendance = Attendance(group_id=CUSCO, month="2026-11", days=tuple(sheet.values()))
    lines = settle_guarantees([*lines, *attendance_earnings(attendance, ref, "attendance/nov.xlsx#1")])
    statement = pay_statement(by_group(lines, ref), ref, NOVEMBER, PAID_ON, "Telar")
    for pay in statement.rows:
        mine = [line for line in lines if line.worker_id == pay.worker_id]
        worked = [line for line in mine if line.sku != "TIME:guarantee"]
        # Then she is paid at least the minimum wage for every hour, production and not
        assert pay.total >= sum((line.minimum_for_hours for line in worked), Decimal(0))
        assert pay.hours == sum((line.hours_worked for line in mine), Decimal(0))
        # And, in November, at least the minimum for the hours guaranteed to her
        november = sum((x.total for x in mine if x.inspected_on and x.inspected_on >= NOVEMBER.first_day), Decimal(0))
        for guarantee in (x for x in mine if x.sku == "TIME:guarantee"):
            assert november >= guarantee.minimum_for_hours
        # And her row adds up as it is printed
        assert pay.total == sum((getattr(pay, c) for c in PAY_COMPONENTS), Decimal(0))
    # And the Pay total is the Audit total
    assert sum((p.total for p in statement.rows), Decimal(0)) == sum((line.total for line in lines), Decimal(0))
