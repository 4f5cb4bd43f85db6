"""The buyers' API handler against moto: authentication, isolation, validation, pagination."""

import importlib.util
import json
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from telar.auth import hash_api_key
from telar.models import Buyer, ReferenceData
from telar.ports import Ports
from tests.conftest import ROOT, SAMPLES

KEYS = {"buyer-a": "tlr_key_for_buyer_a_0123456789abcdef", "buyer-b": "tlr_key_for_buyer_b_0123456789abcdef"}


class _Context:
    function_name = "intake_api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:intake_api"
    aws_request_id = "test-request"


def _load_handler() -> ModuleType:
    spec = importlib.util.spec_from_file_location("intake_api_app", ROOT / "functions" / "intake_api" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def api(aws: Ports, sample_reference: ReferenceData, monkeypatch: pytest.MonkeyPatch) -> Any:
    aws.repo.put_reference(sample_reference)
    for buyer_id, key in KEYS.items():
        aws.repo.put_buyer(Buyer(buyer_id=buyer_id, name=buyer_id, email=f"{buyer_id}@example.org"), hash_api_key(key))
    module = _load_handler()
    monkeypatch.setattr(module, "default_ports", lambda: aws)

    def call(method: str, path: str, key: str | None = None, body: Any = None, query: dict | None = None) -> Any:
        headers = {"content-type": "application/json", **({"x-api-key": key} if key else {})}
        event = {
            "httpMethod": method,
            "path": path,
            "resource": path,
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "queryStringParameters": query,
            "multiValueQueryStringParameters": {k: [v] for k, v in (query or {}).items()} or None,
            "pathParameters": None,
            "body": body if body is None or isinstance(body, str) else json.dumps(body),
            "isBase64Encoded": False,
            "requestContext": {"requestId": "r", "stage": "v1", "httpMethod": method, "resourcePath": path},
        }
        reply = module.lambda_handler(event, _Context())
        content_type = reply.get("multiValueHeaders", {}).get(
            "Content-Type", [reply.get("headers", {}).get("Content-Type")]
        )[0]
        return reply["statusCode"], content_type, json.loads(reply["body"]) if reply["body"] else None

    return call


def _order(**overrides: Any) -> dict[str, Any]:
    body = json.loads(Path(sorted((SAMPLES / "orders").glob("*.json"))[0]).read_text())
    body["requested_ship_date"] = (date.today() + timedelta(days=60)).isoformat()
    return {**body, **overrides}


def test_no_key_or_a_wrong_key_is_401_problem_json(api: Any) -> None:
    for key in (None, "tlr_not_a_real_key"):
        status, content_type, body = api("POST", "/orders", key, _order())
        assert (status, content_type) == (401, "application/problem+json")
        assert body["status"] == 401 and "x-api-key" in body["detail"]


def test_another_buyers_order_is_404_as_if_it_did_not_exist(api: Any) -> None:
    status, _, created = api("POST", "/orders", KEYS["buyer-a"], _order())
    assert status == 202 and created["status"] in ("RECEIVED", "START_PENDING")
    assert api("GET", f"/orders/{created['order_id']}", KEYS["buyer-a"])[0] == 200
    theirs = api("GET", f"/orders/{created['order_id']}", KEYS["buyer-b"])
    missing = api("GET", "/orders/ord-does-not-exist", KEYS["buyer-b"])
    assert theirs[0] == missing[0] == 404 and theirs[1] == "application/problem+json"


def test_invalid_orders_are_422_naming_every_field_and_nothing_is_stored(api: Any, aws: Ports) -> None:
    bad = _order(lines=[{"sku": "KNT-SCARF-ALP", "quantity": 0}], ship_to={"name": ""})
    status, content_type, body = api("POST", "/orders", KEYS["buyer-a"], bad)
    assert (status, content_type) == (422, "application/problem+json")
    fields = {e["field"] for e in body["errors"]}
    assert "lines.0.quantity" in fields and "ship_to.name" in fields and "ship_to.city" in fields
    unknown = api("POST", "/orders", KEYS["buyer-a"], _order(lines=[{"sku": "NOPE", "quantity": 3}]))
    assert unknown[0] == 422 and unknown[2]["errors"] == [
        {"field": "lines[0].sku", "message": "unknown SKU 'NOPE'; see GET /catalog"}
    ]
    assert api("GET", "/orders", KEYS["buyer-a"])[2]["orders"] == []
    not_json = api("POST", "/orders", KEYS["buyer-a"], "{not json")
    assert not_json[0] == 422


def test_orders_are_listed_newest_first_page_by_page(api: Any) -> None:
    ids = [api("POST", "/orders", KEYS["buyer-a"], _order(buyer_reference=f"PO-{i}"))[2]["order_id"] for i in range(3)]
    api("POST", "/orders", KEYS["buyer-b"], _order())
    first = api("GET", "/orders", KEYS["buyer-a"], query={"limit": "2"})[2]
    second = api("GET", "/orders", KEYS["buyer-a"], query={"limit": "2", "cursor": first["next_cursor"]})[2]
    listed = [o["order_id"] for o in first["orders"] + second["orders"]]
    assert listed == list(reversed(ids))


def test_catalog_lists_products_with_their_limits(api: Any, sample_reference: ReferenceData) -> None:
    status, _, body = api("GET", "/catalog", KEYS["buyer-b"])
    assert status == 200
    assert {i["sku"] for i in body["items"]} == {p.sku for p in sample_reference.products}
    assert all(1 <= i["min_quantity"] <= i["max_quantity"] for i in body["items"])


def test_openapi_document_describes_the_routes(api: Any) -> None:
    status, _, doc = api("GET", "/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.")
    assert {"/orders", "/orders/{order_id}", "/catalog"} <= set(doc["paths"])
