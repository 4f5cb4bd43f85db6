"""Fair pay: piece rate for passed units, topped up to the minimum wage for the hours worked."""

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from telar.models import Assignment, AssignmentLine, EarningLine, PayPeriod, QcRow, ReferenceData, WageRule
from telar.payroll import by_group, due_in, earnings_for, payslips
from tests.factories import (
    CHIANG_MAI,
    CUSCO,
    make_earning_line,
    make_group,
    make_product,
    make_qc_row,
    make_reference,
)


def _assignment(group_id: str, sku: str, worker_id: str, passed: int, hours: str) -> Assignment:
    return Assignment(
        assignment_id=f"ord-1-{group_id}",
        order_id="ord-1",
        group_id=group_id,
        due_date=date(2027, 1, 1),
        lines=[AssignmentLine(sku=sku, quantity=max(passed, 1), per_maker={worker_id: max(passed, 1)})],
        qc_rows=[
            QcRow(
                worker_id=worker_id,
                sku=sku,
                planned=passed,
                produced=passed,
                passed=passed,
                rejected=0,
                hours_worked=Decimal(hours),
            )
        ],
    )


def _maker(ref: ReferenceData, group_id: str) -> tuple[str, str]:
    maker = ref.makers_of(group_id)[0]
    product = next(p for p in ref.products if p.skill in maker.skills)
    return maker.worker_id, product.sku


def test_no_top_up_when_piece_earnings_exceed_the_minimum(sample_reference: ReferenceData) -> None:
    worker, sku = _maker(sample_reference, "pe-cusco")
    [line] = earnings_for(_assignment("pe-cusco", sku, worker, 10, "1"), sample_reference, date(2026, 11, 23))
    rate = sample_reference.product(sku).piece_rates["PEN"]
    assert line.piece_earnings == (10 * rate).quantize(Decimal("0.01")) and line.top_up == 0
    assert line.total == line.piece_earnings


def test_top_up_pays_the_difference_to_the_minimum_wage(sample_reference: ReferenceData) -> None:
    # Given one unit that took 40 hours in Peru (RMV S/ 1,130 a month for 208 hours)
    worker, sku = _maker(sample_reference, "pe-cusco")
    [line] = earnings_for(_assignment("pe-cusco", sku, worker, 1, "40"), sample_reference, date(2026, 11, 23))
    # Then the top-up makes the total exactly the minimum for 40 hours
    assert line.minimum_for_hours == (Decimal(40) * Decimal(1130) / Decimal(208)).quantize(Decimal("0.01"))
    assert line.top_up == line.minimum_for_hours - line.piece_earnings > 0
    assert line.total == line.minimum_for_hours


def test_thai_pay_uses_the_daily_rate_in_baht(sample_reference: ReferenceData) -> None:
    group = next(g for g in sample_reference.groups if g.currency == "THB")
    worker, sku = _maker(sample_reference, group.group_id)
    [line] = earnings_for(_assignment(group.group_id, sku, worker, 0, "8"), sample_reference, date(2026, 11, 23))
    assert line.currency == "THB" and line.minimum_for_hours == Decimal("380.00") and line.top_up == Decimal("380.00")


def _peru_minimum_raised_to_1250(ref: ReferenceData, effective_from: date) -> ReferenceData:
    raised = WageRule(
        country="PE",
        region="national",
        currency="PEN",
        amount=Decimal(1250),
        unit="month",
        hours_covered=Decimal(208),
        effective_from=effective_from,
    )
    return ref.model_copy(update={"wage_rules": (*ref.wage_rules, raised)})


def test_the_wage_rule_in_force_on_the_qc_date_applies(sample_reference: ReferenceData) -> None:
    # Given a raise of the Peruvian minimum wage from 2027-01-01
    ref = _peru_minimum_raised_to_1250(sample_reference, date(2027, 1, 1))
    worker, sku = _maker(ref, "pe-cusco")
    before = earnings_for(_assignment("pe-cusco", sku, worker, 0, "10"), ref, date(2026, 12, 31))[0]
    after = earnings_for(_assignment("pe-cusco", sku, worker, 0, "10"), ref, date(2027, 1, 1))[0]
    assert before.minimum_for_hours == Decimal("54.33") and after.minimum_for_hours == Decimal("60.10")


