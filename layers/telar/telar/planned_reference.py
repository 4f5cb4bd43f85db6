"""The reference data a running order reads: what it was planned with where that is fair, the latest where owed.

An order is planned with one reference version (``Order.reference_version``); staff may import newer ones
while it runs. Rules (docs/decisions.md, issue 8):

- **as planned**: the catalog entry of each product (piece rates, defect codes, standard minutes, care
  instructions: the terms the work was given out on), the group's working terms (schedule, hourly base,
  pay rounding, currency, wage region) and which group each maker belonged to (the QC sheet's makers);
- **latest**: each maker's record otherwise (consent: a withdrawal applies to the next cards; her name),
  minimum wages (a raise in force on the QC date is owed), the group's name and manager (e-mails go
  to whoever manages it now), and the defects' and option words' labels (a better translation is for everyone
  at once; the codes themselves are the catalog's, as planned).

Anything only one side knows is kept (a maker who joined after planning and stepped in; a product or
group the newer version dropped), so a running order never loses a record it needs.
"""

from collections.abc import Callable
from typing import TypeVar

from telar.models import DefectCode, Group, Maker, OptionWord, Product, ReferenceData

T = TypeVar("T", Group, Maker, Product, DefectCode, OptionWord)

_GROUP_CONTACT = ("name", "manager_name", "manager_email")


def as_planned(planned: ReferenceData, latest: ReferenceData) -> ReferenceData:
    """``latest`` with ``planned``'s catalog, group terms and group membership (see the module's rules)."""
    now_groups = {g.group_id: g for g in latest.groups}
    groups = [
        g.model_copy(update={f: getattr(now_groups[g.group_id], f) for f in _GROUP_CONTACT})
        if g.group_id in now_groups
        else g
        for g in planned.groups
    ]
    planned_group_of = {m.worker_id: m.group_id for m in planned.makers}
    makers = [
        m.model_copy(update={"group_id": planned_group_of[m.worker_id]}) if m.worker_id in planned_group_of else m
        for m in latest.makers
    ]
    return ReferenceData(
        groups=_with_missing(tuple(groups), latest.groups, lambda g: g.group_id),
        makers=_with_missing(tuple(makers), planned.makers, lambda m: m.worker_id),
        products=_with_missing(planned.products, latest.products, lambda p: p.sku),
        wage_rules=latest.wage_rules,
        holidays=latest.holidays,
        defects=_with_missing(latest.defects, planned.defects, lambda d: d.code),
        option_words=_with_missing(latest.option_words, planned.option_words, lambda w: w.word),
    )


def _with_missing(first: tuple[T, ...], more: tuple[T, ...], key: Callable[[T], str]) -> tuple[T, ...]:
    """``first`` and the items of ``more`` whose key ``first`` lacks."""
    known = {key(x) for x in first}
    return first + tuple(x for x in more if key(x) not in known)
