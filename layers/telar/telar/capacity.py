"""Capacity: the standard minutes each maker has free on each day from today on.

A maker works her group's hours on its open days (``days_per_week`` from Monday, minus ``closed_days``),
within her own active dates (``active_from``/``active_to``), for her own ``hours_per_day`` if she has
them (part-time), at her ``efficiency``: a day of 5 h at 0.8 is 240 standard minutes of work. Work
already booked for earlier orders is kept per maker and week in the group's :class:`CapacityLedger` and
fills each week's free days from the earliest, as the earlier order would.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from pydantic import BaseModel, Field

from telar.models import Assignment, Group, Maker, ReferenceData

HORIZON_DAYS = 366  # nobody plans an order further ahead than a year

Bookings = dict[str, dict[str, int]]  # worker_id -> Monday of the week (ISO) -> standard minutes


class CapacityLedger(BaseModel, defer_build=True):
    """Work booked in one group, per maker and week. ``version`` makes concurrent bookings safe:
    a plan is stored only if the ledger it was computed from is still the current one."""

    group_id: str
    version: int = Field(default=0, ge=0, description="0 = never stored")
    booked: Bookings = Field(default_factory=dict, description="worker_id -> week's Monday -> standard minutes")


@dataclass(frozen=True)
class PlanWrite:
    """An order's plan as one all-or-nothing write: its assignments, each group's new capacity ledger (booked on
    the version it was computed from), and more fields of the order to set (JSON values)."""

    order_id: str
    assignments: list[Assignment]
    ledgers: list[CapacityLedger] = field(default_factory=list)
    order_fields: dict[str, Any] = field(default_factory=dict)


def week_of(day: date) -> str:
    """The ISO date of the Monday of ``day``'s week: the key of a week in a ledger."""
    return (day - timedelta(days=day.weekday())).isoformat()


def group_day_minutes(group: Group, start: date, days: int = HORIZON_DAYS) -> list[float]:
    """Clock minutes one maker of ``group`` works on each day from ``start`` (0 on closed days)."""
    closed = set(group.closed_days)
    minutes = float(group.hours_per_day) * 60
    return [
        minutes if (day := start + timedelta(days=i)).weekday() < group.days_per_week and day not in closed else 0.0
        for i in range(days)
    ]


def free_minutes(day_minutes: list[float], maker: Maker, start: date, booked: Mapping[str, int]) -> list[float]:
    """Standard minutes ``maker`` has free on each day from ``start``: her group's day at her efficiency,
    less the work booked in each week (taken from the week's earliest free days). Outside her active dates
    she has none."""
    efficiency = float(maker.efficiency)
    free = [m * efficiency for m in day_minutes]
    if maker.hours_per_day is not None:  # her own day on the group's open days
        mine = float(maker.hours_per_day) * 60 * efficiency
        free = [mine if m > 0 else 0.0 for m in free]
    if maker.active_from or maker.active_to:
        free = [m if maker.works_on(start + timedelta(days=i)) else 0.0 for i, m in enumerate(free)]
    for week, minutes in booked.items():
        first = (date.fromisoformat(week) - start).days
        left = float(minutes)
        for i in range(max(first, 0), min(first + 7, len(free))):
            if left <= 0:
                break
            used = min(free[i], left)
            free[i] -= used
            left -= used
    return free


def cumulative(free: list[float]) -> list[float]:
    """Free minutes from ``start`` up to and including each day."""
    return list(accumulate(free))


