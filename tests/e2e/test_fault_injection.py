"""Fault injection through the local cloud: each stage of the pipeline fails once (after its side effects, as a
timeout would) or for good, for one order each, while the other orders run beside it. Every order then either
completes or ends NEEDS_ATTENTION with a reason in buyer words and no capacity left booked; payroll is recorded
once per QC row; no e-mail goes out twice; and each failed execution raised a local ALARM line."""

import dataclasses
import email
import email.policy
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote_plus

import boto3
import pytest
import requests

from local.cloud import LocalCloud
from local.demo import Demo, client_options
from local.faults import PERMANENT_ERROR, FaultInjector
from local.manager import RowResult
from telar.adapters.dynamo import dynamo_stores
from telar.artifacts import QC_UPLOADS, mailed_upload_key
from telar.models import ReferenceData
from telar.observability import metrics
from telar.sheets.reference_book import write_reference_book
from tests.conftest import ROOT, SAMPLES
from tests.e2e.conftest import operator_env
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e

# (function, fails once after running, or for good), one order each. OrderStatus records the outcome itself: once
# only. QcUpload runs from SQS: a failed batch comes back after the visibility timeout (for good, it is the DLQ's:
# see the redrive test below). InboundMail's events name a received e-mail, not an order: its faults hold the next
# e-mail received (prefix "inbound/"), in tests of their own below.
FAULTS = [
    ("SplitWorkFunction", 1),
    ("SplitWorkFunction", None),
    ("AwaitQcFunction", 1),
    ("AwaitQcFunction", None),
    ("QcUploadFunction", 1),
    ("ReworkFunction", 1),
    ("ReworkFunction", None),
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
def ref() -> ReferenceData:
    """The sample reference data the local cloud was seeded with."""
    return ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    out = tmp_path_factory.mktemp("faults")
    # telar.observability was imported with this module, before the local cloud set the template's namespace
    namespace, metrics.provider.namespace = metrics.provider.namespace, "Telar"
    with LocalCloud(project_root=ROOT, out_dir=out, api_port=0, aws_port=0, visibility_timeout=2) as running:
        yield running
    metrics.provider.namespace = namespace


@pytest.fixture
def faults(cloud: LocalCloud) -> FaultInjector:
    """The local cloud's fault injector, on which a test declares its faults."""
    assert cloud.faults is not None
    return cloud.faults


def _small_order(i: int) -> bytes:
    body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
    body["buyer_reference"] = f"FAULT-{i:02d}"
    body["requested_ship_date"] = (date.today() + timedelta(days=120)).isoformat()
    body["lines"] = body["lines"][:1]  # one product: one group, one QC sheet
    return json.dumps(body).encode()


def _submit_small_order(demo: Demo, i: int, buyer: dict[str, Any]) -> str:
    """``_small_order(i)`` sent through the API by ``buyer``; ``demo`` follows it with her key."""
    reply = requests.post(
        f"{demo.api}/orders", data=_small_order(i), headers={"x-api-key": buyer["api_key"]}, timeout=30
    )
    assert reply.status_code == 202, reply.text
    order_id = str(reply.json()["order_id"])
    demo.key_of[order_id] = buyer["api_key"]
    return order_id


def _awaiting_qc(demo: Demo, n: int) -> dict[str, Any]:
    """``_small_order(n)``, from the first buyer, once its QC is awaited: its view."""
    order_id = _submit_small_order(demo, n, demo.outputs["buyers"][0])
    [view] = demo.wait_for([order_id], lambda o: bool(demo.qc_awaited(o["order_id"])), "QC is awaited")
    return view


def _wait_for_alarm(cloud: LocalCloud, alarm: str) -> None:
    """Waits for the local alarm watcher's ALARM line for ``alarm`` (a template alarm's logical id)."""
    assert cloud.alarms is not None
    wait_for(
        lambda: any(line.startswith(f"ALARM {alarm}:") for line in cloud.alarms.raised),
        timeout=30,
        what=f"an ALARM line for {alarm}",
    )


class RejectingManagers(Demo):
    """Managers who reject one unit of each maker's first round (reworked units pass)."""

    def manager_counts(self, worker_id: str, sku: str, planned: int, rework: bool = False) -> RowResult:
        counts = super().manager_counts(worker_id, sku, planned, rework)
        product = self.ref.product(sku)
        if rework or planned < 1 or product is None or not product.defect_codes:
            return counts
        return dataclasses.replace(counts, rejected=1, defect_codes=product.defect_codes[0])


def _mail_fingerprints(outbox: Path) -> Counter[tuple[str, ...]]:
    """Each e-mail as its subject, recipient, text and attachments' names (a rework round's papers differ)."""
    found: Counter[tuple[str, ...]] = Counter()
    for path in outbox.glob("*.eml"):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        text = next((p.get_content() for p in message.walk() if p.get_content_type() == "text/plain"), "")
        files = sorted(str(p.get_filename()) for p in message.walk() if p.get_filename())
        found[(str(message["Subject"]), str(message["To"]), str(text), *files)] += 1
    return found


@pytest.mark.timeout(DEADLINE_SECONDS + 300)
def test_every_stage_failing_once_or_for_good_leaves_no_order_lost_no_booking_orphaned_nothing_twice(
    cloud: LocalCloud, faults: FaultInjector, ref: ReferenceData, tmp_path: Path
) -> None:
    assert cloud.alarms is not None
    outputs = cloud.outputs
    # Given a fault declared for each stage, once (after the handler ran) or for good, one order each
    slots = [faults.fail(outputs["functions"][f], times=t, after=t is not None) for f, t in FAULTS]
    # When one-product orders are submitted at once and the managers upload every QC sheet asked for, with a
    # reject in each first round so that every order goes through a rework round
    demo = RejectingManagers(outputs, ref, out_dir=tmp_path)
    order_ids = [_submit_small_order(demo, i, outputs["buyers"][i % len(outputs["buyers"])]) for i in range(ORDERS)]
    deadline = time.monotonic() + DEADLINE_SECONDS
    while True:
        orders = {o: demo.order(o) for o in order_ids}
        if all(v["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION") for v in orders.values()):
            break
        assert time.monotonic() < deadline, {o: v["status"] for o, v in orders.items()}
        demo.upload_new_sheets([v for v in orders.values() if v["status"] == "IN_PRODUCTION"])
        time.sleep(0.5)
    # Then every slot met one order, failed it, and each order met its expected end
    bound = faults.bound()
    for order_id, view in orders.items():
        slot = bound.get(order_id)
        fault = f"{slot.function} x{slot.times or 'always'} ({slot.failures} failure(s))" if slot else "no fault"
        print(f"{order_id}: {fault} -> {view['status']} {view['status_reason'] or ''}")
    assert all(s.subject in orders and s.failures for s in slots), [(s.function, s.subject, s.failures) for s in slots]
    for order_id, view in orders.items():
        slot = bound.get(order_id)
        if slot is None or slot.times is not None:  # no fault, or a fault the retry got past
            assert view["status"] == "READY_TO_SHIP", (order_id, slot, view["status_reason"])
            assert view["units_passed"] == view["units_ordered"]
            assert any(g["rework_round"] == 1 for g in view["groups"]), view["groups"]
        else:
            assert view["status"] == "NEEDS_ATTENTION", (order_id, slot)
            reason = view["status_reason"] or ""
            assert reason and PERMANENT_ERROR not in reason and "Traceback" not in reason
            # and none of its work stays booked: unfinished assignments were cancelled, their capacity given back
            assert all(g["stage"] in ("CANCELLED", "DONE") for g in view["groups"]), view["groups"]
    # and payroll recorded each QC row once, for the orders whose payroll ran
    # the functions' variables are theirs alone now: the table's name comes from the stack
    earnings = dynamo_stores(outputs["resources"]["TelarTable"]).earnings
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
        timeout=30,
        what=f"an ALARM line for each of {failed}",
    )


