"""Payroll end to end: an order through the local cloud, then the on-demand pay run that finance pays from.

Every e-mail is read back from the outbox, and every figure in the attached workbooks is compared with the
earning lines on record in the table.

The pay run is the PayPeriodFunction invoked with ``{"period": ...}`` through Lambda's Invoke API on the served
endpoint, which runs the template's handler in the local cloud's process.
"""

import io
import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from email.message import EmailMessage, Message
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import pytest
import requests
from boto3.dynamodb.conditions import Key
from openpyxl import load_workbook

from local.demo import Demo, client_options
from telar.artifacts import order_payroll_prefix
from telar.models import EarningLine, ReferenceData
from tests.conftest import SAMPLES
from tests.e2e.conftest import mails, wait_for_mails
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def _invoke_pay_period(served: dict[str, Any], period: str) -> dict[str, Any]:
    """PayPeriodFunction with ``{"period": period}``, invoked as an operator would, against the served endpoint."""
    lambda_ = boto3.client("lambda", **client_options(served))
    function = served["functions"]["PayPeriodFunction"]
    reply = lambda_.invoke(FunctionName=function, Payload=json.dumps({"period": period}))
    run = json.loads(reply["Payload"].read())
    assert "FunctionError" not in reply, f"pay run failed: {run}"
    return dict(run)


def _lines(items: Iterable[dict[str, Any]]) -> list[EarningLine]:
    return [EarningLine.model_validate({k: v for k, v in i.items() if k in EarningLine.model_fields}) for i in items]


def _query(table: Any, **kwargs: Any) -> list[dict[str, Any]]:
    items, page = [], table.query(**kwargs)
    items += page["Items"]
    while "LastEvaluatedKey" in page:
        page = table.query(ExclusiveStartKey=page["LastEvaluatedKey"], **kwargs)
        items += page["Items"]
    return items


def _number(value: Any) -> Decimal:
    assert isinstance(value, int | float) and not isinstance(value, bool), f"{value!r} is not a number"
    return Decimal(str(value))  # a 2-decimal amount read back as float prints exactly as written


def _rows(ws: Any, header_row: int) -> list[dict[str, Any]]:
    names = [c.value for c in ws[header_row]]
    rows = ws.iter_rows(min_row=header_row + 1, values_only=True)
    return [dict(zip(names, row, strict=False)) for row in rows if any(v not in (None, "") for v in row)]


def _figures_match(data: bytes, group_id: str, currency: str, lines: list[EarningLine]) -> Decimal:
    """Every figure of the group's workbook is the sum of the recorded lines, as numbers; returns the total."""
    book = load_workbook(io.BytesIO(data), data_only=True)
    key = lambda x: (x.order_id, x.assignment_id, x.worker_id, x.sku)  # noqa: E731
    total = sum((x.total for x in lines), Decimal(0))
    [summary] = [r for r in _rows(book["Summary"], 3) if r["Group ID"] == group_id]
    assert summary["Currency"] == currency and summary["Makers"] == len({x.worker_id for x in lines})
    assert _number(summary["Units passed"]) == sum(x.units_passed for x in lines)
    assert _number(summary["Hours"]) == sum(x.hours_worked for x in lines)
    assert _number(summary["Piece earnings"]) == sum(x.piece_earnings for x in lines)
    assert _number(summary["Hourly base"]) == sum(x.hourly_base for x in lines)
    assert _number(summary["Minimum-wage top-ups"]) == sum(x.top_up for x in lines)
    assert _number(summary["Total to pay"]) == total
    # Detail: one row per maker and product, her lines summed; Audit: each line with the QC upload behind it
    expected: dict[tuple[str, str], tuple[Decimal, Decimal]] = defaultdict(lambda: (Decimal(0), Decimal(0)))
    for x in lines:
        top_up, line_total = expected[(x.worker_id, x.sku)]
        expected[(x.worker_id, x.sku)] = (top_up + x.top_up, line_total + x.total)
    detail = {(r["Worker ID"], r["SKU"]): (_number(r["Top-up"]), _number(r["Total"])) for r in _rows(book["Detail"], 1)}
    assert detail == expected
    audit = {
        (r["Order"], r["Assignment"], r["Worker ID"], r["SKU"]): (r["QC upload"], _number(r["Total"]))
        for r in _rows(book["Audit"], 1)
    }
    assert audit == {key(x): (x.qc_upload, x.total) for x in lines}
    # no figure is a formula a reader could break (read as written: data_only shows a formula's cached value)
    written = load_workbook(io.BytesIO(data))
    assert not any(c.data_type == "f" for ws in written.worksheets for row in ws.iter_rows() for c in row)
    return total


