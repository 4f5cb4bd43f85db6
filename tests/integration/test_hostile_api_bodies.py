"""Every byte of a POST /orders body is answered: bad encodings, deep nesting, huge numbers and control
characters get a 422 problem+json naming the body or the field, never a 5xx, and nothing is stored."""

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telar.ports import Ports
from tests.integration.test_intake_api import KEYS, _order, _stored_orders, api, ports  # noqa: F401  (fixtures)

KEY = KEYS["buyer-a"]
PROBLEM = "application/problem+json"


def _assert_refused(reply: tuple[int, str, Any], field: str, words: str) -> None:
    status, content_type, body = reply
    assert (status, content_type) == (422, PROBLEM), reply
    assert any(e["field"] == field and words in e["message"] for e in body["errors"]), body


@pytest.mark.parametrize(
    ("name", "raw", "words"),
    [
        ("invalid-utf8", b'{"buyer_reference": "caf\xe9"}', "not valid UTF-8"),
        ("utf16-with-bom", '{"buyer_reference": "x"}'.encode("utf-16"), "UTF-16"),
        ("utf16-without-bom", '{"buyer_reference": "x"}'.encode("utf-16-le"), "UTF-16"),
        ("utf8-bom", b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
        ("deep-nesting-5000", b"[" * 5000 + b"]" * 5000, "nests deeper"),
        ("deep-objects-5000", b'{"a":' * 5000 + b"1" + b"}" * 5000, "nests deeper"),
        ("integer-5000-digits", b'{"lines": [{"sku": "X", "quantity": ' + b"9" * 5000 + b"}]}", "5,000 characters"),
        ("nan", b'{"quantity": NaN}', "not JSON"),
        ("not-json", b"buyer_reference=x", "not valid JSON"),
    ],
)
def test_hostile_body_gets_a_422_problem_naming_the_body_and_nothing_is_stored(
    api: Any,  # noqa: F811
    ports: Ports,  # noqa: F811
    name: str,
    raw: bytes,
    words: str,
) -> None:
    # Given a buyer with a valid key; When she sends raw bytes no JSON parser should be given
    reply = api("POST", "/orders", KEY, raw)
    # Then the reply is a 422 problem naming the body and what is wrong, and no order exists
    _assert_refused(reply, "body", words)
    assert _stored_orders(ports) == []


@pytest.mark.parametrize("text", ["Spring\r\nBcc: victim@example.org", "a\nb", "tab\there", "nul\x00", "ls\u2028x"])
def test_single_line_fields_refuse_line_breaks_and_control_characters(
    api: Any,  # noqa: F811
    ports: Ports,  # noqa: F811
    text: str,
) -> None:
    # Given an order whose reference and city carry a line break or a control character (JSON-escaped)
    body = _order(buyer_reference=text)
    body["ship_to"]["city"] = text
    # When it is sent
    reply = api("POST", "/orders", KEY, json.dumps(body))
    # Then both fields are named in one 422, and nothing is stored
    _assert_refused(reply, "buyer_reference", "one line")
    _assert_refused(reply, "ship_to.city", "one line")
    assert _stored_orders(ports) == []


def test_notes_keep_their_line_breaks(api: Any) -> None:  # noqa: F811
    # Given an order line with a two-line note; When sent; Then it is accepted
    body = _order()
    body["lines"][0]["notes"] = "first line\nsecond line"
    assert api("POST", "/orders", KEY, json.dumps(body))[0] == 202


@settings(
    max_examples=150,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    raw=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=100).map(lambda t: t.encode("utf-16")),
        st.text(max_size=100).map(lambda t: t.encode("utf-32")),
        st.text(max_size=100).map(lambda t: t.encode("latin-1", "replace")),
        st.builds(
            lambda n, o: o * n + b"1" + (b"]" if o == b"[" else b"}") * n,
            st.integers(1, 3000),
            st.sampled_from([b"[", b'{"a":']),
        ),
        st.integers(1, 6000).map(lambda n: b'{"lines": [{"quantity": 1' + b"0" * n + b"}]}"),
        st.binary(max_size=60).map(lambda b: json.dumps(_order()).encode()[:-1] + b', "x": "' + b + b'"}'),
    )
)
def test_raw_bytes_never_get_a_5xx(api: Any, raw: bytes) -> None:  # noqa: F811
    # Given any bytes at all as the body; When posted; Then the reply is a 4xx problem+json or an accepted order
    status, content_type, _body = api("POST", "/orders", KEY, raw)
    assert status < 500
    assert status == 202 or (400 <= status < 500 and content_type == PROBLEM)


def test_schema_and_catalog_problems_of_one_line_are_named_in_one_reply(api: Any) -> None:  # noqa: F811
    # Given an order whose first line has an unknown SKU and a negative quantity, and whose second line asks
    # for more than the product's maximum while the ship date is malformed
    body = _order(requested_ship_date="soon")
    body["lines"][0].update(sku="NOPE-123", quantity=-1)
    body["lines"][1]["quantity"] = 10**5
    # When it is sent
    status, _, reply = api("POST", "/orders", KEY, json.dumps(body))
    # Then one 422 names the schema's problems and the catalog's
    fields = {e["field"] for e in reply["errors"]}
    assert status == 422
    assert {"requested_ship_date", "lines[0].quantity", "lines[0].sku", "lines[1].quantity"} <= fields, fields
