"""Splitting an order among production groups so that it is finished as early as possible.

1. Capacity (``telar.capacity``): each skilled maker's free standard minutes per day from today on.
2. The earliest day by which the order's work fits at all, splitting work freely: by Hall's theorem it fits
   if, for every set S of the order's skills, the work needing a skill in S is at most the free minutes of the
   makers having one of them (31 sets for 5 skills). A binary search over days finds it; it is the optimum of
   the LP relaxation (bench/split.py checks it against HiGHS), so no plan can finish earlier.
3. A max flow at that day says how many minutes of each skill each class of makers (same group, same skills)
   takes, so a maker with two skills works where she is needed.
4. Each line (one colour/size variant) stays whole with the group that has the most of its skill's budget left
   when it fits there; otherwise it is split into batches of at least the product's minimum quantity.
5. Within a group a line is shared among the skilled makers in proportion to the budget each has left, so
   every maker with budget earns and rounding evens out from line to line.
6. Each maker's finish day follows from her load; the order is finished on the latest.

Pure Python: a plan of 200 lines for 300 makers takes well under a second (see docs/decisions.md).
"""

import math
from bisect import bisect_left
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from telar.capacity import (
    HORIZON_DAYS,
    Bookings,
    CapacityLedger,
    cumulative,
    free_minutes,
    group_day_minutes,
    group_earliest_due,
    place,
)
from telar.errors import CapacityExceeded
from telar.models import Assignment, AssignmentLine, Maker, Order, OrderLine, ReferenceData

SHIP_AFTER_DUE = timedelta(days=7)  # finished work ships a week after it is due (packing, transport)
_EPS = 1e-6
_FILL_STEPS = 8
_TARGETS = 4  # aim at the bound, then a day later...: slack there absorbs rounding to whole units


class Plan(BaseModel, defer_build=True):
    """An order's assignments and the capacity they book."""

    assignments: list[Assignment]
    bookings: dict[str, Bookings] = Field(description="group_id -> worker_id -> week's Monday -> standard minutes")
    finish_date: date = Field(description="the day the last maker finishes")
    bound_date: date = Field(description="no plan can finish before this day (the fractional relaxation)")
    expected_ship_date: date
    skilled_makers_with_work_share: float = Field(
        description="of the active makers with a skill the order needs, the share who get work (fairness)"
    )
    assigned_hours_gini: float = Field(description="Gini coefficient of their assigned hours: 0 = all equal")

    def is_late(self, order: Order) -> bool:
        return self.expected_ship_date > order.promised_ship_date


def largest_remainder(total: int, weights: dict[str, Decimal] | dict[str, float]) -> dict[str, int]:
    """Split ``total`` units in proportion to ``weights`` so the shares are whole and add up exactly."""
    weight_sum = sum(weights.values())
    exact = {k: total * float(w) / float(weight_sum) for k, w in weights.items()}
    shares = {k: int(v) for k, v in exact.items()}
    by_remainder = sorted(exact, key=lambda k: (exact[k] - shares[k], k), reverse=True)
    for k in by_remainder[: total - sum(shares.values())]:
        shares[k] += 1
    return {k: v for k, v in shares.items() if v > 0}


def weekly_capacity_units(ref: ReferenceData, group_id: str, sku: str) -> Decimal:
    """Units of ``sku`` a group makes in a normal week: skilled maker-minutes at their efficiency / standard minutes."""
    product = ref.product(sku)
    group = ref.group(group_id)
    efficiency = sum((m.efficiency for m in ref.makers_of(group_id, product.skill)), Decimal(0))
    return efficiency * group.weekly_hours_per_maker * 60 / product.standard_minutes


@dataclass
class _Maker:
    maker: Maker
    skills: frozenset[str]
    free: list[float]
    cum: list[float]
    budget: dict[str, float] = field(default_factory=dict)
    load: float = 0.0


@dataclass
class _Line:
    line: OrderLine
    skill: str
    minutes: float  # standard minutes of one unit
    min_batch: int

    @property
    def work(self) -> float:
        return self.line.quantity * self.minutes