def test_group_totals_are_the_sum_of_rounded_lines(sample_reference: ReferenceData) -> None:
    lines = []
    for group_id in ("pe-cusco", "pe-ayacucho"):
        worker, sku = _maker(sample_reference, group_id)
        lines += earnings_for(_assignment(group_id, sku, worker, 3, "7.3"), sample_reference, date(2026, 11, 23))
    payrolls = by_group(lines, sample_reference)
    assert [p.group_id for p in payrolls] == ["pe-ayacucho", "pe-cusco"]
    for p in payrolls:
        assert p.total == sum(line.piece_earnings + line.top_up for line in p.lines)
        assert p.total.as_tuple().exponent == -2


def _group(ref: ReferenceData, group_id: str, **changes: object) -> ReferenceData:
    groups = tuple(g.model_copy(update=changes) if g.group_id == group_id else g for g in ref.groups)
    return ref.model_copy(update={"groups": groups})


def _product(ref: ReferenceData, sku: str, **changes: object) -> ReferenceData:
    products = tuple(p.model_copy(update=changes) if p.sku == sku else p for p in ref.products)
    return ref.model_copy(update={"products": products})


def test_an_hourly_base_counts_towards_the_minimum(sample_reference: ReferenceData) -> None:
    # Given Cusco pays S/ 2.00 an hour on top of piece rates
    ref = _group(sample_reference, "pe-cusco", hourly_base=Decimal("2.00"))
    worker, sku = _maker(ref, "pe-cusco")
    # When a maker passes one unit in 10 hours
    [line] = earnings_for(_assignment("pe-cusco", sku, worker, 1, "10"), ref, date(2026, 11, 23))
    # Then the base is its own amount and the top-up only makes up what is still missing
    assert line.hourly_base == Decimal("20.00")
    assert line.top_up == line.minimum_for_hours - line.piece_earnings - line.hourly_base
    assert line.total == line.minimum_for_hours


def test_whole_baht_rounding_and_totals_are_sums_of_rounded_lines(sample_reference: ReferenceData) -> None:
    # Given a Thai group paid in whole baht, and hours whose minimum has satang
    group = next(g for g in sample_reference.groups if g.currency == "THB")
    ref = _group(sample_reference, group.group_id, pay_rounding="1")
    worker, sku = _maker(ref, group.group_id)
    lines = [
        earnings_for(_assignment(group.group_id, sku, worker, 0, hours), ref, date(2026, 11, 23))[0]
        for hours in ("1.1", "2.3", "0.7")
    ]
    # Then every amount is whole baht, half-up, and the group total is the sum of the rounded lines
    assert [line.minimum_for_hours for line in lines] == [Decimal(52), Decimal(109), Decimal(33)]  # 47.5 THB/h
    [payroll] = by_group(lines, ref)
    assert payroll.total == Decimal(194) and all(line.top_up.as_tuple().exponent == 0 for line in lines)


def test_a_raise_mid_period_applies_from_its_date_and_the_period_pays_both(sample_reference: ReferenceData) -> None:
    # Given the Peruvian minimum wage rises on 15 November
    ref = _peru_minimum_raised_to_1250(sample_reference, date(2026, 11, 15))
    worker, sku = _maker(ref, "pe-cusco")
    early = earnings_for(_assignment("pe-cusco", sku, worker, 0, "10"), ref, date(2026, 11, 14))[0]
    late = earnings_for(_assignment("pe-cusco", sku, worker, 0, "10"), ref, date(2026, 11, 15))[0]
    # When November is paid
    due = due_in([early, late], PayPeriod(period="2026-11"))
    # Then each line keeps the rule of its own QC date and her top-up is the sum of both
    assert [line.minimum_for_hours for line in due] == [Decimal("54.33"), Decimal("60.10")]
    assert payslips(by_group(due, ref)[0])[worker] == due
    assert sum(line.top_up for line in due) == Decimal("114.43")


