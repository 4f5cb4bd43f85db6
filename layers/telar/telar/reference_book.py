"""Reference data as staff maintain it: one book of groups, makers, catalog, wage rules and buyers.

Pure rules (no I/O): the rules across an uploaded book's sheets, which the reader in sheets/ is handed so
that one reply lists every problem; and applying a book over the version in force: makers missing from
the upload are kept, deactivated (payroll history needs them); comparison ignores row order.
"""

from collections.abc import Mapping
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from telar.errors import PieceRateNotFound, SheetProblem
from telar.models import Group, Maker, Product, ReferenceData
from telar.models.reference import ReferenceRows, word_key
from telar.webhooks import url_problem


@cache
def _time_zones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the zone database: once per process


def _pays(product: Product, group: Group) -> bool:
    try:
        product.piece_rate(group)
    except PieceRateNotFound:
        return False
    return True


def book_problems(rows: ReferenceRows) -> list[SheetProblem]:
    """The domain's rules over the book's rows and what its sheets say of each other, each at its cell.

    At least one group; time zones are real IANA names; each group's country and region have a
    minimum-wage rule in its currency; every maker's group and every consent and story row's maker exist, and every
    maker has a payment method with the details it needs (finance pays from them); each product has a
    piece rate for every group (its currency's or the group's own), group rates name real groups, and its
    minimum is not above its maximum. A group's rates for paid time are not negative and its guaranteed hours
    fit in its week (hours per day x days per week); each public holiday is of a country some group works in.
    Each row of the materials sheet is of a product on the catalog. When the defects sheet has rows, it lists
    every defect code of the catalog, once per spelling.
    """
    problems: list[SheetProblem] = []

    def add(sheet: str, cell: str, value: object, expected: str) -> None:
        problems.append(SheetProblem(sheet, cell, value, expected))

    groups, makers, products = rows.items("groups"), rows.items("makers"), rows.items("catalog")
    wages = [w for _, w in rows.items("wage_rules")]
    if not rows.sheets["groups"]:
        add("groups", "A2", None, "at least one group")
    for row, group in groups:
        if group.timezone not in _time_zones():
            add("groups", row.cell("timezone"), group.timezone, "a time zone name such as America/Lima")
        if not any((w.country, w.region, w.currency) == (group.country, group.region, group.currency) for w in wages):
            add(
                "groups",
                row.cell("region"),
                group.region,
                f"a region with a minimum-wage rule in {group.currency} for {group.country} on the wage_rules sheet",
            )
        for kind, rate in group.time_rates.items():
            if rate < 0:
                add("groups", row.cell("time_rates", kind), rate, "an hourly rate of 0 or more")
        if group.guaranteed_hours_per_week > group.weekly_hours_per_maker:
            add(
                "groups",
                row.cell("guaranteed_hours_per_week"),
                group.guaranteed_hours_per_week,
                f"at most the group's week: {group.weekly_hours_per_maker.normalize():f} hours",
            )
    countries = {g.country for _, g in groups}
    for row, holiday in rows.items("holidays") if "holidays" in rows.sheets else ():
        if holiday.country not in countries:
            add("holidays", row.cell("country"), holiday.country, "the country of a group on the groups sheet")
    # ids of every row, valid or not: one bad cell in a group's row should not also fault its makers
    group_ids = {r.values.get("group_id") for r in rows.sheets["groups"]}
    for row, maker in makers:
        if maker.group_id not in group_ids:
            add("makers", row.cell("group_id"), maker.group_id, "a Group ID from the groups sheet")
        for field, expected in maker.payment_problems():
            add("makers", row.cell(field), getattr(maker, field), expected)
    worker_ids = {r.values.get("worker_id") for r in rows.sheets["makers"]}
    for sheet in ("consent", "stories"):
        for row in rows.sheets.get(sheet, ()):
            worker = row.values.get("worker_id")
            if worker is not None and worker not in worker_ids:
                add(sheet, row.cell("worker_id"), worker, "a Worker ID from the makers sheet")
    for row, product in products:
        for currency in sorted({g.currency for _, g in groups if not _pays(product, g)}):
            add("catalog", row.cell("piece_rates", currency), None, f"a piece rate in {currency}")
        for group_id in product.group_piece_rates:
            if group_id not in group_ids:
                where = row.cell("group_piece_rates", group_id)
                add("catalog", where, group_id, "a group's own rate under a Group ID from the groups sheet")
        if product.min_quantity > product.max_quantity:
            add("catalog", row.cell("max_quantity"), product.max_quantity, "at least the Min quantity")
    skus = {r.values.get("sku") for r in rows.sheets["catalog"]}
    for row in rows.sheets.get("materials", ()):
        sku = row.values.get("sku")
        if sku is not None and sku not in skus:
            add("materials", row.cell("sku"), sku, "a SKU from the catalog sheet")
    problems += _defect_problems(rows)
    return problems