def split_order(
    order: Order,
    ref: ReferenceData,
    today: date,
    ledgers: dict[str, CapacityLedger] | None = None,
    sent_at: datetime | None = None,
) -> Plan:
    """The plan that finishes ``order`` earliest, given the work ``ledgers`` already book.

    Each assignment is due no earlier than its group's lead time after ``sent_at`` (when its papers are sent;
    noon UTC of ``today`` if not given), counted in the group's time zone and calendar.

    Raises
    ------
    CapacityExceeded
        if no group has an active maker with a skill the order needs, or the work does not fit in a year.
    ProductNotFound
        if a line's SKU has left the catalog.
    """
    ledgers = ledgers or {}
    lines = _lines(order, ref)
    demand: dict[str, float] = defaultdict(float)
    for ln in lines:
        demand[ln.skill] += ln.work
    makers = _makers(ref, set(demand), today, ledgers)
    for skill in demand:
        if not any(skill in m.skills for m in makers):
            raise CapacityExceeded(f"no group has an active maker skilled in {skill}")

    classes: dict[tuple[str, frozenset[str]], list[_Maker]] = defaultdict(list)
    for m in makers:
        classes[(m.maker.group_id, m.skills)].append(m)
    keys = list(classes)
    class_cum = [[sum(col) for col in zip(*(m.cum for m in classes[k]), strict=True)] for k in keys]
    day = _earliest_day(demand, [k[1] for k in keys], class_cum)
    if day is None:
        raise CapacityExceeded(f"the order needs more than {HORIZON_DAYS} days of every skilled group's time")

    best: tuple[dict[str, int], dict[str, list[tuple[_Line, dict[str, int]]]], list[float]] | None = None
    # days on which somebody works (a weekend adds no room)
    targets = [d for d in range(day, len(class_cum[0])) if d == day or any(c[d] > c[d - 1] for c in class_cum)]
    for target in targets[:_TARGETS]:
        finish, portions = _attempt(lines, demand, makers, classes, class_cum, target)
        if best is None or max(finish.values()) < max(best[0].values()):
            best = finish, portions, [m.load for m in makers]
        if max(finish.values()) <= target:
            break
    assert best is not None
    finish, portions, loads = best
    bookings: dict[str, Bookings] = defaultdict(dict)
    for m, load in zip(makers, loads, strict=True):
        if load > _EPS:
            bookings[m.maker.group_id][m.maker.worker_id] = place(m.free, today, load)

    finish_date = today + timedelta(days=max(finish.values()))
    earliest_due = order.promised_ship_date - SHIP_AFTER_DUE
    sent = sent_at or datetime.combine(today, time(12), tzinfo=UTC)
    lead = {group_id: group_earliest_due(ref, group_id, sent) for group_id in portions}
    assignments = [
        Assignment(
            assignment_id=f"{order.order_id}-{group_id}",
            order_id=order.order_id,
            group_id=group_id,
            # a group that can finish early keeps the buyer's slack: work is due a week before shipping
            due_date=max(today + timedelta(days=finish[group_id]), earliest_due, lead[group_id]),
            booked=bookings.get(group_id, {}),
            lines=[
                AssignmentLine(
                    sku=ln.line.sku,
                    quantity=sum(per_maker.values()),
                    options=ln.line.options,
                    notes=ln.line.notes,
                    per_maker={w: n for w, n in sorted(per_maker.items()) if n},
                )
                for ln, per_maker in sorted(group_portions, key=_line_order)
            ],
        )
        for group_id, group_portions in sorted(portions.items())
        if group_portions
    ]
    return Plan(
        assignments=assignments,
        bookings=dict(bookings),
        finish_date=finish_date,
        bound_date=today + timedelta(days=day),
        expected_ship_date=max(
            order.promised_ship_date,
            finish_date + SHIP_AFTER_DUE,
            *(lead[a.group_id] + SHIP_AFTER_DUE for a in assignments),
        ),
        skilled_makers_with_work_share=sum(1 for load in loads if load > _EPS) / len(makers),
        assigned_hours_gini=gini(
            [load / float(m.maker.efficiency) / 60 for m, load in zip(makers, loads, strict=True)]
        ),
    )


def gini(values: list[float]) -> float:
    """Gini coefficient of non-negative ``values``: 0 when all are equal, towards 1 when one holds everything."""
    ordered, total = sorted(values), sum(values)
    if not ordered or total <= 0:
        return 0.0
    n = len(ordered)
    return sum((2 * i - n + 1) * v for i, v in enumerate(ordered)) / (n * total)


def _line_order(portion: tuple["_Line", dict[str, int]]) -> tuple[str, list[tuple[str, str]]]:
    return portion[0].line.sku, sorted(portion[0].line.options.items())


