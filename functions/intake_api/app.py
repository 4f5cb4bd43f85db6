"""The buyers' HTTPS API. Routes stay one line into telar.orders; errors map to HTTP once, below.

The OrdersApi's Lambda authorizer has already resolved x-api-key to the buyer (requestContext.authorizer).
"""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, date, datetime
from functools import cache
from http import HTTPStatus
from typing import TYPE_CHECKING, Annotated, Any, cast

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from telar import orders
from telar.auth import API_KEY_HEADER, buyer_from_context
from telar.errors import NotAuthenticated, OrderConflict, OrderNotFound, OrderRejected
from telar.json_body import BodyInvalid, decode_body, parse_json_body
from telar.models import Buyer, OrderRequest
from telar.observability import logger, metrics
from telar.ports import default_ports
from telar.webhooks import webhooks_section

telar.startup.loaded()

if TYPE_CHECKING:  # the OpenAPI models cost ~70 ms of every cold start; only /openapi.json and /docs build them
    from aws_lambda_powertools.event_handler.openapi.models import SecurityScheme

TITLE, VERSION = "Telar wholesale orders API", "1.0.0"
JSON, PROBLEM = "application/json", "application/problem+json"
MAX_BODY_BYTES = 256 * 1024  # a 50-line order is a few kB; API Gateway alone would allow 10 MB

app = APIGatewayRestResolver(enable_validation=True)
app.configure_openapi(
    title=TITLE,
    version=VERSION,
    description="Submit wholesale orders and follow them through production. Send `Idempotency-Key` on "
    "POST /orders: without it, a retried request may create a second order.",
    # as its OpenAPI JSON, which the document's models validate into an APIKey scheme when it is asked for
    security_schemes={"apiKey": cast("SecurityScheme", {"type": "apiKey", "in": "header", "name": API_KEY_HEADER})},
    security=[{"apiKey": []}],
    openapi_extensions={"webhooks": webhooks_section()},  # a plain dict: no OpenAPI model is built at init
)


class FieldProblem(BaseModel, defer_build=True):
    field: str
    message: str


class Problem(BaseModel, defer_build=True):
    """Problem details (RFC 9457): the body of every error this API sends."""

    model_config = {
        "json_schema_extra": {
            "examples": [
                {
                    "type": "about:blank",
                    "title": "Unprocessable Entity",
                    "status": 422,
                    "detail": "The order cannot be accepted as it is.",
                    "errors": [
                        {
                            "field": "requested_ship_date",
                            "message": "the workshops can ship by 2027-03-15 at the earliest; send "
                            '"accept_later_date": true to take that date',
                        }
                    ],
                    "earliest_ship_date": "2027-03-15",
                }
            ]
        }
    }

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None
    earliest_ship_date: date | None = Field(
        default=None, description="when requested_ship_date is too early: the earliest date the workshops can ship"
    )


@cache
def _enable_docs() -> None:
    """GET /docs (Swagger UI) is registered on its first visit: powertools builds its OpenAPI models for it, ~70 ms
    of every cold start otherwise, and no other route needs them."""
    app.enable_swagger(path="/docs", title=TITLE, version=VERSION)


def _replies(ok: HTTPStatus, model: type[BaseModel], *problems: HTTPStatus) -> dict[int, OpenAPIResponse]:
    """The OpenAPI responses of a route: its success and every problem it can answer.

    Every route may answer 401 and 429 (from API Gateway) and 422 (request validation is on for every route).
    """
    replies: dict[int, OpenAPIResponse] = {ok.value: {"description": ok.phrase, "content": {JSON: {"model": model}}}}
    always = {HTTPStatus.UNAUTHORIZED, HTTPStatus.UNPROCESSABLE_ENTITY, HTTPStatus.TOO_MANY_REQUESTS}
    for status in sorted({*problems, *always}):
        replies[status.value] = {"description": status.phrase, "content": {PROBLEM: {"model": Problem}}}
    return replies


def _buyer() -> Buyer:
    buyer = buyer_from_context(app.current_event.raw_event.get("requestContext", {}).get("authorizer"))
    logger.append_keys(buyer_id=buyer.buyer_id)
    return buyer