def place(free: list[float], start: date, minutes: float) -> dict[str, int]:
    """Book ``minutes`` into the earliest free days: minutes per week, rounded up so nothing is under-booked."""
    weeks: dict[str, float] = {}
    left = minutes
    for i, available in enumerate(free):
        if left <= 1e-9:
            break
        used = min(available, left)
        if used > 0:
            week = week_of(start + timedelta(days=i))
            weeks[week] = weeks.get(week, 0.0) + used
            left -= used
    return {week: int(-(-m // 1)) for week, m in weeks.items()}


def _from_week(booked: Bookings, this_week: str) -> Bookings:
    """``booked`` without the weeks before ``this_week`` (past weeks free nothing and book nothing)."""
    return {worker: {week: m for week, m in weeks.items() if week >= this_week} for worker, weeks in booked.items()}


def add_bookings(ledger: CapacityLedger, new: Bookings, today: date) -> CapacityLedger:
    """The ledger with ``new`` bookings added and past weeks dropped, one version on."""
    booked = _from_week(ledger.booked, week_of(today))
    for worker, weeks in new.items():
        mine = booked.setdefault(worker, {})
        for week, minutes in weeks.items():
            mine[week] = mine.get(week, 0) + minutes
    return CapacityLedger(
        group_id=ledger.group_id, version=ledger.version + 1, booked={w: b for w, b in booked.items() if b}
    )


def skill_capacity(
    ref: ReferenceData, ledgers: Mapping[str, CapacityLedger], today: date
) -> dict[tuple[str, str], list[float]]:
    """(group_id, skill) -> the free standard minutes of the group's active makers with that skill, cumulative
    from ``today`` up to and including each day, after the work the ``ledgers`` book.

    Makers with nothing booked and the same pace and own calendar share one computed calendar.
    """
    calendars = {g.group_id: group_day_minutes(g, today) for g in ref.groups}
    shared: dict[tuple[object, ...], list[float]] = {}  # an unbooked maker's days at efficiency 1, by calendar
    weight: dict[tuple[tuple[str, str], tuple[object, ...]], float] = defaultdict(float)  # sum of efficiencies
    free: dict[tuple[str, str], list[float]] = {}

    def add(group_skill: tuple[str, str], minutes: list[float], times: float = 1.0) -> None:
        total = free.get(group_skill)
        free[group_skill] = (
            [m * times for m in minutes]
            if total is None
            else [t + m * times for t, m in zip(total, minutes, strict=True)]
        )

    for maker in ref.makers:
        if not maker.active or maker.group_id not in calendars:
            continue
        ledger = ledgers.get(maker.group_id)
        booked = ledger.booked.get(maker.worker_id) if ledger else None
        if booked:
            mine = free_minutes(calendars[maker.group_id], maker, today, booked)
            for skill in maker.skills:
                add((maker.group_id, skill), mine)
            continue
        # with nothing booked, her free minutes are her efficiency times the same days at efficiency 1
        key = (maker.group_id, maker.hours_per_day, maker.active_from, maker.active_to)
        if key not in shared:
            at_one = maker.model_copy(update={"efficiency": Decimal(1)})
            shared[key] = free_minutes(calendars[maker.group_id], at_one, today, {})
        for skill in maker.skills:
            weight[((maker.group_id, skill), key)] += float(maker.efficiency)
    for (group_skill, calendar), efficiency in weight.items():
        add(group_skill, shared[calendar], efficiency)
    return {key: cumulative(minutes) for key, minutes in free.items()}


def release_bookings(
    ledger: CapacityLedger, booked: Bookings, today: date, *, this_week_too: bool = False
) -> CapacityLedger | None:
    """The ledger with ``booked`` taken off for the weeks after ``today``'s, one version on; None if none of it
    is left there. For work finished today: what was booked for it in the weeks to come is free again. This
    week's booking stays (it fills the week's earliest days, which may be the ones just worked), unless
    ``this_week_too``: work cancelled will not be done on this week's remaining days either."""
    this_week = week_of(today)
    kept = _from_week(ledger.booked, this_week)
    released = 0
    for worker, weeks in booked.items():
        mine = kept.get(worker, {})
        for week, minutes in weeks.items():
            if (week > this_week or (this_week_too and week == this_week)) and week in mine:
                taken = min(minutes, mine[week])
                mine[week] -= taken
                released += taken
    if not released:
        return None
    return CapacityLedger(
        group_id=ledger.group_id,
        version=ledger.version + 1,
        booked={w: b for w, weeks in kept.items() if (b := {k: m for k, m in weeks.items() if m > 0})},
    )
