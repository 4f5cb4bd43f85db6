"""The buyers' API against moto, behind its authorizer as API Gateway runs it: authentication, isolation,
validation, idempotency, pagination, status, the OpenAPI document and the start sweeper."""

import base64
import importlib.util
import json
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
import requests
from openapi_spec_validator import validate

from telar import orders, pipeline_start
from telar.adapters.aws import client
from telar.auth import hash_api_key, issue_api_key, revoke_api_key
from telar.auth.__main__ import main as auth_cli
from telar.models import Buyer, OrderRequest, OrderStatus, ReferenceData
from telar.observability import metrics
from telar.ports import Ports
from telar.stages.await_qc import await_qc
from telar.stages.qc_upload import accept_qc_upload
from telar.stages.rework import start_rework
from telar.stages.split_work import split_work
from telar.webhooks import EVENT_TYPES, WebhookEvent, signed_headers
from tests.conftest import ROOT, SAMPLES, import_sample_reference
from tests.pipeline import every_row, upload_filled
from tests.template_tools import load_template

KEYS = {"buyer-a": "tlr_key_for_buyer_a_0123456789abcdef", "buyer-b": "tlr_key_for_buyer_b_0123456789abcdef"}
PUBLIC = {"/openapi.json", "/docs"}  # Auth: NONE in template.yaml
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:ordersapi/v1/{method}{path}"


class _Context:
    function_name = "intake_api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:intake_api"
    aws_request_id = "test-request"

    def get_remaining_time_in_millis(self) -> int:
        return 15_000


class FailingWorkflow:
    def start_order(self, order_id: str) -> bool:
        raise RuntimeError("Step Functions is unavailable")


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"{name}_app", ROOT / "functions" / name / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _event_body(body: Any) -> str | None:
    if isinstance(body, bytes):
        return base64.b64encode(body).decode("ascii")
    return body if body is None or isinstance(body, str) else json.dumps(body)


def _gateway(handler: ModuleType, authorizer: ModuleType, ports: Ports) -> Any:
    """Call the handler as API Gateway does: the authorizer first (401 if it refuses), its context passed on."""

    def call(
        method: str,
        path: str,
        key: str | None = None,
        body: Any = None,
        query: dict | None = None,
        headers: dict[str, str] | None = None,
        authorized: bool = True,
    ) -> Any:
        headers = {"content-type": "application/json", **({"x-api-key": key} if key else {}), **(headers or {})}
        context: dict[str, Any] = {
            "requestId": "r",
            "stage": "v1",
            "httpMethod": method,
            "resourcePath": path,
            "path": f"/v1{path}",
        }
        if path not in PUBLIC and authorized:
            if not key:
                return 401, "application/problem+json", None  # API Gateway: identity source missing
            try:
                answer = authorizer.lambda_handler(
                    {"type": "REQUEST", "headers": headers, "methodArn": METHOD_ARN.format(method=method, path=path)},
                    _Context(),
                )
            except Exception as refused:
                assert str(refused) == "Unauthorized"
                return 401, "application/problem+json", None
            context["authorizer"] = {**answer["context"], "principalId": answer["principalId"]}
        event = {
            "httpMethod": method,
            "path": path,
            "resource": path,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
            "pathParameters": None,
            # bytes go base64-encoded, as API Gateway (and the local API) pass a body that is not UTF-8 text
            "body": _event_body(body),
            "isBase64Encoded": isinstance(body, bytes),
            "requestContext": context,
        }
        reply = handler.lambda_handler(event, _Context())
        content_type = reply.get("multiValueHeaders", {}).get(
            "Content-Type", [reply.get("headers", {}).get("Content-Type")]
        )[0]
        parsed = json.loads(reply["body"]) if reply["body"] and "json" in content_type else reply["body"]
        return reply["statusCode"], content_type, parsed

    return call


@pytest.fixture
def ports(aws: Ports, monkeypatch: pytest.MonkeyPatch) -> Ports:
    props = load_template()["Resources"]["IdempotencyTable"]["Properties"]
    boto3.client("dynamodb").create_table(
        TableName="telar-idempotency", **{k: props[k] for k in ("AttributeDefinitions", "KeySchema", "BillingMode")}
    )
    monkeypatch.setenv("IDEMPOTENCY_TABLE_NAME", "telar-idempotency")
    # telar.observability was imported with this module, before the aws fixture set the namespace
    monkeypatch.setattr(metrics.provider, "namespace", "TelarTest")
    import_sample_reference(aws)
    for buyer_id, key in KEYS.items():
        aws.auth.put_buyer(Buyer(buyer_id=buyer_id, name=buyer_id, email=f"{buyer_id}@example.org"), hash_api_key(key))
    return aws


