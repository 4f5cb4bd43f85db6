"""The local AWS endpoint: moto's server in a thread, with Step Functions execution switched on.

Why in-process (ThreadedMotoServer, not a subprocess): moto's ASL interpreter calls Lambda through
boto3's default session in this very process, which is where local.lambdas intercepts the calls
and runs the real handlers. MOTO_PORT must name our port: the interpreter calls back into moto
through http://localhost:$MOTO_PORT.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any
from urllib.parse import unquote

from moto.core import DEFAULT_ACCOUNT_ID
from moto.core.base_backend import BackendDict
from moto.core.config import default_user_config
from moto.moto_server.werkzeug_app import MotoRequestHandler
from moto.s3 import notifications as s3_notifications
from moto.server import ThreadedMotoServer

from local.dynamodb import journal_transactions
from local.keepalive import KeepAlive, close_connections
from local.lambdas import FunctionNotFound, InvalidRequestContent, LambdaRuntime
from local.moto_overheads import trim_moto_overheads
from local.s3_limits import s3_metadata_limit
from local.stack import FunctionSpec
from local.stepfunctions import abort_on_stop

ACCOUNT_ID: str = DEFAULT_ACCOUNT_ID
"""moto's account for any access key it has not issued itself (123456789012 unless MOTO_ACCOUNT_ID)."""


class _MotoKeepAlive(KeepAlive, MotoRequestHandler):
    """moto's request handler (S3 metadata headers with underscores) on connections that stay open."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        # werkzeug formats the line (path, date) before its logger drops it: a twentieth of the endpoint's CPU
        # with the local cloud's WARNING level. An unset level is werkzeug's to decide (it then logs at INFO).
        werkzeug_log = logging.getLogger("werkzeug")
        if werkzeug_log.level == logging.NOTSET or werkzeug_log.isEnabledFor(logging.INFO):
            super().log_request(code, size)


class MotoEndpoint:
    """moto's server on host:port (0 picks a free port), state machines executing for real."""

    def __init__(self, host: str = "127.0.0.1", port: int = 4566) -> None:
        self.host = host
        self.port = port
        self._server: ThreadedMotoServer | None = None
        self._saved_config: dict[str, Any] = {}
        self._undo: list[Callable[[], None]] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        """Start with empty backends; return the endpoint URL."""
        sfn_config: Any = default_user_config.setdefault("stepfunctions", {})
        self._saved_config = dict(sfn_config)
        sfn_config["execute_state_machine"] = True
        # moto's state is per process: start from a clean slate, as a fresh AWS account would.
        BackendDict.reset()
        self._undo = [
            _s3_events_name_their_version(),
            s3_metadata_limit(),
            journal_transactions(),
            abort_on_stop(),
            trim_moto_overheads(),
        ]
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        wsgi: Any = self._server._server  # werkzeug reads .app on every request
        wsgi.RequestHandlerClass = _MotoKeepAlive  # and makes a handler of this class per connection
        wsgi.app = _message_moves(_one_dynamodb_request_at_a_time(wsgi.app))
        self.port = self._server.get_host_and_port()[1]
        return self.url

    def answer_lambda_invoke(self, runtime: LambdaRuntime) -> None:
        """Route Lambda's Invoke API on this endpoint to ``runtime``, for callers in other processes
        (`aws lambda invoke --endpoint-url ...` against `make serve`); in-process calls never reach it."""
        assert self._server is not None, "start() first"
        wsgi: Any = self._server._server
        wsgi.app = _lambda_invocations(wsgi.app, runtime)

    def wrap(self, middleware: Any) -> None:
        """Put ``middleware`` (app -> app) in front of everything the endpoint answers, the Lambda API included."""
        assert self._server is not None, "start() first"
        wsgi: Any = self._server._server
        wsgi.app = middleware(wsgi.app)

    def stop(self) -> None:
        if self._server is None:
            return
        wsgi: Any = self._server._server
        self._server.stop()
        close_connections(wsgi)
        self._server = None
        sfn_config: Any = default_user_config.setdefault("stepfunctions", {})
        sfn_config.clear()
        sfn_config.update(self._saved_config)
        while self._undo:
            self._undo.pop()()
        BackendDict.reset()  # the accounts' data goes with the endpoint (1,000 orders' tables are not small)


