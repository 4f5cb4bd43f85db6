"""The local API Gateway: HTTP requests -> REST (v1) proxy events -> the function -> HTTP responses.

Why: buyers reach Telar through API Gateway, which moto's create_stack cannot serve for our
template. Like `sam local start-api`, but without containers: the routes are the `Type: Api` events
of template.yaml, served under their stage as on the execute-api domain (http://host:port/v1/orders, where
`sam local` serves them at the root), and the handler runs in-process through the same LambdaRuntime as
every other invocation. Unknown routes answer as API Gateway does (403 "Missing Authentication Token");
bodies over 10 MB get 413. A route's Lambda REQUEST authorizer runs first, as on API Gateway: a missing
identity header or an "Unauthorized" error is a 401 before the function runs, a Deny is a 403, and the
authorizer's context reaches the function in requestContext.authorizer; answers are cached per identity for
ReauthorizeEvery seconds. The API's GatewayResponses shape those errors.
"""

from __future__ import annotations

import base64
import fnmatch
import json
import logging
import re
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound, RequestEntityTooLarge
from werkzeug.routing import Map, Rule
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from local.keepalive import KeepAlive, close_connections
from local.lambdas import LambdaRuntime
from local.stack import ApiRoute, Authorizer

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
_HOP_BY_HOP = {"content-length", "transfer-encoding", "connection"}
_PLACEHOLDER = re.compile(r"\{([^}+]+)(\+?)\}")


def werkzeug_rule(path: str) -> str:
    """ "/orders/{order_id}" -> "/orders/<order_id>"; a greedy "{proxy+}" -> "<path:proxy>"."""
    return _PLACEHOLDER.sub(lambda m: f"<{'path:' if m.group(2) else ''}{m.group(1)}>", path)


def proxy_event(
    request: Request,
    route: ApiRoute,
    path_parameters: Mapping[str, str],
    body: bytes,
    *,
    account_id: str,
    api_id: str,
    request_id: str,
) -> dict[str, Any]:
    """The API Gateway REST (v1) Lambda proxy event for a request matched to a route."""
    try:
        text: str | None = body.decode("utf-8") if body else None
        is_base64 = False
    except UnicodeDecodeError:
        text, is_base64 = base64.b64encode(body).decode("ascii"), True
    headers = {key: value for key, value in request.headers.items()}
    multi_headers = {key: request.headers.getlist(key) for key in headers}
    query = {key: values[-1] for key, values in request.args.lists()}
    multi_query = dict(request.args.lists())
    now = datetime.now(UTC)
    stage = f"/{route.stage}"  # in the URL, not in the event's path (API Gateway's REST proxy event)
    path = request.path.removeprefix(stage) if request.path.startswith(f"{stage}/") else request.path
    return {
        "resource": route.path,
        "path": path,
        "httpMethod": request.method,
        "headers": headers or None,
        "multiValueHeaders": multi_headers or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "body": text,
        "isBase64Encoded": is_base64,
        "requestContext": {
            "accountId": account_id,
            "apiId": api_id,
            "domainName": request.host,
            "domainPrefix": request.host.split(".", 1)[0],
            "extendedRequestId": request_id,
            "httpMethod": request.method,
            "identity": {
                "sourceIp": request.remote_addr or "127.0.0.1",
                "userAgent": request.user_agent.string or None,
                "apiKey": request.headers.get("x-api-key"),
            },
            "path": f"{stage}{path}",
            "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
            "requestId": request_id,
            "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "requestTimeEpoch": int(now.timestamp() * 1000),
            "resourceId": api_id,
            "resourcePath": route.path,
            "stage": route.stage,
        },
    }


def http_response(result: Any) -> Response:
    """A Lambda proxy result (statusCode, headers, multiValueHeaders, body, isBase64Encoded) as HTTP."""
    if not isinstance(result, dict) or not isinstance(result.get("statusCode"), int):
        raise ValueError(f"malformed Lambda proxy response: {str(result)[:200]}")
    headers = Headers()
    for key, value in (result.get("headers") or {}).items():
        headers.add(key, str(value))
    for key, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            if str(value) not in headers.getlist(key):
                headers.add(key, str(value))
    for key in list(headers.keys()):
        if key.lower() in _HOP_BY_HOP:
            del headers[key]
    if "content-type" not in headers:
        headers["Content-Type"] = "application/json"  # API Gateway's default
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return Response(data, status=result["statusCode"], headers=headers)


def _gateway_error(
    status: int, message: str, request_id: str, route: ApiRoute | None = None, kind: str = ""
) -> Response:
    custom = dict(route.gateway_responses).get(kind) if route else None
    if custom is not None:
        headers = {
            "Content-Type": "application/json",
            **dict(custom.headers),
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": message,
        }
        return Response(custom.body, status=custom.status, headers=headers)
    return Response(
        f'{{"message":"{message}"}}',
        status=status,
        headers={"Content-Type": "application/json", "x-amzn-RequestId": request_id, "x-amzn-ErrorType": message},
    )


