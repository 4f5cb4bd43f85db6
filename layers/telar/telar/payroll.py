"""Fair pay: piece rate for accepted units, never less than the minimum wage for the hours worked.

Rules (docs/decisions.md, issue 6):

- each QC row (maker x product of one assignment) pays ``passed x piece rate`` plus the group's hourly
  base for its hours; when that falls short of the minimum wage for the row's hours (the rule in force
  on the QC date, as an hourly rate), the difference is paid as a top-up on its own column;
- a maker's top-up for a pay period is the sum of her rows' top-ups, so a mid-period raise applies from
  its date and a well-paid product never hides a short one;
- all hours on the sheet count, rework included (rejected units are not paid; reworked units that pass
  are counted once, in the round where they pass);
- every amount is rounded per line to the group's pay rounding (cents, or whole baht), and every total
  is the sum of rounded lines.

A pay period's statement (issue 15) sums each maker's lines into one row with how she is paid; because
every line is at least the minimum for its hours, so is the row for all her hours in the period.
"""

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from telar.errors import NotFound
from telar.models import Assignment, EarningLine, GroupPayroll, Maker, PayPeriod, ReferenceData
from telar.models.attendance import ATTENDANCE_PREFIX, GUARANTEE, time_sku
from telar.models.payroll import MakerPay, PayStatement
from telar.models.reference import WageRule


def earnings_for(assignment: Assignment, ref: ReferenceData, on: date) -> list[EarningLine]:
    """One line per maker and product of an assignment's accepted QC results.

    The minimum wage is the rule in force on ``on`` (the QC date), as an hourly rate; when the piece
    earnings fall short of it for the hours worked, the difference is paid as a top-up.
    """
    group = ref.group(assignment.group_id)
    hourly = ref.minimum_wage(group, on).hourly
    makers = _makers_by_id(ref)
    names = {
        row.worker_id: maker.first_name
        for row in assignment.qc_rows
        if (maker := makers.get(row.worker_id)) is not None and maker.group_id == group.group_id
    }
    products = {p.sku: p for p in ref.products}
    # per assignment, not per row: the rounding unit, a zero in it, and each product's rate (looked up on its
    # first row, so a SKU the catalog lacks or a product without a rate fails as before)
    unit, base_rate = Decimal(group.pay_rounding), group.hourly_base
    zero = Decimal(0).quantize(unit, rounding=ROUND_HALF_UP)
    rates: dict[str, Decimal] = {}
    common = {
        "order_id": assignment.order_id,
        "assignment_id": assignment.assignment_id,
        "group_id": group.group_id,
        "currency": group.currency,
        "qc_upload": assignment.qc_upload,
        "inspected_on": on,
    }
    lines = []
    for row in assignment.qc_rows:
        rate = rates.get(row.sku)
        if rate is None:
            product = products.get(row.sku) or ref.product(row.sku)  # ProductNotFound for a SKU the catalog lacks
            rate = rates[row.sku] = product.piece_rate(group)
        piece = (row.passed * rate).quantize(unit, rounding=ROUND_HALF_UP)
        base = (row.hours_worked * base_rate).quantize(unit, rounding=ROUND_HALF_UP)
        minimum = (row.hours_worked * hourly).quantize(unit, rounding=ROUND_HALF_UP)
        lines.append(
            EarningLine(
                **common,
                worker_id=row.worker_id,
                maker_name=names.get(row.worker_id, row.worker_id),
                sku=row.sku,
                units_passed=row.passed,
                hours_worked=row.hours_worked,
                piece_earnings=piece,
                hourly_base=base,
                minimum_for_hours=minimum,
                top_up=max(zero, minimum - piece - base),
            )
        )
    return lines


# The makers of the last reference data seen, by worker id: a pay run computes many assignments against one
# ReferenceData, and scanning 10,000 makers for each was most of its time. Keyed on the identity of the makers
# tuple, which is held here so that its id cannot be reused; a model_copy with other makers is a new tuple.
_MAKERS_SEEN: list[tuple[tuple[Maker, ...], dict[str, Maker]]] = []


def _makers_by_id(ref: ReferenceData) -> dict[str, Maker]:
    if not _MAKERS_SEEN or _MAKERS_SEEN[0][0] is not ref.makers:
        _MAKERS_SEEN[:] = [(ref.makers, {m.worker_id: m for m in ref.makers})]
    return _MAKERS_SEEN[0][1]


def by_group(lines: list[EarningLine], ref: ReferenceData) -> list[GroupPayroll]:
    """Group earning lines per group and currency (the unit finance pays from)."""
    grouped: dict[tuple[str, str], list[EarningLine]] = defaultdict(list)
    for line in lines:
        grouped[(line.group_id, line.currency)].append(line)
    return [
        GroupPayroll(group_id=g, group_name=ref.group(g).name, currency=c, lines=ls)
        for (g, c), ls in sorted(grouped.items())
    ]


def due_in(lines: Iterable[EarningLine], period: PayPeriod) -> list[EarningLine]:
    """The unpaid lines a pay period pays: signed off on or before its last day (older ones included)."""
    last_day = period.last_day
    return [
        line for line in lines if line.paid_in is None and (line.inspected_on is None or line.inspected_on <= last_day)
    ]


