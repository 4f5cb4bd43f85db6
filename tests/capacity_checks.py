"""What a test of concurrent planning checks on the ledgers: no maker booked past the minutes she has in a week."""

from collections.abc import Mapping
from datetime import date

from telar.capacity import CapacityLedger, free_minutes, group_day_minutes
from telar.models import ReferenceData


def over_booked(
    ref: ReferenceData, ledgers: Mapping[str, CapacityLedger], today: date
) -> list[tuple[str, str, str, int, float]]:
    """(group, maker, week, minutes booked, minutes she has) for every week from this one on that holds more than
    her free minutes (one minute of rounding allowed); weeks already past are not looked at."""
    found = []
    for group_id, ledger in ledgers.items():
        day = group_day_minutes(ref.group(group_id), today)
        for maker in (m for m in ref.makers if m.group_id == group_id):
            free = free_minutes(day, maker, today, {})
            for week, minutes in ledger.booked.get(maker.worker_id, {}).items():
                first_day = (date.fromisoformat(week) - today).days
                if first_day + 7 <= 0:
                    continue
                has = sum(free[max(first_day, 0) : first_day + 7])
                if minutes > has + 1:
                    found.append((group_id, maker.worker_id, week, minutes, has))
    return found


def booked_total(ledger: CapacityLedger) -> int:
    return sum(m for weeks in ledger.booked.values() for m in weeks.values())
