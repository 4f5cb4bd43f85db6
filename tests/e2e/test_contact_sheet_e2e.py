"""Contact sheets through a local cloud of their own: S3 reference/ -> SQS -> ReferenceUploadFunction, which reads
photos/ and writes contact-sheets/ under its own IAM role (checked on every call), then e-mails the manager.

Its own cloud because the upload changes the data in force, which the shared e2e cloud must keep as seeded.
"""

from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from local.cloud import LocalCloud
from local.demo import client_options
from samples.make_reference_book import sample_book
from telar.artifacts import contact_sheet_key
from telar.photos import cache_key
from telar.sheets.reference_book import write_reference_book
from tests.conftest import ROOT
from tests.e2e.conftest import mails, wait_for_mails
from tests.waiting import wait_for

SUBJECT = "แผ่นรวมรูปของ Chiang Mai Workshop"  # Chiang Mai's manager reads Thai


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    with LocalCloud(project_root=ROOT, out_dir=tmp_path_factory.mktemp("contact"), api_port=0, aws_port=0) as running:
        yield running


def test_new_photo_options_send_chiang_mai_a_new_contact_sheet_once(cloud: LocalCloud) -> None:
    outputs = cloud.outputs
    outbox = Path(outputs["outbox_dir"])
    # Given the seeded cloud, whose sample options already sent Chiang Mai its sheet
    assert len(wait_for_mails(outbox, SUBJECT)) == 1
    # When the office gives CMI-01 two options, one of them not uploaded, and uploads the workbook
    book = sample_book()
    makers = tuple(
        m.model_copy(update={"photo_options": ("chiangmai-01.png", "chiangmai-99.png")})
        if m.worker_id == "CMI-01"
        else m
        for m in book.reference.makers
    )
    data = write_reference_book(
        book.model_copy(update={"reference": book.reference.model_copy(update={"makers": makers})})
    )
    s3 = boto3.client("s3", **client_options(outputs))
    s3.put_object(Bucket=outputs["uploads_bucket"], Key="reference/options.xlsx", Body=data)
    # Then the manager gets the new sheet, in Thai, once, and it is kept in the artifacts bucket
    wait_for(lambda: len(mails(outbox, SUBJECT)) == 2, timeout=90, what="Chiang Mai's second contact sheet")
    html = s3.get_object(Bucket=outputs["artifacts_bucket"], Key=contact_sheet_key("th-chiangmai"))["Body"].read()
    text = html.decode()
    assert "CMI-01" in text and "CMI-03" in text and "ไม่มีรูปที่ 2" in text
    assert [m["Subject"] for m in mails(outbox, "Telar: reference data applied")][-1].endswith("version 2")
    # and no other group is sent its sheet again
    assert len(mails(outbox, "hoja de fotos")) == 2
    # and the option found was resized into the photo cache the insert cards read, for the version uploaded
    source = s3.head_object(Bucket=outputs["uploads_bucket"], Key="photos/chiangmai-01.png")
    cached = cache_key("photos/chiangmai-01.png", source.get("VersionId") or source["ETag"])
    printed = s3.get_object(Bucket=outputs["artifacts_bucket"], Key=cached)
    assert printed["ContentType"] == "image/jpeg" and printed["Body"].read().startswith(b"\xff\xd8\xff")