def _defect_problems(rows: ReferenceRows) -> list[SheetProblem]:
    """The defects sheet, when a book has one with rows: every defect code of the catalog is on it, labels hold
    no separator of a QC cell, and no two codes share a spelling (a QC cell saying it would be ambiguous)."""
    problems: list[SheetProblem] = []
    defect_rows = rows.items("defects") if rows.sheets.get("defects") else []
    if not defect_rows:
        return problems  # a book before issue 17: each code is its own word
    known = {r.values.get("code") for r in rows.sheets["defects"]}
    for row, product in rows.items("catalog"):
        missing = [c for c in product.defect_codes if c not in known]
        if missing:
            problems.append(
                SheetProblem(
                    "catalog", row.cell("defect_codes"), ", ".join(missing), "defect codes listed on the defects sheet"
                )
            )
    said_by: dict[str, str] = {}  # word_key -> the code that says it
    for row, defect in defect_rows:
        for language, label in defect.label.items():
            if any(sep in label for sep in ",;\n"):
                problems.append(
                    SheetProblem("defects", row.cell("label", language), label, "a label without commas or semicolons")
                )
        for key in dict.fromkeys(word_key(w) for w in [defect.code, *defect.label.values()] if w.strip()):
            other = said_by.setdefault(key, defect.code)
            if other != defect.code:
                problems.append(
                    SheetProblem("defects", row.cell("code"), defect.code, f"labels other than those of {other}")
                )
    return problems


def missing_translations(ref: ReferenceData) -> list[str]:
    """What the groups' languages lack a word for, one line each (the upload's receipt lists them as warnings:
    the English word is shown instead, marked [EN])."""
    languages = sorted({g.language for g in ref.groups} - {"en"})

    def lacking(words: Mapping[Any, str]) -> str:
        return ", ".join(lang for lang in languages if not (words.get(lang) or "").strip())

    lines = [f"catalog: {p.sku} has no name in {missing}" for p in ref.products if (missing := lacking(p.names))]
    materials = {(m.material, m.unit): m for p in ref.products for m in p.materials}
    lines += [
        f"materials: {m.material} has no name in {missing}" for m in materials.values() if (missing := lacking(m.names))
    ]
    lines += [
        f"materials: {m.material}'s unit {m.unit} has no name in {missing}"
        for m in materials.values()
        if (missing := lacking(m.units))
    ]
    used = sorted({c for p in ref.products for c in p.defect_codes})
    lines += [f"defects: {c} has no label in {missing}" for c in used if (missing := lacking(ref.defect(c).label))]
    lines += [
        f"option_words: {w.word} has no label in {missing}" for w in ref.option_words if (missing := lacking(w.label))
    ]
    lines += [  # a group's note is read in its own language only
        f"groups: {g.group_id}'s papers note has no {g.language} text"
        for g in ref.groups
        if g.language != "en" and g.note_in("en") and not (g.papers_note.get(g.language) or "").strip()
    ]
    return lines


def webhook_problems(rows: ReferenceRows, allow_private: bool) -> list[SheetProblem]:
    """Buyers' webhook URLs Telar may POST to: https to a public host; ``allow_private`` (the local cloud only)
    also takes http and loopback or private addresses."""
    return [
        SheetProblem("buyers", row.cell("webhook_url"), buyer.webhook_url, problem)
        for row, buyer in rows.items("buyers")
        if buyer.webhook_url and (problem := url_problem(buyer.webhook_url, allow_private))
    ]


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