def test_a_period_pays_unpaid_lines_up_to_its_last_day_only() -> None:
    lines = [
        make_earning_line("CUS-01", inspected_on=date(2026, 10, 31)),
        make_earning_line("CUS-02", inspected_on=date(2026, 11, 30)),
        make_earning_line("CUS-03", inspected_on=date(2026, 12, 1)),
        make_earning_line("CUS-04", inspected_on=date(2026, 11, 2), paid_in="2026-11"),
    ]
    assert [line.worker_id for line in due_in(lines, PayPeriod(period="2026-11"))] == ["CUS-01", "CUS-02"]


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "November", "", "2026-11-01"])
def test_a_pay_period_must_be_a_month(bad: str) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM"):
        PayPeriod(period=bad)


def test_the_schedule_pays_the_month_that_ended() -> None:
    assert PayPeriod.before(date(2027, 1, 1)).period == "2026-12"
    assert PayPeriod(period="2028-02").last_day == date(2028, 2, 29)


def test_a_group_with_its_own_piece_rate_is_paid_at_it_and_others_at_the_countrys(
    sample_reference: ReferenceData,
) -> None:
    # Given Cusco negotiated its own rate for a product, while Ayacucho pays Peru's rate for it
    worker, sku = _maker(sample_reference, "pe-cusco")
    product = sample_reference.product(sku)
    ref = _product(sample_reference, sku, group_piece_rates={"pe-cusco": Decimal("31.50")})
    other = next(m.worker_id for m in ref.makers_of("pe-ayacucho", product.skill))
    # When one unit passes in each group
    [cusco] = earnings_for(_assignment("pe-cusco", sku, worker, 1, "1"), ref, date(2026, 11, 23))
    [ayacucho] = earnings_for(_assignment("pe-ayacucho", sku, other, 1, "1"), ref, date(2026, 11, 23))
    # Then each is paid at her group's rate
    assert cusco.piece_earnings == Decimal("31.50")
    assert ayacucho.piece_earnings == product.piece_rates["PEN"]


def test_a_product_without_a_rate_for_the_groups_currency_is_refused(sample_reference: ReferenceData) -> None:
    worker, sku = _maker(sample_reference, "pe-cusco")
    ref = _product(sample_reference, sku, piece_rates={"THB": Decimal(230)})
    with pytest.raises(LookupError, match="no piece rate in PEN for pe-cusco"):
        earnings_for(_assignment("pe-cusco", sku, worker, 1, "1"), ref, date(2026, 11, 23))


def test_rejected_units_are_not_paid_and_a_reworked_unit_is_paid_once_when_it_passes(
    sample_reference: ReferenceData,
) -> None:
    # Given a maker who made 5 units: 3 passed first time, 2 were rejected and passed after rework
    worker, sku = _maker(sample_reference, "pe-cusco")
    first = _assignment("pe-cusco", sku, worker, 3, "20")
    first = first.model_copy(update={"qc_rows": [first.qc_rows[0].model_copy(update={"produced": 5, "rejected": 2})]})
    rework = _assignment("pe-cusco", sku, worker, 2, "3").model_copy(
        update={"assignment_id": "ord-1-pe-cusco-rework1", "rework_of": "ord-1-pe-cusco", "rework_round": 1}
    )
    # When both rounds are paid
    lines = [line for a in (first, rework) for line in earnings_for(a, sample_reference, date(2026, 11, 23))]
    # Then she is paid for 5 units, each once, and for all 23 hours she worked (rework time counts)
    rate = sample_reference.product(sku).piece_rates["PEN"]
    assert [line.units_passed for line in lines] == [3, 2]
    assert sum(line.piece_earnings for line in lines) == 5 * rate
    assert sum(line.hours_worked for line in lines) == 23


# Rounding (docs/decisions.md, issue 6): each amount is rounded half-up to the group's pay rounding. Banker's
# rounding (half-even) would short a maker a cent, or a whole baht, every time an amount ends in exactly .5.
def _one_row_at(group_rounding: str, piece_rate: str, passed: int, hours: str, hourly_base: str) -> EarningLine:
    group = make_group(CUSCO, pay_rounding=group_rounding, hourly_base=Decimal(hourly_base))
    scarf = make_product("KNT-SCARF-ALP", piece_rates={"PEN": Decimal(piece_rate)})
    ref = make_reference(groups=[group], products=[scarf])
    assignment = _assignment(CUSCO, "KNT-SCARF-ALP", "CUS-01", passed, hours)
    [line] = earnings_for(assignment, ref, date(2026, 11, 23))
    return line