def _attempt(
    lines: list[_Line],
    demand: dict[str, float],
    makers: list[_Maker],
    classes: dict[tuple[str, frozenset[str]], list[_Maker]],
    class_cum: list[list[float]],
    day: int,
) -> tuple[dict[str, int], dict[str, list[tuple[_Line, dict[str, int]]]]]:
    """Lines to groups and makers aiming to finish by ``day``; returns each group's finish day and its portions."""
    keys = list(classes)
    flows = _max_flow(demand, [k[1] for k in keys], [c[day] for c in class_cum])
    for key, cum, flow in zip(keys, class_cum, flows, strict=True):
        # what the flow leaves free in a class is shared among the skills it takes: room for rounding
        taken = sum(flow.values())
        spare = max(cum[day] - taken, 0.0)
        for m in classes[key]:
            share = m.cum[day] / cum[day] if cum[day] > 0 else 0.0
            m.budget = {
                skill: (minutes + spare * (minutes / taken if taken > 0 else 1 / len(flow))) * share
                for skill, minutes in flow.items()
            }
            m.load = 0.0

    by_group: dict[str, list[_Maker]] = defaultdict(list)
    for m in makers:
        by_group[m.maker.group_id].append(m)
    portions: dict[str, list[tuple[_Line, dict[str, int]]]] = defaultdict(list)
    for ln in sorted(lines, key=lambda ln: (ln.skill, -ln.work, ln.line.sku)):
        room = {  # whole units each group's makers have budget for
            g: int(sum(max(m.budget.get(ln.skill, 0.0), 0.0) for m in ms) / ln.minutes + 1e-9)
            for g, ms in by_group.items()
            if any(ln.skill in m.skills for m in ms)
        }
        for group_id, quantity in _split_line(ln, room).items():
            per_maker = _share_in_group([m for m in by_group[group_id] if ln.skill in m.skills], ln, quantity)
            portions[group_id].append((ln, per_maker))
    _even_out(by_group, portions)
    if _hand_over_whole_lines(by_group, portions):
        _even_out(by_group, portions)

    finish: dict[str, int] = {}
    for m in makers:
        if m.load <= _EPS:
            continue
        last = bisect_left(m.cum, m.load - _EPS)
        if last >= len(m.cum):
            raise CapacityExceeded(f"{m.maker.worker_id}'s share does not fit in {HORIZON_DAYS} days")
        finish[m.maker.group_id] = max(finish.get(m.maker.group_id, 0), last)
    return finish, portions


def _lines(order: Order, ref: ReferenceData) -> list[_Line]:
    lines = []
    for line in order.lines:
        product = ref.product(line.sku)  # ProductNotFound: removed by a confirmed import since the order came in
        lines.append(_Line(line, product.skill, float(product.standard_minutes), product.min_quantity))
    return lines


def _makers(ref: ReferenceData, skills: set[str], today: date, ledgers: dict[str, CapacityLedger]) -> list[_Maker]:
    """Every active maker with a skill the order needs, with her free minutes per day."""
    makers = []
    calendars: dict[str, list[float]] = {}
    # most makers share a calendar
    unbooked: dict[tuple[str, Decimal, Decimal | None, date | None, date | None], tuple[list[float], list[float]]] = {}
    for maker in ref.makers:
        mine = frozenset(maker.skills) & skills
        if not (maker.active and mine):
            continue
        group_id = maker.group_id
        if group_id not in calendars:
            calendars[group_id] = group_day_minutes(ref.group(group_id), today)
        booked = ledgers[group_id].booked.get(maker.worker_id, {}) if group_id in ledgers else {}
        if booked:
            free = free_minutes(calendars[group_id], maker, today, booked)
            cum = cumulative(free)
        else:
            key = (group_id, maker.efficiency, maker.hours_per_day, maker.active_from, maker.active_to)
            if key not in unbooked:
                free = free_minutes(calendars[group_id], maker, today, {})
                unbooked[key] = (free, cumulative(free))
            free, cum = unbooked[key]
        makers.append(_Maker(maker, mine, free, cum))
    return makers


def _earliest_day(demand: dict[str, float], skills: list[frozenset[str]], cum: list[list[float]]) -> int | None:
    """The first day by which every set of skills has enough makers' minutes (Hall's condition), or None."""
    names = sorted(demand)
    checks = []
    for mask in range(1, 1 << len(names)):
        chosen = {names[i] for i in range(len(names)) if mask >> i & 1}
        checks.append((sum(demand[s] for s in chosen), [c for c, sk in enumerate(skills) if sk & chosen]))

    def fits(day: int) -> bool:
        return all(work <= sum(cum[c][day] for c in members) * (1 + 1e-9) + _EPS for work, members in checks)

    last = len(cum[0]) - 1
    if not fits(last):
        return None
    return bisect_left(range(last), True, key=fits)  # the first day that fits (fits is monotone)