class _QuietHandler(KeepAlive, WSGIRequestHandler):
    """The app logs one line per request itself, through the local.api logger; connections stay open."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


class ApiServer:
    """A threaded HTTP server for the template's API routes."""

    def __init__(
        self,
        routes: Iterable[ApiRoute],
        runtime: LambdaRuntime,
        *,
        host: str = "127.0.0.1",
        port: int = 3000,
        account_id: str = "123456789012",
        region: str = "us-east-1",
    ) -> None:
        self.routes = list(routes)
        self._runtime = runtime
        self._account_id = account_id
        self._region = region
        self._auth_cache: dict[tuple[str, tuple[str, ...]], tuple[float, dict[str, Any]]] = {}
        self._auth_lock = threading.Lock()
        self._map = Map(
            [
                Rule(
                    werkzeug_rule(f"/{r.stage}{r.path}"), endpoint=i, methods=None if r.method == "ANY" else [r.method]
                )
                for i, r in enumerate(self.routes)
            ],
            strict_slashes=False,
        )
        self._server: BaseWSGIServer = make_server(host, port, self.wsgi, threaded=True, request_handler=_QuietHandler)
        self.host = host
        self.port = self._server.server_port
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def stage_url(self) -> str:
        """Where the API's routes are: under its stage, as ``https://<id>.execute-api.<region>.amazonaws.com/v1``."""
        stages = sorted({r.stage for r in self.routes})
        if len(stages) > 1:
            raise ValueError(f"one stage per local API server, not {stages}")
        return f"{self.url}/{stages[0]}" if stages else self.url

    def start(self) -> None:
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-api", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        if self._thread is not None:
            self._thread.join()
        self._server.server_close()
        close_connections(self._server)

    def wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_BODY_BYTES
        started = time.monotonic()
        response = self._respond(request)
        log.info(
            "%s %s -> %s (%.0f ms)",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response(environ, start_response)

    def _respond(self, request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            index, path_parameters = self._map.bind_to_environ(request.environ).match()
        except (NotFound, MethodNotAllowed):
            return _gateway_error(403, "Missing Authentication Token", request_id)
        except HTTPException as exc:  # e.g. a redirect werkzeug would like to make: not API Gateway's way
            return _gateway_error(exc.code or 404, "Not Found", request_id)
        route = self.routes[index]
        try:
            body = request.get_data(cache=False)
        except RequestEntityTooLarge:
            return _gateway_error(413, "Request Too Long", request_id)
        event = proxy_event(
            request,
            route,
            path_parameters,
            body,
            account_id=self._account_id,
            api_id=route.api_logical_id.lower(),
            request_id=request_id,
        )
        if route.authorizer is not None:
            refused = self._authorize(route, route.authorizer, event, request_id)
            if refused is not None:
                return refused
        invocation = self._runtime.invoke(route.function_name, json.dumps(event).encode())
        if invocation.function_error:
            return _gateway_error(502, "Internal server error", request_id)
        try:
            response = http_response(invocation.json())
        except (ValueError, TypeError) as exc:
            log.error("%s: %s", route.function_name, exc)
            return _gateway_error(502, "Internal server error", request_id)
        response.headers.setdefault("x-amzn-RequestId", request_id)
        return response

    def _authorize(
        self, route: ApiRoute, authorizer: Authorizer, event: dict[str, Any], request_id: str
    ) -> Response | None:
        """Run the route's REQUEST authorizer as API Gateway does; None lets the request through."""
        headers = {k.lower(): v for k, v in (event["headers"] or {}).items()}
        identity = tuple(headers.get(h.lower(), "") for h in authorizer.identity_headers)
        if not all(identity):
            return _gateway_error(401, "Unauthorized", request_id, route, "UNAUTHORIZED")
        method_arn = (
            f"arn:aws:execute-api:{self._region}:{self._account_id}:{event['requestContext']['apiId']}/"
            f"{route.stage}/{event['httpMethod']}{event['path']}"
        )
        cache_key = (authorizer.function_name, identity)
        with self._auth_lock:
            cached = self._auth_cache.get(cache_key)
        if cached is not None and cached[0] > time.monotonic():
            answer = cached[1]
        else:
            auth_event = {
                **{
                    k: event[k]
                    for k in (
                        "resource",
                        "path",
                        "httpMethod",
                        "headers",
                        "multiValueHeaders",
                        "queryStringParameters",
                        "multiValueQueryStringParameters",
                        "pathParameters",
                        "stageVariables",
                        "requestContext",
                    )
                },
                "type": "REQUEST",
                "methodArn": method_arn,
            }
            invocation = self._runtime.invoke(authorizer.function_name, json.dumps(auth_event).encode())
            if invocation.function_error:
                if invocation.json().get("errorMessage") == "Unauthorized":
                    return _gateway_error(401, "Unauthorized", request_id, route, "UNAUTHORIZED")
                return _gateway_error(500, "AuthorizerConfigurationException", request_id, route, "AUTHORIZER_FAILURE")
            answer = invocation.json()
            if authorizer.ttl_seconds > 0:
                with self._auth_lock:
                    self._auth_cache[cache_key] = (time.monotonic() + authorizer.ttl_seconds, answer)
        if not _allows(answer.get("policyDocument") or {}, method_arn):
            return _gateway_error(403, "AccessDeniedException", request_id, route, "ACCESS_DENIED")
        event["requestContext"]["authorizer"] = {
            **(answer.get("context") or {}),
            "principalId": answer.get("principalId"),
        }
        return None


def _allows(policy: dict[str, Any], method_arn: str) -> bool:
    """An explicit Deny wins; otherwise some Allow must match (IAM wildcards: * and ?)."""

    def matches(statement: dict[str, Any]) -> bool:
        resources = statement.get("Resource") or []
        resources = [resources] if isinstance(resources, str) else resources
        return any(fnmatch.fnmatchcase(method_arn, r) for r in resources)

    statements = policy.get("Statement") or []
    if any(st.get("Effect") == "Deny" and matches(st) for st in statements):
        return False
    return any(st.get("Effect") == "Allow" and matches(st) for st in statements)
