"""Every item key of the table, one builder per row of docs/data-model.md's item table.

A key builder returns the item's ``pk``/``sk``; an index builder its ``gsi1pk``/``gsi1sk`` (items on gsi1 only).
``ITEMS`` names each builder after its row, and tests/unit/test_dynamo_keys.py checks the two against each
other, so the document and the code cannot drift. Partitions queried as a whole have their own function.
"""

from collections.abc import Callable
from datetime import date, datetime

Key = dict[str, str]

REFERENCE = "REF"
START_PENDING = "START#PENDING"  # markers of orders whose pipeline start is not confirmed (the sweeper's list)
AWAITING_QC = "QC#AWAITING"  # one marker per assignment planned and not signed off: open work, the reminders' list
EARNING = "EARNING#"  # the sk prefix of an order's earning lines
UNPAID = "EARNING#UNPAID"  # the sparse index partition of earning lines no pay run has paid


def reference_partition(version: int) -> str:
    """All items of one reference version (zero-padded, so versions sort as numbers)."""
    return f"{REFERENCE}#{version:06d}"


def reference_in_force() -> Key:
    return {"pk": REFERENCE, "sk": "CURRENT"}


def reference_version(version: int) -> Key:
    return {"pk": reference_partition(version), "sk": "VERSION"}


def group(version: int, group_id: str) -> Key:
    return {"pk": reference_partition(version), "sk": f"GROUP#{group_id}"}


def maker(version: int, worker_id: str) -> Key:
    return {"pk": reference_partition(version), "sk": f"MAKER#{worker_id}"}


def product(version: int, sku: str) -> Key:
    return {"pk": reference_partition(version), "sk": f"PRODUCT#{sku}"}


def wage_rule(version: int, country: str, region: str, effective_from: date) -> Key:
    return {"pk": reference_partition(version), "sk": f"WAGE#{country}#{region}#{effective_from.isoformat()}"}


def public_holiday(version: int, country: str, day: date) -> Key:
    return {"pk": reference_partition(version), "sk": f"HOLIDAY#{country}#{day.isoformat()}"}


def buyer_as_imported(version: int, buyer_id: str) -> Key:
    return {"pk": reference_partition(version), "sk": f"BUYER#{buyer_id}"}


def upload_applied(source: str) -> Key:
    return {"pk": f"{REFERENCE}#SOURCE#{source}", "sk": "SOURCE"}


def buyer(buyer_id: str) -> Key:
    return {"pk": f"BUYER#{buyer_id}", "sk": "PROFILE"}


def api_key(key_hash: str) -> Key:
    return {"pk": f"APIKEY#{key_hash}", "sk": "APIKEY"}


def api_keys_of(buyer_id: str) -> str:
    return f"APIKEYS#{buyer_id}"


def api_key_index(buyer_id: str, issued_at: datetime, key_hash: str) -> Key:
    return {"gsi1pk": api_keys_of(buyer_id), "gsi1sk": f"{issued_at.isoformat()}#{key_hash}"}


def order(order_id: str) -> Key:
    return {"pk": f"ORDER#{order_id}", "sk": "ORDER"}


def orders_of(buyer_id: str) -> str:
    return f"BUYER#{buyer_id}"


def order_index(buyer_id: str, created_at: datetime, order_id: str) -> Key:
    return {"gsi1pk": orders_of(buyer_id), "gsi1sk": f"{created_at.isoformat()}#{order_id}"}


def start_pending(created_at: datetime, order_id: str) -> Key:
    return {"pk": START_PENDING, "sk": f"{created_at.isoformat()}#{order_id}"}


def assignment(assignment_id: str) -> Key:
    return {"pk": f"ASSIGNMENT#{assignment_id}", "sk": "ASSIGNMENT"}


def assignments_of(order_id: str) -> str:
    return f"ORDER#{order_id}"


def assignment_index(order_id: str, assignment_id: str) -> Key:
    return {"gsi1pk": assignments_of(order_id), "gsi1sk": f"ASSIGNMENT#{assignment_id}"}


def awaiting_qc(assignment_id: str) -> Key:
    return {"pk": AWAITING_QC, "sk": assignment_id}


def earnings_of(order_id: str) -> str:
    return f"ORDER#{order_id}"


def earning_line(order_id: str, assignment_id: str, worker_id: str, sku: str) -> Key:
    return {"pk": earnings_of(order_id), "sk": f"{EARNING}{assignment_id}#{worker_id}#{sku}"}


def earnings_owner(order_id: str) -> Key:
    """Which upload's lines an order's earnings are (an attendance month takes one sheet's lines only)."""
    return {"pk": earnings_of(order_id), "sk": "SOURCE"}


def paid_in(period: str) -> str:
    """The index partition of the lines a period's pay run paid."""
    return f"{EARNING}PAID#{period}"


def earning_index(group_id: str, order_id: str, assignment_id: str, worker_id: str, sku: str) -> Key:
    """Where an unpaid line sits on the index; paying it moves it to :func:`paid_in` (same gsi1sk)."""
    sk = earning_line(order_id, assignment_id, worker_id, sku)["sk"]
    return {"gsi1pk": UNPAID, "gsi1sk": f"{group_id}#{order_id}#{sk}"}


def pay_run(period: str) -> Key:
    return {"pk": f"PAYRUN#{period}", "sk": "RUN"}


def claim(name: str) -> Key:
    return {"pk": f"ONCE#{name}", "sk": "ONCE"}


def capacity_ledger(group_id: str) -> Key:
    return {"pk": f"CAPACITY#{group_id}", "sk": "LEDGER"}


# The rows of data-model.md's item table (their names without remarks): key builder, index builder.
ITEMS: dict[str, tuple[Callable[..., Key], Callable[..., Key] | None]] = {
    "reference version in force": (reference_in_force, None),
    "reference version": (reference_version, None),
    "group": (group, None),
    "maker": (maker, None),
    "product": (product, None),
    "wage rule": (wage_rule, None),
    "public holiday": (public_holiday, None),
    "buyer as imported": (buyer_as_imported, None),
    "upload applied": (upload_applied, None),
    "buyer": (buyer, None),
    "API key": (api_key, api_key_index),
    "order": (order, order_index),
    "start not confirmed": (start_pending, None),
    "assignment": (assignment, assignment_index),
    "awaiting QC": (awaiting_qc, None),
    "earning line": (earning_line, earning_index),
    "earnings owner": (earnings_owner, None),
    "pay run": (pay_run, None),
    "once-only claim": (claim, None),
    "capacity ledger": (capacity_ledger, None),
}
