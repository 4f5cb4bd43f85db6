"""local.api: requests become API Gateway REST proxy events; proxy results become HTTP responses."""

import base64

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from local.api import http_response, proxy_event, werkzeug_rule
from local.stack import ApiRoute

ROUTE = ApiRoute(function_name="fn", path="/orders/{order_id}", method="GET", stage="v1", api_logical_id="OrdersApi")


def event_for(builder: EnvironBuilder, body: bytes = b"") -> dict:
    return proxy_event(
        Request(builder.get_environ()),
        ROUTE,
        {"order_id": "o-1"},
        body,
        account_id="123456789012",
        api_id="ordersapi",
        request_id="r-1",
    )


def test_path_templates_become_werkzeug_rules() -> None:
    assert werkzeug_rule("/orders/{order_id}") == "/orders/<order_id>"
    assert werkzeug_rule("/files/{proxy+}") == "/files/<path:proxy>"
    assert werkzeug_rule("/catalog") == "/catalog"


def test_proxy_event_carries_what_api_gateway_sends() -> None:
    # Given a GET with a repeated query parameter and an API key
    builder = EnvironBuilder(
        path="/orders/o-1",
        query_string="tag=a&tag=b",
        headers={"x-api-key": "k"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    # When it becomes an event
    event = event_for(builder)
    # Then
    assert (event["resource"], event["path"], event["httpMethod"]) == ("/orders/{order_id}", "/orders/o-1", "GET")
    assert event["pathParameters"] == {"order_id": "o-1"}
    assert event["queryStringParameters"] == {"tag": "b"}
    assert event["multiValueQueryStringParameters"] == {"tag": ["a", "b"]}
    assert event["headers"]["X-Api-Key"] == "k"
    assert event["multiValueHeaders"]["X-Api-Key"] == ["k"]
    assert (event["body"], event["isBase64Encoded"]) == (None, False)
    context = event["requestContext"]
    assert (context["stage"], context["resourcePath"]) == ("v1", "/orders/{order_id}")
    assert context["path"] == "/v1/orders/o-1"
    # and a request under the stage, as the local server takes them, has the same path in the event
    staged = event_for(EnvironBuilder(path="/v1/orders/o-1"))
    assert (staged["path"], staged["requestContext"]["path"]) == ("/orders/o-1", "/v1/orders/o-1")
    assert (context["requestId"], context["identity"]["sourceIp"], context["accountId"]) == (
        "r-1",
        "10.0.0.9",
        "123456789012",
    )


def test_a_binary_body_is_base64_encoded_and_a_text_body_is_not() -> None:
    builder = EnvironBuilder(path="/orders/o-1", method="POST")
    binary = event_for(builder, b"\xff\x00")
    text = event_for(builder, '{"a": "ñ"}'.encode())
    assert (binary["body"], binary["isBase64Encoded"]) == (base64.b64encode(b"\xff\x00").decode(), True)
    assert (text["body"], text["isBase64Encoded"]) == ('{"a": "ñ"}', False)
    assert event_for(EnvironBuilder(path="/orders/o-1"))["queryStringParameters"] is None


def test_http_response_merges_headers_and_decodes_base64() -> None:
    response = http_response(
        {
            "statusCode": 201,
            "headers": {"Location": "/orders/o-1", "Content-Length": "999"},
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
        }
    )
    assert response.status_code == 201
    assert response.get_data() == b"\x89PNG"
    assert response.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == "4"


@pytest.mark.parametrize("result", [None, {"body": "x"}, {"statusCode": "200"}])
def test_a_malformed_proxy_result_is_refused(result: object) -> None:
    with pytest.raises(ValueError, match="malformed"):
        http_response(result)