def _attachments(mail: Message) -> dict[str, bytes]:
    """Each .xlsx attached to ``mail``, by file name."""
    return {
        p.get_filename(): p.get_payload(decode=True) for p in mail.walk() if (p.get_filename() or "").endswith(".xlsx")
    }


def _mails_attaching(outbox: Path, subject: str, file_start: str) -> list[EmailMessage]:
    """The outbox's mails whose subject has ``subject`` and that attach a file whose name starts ``file_start``."""
    return [m for m in mails(outbox, subject) if any((p.get_filename() or "").startswith(file_start) for p in m.walk())]


def _per_group(lines: Iterable[EarningLine]) -> dict[tuple[str, str], list[EarningLine]]:
    grouped: dict[tuple[str, str], list[EarningLine]] = defaultdict(list)
    for line in lines:
        grouped[(line.group_id, line.currency)].append(line)
    return grouped


@pytest.fixture(scope="module")
def finished(served: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One order through the local cloud, its QC sheets filled in and uploaded, until it finishes."""
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    demo = Demo(served, ref, out_dir=tmp_path_factory.mktemp("payroll-e2e"))
    [order_id] = demo.submit_orders([sorted((SAMPLES / "orders").glob("*.json"))[0]])
    demo.fill_and_upload_qc([order_id])  # returns once the order is ready to ship or needs attention
    table = boto3.resource("dynamodb", **client_options(served)).Table(served["resources"]["TelarTable"])
    return {"demo": demo, "order": demo.order(order_id), "table": table}


def _recorded(finished: dict[str, Any]) -> list[EarningLine]:
    condition = Key("pk").eq(f"ORDER#{finished['order']['order_id']}") & Key("sk").begins_with("EARNING#")
    return _lines(_query(finished["table"], KeyConditionExpression=condition))


@pytest.fixture(scope="module")
def pay_run(served: dict[str, Any], finished: dict[str, Any]) -> dict:
    """The on-demand pay run of the month in which the order's QC sheets were signed off (today, UTC)."""
    period = datetime.now(UTC).strftime("%Y-%m")  # a period pays every unpaid line signed off by its last day
    run = _invoke_pay_period(served, period)
    condition = Key("gsi1pk").eq(f"EARNING#PAID#{period}")
    paid = _lines(_query(finished["table"], IndexName="gsi1", KeyConditionExpression=condition))
    return {"period": period, "run": run, "paid": paid}


def test_the_order_payroll_files_hold_the_recorded_earnings_and_finance_is_not_mailed_for_them(
    served: dict[str, Any], finished: dict[str, Any]
) -> None:
    # Given an order that went through every stage, with some makers slow enough to need a top-up
    order = finished["order"]
    assert order["status"] == "READY_TO_SHIP", order
    recorded = _recorded(finished)
    assert recorded and any(x.top_up > 0 for x in recorded)
    assert all(x.total >= x.minimum_for_hours for x in recorded)
    # When finance looks for the order's payroll files, by the order's prefix
    s3 = boto3.client("s3", **client_options(served))
    prefix = order_payroll_prefix(order["order_id"])
    listing = s3.list_objects_v2(Bucket=served["artifacts_bucket"], Prefix=prefix)["Contents"]
    books = {
        o["Key"].removeprefix(prefix): s3.get_object(Bucket=served["artifacts_bucket"], Key=o["Key"])["Body"].read()
        for o in listing
    }
    # Then there is one workbook per group and currency, each figure exactly the recorded lines' sums
    groups = _per_group(recorded)
    assert sorted(books) == sorted(f"payroll-{order['order_id']}-{g}-{c}.xlsx" for g, c in groups)
    for (group_id, currency), lines in groups.items():
        _figures_match(books[f"payroll-{order['order_id']}-{group_id}-{currency}.xlsx"], group_id, currency, lines)
    # And no "for reference" e-mail: the stack's default leaves finance the period's e-mail to pay from
    assert mails(Path(served["outbox_dir"]), f"payroll earnings recorded for order {order['order_id']}") == []


def _pay_sheet_matches(data: bytes, lines: list[EarningLine], ref: ReferenceData) -> None:
    """The Pay sheet has a row per maker whose figures are her paid lines' sums, with how she is paid."""
    pay = load_workbook(io.BytesIO(data), data_only=True)["Pay"]
    table = _rows(pay, 7)
    end = next((i for i, r in enumerate(table) if str(r["Worker ID"] or "").startswith("Total")), len(table))
    rows = {r["Worker ID"]: r for r in table[:end]}  # the makers' rows end where the totals begin
    makers = {m.worker_id: m for m in ref.makers}
    mine: dict[str, list[EarningLine]] = defaultdict(list)
    for x in lines:
        mine[x.worker_id].append(x)
    assert sorted(rows) == sorted(mine)
    for worker_id, her_lines in mine.items():
        row = rows[worker_id]
        assert _number(row["Total to pay"]) == sum((x.total for x in her_lines), Decimal(0))
        assert _number(row["Minimum-wage top-up"]) == sum((x.top_up for x in her_lines), Decimal(0))
        assert _number(row["Hours"]) == sum((x.hours_worked for x in her_lines), Decimal(0))
        assert row["Payment details"] == makers[worker_id].payment_details
    cash = [w for w in mine if makers[w].payment_method == "cash"]
    receipts = load_workbook(io.BytesIO(data), data_only=True).sheetnames
    assert any(name.startswith("Cash receipts") for name in receipts) == bool(cash)


def test_the_pay_run_e_mails_finance_workbooks_whose_figures_are_the_recorded_earnings(
    served: dict[str, Any], finished: dict[str, Any], pay_run: dict[str, Any]
) -> None:
    # Given the finished order and the month's pay run, on demand
    period, run, paid = pay_run["period"], pay_run["run"], pay_run["paid"]
    assert run["status"] == "SENT" and run["mail_sent"] and run["mail_error"] is None
    # Then every earning line recorded for the order was paid in this period, once
    recorded = _recorded(finished)
    key = lambda x: (x.order_id, x.assignment_id, x.worker_id, x.sku)  # noqa: E731
    assert all(x.paid_in == period for x in recorded)
    assert {key(x) for x in recorded} <= {key(x) for x in paid}
    assert len(paid) == len({key(x) for x in paid}) == run["lines"]
    # And finance got one e-mail with one workbook per group and currency whose figures are the paid lines'
    [mail] = wait_for_mails(Path(served["outbox_dir"]), f"payroll for pay period {period}", seconds=10)
    books = _attachments(mail)
    groups = _per_group(paid)
    assert sorted(books) == sorted(f"payroll-{period}-{g}-{c}.xlsx" for g, c in groups)
    body = next(p for p in mail.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    for (group_id, currency), lines in groups.items():
        book = books[f"payroll-{period}-{group_id}-{currency}.xlsx"]
        total = _figures_match(book, group_id, currency, lines)
        assert total == Decimal(run["totals"][f"{group_id} {currency}"])
        assert f"total {currency} {total}" in body
        _pay_sheet_matches(book, lines, ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text()))


def test_each_manager_receives_her_group_s_payslips_once(served: dict[str, Any], pay_run: dict[str, Any]) -> None:
    # Given the month's pay run (run twice by the re-run test too, in any order)
    ref = ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text())
    for group_id, lines in {g: ls for (g, _c), ls in _per_group(pay_run["paid"]).items()}.items():
        group = ref.group(group_id)
        # Then she has one mail, in her language, with her group's payslips: one page per maker paid
        name = f"payslips-{pay_run['period']}-{group_id}-"

        outbox = Path(served["outbox_dir"])
        [mail] = wait_for(partial(_mails_attaching, outbox, group.name, name), timeout=10, what=name)
        assert mail["To"] == str(group.manager_email) and pay_run["period"] in mail["Subject"]
        [slips] = [p for p in mail.walk() if (p.get_filename() or "").startswith(name)]
        html = slips.get_payload(decode=True).decode()
        assert html.count('class="slip"') == len({x.worker_id for x in lines})