@app.post(
    "/orders",
    responses=_replies(
        HTTPStatus.ACCEPTED,
        orders.OrderView,
        HTTPStatus.CONFLICT,
        HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
    ),
    summary="Place an order",
    description="Lines of catalog products for one ship date. The reply (202) carries the order with its "
    "committed ship date; production is planned right after. A requested date earlier than the workshops can "
    "meet is a 422 naming `requested_ship_date`, with `earliest_ship_date` in the problem: send "
    '`"accept_later_date": true` to take that date instead. Send `Idempotency-Key` so a retried request '
    "returns the first order instead of placing a second.",
)
def post_order(
    order: OrderRequest,
    idempotency_key: Annotated[
        str | None, Header(alias="idempotency-key", min_length=1, max_length=255, pattern=r"^[\x21-\x7e]+$")
    ] = None,
) -> Response[orders.OrderView]:
    view = orders.submit_order(default_ports(), _buyer(), order, idempotency_key)
    return Response(HTTPStatus.ACCEPTED, body=view, content_type=JSON)


@app.get(
    "/orders/<order_id>",
    responses=_replies(HTTPStatus.OK, orders.OrderView, HTTPStatus.NOT_FOUND),
    summary="Follow an order",
    description="Its status and reason, the committed and expected ship dates, each production group's stage "
    "(rework rounds included), the timeline, and once it is ready, links to its documents (each valid for an "
    "hour; ask again for fresh ones). Another buyer's order is a 404.",
)
def get_order(order_id: str) -> orders.OrderView:
    logger.append_keys(order_id=order_id)
    return orders.get_order(default_ports(), _buyer(), order_id)


@app.post(
    "/orders/<order_id>/cancel",
    responses=_replies(HTTPStatus.OK, orders.OrderView, HTTPStatus.NOT_FOUND, HTTPStatus.CONFLICT),
    summary="Cancel an order",
    description="Before any quality check of the order is signed off: the order becomes CANCELLED, its makers' "
    "time is given back and the production managers are told. Afterwards a 409 says why. Cancelling a cancelled "
    "order answers as the first time.",
)
def cancel_order(order_id: str) -> orders.OrderView:
    logger.append_keys(order_id=order_id)
    return orders.cancel_order(default_ports(), _buyer(), order_id)


@app.get(
    "/orders",
    responses=_replies(HTTPStatus.OK, orders.OrderPage),
    summary="List your orders",
    description="Newest first, `limit` at a time; pass the reply's `next_cursor` as `cursor` for the next page.",
)
def list_orders(
    limit: Annotated[int, Query(ge=1, le=100)] = 20, cursor: Annotated[str | None, Query(max_length=2000)] = None
) -> orders.OrderPage:
    return orders.list_orders(default_ports(), _buyer(), limit, cursor)


@app.get(
    "/catalog",
    responses=_replies(HTTPStatus.OK, orders.Catalog),
    summary="What can be ordered, and when",
    description="Each product with its order quantities, price and the earliest date the workshops can ship "
    "its minimum quantity, given the work already booked.",
)
def get_catalog() -> orders.Catalog:
    _buyer()
    return orders.catalog(default_ports(), datetime.now(UTC).date())


@app.get("/openapi.json", security=[{}], summary="This document", description="The OpenAPI description of the API.")
def openapi() -> Response[str]:
    from aws_lambda_powertools.event_handler.openapi.models import Server  # only this route builds the models

    # the server is where this document was asked for: "/v1" under the stage (execute-api, the local cloud),
    # "/" behind a custom domain; as powertools finds it for /docs
    context = app.current_event.request_context
    staged = context.stage and (context.path or "").startswith(f"/{context.stage}/")
    server = Server(url=f"/{context.stage}" if staged else "/")
    return Response(HTTPStatus.OK, body=app.get_openapi_json_schema(servers=[server]), content_type=JSON)


def _problem_json(status: HTTPStatus, detail: str, errors: list[dict[str, str]] | None = None, **more: Any) -> str:
    listed = [FieldProblem(**e) for e in errors] if errors is not None else None
    problem = Problem(title=status.phrase, status=status.value, detail=detail, errors=listed, **more)
    return problem.model_dump_json(exclude_none=True)


def _problem(status: HTTPStatus, detail: str, errors: list[dict[str, str]] | None = None, **more: Any) -> Response[Any]:
    return Response(status, content_type=PROBLEM, body=_problem_json(status, detail, errors, **more))


def _count_rejected_order() -> None:
    """One OrdersRejected per refused POST /orders (a bad query on a GET is no order)."""
    if app.current_event.http_method == "POST":
        metrics.add_metric(name="OrdersRejected", unit="Count", value=1)