def payslips(payroll: GroupPayroll) -> dict[str, list[EarningLine]]:
    """Each maker's lines (worker_id -> lines, sorted by order and product) for her payslip."""
    mine: dict[str, list[EarningLine]] = defaultdict(list)
    for line in sorted(payroll.lines, key=lambda x: (x.worker_id, x.order_id, x.sku, x.assignment_id)):
        mine[line.worker_id].append(line)
    return dict(mine)


def pay_date(period: PayPeriod, pay_day: int, today: date) -> date:
    """When the period is paid: ``pay_day`` of the month after it, or today if the run is later than that."""
    after = period.last_day + timedelta(days=1)
    return max(after.replace(day=pay_day), today)


def pay_statement(
    payrolls: list[GroupPayroll], ref: ReferenceData, period: PayPeriod, paid_on: date, organisation: str
) -> PayStatement:
    """One row per maker (per group and currency) summing her lines, with how she is paid; the rules applied."""
    # each maker's five sums in one pass over the lines (the same additions in the same order as a sum per
    # amount): her name is her first line's
    sums: dict[tuple[str, str, str], list[Decimal]] = {}
    first_name: dict[tuple[str, str, str], str] = {}
    names: dict[str, str] = {}
    for p in payrolls:
        names[p.group_id] = p.group_name
        for line in p.lines:
            key = (line.group_id, line.currency, line.worker_id)
            acc = sums.get(key)
            if acc is None:
                acc = sums[key] = [Decimal(0)] * 5
                first_name[key] = line.maker_name
            acc[0] += line.hours_worked
            acc[1] += line.piece_earnings
            acc[2] += line.time_pay
            acc[3] += line.hourly_base
            acc[4] += line.top_up
    makers = _makers_by_id(ref)
    rows = []
    for (group_id, currency, worker_id), (hours, piece, time_pay, base, top_up) in sorted(sums.items()):
        maker = makers.get(worker_id)
        rows.append(
            MakerPay(
                worker_id=worker_id,
                maker_name=first_name[(group_id, currency, worker_id)],
                group_id=group_id,
                group_name=names[group_id],
                currency=currency,
                payment_method=maker.payment_method if maker else None,
                payment_details=maker.payment_details if maker else "not recorded",
                hours=hours,
                piece_earnings=piece,
                time_pay=time_pay,
                hourly_base=base,
                top_up=top_up,
            )
        )
    return PayStatement(
        organisation=organisation,
        period=period.period,
        first_day=period.first_day,
        last_day=period.last_day,
        pay_date=paid_on,
        rows=rows,
        wage_rules=_rules_applied([line for p in payrolls for line in p.lines], ref),
    )


def _rules_applied(lines: list[EarningLine], ref: ReferenceData) -> list[WageRule]:
    """The minimum-wage rule in force for each line (its group, on its QC date), each rule once."""
    applied: dict[tuple[str, str, str, date], WageRule] = {}
    for group_id, on in sorted({(line.group_id, line.inspected_on) for line in lines if line.inspected_on}):
        try:
            rule = ref.minimum_wage(ref.group(group_id), on)
        except NotFound:  # a group or rule gone from the data in force: the lines were checked when earned
            continue
        applied[(rule.country, rule.region, rule.currency, rule.effective_from)] = rule
    return [applied[k] for k in sorted(applied)]


def settle_guarantees(lines: Iterable[EarningLine]) -> list[EarningLine]:
    """The lines with each guaranteed-hours line's top-up settled against the rest of the maker's pay of its month.

    An attendance sheet records, for a maker of a group with guaranteed hours, a line holding the minimum wage
    for the hours guaranteed to her that month (``TIME:guarantee``, no hours of its own: they are counted on
    the other lines or were hours present without work). Its top-up is what her other lines of the same
    group, currency and month (pieces, paid time, their own top-ups) fall short of that minimum, so she is
    paid at least the minimum for her guaranteed hours even in a month with no order work. Settled when the
    pay run files the period, from the lines it pays: the same lines give the same top-up on a re-run.
    """
    items = list(lines)
    guarantee = time_sku(GUARANTEE)
    guarantees = [x for x in items if x.sku == guarantee]
    if not guarantees:
        return items
    guaranteed = {(x.group_id, x.currency, x.worker_id) for x in guarantees}
    earned: dict[tuple[str, str, str, int, int], Decimal] = defaultdict(Decimal)
    for line in items:
        on = line.inspected_on
        if on and line.sku != guarantee and (who := (line.group_id, line.currency, line.worker_id)) in guaranteed:
            earned[(*who, on.year, on.month)] += line.total
    settled = {}
    for line in guarantees:
        on = line.inspected_on or date.min
        short = line.minimum_for_hours - earned[(line.group_id, line.currency, line.worker_id, on.year, on.month)]
        top_up = max(short, Decimal(0)).quantize(line.minimum_for_hours)  # in the line's rounding unit
        settled[id(line)] = line.model_copy(update={"top_up": top_up})
    return [settled.get(id(x), x) for x in items]


def short_reference(order_id: str) -> str:
    """An order as a payslip names it: the last part of its id (``ord-20250303-0001`` -> ``0001``); an attendance
    sheet's lines by their month (``ATT-pe-cusco-2025-05`` -> ``2025-05``)."""
    if order_id.startswith(f"{ATTENDANCE_PREFIX}-"):
        return order_id[-7:]
    return order_id.rsplit("-", 1)[-1][:8].upper()
