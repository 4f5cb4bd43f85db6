"""The buyers' HTTPS API. Routes stay one line into telar.orders; errors map to HTTP once, below."""

import json
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from telar import orders
from telar.errors import NotAuthenticated, OrderNotFound, OrderRejected
from telar.models import OrderRequest
from telar.observability import logger, metrics, tracer
from telar.ports import default_ports

app = APIGatewayRestResolver(enable_validation=True)
PROBLEM = "application/problem+json"


def _buyer() -> Any:
    buyer = orders.authenticate(default_ports(), app.current_event.headers.get("x-api-key"))
    logger.append_keys(buyer_id=buyer.buyer_id)
    return buyer


@app.post("/orders")
def post_order(order: OrderRequest) -> Response[orders.OrderView]:
    view = orders.submit_order(default_ports(), _buyer(), order)
    return Response(HTTPStatus.ACCEPTED, body=view, content_type="application/json")


@app.get("/orders/<order_id>")
def get_order(order_id: str) -> orders.OrderView:
    return orders.get_order(default_ports(), _buyer(), order_id)


@app.get("/orders")
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query()] = None
) -> orders.OrderPage:
    return orders.list_orders(default_ports(), _buyer(), limit, cursor)


@app.get("/catalog")
def get_catalog() -> orders.Catalog:
    _buyer()
    return orders.catalog(default_ports())


@app.get("/openapi.json")
def openapi() -> Response[str]:
    schema = app.get_openapi_json_schema(title="Telar wholesale orders API", version="1.0.0")
    return Response(HTTPStatus.OK, body=schema, content_type="application/json")


def _problem(status: HTTPStatus, detail: str, **extra: Any) -> Response[Any]:
    body = {"type": "about:blank", "title": status.phrase, "status": status.value, "detail": detail, **extra}
    return Response(status, content_type=PROBLEM, body=json.dumps(body))  # only application/json is auto-encoded


@app.exception_handler(NotAuthenticated)
def _unauthenticated(e: NotAuthenticated) -> Response[Any]:
    metrics.add_metric(name="RequestsUnauthenticated", unit="Count", value=1)
    return _problem(HTTPStatus.UNAUTHORIZED, str(e))


@app.exception_handler(OrderNotFound)
def _not_found(e: OrderNotFound) -> Response[Any]:
    return _problem(HTTPStatus.NOT_FOUND, f"no order {e}")


@app.exception_handler(OrderRejected)
def _rejected(e: OrderRejected) -> Response[Any]:
    metrics.add_metric(name="OrdersRejected", unit="Count", value=1)
    return _problem(HTTPStatus.UNPROCESSABLE_ENTITY, "the order breaks catalog rules", errors=e.problems)


@app.exception_handler(RequestValidationError)
def _invalid(e: RequestValidationError) -> Response[Any]:
    metrics.add_metric(name="OrdersRejected", unit="Count", value=1)
    errors = [
        {"field": ".".join(str(p) for p in err["loc"][1:]) or str(err["loc"][0]), "message": err["msg"]}
        for err in e.errors()
    ]
    return _problem(HTTPStatus.UNPROCESSABLE_ENTITY, "the request is not valid", errors=errors)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
