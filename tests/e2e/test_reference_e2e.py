"""Reference workbooks through the served local cloud: S3 reference/ -> SQS -> ReferenceUploadFunction -> e-mail.

Neither upload changes the data in force (other e2e tests share the cloud): one is the export itself, one is refused.
"""

import email
import email.policy
import time
from email.message import EmailMessage
from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import openpyxl

from local.demo import client_options


def _wait_for_mail(outbox: Path, subject: str) -> EmailMessage:
    deadline = time.monotonic() + 30
    while True:
        for path in sorted(outbox.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if subject in str(message["Subject"]):
                return message  # type: ignore[return-value]
        assert time.monotonic() < deadline, f"no e-mail {subject!r} in the outbox"
        time.sleep(0.2)


def test_the_samples_were_imported_and_an_export_re_uploads_unchanged(served: dict[str, Any]) -> None:
    # Given the local cloud seeded through the import (receipt and API-key e-mails in the outbox)
    outbox = Path(served["outbox_dir"])
    assert "version 1" in _wait_for_mail(outbox, "Telar: reference data applied")["Subject"]
    s3, bucket = boto3.client("s3", **client_options(served)), served["uploads_bucket"]
    export = s3.get_object(Bucket=bucket, Key="reference-exports/current.xlsx")["Body"].read()
    # When staff upload the export, and then a copy with a bad cell
    s3.put_object(Bucket=bucket, Key="reference/roster-e2e.xlsx", Body=export)
    workbook = openpyxl.load_workbook(BytesIO(export))
    workbook["groups"]["A2"].value = None  # a group without its id
    bad = BytesIO()
    workbook.save(bad)
    s3.put_object(Bucket=bucket, Key="reference/roster-e2e-bad.xlsx", Body=bad.getvalue())
    # Then the first is acknowledged as unchanged, the second refused with the cell named
    assert "version 1" in _wait_for_mail(outbox, "Telar: reference data unchanged")["Subject"]
    report = _wait_for_mail(outbox, "reference workbook needs correcting")
    assert "groups!A2" in report.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
