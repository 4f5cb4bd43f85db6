"""The packing list a buyer is given with a ready order: what is in the boxes, line by line."""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from telar.models import Assignment, Order, ReferenceData
from telar.rendering import get_template


@dataclass(frozen=True)
class PackingRow:
    sku: str
    name: str
    options: str
    units: int


def packing_rows(order: Order, assignments: Iterable[Assignment], ref: ReferenceData) -> list[PackingRow]:
    """One row per order line with the units that passed QC (every round counted). QC counts passed units per
    product, not per option, so a product ordered in several options fills its lines in order."""
    passed: Counter[str] = Counter()
    for a in assignments:
        for row in a.qc_rows:
            passed[row.sku] += row.passed
    rows = []
    for line in order.lines:
        units = min(line.quantity, passed[line.sku])
        passed[line.sku] -= units
        product = ref.find_product(line.sku)
        options = ", ".join(f"{name}: {value}" for name, value in sorted(line.options.items()))
        rows.append(PackingRow(line.sku, product.name if product else line.sku, options, units))
    return rows


def render_packing_list(order: Order, rows: list[PackingRow]) -> str:
    """The packing list as a self-contained HTML page that prints on A4 (buyer text escaped)."""
    ship_date = order.expected_ship_date or order.promised_ship_date
    return get_template("packing_list.html.j2").render(order=order, rows=rows, ship_date=ship_date)
