"""The staff console: routes one line each into telar.console.web; sign-in, not-found and CSRF errors map once."""

import telar.startup  # first: no garbage collection while the modules load

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from telar.console import web
from telar.console.ports import default_console_ports
from telar.console.session import CsrfRefused, NotSignedIn
from telar.errors import NotFound
from telar.observability import logger

telar.startup.loaded()

app = APIGatewayRestResolver()


def _request() -> web.WebRequest:
    event = app.current_event
    return web.web_request(
        dict(event.headers or {}),
        domain_name=event.request_context.domain_name or "",
        stage=event.request_context.stage,
        path=event.request_context.path,
        body=event.decoded_body,
        method=event.http_method,
        query=event.query_string_parameters,
    )


def _respond(reply: web.Reply) -> Response:
    headers: dict[str, str | list[str]] = dict(reply.headers)
    if reply.cookies:
        headers["Set-Cookie"] = reply.cookies
    return Response(reply.status, reply.content_type, reply.body, headers=headers)


def _now() -> datetime:
    return datetime.now(UTC)


@app.get("/console")
def home() -> Response:
    return _respond(web.home(default_console_ports(), _request(), _now()))


@app.get("/console/sign-in")
def sign_in_page() -> Response:
    return _respond(web.sign_in_page(_request()))


@app.post("/console/sign-in")
def sign_in() -> Response:
    return _respond(web.sign_in(default_console_ports(), _request()))


@app.post("/console/new-password")
def new_password() -> Response:
    return _respond(web.new_password(default_console_ports(), _request()))


@app.post("/console/sign-out")
def sign_out() -> Response:
    return _respond(web.sign_out(default_console_ports(), _request(), _now()))


@app.get("/console/orders/<order_id>")
def order(order_id: str) -> Response:
    return _respond(web.order_page(default_console_ports(), _request(), order_id, _now()))


@app.post("/console/orders/<order_id>/actions")
def order_action(order_id: str) -> Response:
    return _respond(web.order_action(default_console_ports(), _request(), order_id, _now()))


@app.get("/console/reference")
def reference() -> Response:
    return _respond(web.reference_page(default_console_ports(), _request(), _now()))


@app.get("/console/reference/uploads/<upload_id>")
def reference_upload(upload_id: str) -> Response:
    return _respond(web.reference_upload_page(default_console_ports(), _request(), upload_id, _now()))


@app.get("/console/groups/<group_id>/attendance")
def attendance(group_id: str) -> Response:
    return _respond(web.attendance_page(default_console_ports(), _request(), group_id, _now()))


@app.get("/console/groups/<group_id>/attendance/uploads/<upload_id>")
def attendance_upload(group_id: str, upload_id: str) -> Response:
    return _respond(web.attendance_upload_page(default_console_ports(), _request(), group_id, upload_id, _now()))


@app.get("/console/assignments/<assignment_id>")
def assignment(assignment_id: str) -> Response:
    return _respond(web.assignment_page(default_console_ports(), _request(), assignment_id, _now()))


@app.get("/console/assignments/<assignment_id>/uploads/<upload_id>")
def upload(assignment_id: str, upload_id: str) -> Response:
    return _respond(web.upload_page(default_console_ports(), _request(), assignment_id, upload_id, _now()))


@app.get("/console/makers")
def makers() -> Response:
    return _respond(web.makers_page(default_console_ports(), _request(), _now()))


@app.get("/console/pay-periods/<period>")
def pay_period(period: str) -> Response:
    return _respond(web.pay_period_page(default_console_ports(), _request(), period, _now()))


@app.post("/console/pay-periods")
def run_pay_period() -> Response:
    return _respond(web.run_pay_period(default_console_ports(), _request(), _now()))


@app.get("/console/static/<version>/console.css")
def stylesheet(version: str) -> Response:
    return _respond(web.stylesheet(version))


@app.not_found
def not_found(_: Exception) -> Response:
    return _respond(web.not_found_page(_request()))


@app.exception_handler(NotSignedIn)
def to_sign_in(error: NotSignedIn) -> Response:
    logger.info("not signed in", reason=str(error))
    return _respond(
        web.Reply(303, headers={"Location": _request().url("/console/sign-in"), "Cache-Control": "no-store"})
    )


@app.exception_handler(NotFound)
def missing(_: NotFound) -> Response:
    return _respond(web.not_found_page(_request()))


@app.exception_handler(CsrfRefused)
def refused(error: CsrfRefused) -> Response:
    logger.warning("form refused", reason=str(error))
    return _respond(web.refused_page(_request()))


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
