"""A QC sheet as staff fill it in (the contract in DESIGN.md)."""

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field


class QcRow(BaseModel):
    worker_id: str
    sku: str
    planned: int = Field(ge=0)
    produced: int = Field(ge=0)
    passed: int = Field(ge=0)
    rejected: int = Field(ge=0)
    defect_codes: tuple[str, ...] = ()
    hours_worked: Decimal = Field(ge=0)


class QcSheet(BaseModel):
    assignment_id: str
    inspected_by: str
    inspected_on: date
    rows: list[QcRow]

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.rows)

    @property
    def rejected(self) -> int:
        return sum(r.rejected for r in self.rows)
