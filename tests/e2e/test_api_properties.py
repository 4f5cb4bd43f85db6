"""Property-based API test: generated requests (well-formed, half-formed and hostile) through the authorizer
and the handler on moto never get a 5xx; every error is application/problem+json and every status is one the
OpenAPI document declares for the route."""

import json
import string
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.integration.test_intake_api import KEYS, _order, api, ports  # noqa: F401  (fixtures)

EXAMPLES = 500
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**12), 10**12) | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["buyer_reference", "requested_ship_date", "ship_to", "lines"]
LINE_FIELDS = ["sku", "quantity", "options", "notes"]
SKUS = st.sampled_from(["KNT-SCARF-ALP", "EMB-CUSHION", "JWL-BRACELET-BEAD", "NOPE", ""])


@st.composite
def order_bodies(draw: st.DrawFn) -> Any:
    """Mostly near-valid orders with one or more fields replaced, dropped or pushed to a limit."""
    kind = draw(st.sampled_from(["mutated", "lines", "date", "anything"]))
    body: Any = _order()
    if kind == "anything":
        return draw(JSON)
    if kind == "date":
        body["requested_ship_date"] = draw(
            st.dates(date.today() - timedelta(days=30), date.today() + timedelta(days=800)).map(date.isoformat)
            | st.text(max_size=12)
        )
    if kind == "lines":
        body["lines"] = draw(
            st.lists(
                st.fixed_dictionaries(
                    {"sku": SKUS, "quantity": st.integers(-5, 1000)},
                    optional={
                        "options": st.dictionaries(st.sampled_from(["colour", "size"]), st.text(max_size=8)),
                        "notes": st.none() | st.text(max_size=40),
                        "extra": JSON,
                    },
                ),
                max_size=55,
            )
        )
    for field in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        if draw(st.booleans()):
            body.pop(field, None)
        else:
            body[field] = draw(JSON)
    return body


@st.composite
def requests_(draw: st.DrawFn) -> tuple[str, str, str | None, Any, dict[str, str], dict[str, str] | None]:
    key = draw(st.sampled_from([KEYS["buyer-a"], KEYS["buyer-b"], "tlr_wrong", None]))
    route = draw(st.sampled_from(["post", "post", "post", "list", "get", "catalog", "openapi"]))
    headers: dict[str, str] = {}
    if route == "post":
        body = draw(order_bodies())
        raw = json.dumps(body) if draw(st.integers(0, 9)) else draw(st.text(max_size=50))
        headers["content-type"] = draw(
            st.sampled_from(["application/json", "application/json; charset=utf-8", "text/plain", ""])
        )
        if draw(st.booleans()):
            headers["Idempotency-Key"] = draw(
                st.sampled_from(["k-1", "k-2"]) | st.text(string.printable, min_size=0, max_size=300)
            )
        return "POST", "/orders", key, raw, headers, None
    if route == "list":
        query = draw(
            st.fixed_dictionaries(
                {}, optional={"limit": st.text(string.digits + "-x", max_size=4), "cursor": st.text(max_size=60)}
            )
        )
        return "GET", "/orders", key, None, headers, query or None
    if route == "get":
        order_id = draw(st.text(string.ascii_letters + string.digits + "-_.%", min_size=1, max_size=40))
        return "GET", f"/orders/{order_id}", key, None, headers, None
    return "GET", "/catalog" if route == "catalog" else "/openapi.json", key, None, headers, None


@pytest.mark.e2e
def test_generated_requests_never_get_a_5xx(api: Any) -> None:  # noqa: F811
    calls: list[int] = []
    first_reply: dict[int, object] = {}  # per status, the first request and reply: what a failure shows
    declared = {
        (method.upper(), path): {int(status) for status in op["responses"]}
        for path, ops in api("GET", "/openapi.json")[2]["paths"].items()
        for method, op in ops.items()
    }

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,  # the same 500 requests on every run: CI never flakes on the coverage check below
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    # A valid order, one without a key and one that is not JSON are always among the requests: whether the 500
    # generated ones contain a fully valid order is luck of the fixed seed, which any edit of this test changes.
    @example(("POST", "/orders", KEYS["buyer-a"], json.dumps(_order()), {"content-type": "application/json"}, None))
    @example(("POST", "/orders", None, json.dumps(_order()), {"content-type": "application/json"}, None))
    @example(("POST", "/orders", KEYS["buyer-b"], '{"lines": [', {"content-type": "application/json"}, None))
    @given(requests_())
    def check(request: tuple[str, str, str | None, Any, dict[str, str], dict[str, str] | None]) -> None:
        method, path, key, body, headers, query = request
        status, content_type, reply = api(method, path, key, body, query=query, headers=headers)
        calls.append(status)
        first_reply.setdefault(status, (request, reply))
        assert status < 500, (request, reply)
        if status >= 400:
            assert content_type == "application/problem+json", (request, status, reply)
        route = "/orders/{order_id}" if path.startswith("/orders/") else path
        assert status in declared[method, route], (request, status, reply)  # the OpenAPI document tells the truth

    check()
    # Then at least EXAMPLES requests ran, and they reached more than one outcome
    assert len(calls) >= EXAMPLES and {202, 401, 422} <= set(calls), (sorted(set(calls)), first_reply)
