"""`GET /catalog`'s ship dates on the split benchmark's instance: 12 groups, 300 makers, a third of them booked.

Times the catalog's own work, done on every request: each group's free skilled minutes from one read of the
ledgers, then the earliest ship date of every product (its minimum quantity, and its maximum, which may be
shared among groups). The DynamoDB reads (the reference data and one BatchGetItem) are not counted.
"""

import time

from bench.split import TODAY, instance
from telar.capacity import skill_capacity
from telar.intake import earliest_ship_date

ROUNDS = 20


def run() -> dict[str, float]:
    _order, ref, ledgers = instance()
    booked = sum(len(ledger.booked) for ledger in ledgers.values())
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        capacity = skill_capacity(ref, ledgers, TODAY)
        dates = [
            earliest_ship_date(ref, capacity, p.sku, q, TODAY)
            for p in ref.products
            for q in (p.min_quantity, p.max_quantity)
        ]
        timings.append(time.perf_counter() - started)
    timings.sort()
    print(f"  {len(ref.products)} products, {len(ref.makers)} makers ({booked} booked), {len(dates)} dates")
    return {"catalog.dates_p50_ms": timings[len(timings) // 2] * 1000, "catalog.dates_max_ms": timings[-1] * 1000}