def _s3_events_name_their_version() -> Callable[[], None]:
    """moto's S3 event records leave out ``s3.object.versionId``; S3 sends it for a versioned bucket, and
    qc_upload reads exactly that version (it is how every outcome names the upload). Returns the undo."""
    original = s3_notifications._get_s3_event

    def with_version(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event = original(event_name, bucket, key, notification_id)
        version = getattr(key, "version_id", None)
        if version and version != "null":
            for record in event["Records"]:
                record["s3"]["object"]["versionId"] = version
        return event

    s3_notifications._get_s3_event = with_version

    def undo() -> None:
        s3_notifications._get_s3_event = original

    return undo


def _one_dynamodb_request_at_a_time(app: Any) -> Any:
    """moto's DynamoDB is not thread-safe: its tables are plain dicts that a Query or Scan iterates while a Put
    inserts ("dictionary changed size during iteration", a 500), and a transaction's writes are applied one by
    one, so another request could read half of one (or a cancelled one's items before local.dynamodb puts them
    back). DynamoDB is atomic and isolated there; the local endpoint gets the same by answering DynamoDB
    requests one at a time (moto answers each in a few ms; the Python interpreter runs one thread at a time
    anyway)."""
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Any) -> Any:
        if not environ.get("HTTP_X_AMZ_TARGET", "").startswith("DynamoDB_"):
            return app(environ, start_response)
        with lock:
            return list(app(environ, start_response))

    return serialised