@pytest.fixture
def api(ports: Ports, monkeypatch: pytest.MonkeyPatch) -> Any:
    handler, authorizer = _load("intake_api"), _load("authorizer")
    monkeypatch.setattr(handler, "default_ports", lambda: ports)
    monkeypatch.setattr(authorizer, "default_ports", lambda: ports)
    return _gateway(handler, authorizer, ports)


def _order(**overrides: Any) -> dict[str, Any]:
    body = json.loads(Path(sorted((SAMPLES / "orders").glob("*.json"))[0]).read_text())
    body["requested_ship_date"] = (date.today() + timedelta(days=60)).isoformat()
    return {**body, **overrides}


def _stored_orders(ports: Ports, buyer_id: str = "buyer-a") -> list[str]:
    return [o.order_id for o in ports.orders.list_orders(buyer_id, 100, None)[0]]


# ------------------------------------------------------------------ authentication and isolation
def test_no_key_or_a_wrong_key_is_401_before_the_function_runs(api: Any, ports: Ports) -> None:
    for key in (None, "tlr_not_a_real_key"):
        assert api("POST", "/orders", key, _order())[0] == 401
        assert api("GET", "/catalog", key)[0] == 401
    assert _stored_orders(ports) == []


def test_the_function_refuses_a_request_without_the_authorizers_buyer(api: Any) -> None:
    # Given a request that reached the function without authorizer context (a misconfigured route)
    status, content_type, body = api("GET", "/catalog", KEYS["buyer-a"], authorized=False)
    # Then it is a 401 problem, not a guess
    assert (status, content_type) == (401, "application/problem+json") and "x-api-key" in body["detail"]


def test_a_rotated_key_works_and_a_revoked_key_stops_working(api: Any, ports: Ports) -> None:
    # Given a second key issued to buyer A, while the first still works
    new_key, issued = issue_api_key(ports.auth, "buyer-a")
    assert api("GET", "/catalog", new_key)[0] == api("GET", "/catalog", KEYS["buyer-a"])[0] == 200
    # When the old key is revoked by its id
    old_id = hash_api_key(KEYS["buyer-a"])[:12]
    assert [k.key_id for k in ports.auth.api_keys_of("buyer-a")] == [issued.key_id, old_id]
    revoke_api_key(ports.auth, "buyer-a", old_id)
    # Then only the new key works, buyer B's key is untouched, and only hashes are stored
    assert api("GET", "/catalog", new_key)[0] == 200
    assert api("GET", "/catalog", KEYS["buyer-a"])[0] == 401
    assert api("GET", "/catalog", KEYS["buyer-b"])[0] == 200
    stored = ports.auth.table.scan()["Items"]
    assert not any(new_key in json.dumps(item, default=str) for item in stored)


