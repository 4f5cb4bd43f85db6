"""Fair pay: piece rate for passed units, topped up to the minimum wage for the hours worked."""

from datetime import date
from decimal import Decimal

from telar.models import Assignment, AssignmentLine, QcRow, ReferenceData, WageRule
from telar.payroll import by_group, earnings_for


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
    rate = sample_reference.product(sku).piece_rates["PEN"]  # type: ignore[union-attr]
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


def test_the_wage_rule_in_force_on_the_qc_date_applies(sample_reference: ReferenceData) -> None:
    # Given a raise of the Peruvian minimum wage from 2027-01-01
    raised = WageRule(
        country="PE",
        region="national",
        currency="PEN",
        amount=Decimal(1250),
        unit="month",
        hours_covered=Decimal(208),
        effective_from=date(2027, 1, 1),
    )
    ref = sample_reference.model_copy(update={"wage_rules": (*sample_reference.wage_rules, raised)})
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
