"""The whole pipeline through the local cloud, as `make serve` runs it: HTTP in, S3 uploads, e-mails out."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from openpyxl import load_workbook

from local.demo import Demo, client_options
from local.manager import RowResult, fill_qc_sheet
from telar.artifacts import order_payroll_prefix
from telar.models import ReferenceData
from tests.conftest import SAMPLES
from tests.e2e.conftest import mails, wait_for_mails

pytestmark = pytest.mark.e2e


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


class ManagersWithOneReject(Demo):
    """The demo's production managers, except that exactly one unit fails its first QC (so one rework round)."""

    rejected_once = False

    def manager_counts(self, worker_id: str, sku: str, planned: int, rework: bool = False) -> RowResult:
        result = super().manager_counts(worker_id, sku, planned, rework)
        reject = 0 if rework or self.rejected_once or planned < 2 else 1
        self.rejected_once = self.rejected_once or bool(reject)
        codes = (self.ref.product(sku).defect_codes or [""])[0] if reject else ""
        return RowResult(produced=planned, rejected=reject, defect_codes=codes, hours_worked=result.hours_worked)


def test_one_order_through_every_stage(served: dict[str, Any], tmp_path: Path) -> None:
    # Given the sample reference data and a buyer's order submitted through the API
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    demo = ManagersWithOneReject(served, ref, out_dir=tmp_path)
    [order_id] = demo.submit_orders([sorted((SAMPLES / "orders").glob("*.json"))[-1]])
    outbox = Path(served["outbox_dir"])
    demo.wait_for([order_id], demo.every_group_awaits_qc, "every group's QC sheet is awaited")
    s3 = demo.s3
    # When a file that is no workbook is uploaded, then a QC sheet filled in wrongly (an unknown defect code)
    s3.put_object(Bucket=served["uploads_bucket"], Key="qc/not a workbook.xlsx", Body=b"hello")
    wait_for_mails(outbox, "needs correcting — not a workbook.xlsx")
    group_id = demo.order(order_id)["groups"][0]["group_id"]  # a group of the stored plan
    template_key = f"orders/{order_id}/{group_id}/qc-{order_id}-{group_id}.xlsx"
    template = s3.get_object(Bucket=served["artifacts_bucket"], Key=template_key)["Body"].read()
    wrong = fill_qc_sheet(
        template,
        "Rosa Quispe",
        date.today(),
        lambda worker_id, sku, planned: RowResult(planned, 1, "NOT-A-CODE", Decimal(1)),
    )
    s3.put_object(Bucket=served["uploads_bucket"], Key="qc/first try.xlsx", Body=wrong)
    # Then the manager is sent an error report naming the bad cell, and the upload is kept
    report = wait_for_mails(outbox, "— first try.xlsx")[0]  # in the group's language
    summary = report.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "NOT-A-CODE" in summary and "QC!" in summary, summary
    version = s3.head_object(Bucket=served["uploads_bucket"], Key="qc/first try.xlsx")["VersionId"]
    reports = s3.list_objects_v2(Bucket=served["uploads_bucket"], Prefix="qc-reports/").get("Contents", [])
    assert any(o["Key"].startswith(f"qc-reports/first try.xlsx.{version}.errors") for o in reports), reports
    # When the managers upload corrected sheets, one unit is rejected and reworked in a second round
    demo.fill_and_upload_qc([order_id])
    [order] = demo.wait_for(
        [order_id], lambda o: o["status"] in ("READY_TO_SHIP", "NEEDS_ATTENTION"), "the order finishes"
    )
    assert [(g["rework_round"], g["units_planned"], g["stage"]) for g in order["groups"] if g["rework_round"]] == [
        (1, 1, "DONE")
    ]
    assert order["units_passed"] == order["units_ordered"]
    # Then the order is ready to ship with every planned unit accounted for
    assert order["status"] == "READY_TO_SHIP", order
    assert 0 < order["units_passed"] <= order["units_ordered"]
    # And the order's payroll files (kept for finance, not mailed by default) open and total their lines
    prefix = order_payroll_prefix(order_id)
    files = [o["Key"] for o in s3.list_objects_v2(Bucket=served["artifacts_bucket"], Prefix=prefix)["Contents"]]
    assert files and not [m for m in mails(outbox) if order_id in (m["Subject"] or "") and "payroll" in m["Subject"]]
    for key in files:
        data = s3.get_object(Bucket=served["artifacts_bucket"], Key=key)["Body"].read()
        book = load_workbook(io.BytesIO(data), data_only=True)
        detail = list(book["Detail"].iter_rows(values_only=True))
        header = [str(h).lower() for h in detail[0]]
        total_col = header.index("total")
        lines_total = sum(Decimal(str(r[total_col])) for r in detail[1:] if isinstance(r[total_col], int | float))
        summary = list(book["Summary"].iter_rows(min_row=3, values_only=True))  # the header is on row 3
        to_pay = summary[0].index("Total to pay")
        [group_total] = [r[to_pay] for r in summary[1:] if r[0]]  # the group's row; currency totals have no id
        assert Decimal(str(group_total)) == lines_total > 0
    # And the insert cards print sheet exists with one card per passed unit
    cards = s3.get_object(Bucket=served["artifacts_bucket"], Key=f"cards/{order_id}/cards.html")["Body"].read()
    assert cards.decode().count('class="card') >= order["units_passed"]
    # And the buyer was told, at her address: confirmed, then ready to ship with links any HTTP client opens
    submitted_by = demo.buyers[0]["buyer_id"]  # submit_orders takes the buyers in turn
    buyer = next(b for b in json.loads((SAMPLES / "buyers.json").read_text()) if b["buyer_id"] == submitted_by)
    # (found by the order's id in the text: other tests on this cloud may order the same sample, same reference)
    hers = [m for m in mails(outbox) if m["To"] == buyer["email"] and order_id in m.get_body(("plain",)).get_content()]
    assert len(hers) == 2, [m["Subject"] for m in hers]  # confirmed, ready: each once
    ready = hers[-1].get_body(("plain",)).get_content()
    links = [word for word in ready.split() if word.startswith("http")]
    assert len(links) == 2 and all(requests.get(url, timeout=30).status_code == 200 for url in links)
    # And each production manager was sent her papers (in her language: found by the work sheet attached)
    papers = [m for m in mails(outbox) if any(f"worksheet-{order_id}" in (p.get_filename() or "") for p in m.walk())]
    assert len(papers) >= len(order["groups"])
    # with a link to the assignment's page on this cloud's console (a visitor not signed in is sent to sign in)
    for mail in papers:
        text = mail.get_body(("plain",)).get_content()  # type: ignore[union-attr]
        [link] = [w for w in text.split() if w.startswith(f"{served['console_url']}/assignments/")]
        page = requests.get(link, timeout=30, allow_redirects=False)
        assert page.status_code in (200, 302, 303), (link, page.status_code)


def test_lambda_invoke_from_another_process_runs_the_real_handler(served: dict[str, Any]) -> None:
    # Given the local cloud in its own process, and an operator's Lambda client pointed at it
    lambda_ = boto3.client("lambda", **client_options(served))
    # When she invokes the daily QC reminders job by hand, and a function that does not exist
    reply = lambda_.invoke(FunctionName=served["functions"]["QcRemindersFunction"], Payload=b"{}")
    # Then the template's handler answered, and the unknown name is Lambda's 404
    result = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply and {"waiting", "reminded", "no_longer_waiting"} <= set(result)
    with pytest.raises(lambda_.exceptions.ResourceNotFoundException):
        lambda_.invoke(FunctionName="telar-NoSuchFunction", Payload=b"{}")
    # And a DryRun is answered 204 without running the handler (its payload would fail it)
    dry = lambda_.invoke(FunctionName=served["functions"]["PayPeriodFunction"], InvocationType="DryRun", Payload=b"[")
    assert dry["StatusCode"] == 204 and "FunctionError" not in dry