def _max_flow(demand: dict[str, float], skills: list[frozenset[str]], capacity: list[float]) -> list[dict[str, float]]:
    """Minutes of each skill each class takes: a max flow skills -> classes (Edmonds-Karp, small graph)."""
    names = sorted(demand)
    source, sink = 0, len(names) + len(skills) + 1
    heads: list[int] = []
    caps: list[float] = []
    edges: list[list[int]] = [[] for _ in range(sink + 1)]

    def edge(u: int, v: int, c: float) -> int:
        edges[u].append(len(heads))
        heads.append(v)
        caps.append(c)
        edges[v].append(len(heads))
        heads.append(u)
        caps.append(0.0)
        return len(heads) - 2

    for i, name in enumerate(names, start=1):
        edge(source, i, demand[name])
    middle: dict[tuple[int, str], int] = {}
    for c, sk in enumerate(skills):
        node = len(names) + 1 + c
        for i, name in enumerate(names, start=1):
            if name in sk:
                middle[(c, name)] = edge(i, node, math.inf)
        edge(node, sink, 0.0)

    sinks = [edges[len(names) + 1 + c][-1] for c in range(len(skills))]
    for _ in range(_FILL_STEPS):
        # Capacities are raised in steps, each augmenting from the last flow: work spreads over every class
        # able to take it before any class is filled, instead of wherever the first paths happen to go.
        for c, e in enumerate(sinks):
            caps[e] += capacity[c] / _FILL_STEPS
        _augment(edges, heads, caps, source, sink)
    return [{name: caps[middle[(c, name)] ^ 1] for name in names if (c, name) in middle} for c in range(len(skills))]


def _augment(edges: list[list[int]], heads: list[int], caps: list[float], source: int, sink: int) -> None:
    """Edmonds-Karp: push flow along shortest augmenting paths until none is left."""
    while True:
        via = [-1] * (sink + 1)
        via[source] = -2
        queue = deque([source])
        while queue and via[sink] == -1:
            u = queue.popleft()
            for e in edges[u]:
                if caps[e] > _EPS and via[heads[e]] == -1:
                    via[heads[e]] = e
                    queue.append(heads[e])
        if via[sink] == -1:
            break
        push, v = math.inf, sink
        while v != source:
            push = min(push, caps[via[v]])
            v = heads[via[v] ^ 1]
        v = sink
        while v != source:
            caps[via[v]] -= push
            caps[via[v] ^ 1] += push
            v = heads[via[v] ^ 1]


def _split_line(ln: _Line, room: dict[str, int]) -> dict[str, int]:
    """Units of the line per group: whole with one group if it has room, else batches of at least ``min_batch``."""
    order = sorted(room, key=lambda g: (-room[g], g))
    units = ln.line.quantity
    if room[order[0]] >= units or units < 2 * ln.min_batch:
        return {order[0]: units}
    portions: dict[str, int] = {}
    need = units
    for group_id in order:
        fits = min(need, room[group_id])
        if fits < ln.min_batch:
            break  # the groups after this one have even less room
        if 0 < need - fits < ln.min_batch:  # leave the next group a whole batch, or keep the remainder here
            fits = need - ln.min_batch if need - ln.min_batch >= ln.min_batch else need
        portions[group_id] = fits
        need -= fits
        if not need:
            break
    if not portions:
        return {order[0]: units}
    if need:  # nobody has room left: the groups already chosen take the rest, in proportion to their room
        weights = {g: float(max(room[g], 1)) for g in portions}
        for group_id, extra in largest_remainder(need, weights).items():
            portions[group_id] += extra
    return portions


def _share_in_group(makers: list[_Maker], ln: _Line, quantity: int) -> dict[str, int]:
    """Suggested units per maker, in proportion to each one's budget left for the skill (all of them if none)."""
    weights = {m.maker.worker_id: max(m.budget.get(ln.skill, 0.0), 0.0) for m in makers}
    if sum(weights.values()) <= ln.minutes / 2:
        weights = {m.maker.worker_id: max(m.cum[-1] - m.load, _EPS) for m in makers}
    shares = largest_remainder(quantity, weights)
    for m in makers:
        taken = shares.get(m.maker.worker_id, 0) * ln.minutes
        m.budget[ln.skill] = m.budget.get(ln.skill, 0.0) - taken
        m.load += taken
    return shares