def _field(loc: tuple[int | str, ...]) -> str:
    """A validation error's location as the domain names fields: ``lines[0].quantity``, ``limit``, ``body``."""
    kind, path = str(loc[0]), loc[1:]
    if kind == "body" and path and isinstance(path[0], int):  # a JSON syntax error: the position, not a field
        path = ()
    name = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")
    return name or kind


@app.exception_handler(NotAuthenticated)
def _unauthenticated(e: NotAuthenticated) -> Response[Any]:
    metrics.add_metric(name="RequestsUnauthenticated", unit="Count", value=1)
    return _problem(HTTPStatus.UNAUTHORIZED, str(e))


@app.exception_handler(OrderNotFound)
def _not_found(e: OrderNotFound) -> Response[Any]:
    return _problem(HTTPStatus.NOT_FOUND, f"no order {e}")


@app.exception_handler(OrderConflict)
def _conflict(e: OrderConflict) -> Response[Any]:
    return _problem(HTTPStatus.CONFLICT, str(e))


@app.exception_handler(OrderRejected)
def _rejected(e: OrderRejected) -> Response[Any]:
    _count_rejected_order()
    return _problem(
        HTTPStatus.UNPROCESSABLE_ENTITY,
        "the request is not valid",
        errors=e.problems,
        earliest_ship_date=e.earliest_ship_date,
    )


@app.exception_handler(IdempotencyValidationError)
def _key_reused(_: IdempotencyValidationError) -> Response[Any]:
    _count_rejected_order()
    detail = "this Idempotency-Key was used with another body; use a new key for a new order"
    return _problem(HTTPStatus.UNPROCESSABLE_ENTITY, detail, errors=[{"field": "Idempotency-Key", "message": detail}])


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _key_in_flight(_: IdempotencyAlreadyInProgressError) -> Response[Any]:
    return _problem(HTTPStatus.CONFLICT, "a request with this Idempotency-Key is still in progress; retry shortly")


def _parsed_body() -> Any:
    """The body as JSON (it passed the limits in lambda_handler already); None if it does not parse."""
    event = app.current_event.raw_event
    try:
        return parse_json_body(decode_body(event.get("body"), bool(event.get("isBase64Encoded"))))
    except BodyInvalid:
        return None


@app.exception_handler(RequestValidationError)
def _invalid(e: RequestValidationError) -> Response[Any]:
    _count_rejected_order()
    errors = [{"field": _field(err["loc"]), "message": err["msg"]} for err in e.errors()]
    if app.current_event.http_method == "POST":  # one reply names the catalog's problems too
        errors += orders.refused_line_problems(
            default_ports(), app.current_event.json_body, {e["field"] for e in errors}
        )
    return _problem(HTTPStatus.UNPROCESSABLE_ENTITY, "the request is not valid", errors=errors)


def _refuse_body(event: dict[str, Any]) -> dict[str, Any] | None:
    """415/413/422 for a body that is not JSON, too large or not parseable within limits, before validation
    parses it."""
    if event.get("httpMethod") not in ("POST", "PUT", "PATCH"):
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
    if media_type not in ("", "application/json"):  # no content type at all is read as JSON, as powertools does
        status, detail = HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json"
    elif len((event.get("body") or "").encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        status, detail = HTTPStatus.REQUEST_ENTITY_TOO_LARGE, f"the body is over {MAX_BODY_BYTES // 1024} KiB"
    elif not event.get("body"):
        return None  # no body: the route says whether it needs one (POST /orders does, a cancel does not)
    else:
        try:  # bytes no JSON parser should be given (bad encodings, deep nesting, huge numbers): 422, never a 5xx
            parse_json_body(decode_body(event.get("body"), bool(event.get("isBase64Encoded"))))
            return None
        except BodyInvalid as invalid:
            status, detail = HTTPStatus.UNPROCESSABLE_ENTITY, str(invalid)
            errors = [{"field": "body", "message": detail}]
            metrics.add_metric(name="OrdersRejected", unit="Count", value=1)
            body = _problem_json(status, "the request is not valid", errors)
            return {"statusCode": status.value, "headers": {"Content-Type": PROBLEM}, "body": body}
    metrics.add_metric(name="OrdersRejected", unit="Count", value=1)
    return {"statusCode": status.value, "headers": {"Content-Type": PROBLEM}, "body": _problem_json(status, detail)}


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    orders.IDEMPOTENCY.register_lambda_context(context)  # an interrupted request's key frees up when it times out
    if event.get("resource") == "/docs":
        _enable_docs()
    return _refuse_body(event) or app.resolve(event, context)
