"""Reference workbooks through the served local cloud: S3 reference/ -> SQS -> ReferenceUploadFunction -> e-mail.

Neither upload changes the data in force (other e2e tests share the cloud): one is the export itself, one is refused.
"""

from io import BytesIO
from pathlib import Path
from typing import Any

import boto3
import openpyxl

from local.demo import client_options
from tests.e2e.conftest import wait_for_mails


def test_the_samples_were_imported_and_an_export_re_uploads_unchanged(served: dict[str, Any]) -> None:
    # Given the local cloud seeded through the import (receipt and API-key e-mails in the outbox)
    outbox = Path(served["outbox_dir"])
    assert "version 1" in wait_for_mails(outbox, "Telar: reference data applied")[0]["Subject"]
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
    assert "version 1" in wait_for_mails(outbox, "Telar: reference data unchanged")[0]["Subject"]
    report = wait_for_mails(outbox, "reference workbook needs correcting")[0]
    assert "groups!A2" in report.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