def test_the_pay_run_again_pays_nothing_twice_and_sends_no_second_e_mail(
    served: dict[str, Any], pay_run: dict[str, Any]
) -> None:
    # Given the month's pay run happened
    period, first = pay_run["period"], pay_run["run"]
    # When an operator runs it again
    again = _invoke_pay_period(served, period)
    # Then it reports the same files and totals, and finance still has one e-mail
    assert (again["status"], again["files"], again["totals"], again["lines"]) == (
        "SENT",
        first["files"],
        first["totals"],
        first["lines"],
    )
    # (no wait needed: the served outbox writes a send's .eml before the invoke that sent it returns)
    assert len(mails(Path(served["outbox_dir"]), f"payroll for pay period {period}")) == 1


def test_payslips_for_the_production_managers_print_a_page_per_paid_maker(
    served: dict[str, Any], pay_run: dict[str, Any]
) -> None:
    # Given the month's pay run
    s3 = boto3.client("s3", **client_options(served))
    # Then each group's payslips have one printed page per maker paid in it
    for (group_id, currency), lines in _per_group(pay_run["paid"]).items():
        [slips] = [k for k in pay_run["run"]["payslips"] if k.endswith(f"-{group_id}-{currency}.html")]
        html = s3.get_object(Bucket=served["artifacts_bucket"], Key=slips)["Body"].read().decode()
        assert html.count('class="slip"') == len({x.worker_id for x in lines})


