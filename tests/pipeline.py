"""One sample order through the pipeline's first stages, for the stage tests on fakes and on moto alike."""

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from local.manager import RowResult, fill_qc_sheet
from telar import orders
from telar.models import Buyer, OrderRequest
from telar.ports import Ports
from telar.stages.split_work import split_work
from tests.conftest import SAMPLES, import_sample_reference

ResultFor = Callable[[str, str, int], RowResult]  # a manager's result for (worker id, SKU, planned)
BUYER = Buyer(buyer_id="buyer-test", name="Test Buyer", email="buyer@example.org", language="es")


def order_request(sample: int = 0) -> OrderRequest:
    body = json.loads(sorted((SAMPLES / "orders").glob("*.json"))[sample].read_text())
    body["requested_ship_date"] = (date.today() + timedelta(days=90)).isoformat()
    return OrderRequest.model_validate(body)


def every_row(rejected_every: int = 0) -> ResultFor:
    """A manager's results: every planned piece produced in two hours each, every ``rejected_every``-th row one
    rejected."""
    count = 0

    def result(worker_id: str, sku: str, planned: int) -> RowResult:
        nonlocal count
        count += 1
        rejected = 1 if rejected_every and count % rejected_every == 0 and planned >= 1 else 0
        return RowResult(produced=planned, rejected=rejected, defect_codes="", hours_worked=Decimal(planned * 2))

    return result


def plan_sample_order(ports: Ports) -> tuple[str, list[str]]:
    """The sample reference data imported, and the first sample order submitted and split: (order id, assignments)."""
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash-of-key")
    view = orders.submit_order(ports, BUYER, order_request())
    return view.order_id, split_work(ports, view.order_id)


def upload_filled(ports: Ports, assignment_id: str, result_for: ResultFor, name: str) -> tuple[str, str | None]:
    """The assignment's QC template filled in with ``result_for`` and uploaded to qc/: (key, version id)."""
    a = ports.assignments.get_assignment(assignment_id)
    assert a is not None and a.qc_template_key
    filled = fill_qc_sheet(ports.artifacts.get(a.qc_template_key), "Rosa Quispe", datetime.now(UTC).date(), result_for)
    stored = ports.uploads.put(f"qc/{name}", filled, "application/octet-stream")
    return stored.key, stored.version_id