def _message_moves(app: Any) -> Any:
    """SQS's StartMessageMoveTask (the DLQ redrive docs/operations.md gives operators), which moto lacks.

    AWS moves the messages in the background; here they move before the answer, which a caller cannot tell apart
    from a fast task. Without ``DestinationArn`` AWS sends each message back to the queue it came from; moto does
    not remember that, so locally a DLQ with several source queues needs ``DestinationArn`` (400 otherwise, rather
    than a guess). Any other SQS call goes on to moto.
    """
    from moto.sqs.models import sqs_backends

    def answer(start_response: Any, status: int, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        start_response(
            f"{status} {HTTPStatus(status).phrase}",
            [("Content-Type", "application/x-amz-json-1.0"), ("Content-Length", str(len(data)))],
        )
        return [data]

    def refuse(start_response: Any, code: str, message: str) -> Any:
        return answer(start_response, 400, {"__type": f"com.amazonaws.sqs#{code}", "message": message})

    def route(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_X_AMZ_TARGET") != "AmazonSQS.StartMessageMoveTask":
            return app(environ, start_response)
        length = int(environ.get("CONTENT_LENGTH") or 0)
        request = json.loads(environ["wsgi.input"].read(length) or b"{}")
        parts = str(request.get("SourceArn", "")).split(":")
        if len(parts) != 6 or parts[2] != "sqs":
            return refuse(start_response, "InvalidParameterValue", "SourceArn must be a queue's ARN")
        backend = sqs_backends[parts[4]][parts[3]]
        queues = list(backend.queues.values())
        dlq = next((q for q in queues if q.queue_arn == request["SourceArn"]), None)
        sources = [q for q in queues if dlq is not None and q.dead_letter_queue is dlq]
        if request.get("DestinationArn"):
            sources = [q for q in queues if q.queue_arn == request["DestinationArn"]]
        if dlq is None or len(sources) != 1:
            why = "no such queue" if dlq is None else "name DestinationArn (locally: one source queue, not several)"
            return refuse(start_response, "ResourceNotFoundException" if dlq is None else "InvalidParameterValue", why)
        moved = 0
        while batch := backend.receive_message(dlq.name, 10, 0, 30):
            for message in batch:
                backend.send_message(sources[0].name, message.body, message.message_attributes or None)
                backend.delete_message(dlq.name, str(message.receipt_handle))
                moved += 1
        return answer(start_response, 200, {"TaskHandle": f"local-{dlq.name}-{moved}"})

    return route


_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_FUNCTIONS_PATH = re.compile(r"^/2015-03-31/functions/?$")
_FUNCTION_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/?$")


def function_configuration(spec: FunctionSpec) -> dict[str, Any]:
    """Lambda's FunctionConfiguration for a template function (what list-functions and get-function show)."""
    return {
        "FunctionName": spec.name,
        "FunctionArn": spec.arn,
        "Runtime": spec.runtime,
        "Handler": spec.handler,
        "Timeout": spec.timeout_seconds,
        "MemorySize": spec.memory_mb,
        "Version": "$LATEST",
        "PackageType": "Zip",
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "Environment": {"Variables": dict(spec.environment)},
        "Layers": [{"Arn": arn} for arn in spec.layers],
    }


def _lambda_invocations(app: Any, runtime: LambdaRuntime) -> Any:
    """Lambda's Invoke (POST /2015-03-31/functions/<name>/invocations), ListFunctions and GetFunction answered
    from the template's functions; moto's own Lambda would need Docker. Functions not in the template go on to
    moto (404 there)."""

    def reply(start_response: Any, status: int, body: Any, headers: list[tuple[str, str]] | None = None) -> Any:
        start_response(
            f"{status} {HTTPStatus(status).phrase}", [("Content-Type", "application/json"), *(headers or [])]
        )
        return [body if isinstance(body, bytes) else json.dumps(body).encode()]

    def route(environ: dict[str, Any], start_response: Any) -> Any:
        path, method = unquote(environ.get("PATH_INFO", "")), environ.get("REQUEST_METHOD")
        if method == "GET" and _FUNCTIONS_PATH.match(path):
            return reply(start_response, 200, {"Functions": [function_configuration(f) for f in runtime.functions]})
        match = _FUNCTION_PATH.match(path) if method == "GET" else _INVOKE_PATH.match(path)
        if method not in ("GET", "POST") or not match:
            return app(environ, start_response)
        try:
            spec = runtime.find(match.group(1))
        except FunctionNotFound:
            return app(environ, start_response)
        if method == "GET":
            return reply(
                start_response,
                200,
                {
                    "Configuration": function_configuration(spec),
                    "Code": {"RepositoryType": "S3", "Location": spec.code_dir.as_uri()},
                },
            )
        length = int(environ.get("CONTENT_LENGTH") or 0)
        payload = environ["wsgi.input"].read(length) if length else b""
        try:
            result = runtime.answer(match.group(1), payload, environ.get("HTTP_X_AMZ_INVOCATION_TYPE"))
        except InvalidRequestContent as exc:
            return reply(
                start_response,
                400,
                {"Type": "User", "message": str(exc)},
                [("x-amzn-ErrorType", "InvalidRequestContentException")],
            )
        headers = [("x-amzn-RequestId", result.request_id), ("X-Amz-Executed-Version", result.executed_version)]
        if result.function_error:
            headers.append(("X-Amz-Function-Error", result.function_error))
        return reply(start_response, result.status_code, result.payload, headers)

    return route


class PatchedEnviron:
    """Sets variables in os.environ and puts back what was there before (for tests in one process)."""

    def __init__(self) -> None:
        self._saved: dict[str, str | None] = {}

    def set(self, values: Mapping[str, str | None]) -> None:
        """Set (or, for None, remove) each variable, remembering its first previous value."""
        for key, value in values.items():
            self._saved.setdefault(key, os.environ.get(key))
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def restore(self) -> None:
        for key, value in self._saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved.clear()


def aws_environment(endpoint: MotoEndpoint, region: str) -> dict[str, str | None]:
    """What every handler (and every boto3 client in the process) needs to talk to the local endpoint.

    Credentials are dummies; profiles are unset so that no real account can be reached by accident.
    MOTO_PORT tells moto's ASL interpreter where to call back.
    """
    return {
        "MOTO_PORT": str(endpoint.port),
        "AWS_ENDPOINT_URL": endpoint.url,
        "AWS_DEFAULT_REGION": region,
        "AWS_REGION": region,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",  # moto's dummy credentials
        "AWS_SESSION_TOKEN": None,
        "AWS_SECURITY_TOKEN": None,
        "AWS_PROFILE": None,
        "AWS_DEFAULT_PROFILE": None,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
