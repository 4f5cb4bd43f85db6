"""Move upload messages from the uploads DLQ back to the queue that serves them, once the cause is fixed.

The upload queues share one DLQ, so each message goes back by what it names: an S3 event for a key under
``qc/`` to the QC queue, under ``reference/`` to the reference queue, under ``attendance/`` to the attendance
queue (when it is given). A message is deleted from the DLQ only
after it was sent on; one that names neither stays, and is counted. See docs/operations.md ("Uploads DLQ").

Usage::

    python -m telar.adapters.redrive --dlq <UploadsDeadLetterQueueUrl> \\
        --qc-queue <UploadsQueueUrl> --reference-queue <ReferenceUploadsQueueUrl> \\
        [--attendance-queue <AttendanceUploadsQueueUrl>] [--dry-run]
"""

import argparse
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from telar.adapters.aws import client
from telar.artifacts import ATTENDANCE_UPLOADS, QC_UPLOADS, REFERENCE_UPLOADS


def route(body: str) -> str | None:
    """``"qc"``, ``"reference"`` or ``"attendance"`` for an S3 event naming keys under one prefix; None otherwise."""
    try:
        records = json.loads(body).get("Records", [])
        keys = [unquote_plus(r["s3"]["object"]["key"]) for r in records if r.get("eventName", "").startswith("Object")]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if keys and all(k.startswith(QC_UPLOADS) for k in keys):
        return "qc"
    if keys and all(k.startswith(REFERENCE_UPLOADS) for k in keys):
        return "reference"
    if keys and all(k.startswith(ATTENDANCE_UPLOADS) for k in keys):
        return "attendance"
    return None


@dataclass
class RedriveReport:
    moved: dict[str, int] = field(default_factory=dict)  # route -> messages sent back
    left: int = 0  # messages no queue serves (they stay in the DLQ)


def redrive(
    dlq_url: str, queues: dict[str, str], *, dry_run: bool = False, sqs: Any = None, rounds: int = 100
) -> RedriveReport:
    """Send every routable message of ``dlq_url`` to ``queues[route]`` and delete it from the DLQ."""
    sqs = sqs or client("sqs")
    report = RedriveReport()
    kept: list[str] = []  # receipt handles of messages left in the DLQ: visible again once we are done
    for _ in range(rounds):
        # hidden while we work (30 s), so each message is looked at once in this run
        reply = sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30)
        messages = reply.get("Messages", [])
        if not messages:
            break
        for message in messages:
            target = route(message["Body"])
            if target is None or target not in queues or dry_run:
                kept.append(message["ReceiptHandle"])
                if target is None or target not in queues:
                    report.left += 1
                    continue
            report.moved[target] = report.moved.get(target, 0) + 1
            if not dry_run:
                sqs.send_message(QueueUrl=queues[target], MessageBody=message["Body"])
                sqs.delete_message(QueueUrl=dlq_url, ReceiptHandle=message["ReceiptHandle"])
    for handle in kept:
        sqs.change_message_visibility(QueueUrl=dlq_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return report


def main(argv: list[str] | None = None, out: Callable[[str], Any] = print) -> int:
    parser = argparse.ArgumentParser(prog="python -m telar.adapters.redrive", description=__doc__.split("\n")[0])
    parser.add_argument("--dlq", required=True, help="UploadsDeadLetterQueueUrl (stack output)")
    parser.add_argument("--qc-queue", required=True, help="UploadsQueueUrl (stack output)")
    parser.add_argument("--reference-queue", required=True, help="ReferenceUploadsQueueUrl (stack output)")
    parser.add_argument("--attendance-queue", help="AttendanceUploadsQueueUrl (stack output)")
    parser.add_argument("--dry-run", action="store_true", help="count what would move; move nothing")
    args = parser.parse_args(argv)
    queues = {"qc": args.qc_queue, "reference": args.reference_queue}
    if args.attendance_queue:
        queues["attendance"] = args.attendance_queue
    report = redrive(args.dlq, queues, dry_run=args.dry_run)
    verb = "would move" if args.dry_run else "moved"
    out(f"{verb}: {json.dumps(report.moved, sort_keys=True)}; left in the DLQ (no queue serves them): {report.left}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