def _even_out(by_group: dict[str, list[_Maker]], portions: dict[str, list[tuple[_Line, dict[str, int]]]]) -> None:
    """Move single units from the maker who would finish last to the one who would finish first with it.

    Rounding to whole units leaves some makers a unit over their budget and others under it. Units move
    among the makers of the groups that already make the line (a group keeps at least a minimum batch), so
    levelling brings the makespan and the spread of hours down without splitting any line further.
    """
    holders_of: dict[int, list[tuple[str, dict[str, int]]]] = defaultdict(list)
    lines: dict[int, _Line] = {}
    for group_id, group_portions in portions.items():
        for ln, per_maker in group_portions:
            holders_of[id(ln)].append((group_id, per_maker))
            lines[id(ln)] = ln
    prepared = []
    for key, entries in holders_of.items():
        ln = lines[key]
        share_of = {m.maker.worker_id: per_maker for g, per_maker in entries for m in by_group[g]}
        skilled = [m for g, _p in entries for m in by_group[g] if ln.skill in m.skills]
        prepared.append((ln, share_of, skilled))
    finish = {id(m): _finish(m, m.load) for ms in by_group.values() for m in ms}
    changed = True
    while changed:
        changed = False
        for ln, share_of, skilled in prepared:
            while True:
                holders = [m for m in skilled if share_of[m.maker.worker_id].get(m.maker.worker_id)]
                if not holders:
                    break
                late = max(holders, key=lambda m: finish[id(m)])
                giver = share_of[late.maker.worker_id]
                may_leave_group = sum(giver.values()) > ln.min_batch
                movable = [
                    m for m in skilled if m is not late and (may_leave_group or share_of[m.maker.worker_id] is giver)
                ]
                if not movable:
                    break
                early = min(movable, key=lambda m: _finish(m, m.load + ln.minutes))
                after = _finish(early, early.load + ln.minutes)
                if after >= finish[id(late)] - 1e-3:
                    break
                taker = share_of[early.maker.worker_id]
                giver[late.maker.worker_id] -= 1
                taker[early.maker.worker_id] = taker.get(early.maker.worker_id, 0) + 1
                late.load -= ln.minutes
                early.load += ln.minutes
                finish[id(late)], finish[id(early)] = _finish(late, late.load), after
                changed = True


def _hand_over_whole_lines(
    by_group: dict[str, list[_Maker]], portions: dict[str, list[tuple[_Line, dict[str, int]]]], rounds: int = 20
) -> bool:
    """Give a line the last maker works on, held by her group alone, to a group that would finish it sooner.

    Levelling never moves a line to a group that does not make it yet; when the last group has only whole lines,
    handing one over is what brings the finish forward. Returns whether any line moved.
    """
    moved_any = False
    for _ in range(rounds):
        everyone = [m for ms in by_group.values() for m in ms if m.load > _EPS]
        late = max(everyone, key=lambda m: _finish(m, m.load))
        worst, group_id = _finish(late, late.load), late.maker.group_id
        holders: dict[int, int] = defaultdict(int)
        for group_portions in portions.values():
            for ln, _per_maker in group_portions:
                holders[id(ln)] += 1
        candidates = [
            (ln, per_maker)
            for ln, per_maker in portions[group_id]
            if per_maker.get(late.maker.worker_id) and holders[id(ln)] == 1
        ]
        moved = False
        for ln, per_maker in sorted(candidates, key=lambda p: sum(p[1].values())):
            for other, makers in by_group.items():
                skilled = [m for m in makers if ln.skill in m.skills] if other != group_id else []
                take = _fill(skilled, ln, sum(per_maker.values()), worst)
                if take is None:
                    continue
                for m in by_group[group_id]:
                    m.load -= per_maker.get(m.maker.worker_id, 0) * ln.minutes
                portions[group_id] = [p for p in portions[group_id] if p[1] is not per_maker]
                portions[other].append((ln, take))
                moved = moved_any = True
                break
            if moved:
                break
        if not moved:
            break
    return moved_any


def _fill(makers: list[_Maker], ln: _Line, units: int, before: float) -> dict[str, int] | None:
    """Units per maker if ``makers`` can all finish ``units`` more of the line before ``before``; else None."""
    if not makers:
        return None
    loads = {id(m): m.load for m in makers}
    take: dict[str, int] = defaultdict(int)
    for _ in range(units):
        best = min(makers, key=lambda m: _finish(m, loads[id(m)] + ln.minutes))
        loads[id(best)] += ln.minutes
        if _finish(best, loads[id(best)]) >= before - 1e-3:
            return None
        take[best.maker.worker_id] += 1
    for m in makers:
        m.load = loads[id(m)]
    return dict(take)


def _finish(m: _Maker, load: float) -> float:
    """When a maker with ``load`` minutes finishes, in days from today (fractions within her last day)."""
    day = bisect_left(m.cum, load - _EPS)
    if day >= len(m.cum):
        return math.inf
    before = m.cum[day - 1] if day else 0.0
    return day + (load - before) / (m.cum[day] - before) if m.cum[day] > before else float(day)