def test_a_message_reaching_the_uploads_dlq_logs_an_alarm_line(cloud: LocalCloud) -> None:
    # Given the local cloud running the template; When a message lands in the uploads DLQ
    dlq = cloud.outputs["resources"]["UploadsDeadLetterQueue"]
    cloud.client("sqs").send_message(QueueUrl=dlq, MessageBody=json.dumps({"Records": []}))
    # Then the watcher of the template's DLQ alarm logs an ALARM line naming it
    _wait_for_alarm(cloud, "UploadsDeadLetterQueueAlarm")


def test_a_qc_sheet_failing_for_good_parks_in_the_dlq_raises_an_alarm_and_goes_through_once_redriven(
    cloud: LocalCloud, faults: FaultInjector, ref: ReferenceData, tmp_path: Path
) -> None:
    outputs, resources = cloud.outputs, cloud.outputs["resources"]
    demo = Demo(outputs, ref, out_dir=tmp_path)
    order_id = _awaiting_qc(demo, 99)["order_id"]
    # Given QcUpload failing for good on this order's sheets (a bug, a permission that was missing)
    slot = faults.fail(outputs["functions"]["QcUploadFunction"], times=None, subject=order_id)
    # When the manager uploads the QC sheet
    demo.upload_new_sheets([demo.order(order_id)])
    # Then after the queue's five receives the message is parked in the DLQ, and an operator is told (the alarm
    # is raised when the DLQ's depth turns positive: it may be so already, as a real alarm stays in ALARM)
    sqs = cloud.client("sqs")

    def parked() -> bool:
        peek = sqs.receive_message(
            QueueUrl=resources["UploadsDeadLetterQueue"], MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return any(order_id in unquote_plus(m["Body"]) for m in peek.get("Messages", []))

    wait_for(parked, timeout=120, what="the QC upload's message in the DLQ")
    _wait_for_alarm(cloud, "UploadsDeadLetterQueueAlarm")
    assert slot.failures == 5  # the redrive policy's maxReceiveCount: no more, no fewer
    assert demo.order(order_id)["status"] == "IN_PRODUCTION"  # nothing was lost: the order still waits
    # When the cause is fixed and the operator redrives the DLQ as docs/operations.md says
    faults.heal(slot)
    redrive = subprocess.run(
        [
            sys.executable,
            "-m",
            "telar.adapters.redrive",
            "--dlq",
            resources["UploadsDeadLetterQueue"],
            "--qc-queue",
            resources["UploadsQueue"],
            "--reference-queue",
            resources["ReferenceUploadsQueue"],
        ],
        env={"PATH": os.environ["PATH"], **operator_env(outputs), "PYTHONPATH": str(ROOT / "layers" / "telar")},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert redrive.returncode == 0, redrive.stderr
    # Then the sheet goes through once and the order completes
    final = demo.wait_for(
        [order_id], lambda o: o["status"] == "READY_TO_SHIP", "the order completes", demo.upload_new_sheets
    )[0]
    assert final["units_passed"] == final["units_ordered"]
    earnings = dynamo_stores(resources["TelarTable"]).earnings
    keys = [(line.assignment_id, line.worker_id, line.sku) for line in earnings.earnings_of(order_id)]
    assert keys and len(keys) == len(set(keys))
    twice = {m[0]: n for m, n in _mail_fingerprints(Path(outputs["outbox_dir"])).items() if n > 1}
    assert not twice, twice


def test_a_reference_workbook_whose_import_failed_after_applying_is_applied_once_on_redelivery(
    cloud: LocalCloud, faults: FaultInjector
) -> None:
    outputs, resources = cloud.outputs, cloud.outputs["resources"]
    reference = dynamo_stores(resources["TelarTable"]).reference
    version_before = reference.reference_version()
    assert version_before is not None
    book = reference.load_reference_book(version_before)
    renamed = [
        p.model_copy(update={"name": f"{p.name} (2027)"}) if i == 0 else p
        for i, p in enumerate(book.reference.products)
    ]
    changed = book.model_copy(update={"reference": book.reference.model_copy(update={"products": renamed})})
    key = "reference/office – fault once.xlsx"
    # Given ReferenceUpload crashing once after its work (a timeout after the new version was applied)
    slot = faults.fail(outputs["functions"]["ReferenceUploadFunction"], times=1, after=True, subject=key)
    # When the office uploads a changed reference workbook
    cloud.client("s3").put_object(Bucket=outputs["uploads_bucket"], Key=key, Body=write_reference_book(changed))
    # Then the message comes back after the visibility timeout, and the retry goes through
    sqs = cloud.client("sqs")

    def queue_empty() -> bool:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        counts = sqs.get_queue_attributes(QueueUrl=resources["ReferenceUploadsQueue"], AttributeNames=names)
        return slot.failures == 1 and all(v == "0" for v in counts["Attributes"].values())

    wait_for(queue_empty, timeout=120, what="the failed delivery, then the redelivery that succeeded")
    # applying nothing twice: one new version, one receipt to the office
    assert reference.reference_version() == version_before + 1
    receipts = [m for m, n in _mail_fingerprints(Path(outputs["outbox_dir"])).items() if "fault once" in m[2]]
    assert len(receipts) == 1 and receipts[0][0].endswith(f"applied — version {version_before + 1}"), receipts
    assert all(n == 1 for n in _mail_fingerprints(Path(outputs["outbox_dir"])).values())


class MailingManager(Demo):
    """A manager who answers her papers by e-mail (whatever her group), adding ``extra`` attachments."""

    def __init__(self, *args: Any, extra: dict[str, bytes] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.extra = extra or {}
        self.message_ids: list[str] = []

    def reply_by_mail(self, manager: str, filename: str, sheet: bytes) -> None:
        message = self.manager_reply(manager, filename, sheet)
        for name, data in self.extra.items():
            message.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        self.send_by_smtp(message)
        self.message_ids.append(str(message["Message-ID"]))

    def awaiting_order(self, n: int) -> str:
        """``_awaiting_qc(self, n)``'s order, its group's manager being this one: she answers it by e-mail."""
        view = _awaiting_qc(self, n)
        self.MAIL_GROUP = view["groups"][0]["group_id"]  # type: ignore[misc]
        return str(view["order_id"])


def _replies_to(outbox: Path, message_id: str) -> list[EmailMessage]:
    found = []
    for path in sorted(outbox.glob("*.eml")):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if str(message["In-Reply-To"] or "") == message_id:
            found.append(cast(EmailMessage, message))
    return found


def _versions(cloud: LocalCloud, prefix: str) -> Counter[str]:
    s3 = cloud.client("s3")
    listing = s3.list_object_versions(Bucket=cloud.outputs["uploads_bucket"], Prefix=prefix)
    return Counter(v["Key"] for v in listing.get("Versions", []))


def test_an_inbound_mail_failing_once_after_its_work_stores_each_sheet_once_and_is_answered_once(
    cloud: LocalCloud, faults: FaultInjector, ref: ReferenceData, tmp_path: Path
) -> None:
    outputs = cloud.outputs
    demo = MailingManager(outputs, ref, out_dir=tmp_path, extra={"notes.ods": b"PK\x03\x04 not really"})
    order_id = demo.awaiting_order(97)
    # Given InboundMail crashing once after its work (a timeout after the sheet was put and the reply sent) on the
    # next e-mail received: its events carry the message's S3 key, which names no order
    slot = faults.fail(outputs["functions"]["InboundMailFunction"], times=1, after=True, prefix="inbound/")
    # When the manager replies with the filled QC sheet and a sheet in another format
    demo.upload_new_sheets([demo.order(order_id)])
    [message_id] = demo.message_ids
    # Then SQS brings the message back after the visibility timeout, and the retry does nothing twice: the order
    # completes, the sheet was put once (one S3 version: one QC run), and she got one reply from the inbound stage
    # (the .ods refused) and one receipt from the QC stage, both in her thread
    sqs = cloud.client("sqs")

    def queue_empty() -> bool:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        counts = sqs.get_queue_attributes(QueueUrl=outputs["resources"]["InboundMailQueue"], AttributeNames=names)
        return slot.failures == 1 and all(v == "0" for v in counts["Attributes"].values())

    wait_for(queue_empty, timeout=120, what="the failed delivery, then the redelivery that succeeded")
    final = demo.wait_for([order_id], lambda o: o["status"] == "READY_TO_SHIP", "the order completes")[0]
    assert final["units_passed"] == final["units_ordered"]
    assert slot.subject is not None and slot.subject.startswith("inbound/")
    put = _versions(cloud, mailed_upload_key(QC_UPLOADS, slot.subject, 1, "x").rsplit("/", 1)[0] + "/")
    assert list(put.values()) == [1] and next(iter(put)).endswith(".xlsx"), put
    replies = _replies_to(Path(outputs["outbox_dir"]), message_id)
    refusals = [m for m in replies if "notes.ods" in m.get_body(("plain",)).get_content()]  # type: ignore[union-attr]
    assert len(replies) == 2 and len(refusals) == 1, [str(m["Subject"]) for m in replies]
    twice = {m[0]: n for m, n in _mail_fingerprints(Path(outputs["outbox_dir"])).items() if n > 1}
    assert not twice, twice


def test_an_inbound_mail_failing_for_good_parks_in_its_dlq_raises_an_alarm_and_goes_through_once_redriven(
    cloud: LocalCloud, faults: FaultInjector, ref: ReferenceData, tmp_path: Path
) -> None:
    outputs, resources = cloud.outputs, cloud.outputs["resources"]
    demo = MailingManager(outputs, ref, out_dir=tmp_path)
    order_id = demo.awaiting_order(96)
    # Given InboundMail failing for good on the next e-mail received (a bug, a permission that was missing)
    slot = faults.fail(outputs["functions"]["InboundMailFunction"], times=None, prefix="inbound/")
    # When the manager replies with the filled QC sheet
    demo.upload_new_sheets([demo.order(order_id)])
    [message_id] = demo.message_ids
    # Then after the queue's five receives the message is parked in the inbound DLQ and an operator is told
    sqs = cloud.client("sqs")
    dlq = resources["InboundMailDeadLetterQueue"]

    def parked() -> bool:
        peek = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10, VisibilityTimeout=0)
        return slot.subject is not None and any(
            slot.subject in unquote_plus(m["Body"]) for m in peek.get("Messages", [])
        )

    wait_for(parked, timeout=120, what="the received e-mail's message in the inbound DLQ")
    _wait_for_alarm(cloud, "InboundMailDeadLetterQueueAlarm")
    assert slot.failures == 5  # the redrive policy's maxReceiveCount
    assert demo.order(order_id)["status"] == "IN_PRODUCTION"  # nothing lost: the order still waits for its sheet
    assert _replies_to(Path(outputs["outbox_dir"]), message_id) == []
    # When the cause is fixed and the operator redrives the DLQ as docs/operations.md says
    # (aws sqs start-message-move-task --source-arn <InboundMailDeadLetterQueue ARN>)
    faults.heal(slot)
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    operator = boto3.client("sqs", **client_options(outputs))
    assert operator.start_message_move_task(SourceArn=arn)["TaskHandle"]
    # Then the e-mail is read once: the sheet is put once, the order completes, and she gets one receipt
    final = demo.wait_for([order_id], lambda o: o["status"] == "READY_TO_SHIP", "the order completes")[0]
    assert final["units_passed"] == final["units_ordered"]
    put = _versions(cloud, mailed_upload_key(QC_UPLOADS, slot.subject or "", 1, "x").rsplit("/", 1)[0] + "/")
    assert list(put.values()) == [1], put
    [receipt] = _replies_to(Path(outputs["outbox_dir"]), message_id)
    assert str(receipt["Subject"]) == "Re: Telar: new work"
