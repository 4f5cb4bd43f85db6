"""Rework: the units a QC sheet rejected go back to the makers who made them, for another QC round."""

from bisect import bisect_left
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from telar import capacity
from telar.allocation import SHIP_AFTER_DUE
from telar.capacity import CapacityLedger
from telar.models import Assignment, AssignmentLine, Order, ReferenceData


def rework_id(original_id: str, rework_round: int) -> str:
    return f"{original_id}-rework{rework_round}"


def plan_rework(signed_off: Assignment) -> Assignment | None:
    """The next round for ``signed_off``'s rejected units, each with the maker who made it and the defect codes
    her rejected units had (what to fix); None if none."""
    rejected: dict[str, dict[str, int]] = defaultdict(dict)
    defects: dict[str, dict[str, tuple[str, ...]]] = defaultdict(dict)
    for row in signed_off.qc_rows:
        if row.rejected:
            rejected[row.sku][row.worker_id] = rejected[row.sku].get(row.worker_id, 0) + row.rejected
            before = defects[row.sku].get(row.worker_id, ())
            defects[row.sku][row.worker_id] = tuple(dict.fromkeys((*before, *row.defect_codes)))
    if not rejected:
        return None
    original = {line.sku: line for line in signed_off.lines}
    next_round = signed_off.rework_round + 1
    return Assignment(
        assignment_id=rework_id(signed_off.rework_of or signed_off.assignment_id, next_round),
        order_id=signed_off.order_id,
        group_id=signed_off.group_id,
        due_date=signed_off.due_date,
        rework_of=signed_off.rework_of or signed_off.assignment_id,
        rework_round=next_round,
        lines=[
            AssignmentLine(
                sku=sku,
                quantity=sum(per_maker.values()),
                options=original[sku].options if sku in original else {},
                notes=original[sku].notes if sku in original else None,  # the papers say "rework" in her language
                per_maker=per_maker,
                rejected_for={w: codes for w, codes in defects[sku].items() if codes},
            )
            for sku, per_maker in sorted(rejected.items())
        ],
    )


def book_rework(
    rework: Assignment, ref: ReferenceData, ledger: CapacityLedger, today: date, sent_at: datetime | None = None
) -> Assignment:
    """``rework`` with its makers' time booked and its due date set from it.

    Reworking a unit is counted as making it again (its standard minutes): a rejected piece is unpicked and
    redone, and no sheet records how long a repair takes. Each maker's minutes go into her earliest free days
    from ``today``, after the work ``ledger`` already books (the earlier orders she is making), and the round
    is due when the last of them finishes, never before the original due date nor before the group's lead time
    after ``sent_at`` (its papers go out then; noon UTC of ``today`` if not given). A maker who has left, or who
    has no room within the horizon, books nothing: a person reassigns her units (the round is still sent).
    """
    days = capacity.group_day_minutes(ref.group(rework.group_id), today)
    makers = {m.worker_id: m for m in ref.makers}
    load: dict[str, float] = defaultdict(float)
    for line in rework.lines:
        product = ref.find_product(line.sku)
        for worker_id, units in line.per_maker.items():
            load[worker_id] += units * float(product.standard_minutes) if product else 0.0
    booked: dict[str, dict[str, int]] = {}
    sent = sent_at or datetime.combine(today, time(12), tzinfo=UTC)
    due = max(rework.due_date, capacity.group_earliest_due(ref, rework.group_id, sent))
    for worker_id, minutes in sorted(load.items()):
        maker = makers.get(worker_id)
        if maker is None or minutes <= 0:
            continue
        free = capacity.free_minutes(days, maker, today, ledger.booked.get(worker_id, {}))
        finish = bisect_left(capacity.cumulative(free), minutes - 1e-6)
        if finish >= len(free):
            continue
        booked[worker_id] = capacity.place(free, today, minutes)
        due = max(due, today + timedelta(days=finish))
    return rework.model_copy(update={"booked": booked, "due_date": due})


def moved_ship_date(order: Order, assignments: list[Assignment], rework: Assignment) -> tuple[date, date] | None:
    """(before, after) when ``rework`` is due too late for the date the order was expected to ship; else None.

    Before the round, the order ships on its expected date or a week after its latest due work, whichever is
    later; the round's work ships a week after it is due.
    """
    others = [a.due_date for a in assignments if a.assignment_id != rework.assignment_id]
    before = max([order.expected_ship_date or order.promised_ship_date, *(d + SHIP_AFTER_DUE for d in others)])
    after = rework.due_date + SHIP_AFTER_DUE
    return (before, after) if after > before else None