def test_keys_are_managed_from_the_command_line(ports: Ports, capsys: pytest.CaptureFixture[str]) -> None:
    table = ["--table", ports.settings.table_name]
    # When an operator issues a key, Then it is printed once and the buyer's list shows its id
    assert auth_cli([*table, "issue", "buyer-a"]) == 0
    key_line, new_key = capsys.readouterr().out.splitlines()
    key_id = key_line.split()[2]
    assert ports.auth.buyer_for_key(hash_api_key(new_key)).buyer_id == "buyer-a"  # type: ignore[union-attr]
    assert auth_cli([*table, "list", "buyer-a"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith(key_id)
    # When a key id is wrong, another buyer's, or a buyer does not exist, Then nothing changes and it says so
    assert auth_cli([*table, "revoke", "buyer-b", key_id]) == 2
    assert auth_cli([*table, "revoke", "buyer-a", ""]) == 2  # would match every key
    assert auth_cli([*table, "issue", "nobody"]) == 2
    assert "nobody" in capsys.readouterr().err
    # When it is revoked, Then the key no longer resolves
    assert auth_cli([*table, "revoke", "buyer-a", key_id]) == 0
    assert ports.auth.buyer_for_key(hash_api_key(new_key)) is None


def test_another_buyers_order_is_404_as_if_it_did_not_exist(api: Any) -> None:
    status, _, created = api("POST", "/orders", KEYS["buyer-a"], _order())
    assert status == 202 and created["status"] == "RECEIVED"
    assert api("GET", f"/orders/{created['order_id']}", KEYS["buyer-a"])[0] == 200
    theirs = api("GET", f"/orders/{created['order_id']}", KEYS["buyer-b"])
    missing = api("GET", "/orders/ord-does-not-exist", KEYS["buyer-b"])
    assert theirs[0] == missing[0] == 404 and theirs[1] == "application/problem+json"
    assert theirs[2]["detail"].replace(created["order_id"], "X") == missing[2]["detail"].replace(
        "ord-does-not-exist", "X"
    )
    assert api("GET", "/orders", KEYS["buyer-b"])[2]["orders"] == []


# ------------------------------------------------------------------ validation
def _refused(api: Any, ports: Ports, body: Any, expected_status: int = 422, **kw: Any) -> dict[str, Any]:
    status, content_type, problem = api("POST", "/orders", KEYS["buyer-a"], body, **kw)
    assert (status, content_type) == (expected_status, "application/problem+json"), problem
    assert problem["status"] == expected_status
    assert _stored_orders(ports) == []  # never a half-stored order
    return problem


def _fields(problem: dict[str, Any]) -> set[str]:
    return {e["field"] for e in problem["errors"]}


def test_missing_and_malformed_fields_are_each_named(api: Any, ports: Ports) -> None:
    bad = _order(lines=[{"sku": "KNT-SCARF-ALP", "quantity": 0}], ship_to={"name": ""})
    fields = _fields(_refused(api, ports, bad))
    assert {"lines[0].quantity", "ship_to.name", "ship_to.city", "ship_to.address_lines"} <= fields
    assert "buyer_reference" in _fields(
        _refused(api, ports, {k: v for k, v in _order().items() if k != "buyer_reference"})
    )


def test_unknown_sku_and_quantity_outside_the_products_limits(api: Any, ports: Ports) -> None:
    lines = [
        {"sku": "NOPE", "quantity": 3},
        {"sku": "KNT-SCARF-ALP", "quantity": 4},
        {"sku": "EMB-CUSHION", "quantity": 151},
    ]
    problem = _refused(api, ports, _order(lines=lines))
    assert _fields(problem) == {"lines[0].sku", "lines[1].quantity", "lines[2].quantity"}
    assert "5..200" in next(e["message"] for e in problem["errors"] if e["field"] == "lines[1].quantity")


def test_duplicate_lines_are_refused(api: Any, ports: Ports) -> None:
    line = {"sku": "KNT-SCARF-ALP", "quantity": 10, "options": {"colour": "red"}}
    problem = _refused(api, ports, _order(lines=[line, dict(line, quantity=12)]))
    assert "lines" in _fields(problem) and "repeats" in json.dumps(problem)


def test_a_ship_date_today_or_in_the_past_is_refused(api: Any, ports: Ports) -> None:
    for day in (date.today(), date.today() - timedelta(days=3)):
        assert _fields(_refused(api, ports, _order(requested_ship_date=day.isoformat()))) == {"requested_ship_date"}


def test_too_many_lines_are_refused(api: Any, ports: Ports) -> None:
    lines = [{"sku": "KNT-SCARF-ALP", "quantity": 10, "options": {"n": str(i)}} for i in range(51)]
    assert "lines" in _fields(_refused(api, ports, _order(lines=lines)))


def test_an_oversize_body_is_413(api: Any, ports: Ports) -> None:
    _refused(api, ports, _order(buyer_reference="x" * 300_000), expected_status=413)


def test_a_body_that_is_not_json_is_415_or_422(api: Any, ports: Ports) -> None:
    _refused(api, ports, "buyer_reference=PO-1", expected_status=415, headers={"content-type": "text/plain"})
    _refused(api, ports, "a=1", expected_status=415, headers={"content-type": "application/x-www-form-urlencoded"})
    assert _fields(_refused(api, ports, "{not json")) == {"body"}
    assert _fields(_refused(api, ports, "[]")) == {"body"}


def test_schema_and_catalog_problems_name_fields_the_same_way(api: Any, ports: Ports) -> None:
    # Given one line that breaks the schema and one that breaks the catalog
    schema = _refused(api, ports, _order(lines=[{"sku": "KNT-SCARF-ALP", "quantity": 10, "options": {"c": 1}}]))
    catalog = _refused(api, ports, _order(lines=[{"sku": "NOPE", "quantity": 10}]))
    # Then both name the field as lines[i].name
    assert _fields(schema) == {"lines[0].options.c"} and _fields(catalog) == {"lines[0].sku"}


# ------------------------------------------------------------------ idempotency
def test_the_same_key_and_body_returns_the_same_order_once(api: Any, ports: Ports) -> None:
    # Given an order sent with an Idempotency-Key
    first = api("POST", "/orders", KEYS["buyer-a"], _order(), headers={"Idempotency-Key": "po-77-attempt"})
    # When the client retries it with the same key and body
    again = api("POST", "/orders", KEYS["buyer-a"], _order(), headers={"Idempotency-Key": "po-77-attempt"})
    # Then it gets the same order, and only one order exists and was started
    assert first[0] == again[0] == 202 and first[2]["order_id"] == again[2]["order_id"]
    assert _stored_orders(ports) == [first[2]["order_id"]]
    assert ports.workflow.started == [first[2]["order_id"]]  # type: ignore[attr-defined]


def test_idempotency_records_go_through_the_adapters_dynamodb_client(api: Any, ports: Ports) -> None:
    # When an order is sent with an Idempotency-Key
    assert api("POST", "/orders", KEYS["buyer-a"], _order(), headers={"Idempotency-Key": "po-78"})[0] == 202
    # Then its record was kept through the client the DynamoDB adapters share: no second boto3 session (and SDK
    # data loaded again) per environment
    assert orders._idempotency_store(ports.settings).client is client("dynamodb")


def test_the_same_key_with_another_body_is_refused_and_says_so(api: Any, ports: Ports) -> None:
    api("POST", "/orders", KEYS["buyer-a"], _order(), headers={"Idempotency-Key": "k1"})
    status, content_type, problem = api(
        "POST", "/orders", KEYS["buyer-a"], _order(buyer_reference="PO-other"), headers={"Idempotency-Key": "k1"}
    )
    assert (status, content_type) == (422, "application/problem+json")
    assert _fields(problem) == {"Idempotency-Key"} and "another body" in problem["detail"]
    assert len(_stored_orders(ports)) == 1


def test_keys_belong_to_their_buyer_and_no_key_means_a_new_order_each_time(api: Any, ports: Ports) -> None:
    a = api("POST", "/orders", KEYS["buyer-a"], _order(), headers={"Idempotency-Key": "same"})[2]
    b = api("POST", "/orders", KEYS["buyer-b"], _order(), headers={"Idempotency-Key": "same"})[2]
    assert a["order_id"] != b["order_id"]
    api("POST", "/orders", KEYS["buyer-a"], _order())
    api("POST", "/orders", KEYS["buyer-a"], _order())
    assert len(_stored_orders(ports)) == 3


def test_a_rejected_order_does_not_use_up_its_key(api: Any, ports: Ports) -> None:
    bad = api(
        "POST",
        "/orders",
        KEYS["buyer-a"],
        _order(lines=[{"sku": "NOPE", "quantity": 1}]),
        headers={"Idempotency-Key": "k"},
    )
    assert bad[0] == 422
    # Given the buyer fixes the order, When they retry with the same key, Then... it is another body: refused
    # unless the key was released; powertools deletes the record of a failed call, so it is accepted.
    fixed = api("POST", "/orders", KEYS["buyer-a"], _order(), headers={"Idempotency-Key": "k"})
    assert fixed[0] == 202


def test_a_malformed_idempotency_key_is_422(api: Any, ports: Ports) -> None:
    problem = _refused(api, ports, _order(), headers={"Idempotency-Key": "x" * 300})
    assert any("idempotency-key" in f.lower() for f in _fields(problem))


# ------------------------------------------------------------------ metrics
def _metric_totals(out: str) -> dict[str, float]:
    """Sums of the CloudWatch embedded-metric records the handler printed."""
    totals: dict[str, float] = {}
    for line in out.splitlines():
        if line.startswith("{") and '"_aws"' in line:
            record = json.loads(line)
            for m in record["_aws"]["CloudWatchMetrics"][0]["Metrics"]:
                totals[m["Name"]] = totals.get(m["Name"], 0) + sum(record[m["Name"]])
    return totals


def test_one_metric_per_accepted_and_per_rejected_order(api: Any, capsys: pytest.CaptureFixture[str]) -> None:
    # Given an accepted order, its replay, three refused orders and a bad query that is no order
    headers = {"Idempotency-Key": "m-1"}
    api("POST", "/orders", KEYS["buyer-a"], _order(), headers=headers)
    api("POST", "/orders", KEYS["buyer-a"], _order(), headers=headers)
    api("POST", "/orders", KEYS["buyer-a"], _order(lines=[{"sku": "NOPE", "quantity": 1}]))
    api("POST", "/orders", KEYS["buyer-a"], "{")
    api("POST", "/orders", KEYS["buyer-a"], "x", headers={"content-type": "text/plain"})
    api("GET", "/orders", KEYS["buyer-a"], query={"limit": "0"})
    # Then the metrics count one accepted order (the replay is the same order) and three rejected ones
    totals = _metric_totals(capsys.readouterr().out)
    assert (totals.get("OrdersAccepted"), totals.get("OrdersRejected")) == (1, 3)


# ------------------------------------------------------------------ pipeline start
def test_a_failed_start_keeps_the_order_and_the_sweeper_starts_it(api: Any, ports: Ports) -> None:
    # Given Step Functions refuses the start
    recording = ports.workflow
    object.__setattr__(ports, "workflow", FailingWorkflow())
    status, _, created = api("POST", "/orders", KEYS["buyer-a"], _order())
    # Then the order is accepted and kept as START_PENDING
    assert status == 202 and created["status"] == "START_PENDING"
    assert ports.orders.get_order(created["order_id"]).status is OrderStatus.START_PENDING  # type: ignore[union-attr]
    object.__setattr__(ports, "workflow", recording)
    # When the sweeper runs within the grace period, nothing happens; after it, the order starts once
    assert pipeline_start.sweep_start_pending(ports, datetime.now(UTC)) == []
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert pipeline_start.sweep_start_pending(ports, later) == [created["order_id"]]
    assert pipeline_start.sweep_start_pending(ports, later) == []
    assert recording.started == [created["order_id"]]  # type: ignore[attr-defined]
    assert ports.orders.get_order(created["order_id"]).status is OrderStatus.RECEIVED  # type: ignore[union-attr]


def test_an_order_whose_start_was_never_confirmed_is_swept(ports: Ports) -> None:
    # Given an intake that stored the order and died before starting it (the marker is still there)
    request = orders.OrderRequest.model_validate(_order())
    order = orders.accept_order(
        request,
        Buyer(buyer_id="buyer-a", name="A", email="a@example.org"),
        ports.reference.load_reference(),
        datetime.now(UTC),
    )
    ports.orders.create_order(order)
    # When the sweeper runs later, Then it starts the order
    assert pipeline_start.sweep_start_pending(ports, datetime.now(UTC) + timedelta(minutes=5)) == [order.order_id]


# ------------------------------------------------------------------ listing, status, catalog
def test_orders_are_listed_newest_first_page_by_page(api: Any) -> None:
    ids = [api("POST", "/orders", KEYS["buyer-a"], _order(buyer_reference=f"PO-{i}"))[2]["order_id"] for i in range(3)]
    api("POST", "/orders", KEYS["buyer-b"], _order())
    first = api("GET", "/orders", KEYS["buyer-a"], query={"limit": "2"})[2]
    second = api("GET", "/orders", KEYS["buyer-a"], query={"limit": "2", "cursor": first["next_cursor"]})[2]
    listed = [o["order_id"] for o in first["orders"] + second["orders"]]
    assert listed == list(reversed(ids))
    assert api("GET", "/orders", KEYS["buyer-a"], query={"limit": "0"})[0] == 422


def test_status_and_timeline_through_a_rework_round(api: Any, ports: Ports) -> None:
    # Given an order planned, and its first group's QC sheet signed off with rejects that go back for a round
    order_id = api("POST", "/orders", KEYS["buyer-a"], _order())[2]["order_id"]
    assignment_ids = split_work(ports, order_id)
    await_qc(ports, assignment_ids[0], "token-0")
    key, version = upload_filled(ports, assignment_ids[0], every_row(rejected_every=2), "with rejects.xlsx")
    assert accept_qc_upload(ports, key, version) == "accepted"
    _, _, before = api("GET", f"/orders/{order_id}", KEYS["buyer-a"])
    assert start_rework(ports, assignment_ids[0])["rework"] is True
    # When the buyer reads the order
    status, _, view = api("GET", f"/orders/{order_id}", KEYS["buyer-a"])
    # Then it is in production; that group's first round is done and its second is rework 1, each with its units
    assert status == 200 and view["status"] == "IN_PRODUCTION"
    first = ports.assignments.get_assignment(assignment_ids[0])
    assert first is not None
    rounds = {(g["group_id"], g["rework_round"]): g for g in view["groups"]}
    assert rounds[(first.group_id, 0)]["stage"] == "DONE"
    assert rounds[(first.group_id, 0)]["units_passed"] == first.units_passed
    assert rounds[(first.group_id, 1)]["stage"] == "REWORK"
    assert rounds[(first.group_id, 1)]["units_planned"] == first.units_rejected
    assert {g["stage"] for k, g in rounds.items() if k[0] != first.group_id} <= {"PLANNED", "IN_PRODUCTION"}
    # and the timeline has the sign-off and the round, in order, and updated_at moved to the last of them
    entries = [(e["stage"], e["group_id"], e["rework_round"]) for e in view["timeline"]]
    assert entries.index(("QC_DONE", first.group_id, 0)) < entries.index(("REWORK", first.group_id, 1))
    assert view["updated_at"] == view["timeline"][-1]["at"] and view["updated_at"] > before["updated_at"]
    # and no internal id of the round is shown to the buyer
    assert all(a not in json.dumps(view) for a in (*assignment_ids, f"{assignment_ids[0]}-rework1"))


def test_status_shows_the_timeline_the_stages_recorded_and_the_artifacts(api: Any, ports: Ports) -> None:
    # Given an order the pipeline has planned and finished
    created = api("POST", "/orders", KEYS["buyer-a"], _order())[2]
    order_id = created["order_id"]
    ports.orders.record_timeline(order_id, "IN_PRODUCTION")
    ports.orders.record_timeline(order_id, "QC_DONE", group_id="cusco")
    ports.orders.record_timeline(order_id, "IN_PRODUCTION")  # a retried stage keeps its first time
    ports.artifacts.put(f"cards/{order_id}/cards.html", b"<html>cards</html>", "text/html")
    ports.orders.update_order(
        order_id,
        status="READY_TO_SHIP",
        artifacts={"cards": f"cards/{order_id}/cards.html", "payroll": f"payroll/orders/{order_id}/"},
    )
    ports.orders.record_timeline(order_id, "READY_TO_SHIP")
    # When the buyer looks at it
    status, _, view = api("GET", f"/orders/{order_id}", KEYS["buyer-a"])
    # Then the timeline is in order, once per stage, with times, and the artifacts are listed
    assert status == 200 and view["status"] == "READY_TO_SHIP"
    assert [(e["stage"], e["group_id"]) for e in view["timeline"]] == [
        ("RECEIVED", None),
        ("IN_PRODUCTION", None),
        ("QC_DONE", "cusco"),
        ("READY_TO_SHIP", None),
    ]
    # the buyer's document as a link that needs no credentials (internal payroll, listed by older orders, is not)
    assert set(view["artifacts"]) == {"cards"}
    link = view["artifacts"]["cards"]
    assert link["url"].startswith("https://") and "X-Amz-Signature=" in link["url"] and link["expires_at"]
    assert requests.get(link["url"], timeout=10).content == b"<html>cards</html>"
    assert view["expected_ship_date"] == view["requested_ship_date"]


def test_a_ship_date_too_early_is_a_422_with_the_earliest_date_and_accept_later_date_commits_to_it(
    api: Any, ports: Ports
) -> None:
    # Given an order the workshops cannot ship by the requested date (tomorrow)
    too_early = _order(requested_ship_date=(date.today() + timedelta(days=1)).isoformat())
    # When it is sent as it is, Then it is refused naming requested_ship_date, with the earliest date in the message
    # and in a field of the problem body, and nothing is stored
    problem = _refused(api, ports, too_early)
    earliest = problem["earliest_ship_date"]
    assert _fields(problem) == {"requested_ship_date"} and earliest in problem["errors"][0]["message"]
    assert date.fromisoformat(earliest) > date.today() + timedelta(days=1)
    # When the buyer sends it again taking a later date, Then it is accepted and the reply carries that date
    status, _, view = api("POST", "/orders", KEYS["buyer-a"], {**too_early, "accept_later_date": True})
    assert status == 202 and view["committed_ship_date"] == earliest and view["expected_ship_date"] == earliest
    # and a date the workshops can meet is committed as requested
    status, _, met = api("POST", "/orders", KEYS["buyer-a"], _order(requested_ship_date=earliest))
    assert status == 202 and met["committed_ship_date"] == met["requested_ship_date"] == earliest


def test_catalog_lists_products_with_limits_price_and_earliest_ship_date(
    api: Any, sample_reference: ReferenceData
) -> None:
    status, _, body = api("GET", "/catalog", KEYS["buyer-b"])
    assert status == 200
    assert {i["sku"] for i in body["items"]} == {p.sku for p in sample_reference.products}
    for item in body["items"]:
        assert 1 <= item["min_quantity"] <= item["max_quantity"]
        # nothing is booked yet: the work can start today and ships a week after it is done
        assert date.fromisoformat(item["earliest_ship_date"]) >= date.today() + timedelta(days=7)
        assert float(item["unit_price_usd"]) > 0


# ------------------------------------------------------------------ documents
def test_openapi_document_is_valid_openapi_3_and_describes_the_contract(api: Any) -> None:
    status, _, doc = api("GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    validate(doc)
    assert doc["servers"] == [{"url": "/v1"}]  # asked for under the stage, as on execute-api
    assert {"/orders", "/orders/{order_id}", "/catalog"} <= set(doc["paths"])
    assert doc["components"]["securitySchemes"]["apiKey"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    post = doc["paths"]["/orders"]["post"]
    assert "idempotency-key" in {p["name"].lower() for p in post["parameters"]}
    # And each route declares the status it answers with and every problem, as application/problem+json
    assert post["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/OrderView"
    }
    assert {"401", "409", "413", "415", "422", "429"} <= set(post["responses"])
    assert "404" in doc["paths"]["/orders/{order_id}"]["get"]["responses"]
    for path in ("/orders", "/orders/{order_id}", "/catalog"):
        for op in doc["paths"][path].values():
            for status, reply in op["responses"].items():
                expected = "application/json" if status.startswith("2") else "application/problem+json"
                assert list(reply["content"]) == [expected], (path, status)
    problem = doc["components"]["schemas"]["Problem"]
    assert {"title", "status", "detail"} <= set(problem["required"])
    # and its examples are what the API takes and answers
    [example] = doc["components"]["schemas"]["OrderRequest"]["examples"]
    OrderRequest.model_validate(example)
    [problem_example] = problem["examples"]
    assert problem_example["status"] == 422 and set(problem_example) <= set(problem["properties"])
    # And every operation says what it is for in words, not by repeating its method and path
    for path, operations in doc["paths"].items():
        for method, op in operations.items():
            assert op["summary"] and op["summary"] != f"{method.upper()} {path}", (method, path)
            assert len(op.get("description", "")) > 20, (method, path)


def test_openapi_document_describes_webhooks_with_an_example_that_verifies(api: Any) -> None:
    # Given the OpenAPI document's webhooks section
    status, _, doc = api("GET", "/openapi.json")
    assert status == 200
    hook = doc["webhooks"]["orderEvent"]["post"]
    assert {p["name"] for p in hook["parameters"]} == {"Telar-Signature", "Telar-Timestamp", "Telar-Event-Id"}
    body = hook["requestBody"]["content"]["application/json"]
    assert set(body["schema"]["properties"]["type"]["enum"]) == set(EVENT_TYPES.values())
    # When its Python example is run on a request Telar signed, and on a tampered one
    example = hook["description"].split("```python\n", 1)[1].split("```", 1)[0]
    scope: dict[str, Any] = {}
    exec(example, scope)
    event = WebhookEvent(
        event_id="evt_doc",
        type="order.cancelled",
        buyer_id="b",
        created_at=datetime.now(UTC),
        data=body["example"]["data"],
    )
    headers = signed_headers(event, "whsec_doc", int(time.time()))
    # Then it accepts the one and refuses the other
    assert scope["verified_event"]("whsec_doc", headers, event.body())["id"] == "evt_doc"
    assert scope["verified_event"]("whsec_doc", headers, event.body() + b" ") is None
    assert scope["verified_event"]("whsec_other", headers, event.body()) is None


def test_the_api_serves_human_readable_docs(api: Any) -> None:
    status, content_type, page = api("GET", "/docs")
    assert status == 200 and content_type.startswith("text/html") and "swagger" in page.lower()