@pytest.mark.parametrize(
    ("rounding", "piece_rate", "passed", "expected"),
    [
        ("0.01", "0.125", 1, Decimal("0.13")),  # half-even would give 0.12
        ("0.01", "0.105", 1, Decimal("0.11")),  # half-even would give 0.10
        ("0.01", "0.0125", 2, Decimal("0.03")),  # 0.025: half-even 0.02, half-down 0.02
        ("1", "0.5", 1, Decimal("1")),  # whole baht: 0.5 -> 1, half-even 0
        ("1", "2.5", 1, Decimal("3")),  # 2.5 -> 3, half-even 2
        ("0.01", "0.124", 1, Decimal("0.12")),  # just under the boundary rounds down (not up, not ceiling)
    ],
)
def test_piece_earnings_round_half_up_at_the_boundary(
    rounding: str, piece_rate: str, passed: int, expected: Decimal
) -> None:
    # Given piece earnings that end exactly on (or just under) a half of the group's pay unit
    line = _one_row_at(rounding, piece_rate, passed, hours="0", hourly_base="0")
    # Then they are rounded half-up, to the unit
    assert line.piece_earnings == expected
    assert line.piece_earnings.as_tuple().exponent == Decimal(rounding).as_tuple().exponent


def test_the_hourly_base_and_the_minimum_for_hours_round_half_up_too() -> None:
    # Given a half hour at a base of 0.25 an hour (0.125) in Peru, whose minimum is S/ 1,130 for 208 hours
    line = _one_row_at("0.01", "0", 0, hours="0.5", hourly_base="0.25")
    # Then the base is 0.13, not 0.12
    assert line.hourly_base == Decimal("0.13")
    # And the minimum for 0.5 h (2.716346...) is 2.72, and the top-up tops the line up to exactly it
    assert line.minimum_for_hours == Decimal("2.72")
    assert line.top_up == Decimal("2.72") - Decimal("0.13")
    assert line.total == line.minimum_for_hours


def test_a_minimum_for_hours_on_the_half_baht_rounds_up() -> None:
    # Given whole-baht rounding and hours whose minimum is exactly 0.5 baht (1/760 of a 380-baht, 8-hour day)
    group = make_group(CHIANG_MAI, pay_rounding="1")
    ref = make_reference(groups=[group], products=[make_product("KNT-SCARF-ALP")])
    hours = Decimal(8) / Decimal(760)  # 0.0105263...: not a value a sheet gives, so build the row directly
    assignment = _assignment(CHIANG_MAI, "KNT-SCARF-ALP", "CNX-01", 0, "0").model_copy(
        update={"qc_rows": [make_qc_row("CNX-01", passed=0, produced=0, planned=0, hours_worked=hours)]}
    )
    [line] = earnings_for(assignment, ref, date(2026, 11, 23))
    # Then the minimum and the top-up are 1 baht, not 0
    assert line.minimum_for_hours == Decimal(1) and line.top_up == Decimal(1)


def test_each_line_names_its_maker_and_traces_back_to_the_qc_sheet_and_its_date() -> None:
    # Given a QC sheet (upload recorded) with a row for a maker of the group and one for an id no one has
    ref = make_reference()
    assignment = _assignment(CUSCO, "KNT-SCARF-ALP", "CUS-02", 2, "3").model_copy(
        update={
            "qc_upload": "qc/cusco.xlsx#v7",
            "qc_rows": [
                make_qc_row("CUS-02", hours_worked=Decimal(3)),
                make_qc_row("CUS-99", hours_worked=Decimal(3)),
            ],
        }
    )
    # When earnings are computed for the sheet signed off on 23 November
    luz, unknown = earnings_for(assignment, ref, date(2026, 11, 23))
    # Then each line names the maker as her payslip will (her first name, or her id when she is not on file)
    assert (luz.worker_id, luz.maker_name) == ("CUS-02", "Luz")
    assert (unknown.worker_id, unknown.maker_name) == ("CUS-99", "CUS-99")
    # And each line keeps the upload it came from and the sign-off date that decides its pay period
    assert {line.qc_upload for line in (luz, unknown)} == {"qc/cusco.xlsx#v7"}
    assert {line.inspected_on for line in (luz, unknown)} == {date(2026, 11, 23)}