def test_the_order_status_links_its_insert_cards_and_packing_list_for_any_http_client(
    served: dict[str, Any], finished: dict[str, Any]
) -> None:
    # Given the finished order, as its buyer sees it through the API
    order = finished["demo"].order(finished["order"]["order_id"])
    # Then it links its two documents, and nothing internal (the payroll files are finance's)
    assert set(order["artifacts"]) == {"cards", "packing_list"}
    # and plain HTTP, with no AWS credentials at all, follows each link
    cards = requests.get(order["artifacts"]["cards"]["url"], timeout=30)
    packing = requests.get(order["artifacts"]["packing_list"]["url"], timeout=30)
    assert cards.status_code == packing.status_code == 200
    assert cards.text.count('<article class="card') == order["units_passed"] > 0
    assert order["buyer_reference"] in packing.text and f">{order['units_passed']}<" in packing.text
    # and a link altered in any part is refused, as S3 refuses it
    forged = order["artifacts"]["cards"]["url"].replace("cards.html", "packing-list.html")
    assert requests.get(forged, timeout=30).status_code == 403
    # And the order's payroll statements are where finance finds them, by the order's prefix
    s3 = boto3.client("s3", **client_options(served))
    prefix = order_payroll_prefix(order["order_id"])
    listing = s3.list_objects_v2(Bucket=served["artifacts_bucket"], Prefix=prefix)
    expected = {f"payroll-{x.order_id}-{x.group_id}-{x.currency}.xlsx" for x in _recorded(finished)}
    assert {o["Key"].removeprefix(prefix) for o in listing["Contents"]} == expected
