"""Reference data as staff maintain it: one book of groups, makers, catalog, wage rules and buyers.

Pure rules for applying an uploaded book over the version in force (no I/O): makers missing from the
upload are kept, deactivated (payroll history needs them); comparison ignores row order.
"""

from pydantic import BaseModel, ConfigDict

from telar.errors import SheetProblem
from telar.models import Buyer, Maker, ReferenceData


class ReferenceBook(BaseModel):
    """Everything one reference workbook holds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: ReferenceData
    buyers: tuple[Buyer, ...] = ()
    confirmed: bool = False  # "Confirm: yes" on the instructions sheet: apply changes the guards would refuse

    def canonical(self) -> "ReferenceBook":
        """The same data in key order, so two books compare equal whatever order their rows were in."""
        ref = self.reference
        return ReferenceBook(
            reference=ref.model_copy(
                update={
                    "groups": tuple(sorted(ref.groups, key=lambda g: g.group_id)),
                    "makers": tuple(sorted(ref.makers, key=lambda m: m.worker_id)),
                    "products": tuple(sorted(ref.products, key=lambda p: p.sku)),
                    "wage_rules": tuple(sorted(ref.wage_rules, key=lambda w: (w.country, w.region, w.effective_from))),
                }
            ),
            buyers=tuple(sorted(self.buyers, key=lambda b: b.buyer_id)),
        )


def keep_departed_makers(previous: ReferenceData | None, incoming: ReferenceData) -> tuple[ReferenceData, list[Maker]]:
    """``incoming`` with every maker of ``previous`` it leaves out kept as inactive; returns those makers too.

    A maker who leaves is deactivated, never deleted: her earnings, payslips and QC rows name her.
    """
    if previous is None:
        return incoming, []
    present = {m.worker_id for m in incoming.makers}
    departed = [m.model_copy(update={"active": False}) for m in previous.makers if m.worker_id not in present]
    if not departed:
        return incoming, []
    return incoming.model_copy(update={"makers": (*incoming.makers, *departed)}), departed


def deactivated(previous: ReferenceData | None, current: ReferenceData) -> list[str]:
    """Worker ids active before and inactive now (explicitly or by leaving the sheet)."""
    if previous is None:
        return []
    was_active = {m.worker_id for m in previous.makers if m.active}
    return sorted(m.worker_id for m in current.makers if not m.active and m.worker_id in was_active)


def orphaned_groups(merged: ReferenceData) -> list[SheetProblem]:
    """A group left out while makers of it are kept (inactive ones included): refused, it would orphan them."""
    present = {g.group_id for g in merged.groups}
    missing = sorted({m.group_id for m in merged.makers} - present)
    return [
        SheetProblem(
            "groups",
            "",
            group_id,
            f"a row for group {group_id!r}: its makers are kept for payroll history, so it cannot be removed "
            "(set its makers' Active to no instead)",
        )
        for group_id in missing
    ]
