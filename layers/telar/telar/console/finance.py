"""Pay periods as finance sees them: the recent months, each with its run's state and files (telar.stages.pay_period
keeps the run at ``PAYRUN#<period>``: COLLECTING, FILED with its files and payslips in S3, SENT once e-mailed)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from telar.artifacts import pay_period_names, pay_period_prefix
from telar.models import Group, PayRun

RECENT_PERIODS = 6


def recent_periods(today: date, count: int = RECENT_PERIODS) -> list[str]:
    """This month and the ``count - 1`` before it, written YYYY-MM, the newest first."""
    periods = []
    year, month = today.year, today.month
    for _ in range(count):
        periods.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return periods


@dataclass(frozen=True)
class PeriodRow:
    period: str
    run: PayRun | None

    @property
    def state(self) -> str:
        """``not run``, or the run's status (COLLECTING, FILED, SENT)."""
        return self.run.status if self.run else "NOT_RUN"

    @property
    def done(self) -> bool:
        return self.run is not None and self.run.status in ("FILED", "SENT")


def file_name(key: str) -> str:
    """What a person sees of a file: its name, never its bucket or folder."""
    return key.rsplit("/", 1)[-1]


def payslips_of(runs: Iterable[PayRun], groups: Iterable[Group]) -> list[tuple[str, str, str]]:
    """(period, group id, key) of the payslips of ``groups`` in ``runs`` (a manager prints her groups' only)."""
    wanted = list(groups)
    found = []
    for run in runs:
        for group in wanted:
            key = pay_period_prefix(run.period) + pay_period_names(run.period, group.group_id, group.currency)[1]
            if key in run.payslips:
                found.append((run.period, group.group_id, key))
    return found
