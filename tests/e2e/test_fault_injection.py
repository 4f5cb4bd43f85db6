"""Fault injection through the local cloud: each stage of the pipeline fails once (after its side effects, as a
timeout would) or for good, for one order each, while the other orders run beside it. Every order then either
completes or ends NEEDS_ATTENTION with a reason in buyer words and no capacity left booked; payroll is recorded
once per QC row; no e-mail goes out twice; and each failed execution raised a local ALARM line."""

import email
import email.policy
import json
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests

from local.cloud import LocalCloud
from local.demo import Demo
from local.faults import PERMANENT_ERROR
from telar.adapters import aws as aws_clients
from telar.adapters.dynamo.earnings import DynamoEarnings
from telar.models import ReferenceData
from telar.observability import metrics
from tests.conftest import ROOT, SAMPLES
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

# (function, fails once after running, or for good); OrderStatus records the outcome itself: once only
FAULTS = [
    ("SplitWorkFunction", 1),
    ("SplitWorkFunction", None),
    ("AwaitQcFunction", 1),
    ("AwaitQcFunction", None),
    ("PayrollFunction", 1),
    ("PayrollFunction", None),
    ("InsertCardsFunction", 1),
    ("InsertCardsFunction", None),
    ("OrderStatusFunction", 1),
]
ORDERS = len(FAULTS) + 1  # one order meets no fault
# Ten orders through every stage, each invocation in a worker process of its own: 32 s at a load average of 3 on
# 2 cores. Generous bounds: a stage that hangs fails here with the orders' states, not with CI's time limit.
DEADLINE_SECONDS = 600


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    out = tmp_path_factory.mktemp("faults")
    aws_clients.client.cache_clear()  # clients of an earlier moto would point elsewhere
    aws_clients.table.cache_clear()
    # telar.observability was imported with this module, before the local cloud set the template's namespace
    namespace, metrics.provider.namespace = metrics.provider.namespace, "Telar"
    with LocalCloud(project_root=ROOT, out_dir=out, api_port=0, aws_port=0, visibility_timeout=2) as running:
        yield running
    metrics.provider.namespace = namespace
    aws_clients.client.cache_clear()
    aws_clients.table.cache_clear()


def _small_order(i: int) -> bytes:
    body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
    body["buyer_reference"] = f"FAULT-{i:02d}"
    body["requested_ship_date"] = (date.today() + timedelta(days=120)).isoformat()
    body["lines"] = body["lines"][:1]  # one product: one group, one QC sheet
    return json.dumps(body).encode()


def _mail_fingerprints(outbox: Path) -> Counter[tuple[str, str, str]]:
    found: Counter[tuple[str, str, str]] = Counter()
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = next((p.get_content() for p in message.walk() if p.get_content_type() == "text/plain"), "")
        found[(str(message["Subject"]), str(message["To"]), str(text))] += 1
    return found


@pytest.mark.timeout(DEADLINE_SECONDS + 300)
def test_every_stage_failing_once_or_for_good_leaves_no_order_lost_no_booking_orphaned_nothing_twice(
    cloud: LocalCloud, tmp_path: Path
) -> None:
    assert cloud.faults is not None and cloud.alarms is not None
    outputs = cloud.outputs
    # Given a fault declared for each stage, once (after the handler ran) or for good, one order each
    slots = [cloud.faults.fail(outputs["functions"][f], times=t, after=t is not None) for f, t in FAULTS]
    # When ten one-product orders are submitted at once and the managers upload every QC sheet asked for
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    demo = Demo(outputs, ref, out_dir=tmp_path)
    order_ids = []
    for i in range(ORDERS):
        buyer = outputs["buyers"][i % len(outputs["buyers"])]
        reply = requests.post(
            f"{demo.api}/orders", data=_small_order(i), headers={"x-api-key": buyer["api_key"]}, timeout=30
        )
        assert reply.status_code == 202, reply.text
        order_ids.append(reply.json()["order_id"])
        demo.key_of[order_ids[-1]] = buyer["api_key"]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        orders = {o: demo.order(o) for o in order_ids}
        if all(v["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION") for v in orders.values()):
            break
        assert time.monotonic() < deadline, {o: v["status"] for o, v in orders.items()}
        demo.upload_new_sheets([v for v in orders.values() if v["status"] == "IN_PRODUCTION"])
        time.sleep(0.5)
    # Then every slot met one order, and each order its expected end
    bound = cloud.faults.bound()
    for order_id, view in orders.items():
        slot = bound.get(order_id)
        fault = f"{slot.function} x{slot.times or 'always'} ({slot.failures} failure(s))" if slot else "no fault"
        print(f"{order_id}: {fault} -> {view['status']} {view['status_reason'] or ''}")
    assert all(s.order_id for s in slots), [(s.function, s.times) for s in slots]
    for order_id, view in orders.items():
        slot = bound.get(order_id)
        if slot is None or slot.times is not None:  # no fault, or a fault the retry got past
            assert view["status"] == "READY_TO_SHIP", (order_id, slot, view["status_reason"])
            assert view["units_passed"] == view["units_ordered"]
        else:
            assert view["status"] == "NEEDS_ATTENTION", (order_id, slot)
            reason = view["status_reason"] or ""
            assert reason and PERMANENT_ERROR not in reason and "Traceback" not in reason
            # and none of its work stays booked: unfinished assignments were cancelled, their capacity given back
            assert all(g["stage"] in ("CANCELLED", "QC_DONE") for g in view["groups"]), view["groups"]
    # and payroll recorded each QC row once, for the orders whose payroll ran
    earnings = DynamoEarnings(outputs["resources"]["TelarTable"])  # the functions' variables are theirs alone now
    for order_id, view in orders.items():
        lines = earnings.earnings_of(order_id)
        keys = [(line.assignment_id, line.worker_id, line.sku) for line in lines]
        assert len(keys) == len(set(keys)), order_id
        if view["status"] == "READY_TO_SHIP":
            assert sum(line.units_passed for line in lines) == view["units_passed"]
    # and no e-mail went out twice
    twice = {k[0]: n for k, n in _mail_fingerprints(Path(outputs["outbox_dir"])).items() if n > 1}
    assert not twice, twice
    # and each execution that failed raised an ALARM line
    failed = {o for o, v in orders.items() if v["status"] == "NEEDS_ATTENTION"}
    wait_for(
        lambda: all(any(o in line for line in cloud.alarms.raised) for o in failed),
        timeout=30, what=f"an ALARM line for each of {failed}",
    )


def test_a_message_reaching_the_uploads_dlq_logs_an_alarm_line(cloud: LocalCloud) -> None:
    assert cloud.alarms is not None
    # Given the local cloud running the template; When a message lands in the uploads DLQ
    dlq = cloud.outputs["resources"]["UploadsDeadLetterQueue"]
    cloud.client("sqs").send_message(QueueUrl=dlq, MessageBody=json.dumps({"Records": []}))
    # Then the watcher of the template's DLQ alarm logs an ALARM line naming it
    wait_for(
        lambda: any(line.startswith("ALARM UploadsDeadLetterQueueAlarm:") for line in cloud.alarms.raised),
        timeout=30, what="an ALARM line for the uploads DLQ",
    )
