"""The whole pipeline through the local cloud, as `make serve` runs it: HTTP in, S3 uploads, e-mails out."""

import email
import io
import time
from decimal import Decimal
from email.message import Message
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from openpyxl import load_workbook

from local.demo import Demo
from telar.models import ReferenceData
from tests.conftest import SAMPLES

pytestmark = pytest.mark.e2e


def _mails(outbox: Path) -> list[Message]:
    return [email.message_from_bytes(p.read_bytes()) for p in sorted(outbox.glob("*.eml"))]


def test_outputs_hold_the_contract_keys(served: dict[str, Any]) -> None:
    for key in (
        "api_url",
        "aws_endpoint",
        "region",
        "uploads_bucket",
        "artifacts_bucket",
        "state_machine_arn",
        "outbox_dir",
        "buyers",
    ):
        assert served[key], key
    assert {"buyer_id", "api_key"} <= set(served["buyers"][0])


def test_buyers_need_a_key_and_see_only_their_own_orders(served: dict[str, Any]) -> None:
    api = served["api_url"].rstrip("/")
    body = (SAMPLES / "orders").glob("*.json").__next__().read_bytes()
    assert requests.post(f"{api}/orders", data=body, timeout=10).status_code == 401
    assert requests.post(f"{api}/orders", data=body, headers={"x-api-key": "tlr_wrong"}, timeout=10).status_code == 401
    first, second = served["buyers"][:2]
    created = requests.post(f"{api}/orders", data=body, headers={"x-api-key": first["api_key"]}, timeout=10)
    assert created.status_code == 202, created.text
    order_id = created.json()["order_id"]
    theirs = requests.get(f"{api}/orders/{order_id}", headers={"x-api-key": second["api_key"]}, timeout=10)
    assert theirs.status_code == 404 and theirs.headers["content-type"] == "application/problem+json"
    mine = requests.get(f"{api}/orders/{order_id}", headers={"x-api-key": first["api_key"]}, timeout=10)
    assert mine.status_code == 200 and mine.json()["order_id"] == order_id


def test_one_order_through_every_stage(served: dict[str, Any], tmp_path: Path) -> None:
    # Given the sample reference data and a buyer's order submitted through the API
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    demo = Demo(served, ref, out_dir=tmp_path)
    [order_id] = demo.submit_orders([sorted((SAMPLES / "orders").glob("*.json"))[-1]])
    outbox = Path(served["outbox_dir"])
    # When a wrong file is uploaded first, then the managers' filled QC sheets
    demo.wait_for(
        [order_id],
        lambda o: bool(o["groups"]) and all(g["stage"] == "AWAITING_QC" for g in o["groups"]),
        "every group waits for QC",
    )
    s3 = boto3.client(
        "s3",
        endpoint_url=served["aws_endpoint"],
        region_name=served["region"],
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )
    s3.put_object(Bucket=served["uploads_bucket"], Key="qc/not a workbook.xlsx", Body=b"hello")
    deadline = time.monotonic() + 30
    while not any("needs correcting" in (m["Subject"] or "") for m in _mails(outbox)):
        assert time.monotonic() < deadline, "no error report e-mail for the wrong upload"
        time.sleep(0.2)
    demo.fill_and_upload_qc([order_id])
    [order] = demo.wait_for(
        [order_id], lambda o: o["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION"), "the order finishes"
    )
    # Then the order is ready to ship with every planned unit accounted for
    assert order["status"] == "READY_TO_SHIP", order
    assert 0 < order["units_passed"] <= order["units_ordered"]
    # And finance got a payroll e-mail whose .xlsx opens and whose total matches the lines
    payroll_mails = [m for m in _mails(outbox) if order_id in (m["Subject"] or "") and "payroll" in m["Subject"]]
    assert len(payroll_mails) == 1
    attachments = [p for p in payroll_mails[0].walk() if p.get_filename(" ").endswith(".xlsx")]
    assert attachments
    for part in attachments:
        book = load_workbook(io.BytesIO(part.get_payload(decode=True)), data_only=True)
        detail = list(book["Detail"].iter_rows(values_only=True))
        header = [str(h).lower() for h in detail[0]]
        total_col = header.index("total")
        lines_total = sum(Decimal(str(r[total_col])) for r in detail[1:] if isinstance(r[total_col], int | float))
        assert lines_total > 0
    # And the insert cards print sheet exists with one card per passed unit
    cards = s3.get_object(Bucket=served["artifacts_bucket"], Key=f"cards/{order_id}/cards.html")["Body"].read()
    assert cards.decode().count('class="card') >= order["units_passed"]
    # And each production manager was sent her papers
    assert sum("new work" in (m["Subject"] or "") for m in _mails(outbox)) >= len(order["groups"])
