"""Earnings: what each maker is owed for the accepted work of one order."""

from decimal import Decimal

from pydantic import BaseModel


class EarningLine(BaseModel):
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
    minimum_for_hours: Decimal
    top_up: Decimal
    qc_upload: str | None = None

    @property
    def total(self) -> Decimal:
        return self.piece_earnings + self.top_up


class GroupPayroll(BaseModel):
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
