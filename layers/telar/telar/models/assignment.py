"""An assignment: the part of one order that one production group makes."""

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from telar.models.qc import QcRow
from telar.models.reference import MaterialNeed, ReferenceData


class AssignmentStatus(StrEnum):
    PLANNED = "PLANNED"
    AWAITING_QC = "AWAITING_QC"
    QC_DONE = "QC_DONE"
    CANCELLED = "CANCELLED"  # its order failed before QC: its bookings were given back, no sheet is awaited


class AssignmentLine(BaseModel, defer_build=True):
    sku: str
    quantity: int = Field(gt=0)
    options: dict[str, str] = Field(default_factory=dict)
    notes: str | None = None
    per_maker: dict[str, int] = Field(description="worker_id -> suggested quantity")
    rejected_for: dict[str, tuple[str, ...]] = Field(
        default_factory=dict,
        description="a rework round's line: worker_id -> the defect codes her rejected units had (what to fix)",
    )


class MaterialLine(BaseModel, defer_build=True):
    """One material one line of an assignment needs: the line's units times what one unit takes."""

    sku: str
    need: MaterialNeed
    units: int

    @property
    def quantity(self) -> Decimal:
        return self.need.quantity_per_unit * self.units


class MaterialTotal(BaseModel, defer_build=True):
    """One material across an assignment: what the manager buys."""

    need: MaterialNeed  # the material, its names and unit (quantity_per_unit: the first product's)
    quantity: Decimal


class Assignment(BaseModel, defer_build=True):
    assignment_id: str
    order_id: str
    group_id: str
    due_date: date
    lines: list[AssignmentLine]
    status: AssignmentStatus = AssignmentStatus.PLANNED
    worksheet_key: str | None = None
    qc_template_key: str | None = None
    task_token: str | None = None
    awaiting_since: datetime | None = Field(default=None, description="when its execution began to wait for QC")
    qc_upload: str | None = Field(default=None, description="s3 key#version of the accepted QC sheet")
    inspected_by: str | None = None
    inspected_on: date | None = None
    qc_rows: list[QcRow] = Field(default_factory=list, description="accepted QC results per maker and product")
    rework_of: str | None = Field(default=None, description="the assignment whose rejected units this reworks")
    rework_round: int = Field(default=0, ge=0)
    attention: str | None = Field(default=None, description="why a person must look at it (rework exhausted)")
    booked: dict[str, dict[str, int]] = Field(
        default_factory=dict,
        description="capacity booked for it on the group's ledger: worker_id -> week's Monday -> standard minutes "
        "(what its QC sign-off gives back for the weeks after it)",
    )

    @property
    def units_passed(self) -> int:
        return sum(r.passed for r in self.qc_rows)

    @property
    def units_rejected(self) -> int:
        return sum(r.rejected for r in self.qc_rows)

    @property
    def skus(self) -> set[str]:
        return {line.sku for line in self.lines}

    @property
    def planned_units(self) -> int:
        return sum(line.quantity for line in self.lines)

    def materials(self, ref: ReferenceData) -> list[MaterialLine]:
        """What each line needs of each material of its product's bill of materials, in line order."""
        return [
            MaterialLine(sku=line.sku, need=need, units=line.quantity)
            for line in self.lines
            if (product := ref.find_product(line.sku)) is not None
            for need in product.materials
        ]

    def material_totals(self, ref: ReferenceData) -> list[MaterialTotal]:
        """Each material (by name and unit) summed over the assignment's lines, in first-use order."""
        totals: dict[tuple[str, str], MaterialTotal] = {}
        for line in self.materials(ref):
            key = (line.need.material.casefold(), line.need.unit.casefold())
            found = totals.get(key)
            quantity = line.quantity + (found.quantity if found else 0)
            totals[key] = MaterialTotal(need=found.need if found else line.need, quantity=quantity)
        return list(totals.values())
