"""Allocation of 200 order lines among 12 groups of 300 makers: plan time, makespan against an LP bound, fairness.

The instance (fixed seed): 12 groups with 3-6 h days, 5 or 6 open days a week and a few closed days each;
25 makers per group with one or two of the five skills and an efficiency of 0.7-1.3; a third of the makers
already booked for part of the next three weeks; 200 lines over the sample catalog's 8 products in colour
variants. The bound is independent of the allocation's own code: the smallest day by which an LP relaxation
(lines -> makers, work splits freely, no whole units or minimum batches) is feasible, solved with HiGHS
(scipy.optimize.linprog) in a binary search over days. Makespans count days from today to the finish day
inclusive. Fairness: the share of skilled active makers who get any work, and the Gini coefficient of the
hours assigned to them (0 = all equal).
"""

import random
import time
from bisect import bisect_left
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import numpy as np
from scipy.optimize import linprog
from scipy.sparse import coo_matrix

from telar.allocation import Plan, gini, split_order
from telar.capacity import CapacityLedger, cumulative, free_minutes, group_day_minutes, week_of
from telar.models import Maker, Order, OrderLine, ReferenceData
from tests.factories import make_order

ROOT = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 23)
SKILLS = ("knitting", "embroidery", "sewing", "jewelry", "crochet")
COLOURS = ("natural", "terracotta", "indigo", "mustard", "charcoal")
GROUPS, MAKERS_PER_GROUP, LINES = 12, 25, 200


def instance(seed: int = 4) -> tuple[Order, ReferenceData, dict[str, CapacityLedger]]:
    rnd = random.Random(seed)
    sample = ReferenceData.model_validate_json((ROOT / "samples" / "reference.json").read_text())
    base = sample.groups[0]
    groups = [
        base.model_copy(
            update={
                "group_id": f"g{g:02d}",
                "name": f"Group {g:02d}",
                "hours_per_day": Decimal(rnd.choice((3, 4, 5, 6))),
                "days_per_week": rnd.choice((5, 5, 6)),
                "closed_days": tuple(sorted({TODAY + timedelta(days=rnd.randrange(60)) for _ in range(4)})),
            }
        )
        for g in range(GROUPS)
    ]
    makers = [
        Maker(
            worker_id=f"g{g:02d}-{i:02d}",
            group_id=f"g{g:02d}",
            first_name=f"Maker {i}",
            skills=tuple(rnd.sample(SKILLS, rnd.choice((1, 2)))),
            efficiency=Decimal(rnd.randrange(70, 131)) / 100,
        )
        for g in range(GROUPS)
        for i in range(MAKERS_PER_GROUP)
    ]
    ledgers: dict[str, CapacityLedger] = {}
    for m in makers:
        if rnd.random() < 1 / 3:
            weeks = {week_of(TODAY + timedelta(weeks=w)): rnd.randrange(300, 1500) for w in range(3)}
            ledgers.setdefault(m.group_id, CapacityLedger(group_id=m.group_id, version=1)).booked[m.worker_id] = weeks
    ref = ReferenceData(groups=tuple(groups), makers=tuple(makers), products=sample.products, wage_rules=())
    lines = []
    for i in range(LINES):
        product = sample.products[i % len(sample.products)]
        lines.append(
            OrderLine(
                sku=product.sku,
                quantity=rnd.randint(product.min_quantity, product.max_quantity // 2),
                options={"colour": COLOURS[i // len(sample.products) % len(COLOURS)], "batch": str(i)},
            )
        )
    order = make_order().model_copy(update={"lines": lines, "requested_ship_date": TODAY + timedelta(days=60)})
    return order, ref, ledgers


def lp_bound_days(order: Order, ref: ReferenceData, ledgers: dict[str, CapacityLedger]) -> int:
    """Smallest day count by which the LP relaxation (lines -> makers, fractional) is feasible."""
    skills = {ref.product(line.sku).skill for line in order.lines}
    makers = [m for m in ref.makers if m.active and set(m.skills) & skills]
    cums = []
    for m in makers:
        booked = ledgers[m.group_id].booked.get(m.worker_id, {}) if m.group_id in ledgers else {}
        cums.append(cumulative(free_minutes(group_day_minutes(ref.group(m.group_id), TODAY), m, TODAY, booked)))
    rows, cols, work = [], [], []
    for i, line in enumerate(order.lines):
        product = ref.product(line.sku)
        work.append(line.quantity * float(product.standard_minutes))
        for j, m in enumerate(makers):
            if product.skill in m.skills:
                rows.append(i)
                cols.append(j)
    n = len(rows)
    a_eq = coo_matrix((np.ones(n), (rows, range(n))), shape=(len(order.lines), n))
    a_ub = coo_matrix((np.ones(n), (cols, range(n))), shape=(len(makers), n))

    def feasible(day: int) -> bool:
        caps = [c[day] for c in cums]
        result = linprog(np.zeros(n), A_ub=a_ub, b_ub=caps, A_eq=a_eq, b_eq=work, bounds=(0, None), method="highs")
        return bool(result.status == 0)

    return bisect_left(range(len(cums[0]) - 1), True, key=feasible) + 1  # the first feasible day, counted inclusive


def fairness(plan: Plan, order: Order, ref: ReferenceData) -> tuple[float, float]:
    """Recomputed from the assignments' units (not from the plan's own figures, which it should equal)."""
    skills = {ref.product(line.sku).skill for line in order.lines}
    skilled = {m.worker_id: m for m in ref.makers if m.active and set(m.skills) & skills}
    hours = dict.fromkeys(skilled, 0.0)
    for a in plan.assignments:
        for line in a.lines:
            product = ref.product(line.sku)
            for worker, units in line.per_maker.items():
                hours[worker] += units * float(product.standard_minutes) / float(skilled[worker].efficiency) / 60
    share = sum(1 for h in hours.values() if h > 0) / len(hours)
    return share, gini(list(hours.values()))


def run() -> dict[str, float]:
    order, ref, ledgers = instance()
    split_order(order, ref, TODAY, ledgers)  # warm-up: imports and caches
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        plan = split_order(order, ref, TODAY, ledgers)
        runs.append(time.perf_counter() - started)
    makespan = (plan.finish_date - TODAY).days + 1
    started = time.perf_counter()
    bound = lp_bound_days(order, ref, ledgers)
    lp_seconds = time.perf_counter() - started
    share, gini = fairness(plan, order, ref)
    split_lines = sum(
        1
        for line in order.lines
        if sum(1 for a in plan.assignments for al in a.lines if al.options == line.options and al.sku == line.sku) > 1
    )
    return {
        "split.plan_seconds": min(runs),
        "split.makespan_days": makespan,
        "split.lp_bound_days": bound,
        "split.makespan_to_bound_ratio": makespan / bound,
        "split.skilled_makers_with_work_share": share,
        "split.assigned_hours_gini": gini,
        "split.lines_split_across_groups_count": split_lines,
        "split.lp_bound_seconds": lp_seconds,
    }
