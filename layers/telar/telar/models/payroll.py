"""Earnings: what each maker is owed for the accepted work of one order, and the monthly pay runs."""

import re
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field, field_validator

from telar.models.reference import WageRule


class EarningLine(BaseModel, defer_build=True):
    """One maker's pay for one product of one assignment; amounts already rounded to the currency."""

    order_id: str
    assignment_id: str
    group_id: str
    worker_id: str
    maker_name: str
    sku: str
    currency: str
    units_passed: int
    hours_worked: Decimal
    piece_earnings: Decimal
    time_pay: Decimal = Field(default=Decimal(0), description="paid time that is not pieces, at the group's rate")
    hourly_base: Decimal = Decimal(0)
    minimum_for_hours: Decimal
    top_up: Decimal
    qc_upload: str | None = None
    inspected_on: date | None = Field(
        default=None, description="QC sign-off date (an attendance sheet: its month's last day): decides the pay period"
    )
    paid_in: str | None = Field(default=None, description="the pay period (YYYY-MM) that paid this line")

    @property
    def total(self) -> Decimal:
        return self.piece_earnings + self.time_pay + self.hourly_base + self.top_up


class MakerProductPay(BaseModel, defer_build=True):
    """One maker's pay for one product in a payroll: her earning lines for it (orders, rounds), summed.

    Every amount is a sum of already-rounded lines, so it adds up with the lines it comes from.
    """

    lines: list[EarningLine] = Field(min_length=1, description="same group, currency, maker and product")

    @property
    def first(self) -> EarningLine:
        return self.lines[0]

    @property
    def orders(self) -> list[str]:
        return sorted({line.order_id for line in self.lines})

    def total_of(self, amount: str) -> Decimal:
        """The sum of one amount field (``piece_earnings``, ``top_up``, ``total``...) over the lines."""
        return sum((Decimal(getattr(line, amount)) for line in self.lines), Decimal(0))

    @classmethod
    def per_maker_product(cls, lines: Iterable[EarningLine]) -> list["MakerProductPay"]:
        """Lines summed per group, currency, maker and product (a payroll file's Detail rows), in that order."""
        grouped: dict[tuple[str, str, str, str], list[EarningLine]] = defaultdict(list)
        for line in sorted(
            lines, key=lambda x: (x.group_id, x.currency, x.worker_id, x.sku, x.order_id, x.assignment_id)
        ):
            grouped[(line.group_id, line.currency, line.worker_id, line.sku)].append(line)
        return [cls(lines=ls) for ls in grouped.values()]


class GroupPayroll(BaseModel, defer_build=True):
    group_id: str
    group_name: str
    currency: str
    lines: list[EarningLine]

    @property
    def total(self) -> Decimal:
        return sum((line.total for line in self.lines), Decimal(0))

    @property
    def top_ups(self) -> Decimal:
        return sum((line.top_up for line in self.lines), Decimal(0))

    @property
    def makers(self) -> list[str]:
        return sorted({line.worker_id for line in self.lines})


_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


class PayPeriod(BaseModel, defer_build=True):
    """A calendar month, written YYYY-MM; it pays every unpaid line signed off on or before its last day."""

    period: str

    @field_validator("period")
    @classmethod
    def _month(cls, value: str) -> str:
        if not _PERIOD.match(value.strip()):
            raise ValueError(f"pay period must be a month written YYYY-MM, not {value!r}")
        return value.strip()

    @property
    def first_day(self) -> date:
        year, month = (int(x) for x in self.period.split("-"))
        return date(year, month, 1)

    @property
    def last_day(self) -> date:
        year, month = (int(x) for x in self.period.split("-"))
        first_of_next = date(year + month // 12, month % 12 + 1, 1)
        return first_of_next - timedelta(days=1)

    @classmethod
    def before(cls, day: date) -> "PayPeriod":
        """The month that ended before ``day`` (what the monthly schedule pays)."""
        last = day.replace(day=1) - timedelta(days=1)
        return cls(period=f"{last.year:04d}-{last.month:02d}")


class PayRun(BaseModel, defer_build=True):
    """The state of one pay-period run, kept so that a re-run pays nothing twice and a lost e-mail shows."""

    period: str
    status: str = Field(description="COLLECTING -> FILED (files and payslips in S3) -> SENT (finance e-mailed)")
    lines: int = 0
    files: list[str] = Field(default_factory=list)
    payslips: list[str] = Field(default_factory=list)
    totals: dict[str, str] = Field(default_factory=dict, description="'<group_id> <currency>' -> total")
    mail_sent: bool = False
    mail_error: str | None = None


class MakerPay(BaseModel, defer_build=True):
    """One maker's pay for a pay period: a row of the Pay sheet, which finance pays from.

    Each component is a sum of her already-rounded earning lines, and ``total`` is the sum of the
    components, so the row adds up as printed.
    """

    worker_id: str
    maker_name: str
    group_id: str
    group_name: str
    currency: str
    payment_method: str | None = Field(description="bank_transfer, mobile_wallet, cash; None: not recorded")
    payment_details: str
    hours: Decimal = Field(description="every hour she worked in the lines paid: production and not")
    piece_earnings: Decimal
    time_pay: Decimal = Field(default=Decimal(0), description="paid time that is not pieces")
    hourly_base: Decimal
    top_up: Decimal = Field(description="what lifts each line to the minimum wage for its hours")

    @property
    def total(self) -> Decimal:
        return self.piece_earnings + self.time_pay + self.hourly_base + self.top_up


class PayStatement(BaseModel, defer_build=True):
    """What a pay period pays and how: the Pay sheet's heading, rows and the wage rules behind them."""

    organisation: str
    period: str
    first_day: date
    last_day: date
    pay_date: date
    rows: list[MakerPay]
    wage_rules: list[WageRule] = Field(description="every minimum-wage rule the period's lines were checked against")

    def totals(self) -> dict[tuple[str, str], Decimal]:
        """(group_id, currency) -> the sum of its rows' totals, in row order."""
        sums: dict[tuple[str, str], Decimal] = {}
        for row in self.rows:
            key = (row.group_id, row.currency)
            sums[key] = sums.get(key, Decimal(0)) + row.total
        return sums

    def by_method(self) -> list[tuple[str, str, str, int, Decimal]]:
        """(group name, currency, payment method, makers, amount) for each way the period pays, for finance."""
        sums: dict[tuple[str, str, str], tuple[int, Decimal]] = {}
        for row in self.rows:
            key = (row.group_name, row.currency, row.payment_method or "not recorded")
            count, amount = sums.get(key, (0, Decimal(0)))
            sums[key] = (count + 1, amount + row.total)
        return [(*key, count, amount) for key, (count, amount) in sums.items()]
