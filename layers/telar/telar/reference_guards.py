"""Reference imports that would break running work or lock out customers: refused unless confirmed.

A workbook with an empty makers or catalog sheet is well-formed, and applying it made the next orders fail.
These rules compare the book with the version in force and with the work still open (pure; the caller
reads the open work). A person who means it confirms in the workbook itself: the cell right of
``Confirm`` on the instructions sheet says ``yes``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field

from telar.errors import SheetProblem
from telar.models import Buyer, ReferenceData

CONFIRM_HINT = (
    "if this is meant, write yes in the cell right of 'Confirm' on the instructions sheet and upload it again"
)


@dataclass(frozen=True)
class OpenWork:
    """What running orders still need: their groups and products, and the buyers who have them."""

    groups: frozenset[str] = field(default_factory=frozenset)
    skus: frozenset[str] = field(default_factory=frozenset)
    buyers: frozenset[str] = field(default_factory=frozenset)


def risky_changes(
    previous: ReferenceData | None,
    incoming: ReferenceData,
    previous_buyers: Iterable[Buyer],
    incoming_buyers: Iterable[Buyer],
    open_work: OpenWork,
) -> list[SheetProblem]:
    """Every change that needs a person's confirmation, each located on its sheet.

    ``incoming`` is the book as it would be applied (makers left out already kept, inactive).
    """
    problems: list[SheetProblem] = []
    if not incoming.products:
        problems.append(SheetProblem("catalog", "A2", "no products", f"at least one product ({CONFIRM_HINT})"))
    if previous is None:
        return problems
    for group in incoming.groups:
        before = {m.worker_id for m in previous.makers if m.group_id == group.group_id and m.active}
        after = {m.worker_id for m in incoming.makers if m.group_id == group.group_id and m.active}
        lost = before - after
        if before and not after:
            problems.append(
                SheetProblem(
                    "makers",
                    "",
                    f"every maker of {group.group_id} deactivated or left out",
                    f"at least one active maker in {group.group_id}, or no new work can be planned there "
                    f"({CONFIRM_HINT})",
                )
            )
        elif group.group_id in open_work.groups and len(lost) * 2 > len(before):
            problems.append(
                SheetProblem(
                    "makers",
                    "",
                    f"{len(lost)} of {len(before)} active makers of {group.group_id} deactivated or left out "
                    f"({', '.join(sorted(lost))})",
                    f"most of a group with open work kept active ({CONFIRM_HINT})",
                )
            )
    removed_skus = {p.sku for p in previous.products} - {p.sku for p in incoming.products}
    for sku in sorted(removed_skus & open_work.skus):
        problems.append(
            SheetProblem("catalog", "", f"product {sku} removed", f"products of open orders kept ({CONFIRM_HINT})")
        )
    removed_groups = {g.group_id for g in previous.groups} - {g.group_id for g in incoming.groups}
    for group_id in sorted(removed_groups & open_work.groups):
        problems.append(
            SheetProblem("groups", "", f"group {group_id} removed", f"groups with open work kept ({CONFIRM_HINT})")
        )
    for buyer_id in sorted(revoked_buyers(previous_buyers, incoming_buyers) & open_work.buyers):
        problems.append(
            SheetProblem(
                "buyers",
                "",
                f"buyer {buyer_id} removed or deactivated",
                f"buyers with open orders kept active ({CONFIRM_HINT})",
            )
        )
    return problems


def revoked_buyers(previous: Iterable[Buyer], incoming: Iterable[Buyer]) -> set[str]:
    """Buyers active before whom the book removes or deactivates: their API access ends."""
    kept = {b.buyer_id for b in incoming if b.active}
    return {b.buyer_id for b in previous if b.active and b.buyer_id not in kept}
