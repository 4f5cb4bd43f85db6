"""The documented DLQ redrive (telar.adapters.redrive): each upload message goes back to the queue that serves
it, and only messages no queue serves stay in the DLQ."""

import json

import boto3

from telar.adapters.redrive import main, redrive
from telar.ports import Ports


def _s3_event(key: str) -> str:
    return json.dumps(
        {"Records": [{"eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "u"}, "object": {"key": key}}}]}
    )


def _bodies(sqs: object, url: str) -> list[str]:
    reply = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)  # type: ignore[attr-defined]
    return sorted(m["Body"] for m in reply.get("Messages", []))


def test_redrive_sends_each_upload_back_to_its_queue_and_keeps_what_no_queue_serves(aws: Ports) -> None:
    # Given a DLQ holding a QC upload, a reference upload and a message no queue serves
    sqs = boto3.client("sqs")
    dlq, qc, ref = (sqs.create_queue(QueueName=n)["QueueUrl"] for n in ("dlq", "qc", "reference"))
    bodies = {"qc": _s3_event("qc/sheet+1.xlsx"), "reference": _s3_event("reference/book.xlsx"), "other": "not json"}
    for body in bodies.values():
        sqs.send_message(QueueUrl=dlq, MessageBody=body)
    # When a dry run is made, Then it counts and moves nothing
    printed: list[str] = []
    main(["--dlq", dlq, "--qc-queue", qc, "--reference-queue", ref, "--dry-run"], out=printed.append)
    assert printed == ['would move: {"qc": 1, "reference": 1}; left in the DLQ (no queue serves them): 1']
    assert _bodies(sqs, qc) == []
    # When the redrive runs
    report = redrive(dlq, {"qc": qc, "reference": ref}, sqs=sqs)
    # Then each upload is in its own queue, and only the unroutable message is left in the DLQ
    assert report.moved == {"qc": 1, "reference": 1} and report.left == 1
    assert _bodies(sqs, qc) == [bodies["qc"]] and _bodies(sqs, ref) == [bodies["reference"]]
    assert _bodies(sqs, dlq) == ["not json"]  # visible again at once: the next run sees it
