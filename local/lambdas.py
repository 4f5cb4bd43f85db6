"""The local Lambda runtime: the real handlers in functions/, run in this process.

Why a botocore hook: moto's Lambda needs Docker to invoke. Every Invoke made through boto3's default
session (moto's ASL interpreter, and any handler that invokes another) is answered here instead:
``before-call.lambda.Invoke`` short-circuits the HTTP request with a response shaped like Lambda's
(StatusCode, Payload stream, FunctionError, ExecutedVersion). The API server and the SQS poller
call ``LambdaRuntime.invoke`` directly, so all three paths run a handler the same way: the event
goes through JSON, the handler gets a Lambda-like context, an exception becomes an "Unhandled"
function error with Lambda's error payload.
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import re
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from local.stack import FunctionSpec

log = logging.getLogger(__name__)

Handler = Callable[[Any, Any], Any]
_PARAMS_KEY = "telar_local_invoke_params"


@dataclass
class LambdaContext:
    """The attributes and method of the Python runtime's context object that handlers use."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    function_version: str = "$LATEST"
    identity: Any = None
    client_context: Any = None
    _deadline: float = field(default=0.0, repr=False)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@dataclass(frozen=True)
class Invocation:
    """The outcome of one invocation, in Lambda's terms."""

    status_code: int
    payload: bytes
    request_id: str
    function_error: str | None = None
    executed_version: str = "$LATEST"

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None


class FunctionNotFound(LookupError):
    """No function in the template has this name or ARN."""


def _error_payload(exc: BaseException, request_id: str) -> bytes:
    """Lambda's payload for an unhandled exception."""
    frames = traceback.format_list(traceback.extract_tb(exc.__traceback__))
    return json.dumps({
        "errorMessage": str(exc),
        "errorType": type(exc).__name__,
        "requestId": request_id,
        "stackTrace": [frame.rstrip("\n") for frame in frames],
    }).encode()


class LambdaRuntime:
    """Finds a function by name or ARN, imports its handler once, and invokes it."""

    def __init__(self, functions: Iterable[FunctionSpec]) -> None:
        self._by_name: dict[str, FunctionSpec] = {}
        for spec in functions:
            self._by_name[spec.name] = spec
        self._handlers: dict[str, Handler] = {}
        self._import_lock = threading.Lock()
        self._async: set[threading.Thread] = set()
        self._async_lock = threading.Lock()

    # -- lookup and loading -----------------------------------------------------------------------

    def find(self, name_or_arn: str) -> FunctionSpec:
        """A function from its name, its ARN (with or without a qualifier) or a partial ARN."""
        name = name_or_arn
        if ":function:" in name:
            name = name.split(":function:", 1)[1].split(":", 1)[0]
        try:
            return self._by_name[name]
        except KeyError:
            raise FunctionNotFound(f"Function not found: {name_or_arn}") from None

    def handler(self, spec: FunctionSpec) -> Handler:
        """Import the handler's module once (a cold start), under a name unique to the function.

        Every function folder has an app.py; importing each by file path under its own module name
        keeps them apart. The folder is on sys.path while the module loads, as it is on Lambda, so
        that the handler's own sibling modules import.
        """
        with self._import_lock:
            if spec.name in self._handlers:
                return self._handlers[spec.name]
            module_path, _, attribute = spec.handler.rpartition(".")
            if not module_path:
                raise ValueError(f"{spec.logical_id}: Handler {spec.handler!r} is not module.function")
            source = spec.code_dir / Path(*module_path.split(".")).with_suffix(".py")
            unique = re.sub(r"\W", "_", f"telar_local_fn_{spec.logical_id}__{module_path}")
            module = self._import(unique, source, spec.code_dir)
            handler = getattr(module, attribute)
            self._handlers[spec.name] = handler
            return handler

    @staticmethod
    def _import(name: str, source: Path, code_dir: Path) -> ModuleType:
        module_spec = importlib.util.spec_from_file_location(name, source)
        if module_spec is None or module_spec.loader is None:
            raise ImportError(f"cannot import {source}")
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        sys.path.insert(0, str(code_dir))
        try:
            module_spec.loader.exec_module(module)
        except BaseException:
            sys.modules.pop(name, None)
            raise
        finally:
            sys.path.remove(str(code_dir))
        return module

    # -- invoking ---------------------------------------------------------------------------------

    def invoke(self, name_or_arn: str, payload: bytes | str | None = None) -> Invocation:
        """Run the handler synchronously (RequestResponse); handler errors come back as FunctionError."""
        spec = self.find(name_or_arn)
        request_id = str(uuid.uuid4())
        started = time.monotonic()
        context = LambdaContext(
            function_name=spec.name,
            invoked_function_arn=name_or_arn if name_or_arn.startswith("arn:") else spec.arn,
            memory_limit_in_mb=spec.memory_mb,
            aws_request_id=request_id,
            log_group_name=f"/aws/lambda/{spec.name}",
            log_stream_name=time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
            _deadline=started + spec.timeout_seconds,
        )
        try:
            raw = payload.encode() if isinstance(payload, str) else (payload or b"")
            event = json.loads(raw) if raw.strip() else {}
            result = self.handler(spec)(event, context)
            body = json.dumps(result).encode()
        except Exception as exc:
            log.exception("%s failed (request %s)", spec.name, request_id)
            return Invocation(200, _error_payload(exc, request_id), request_id, function_error="Unhandled")
        finally:
            elapsed = time.monotonic() - started
            if elapsed > spec.timeout_seconds:
                log.warning("%s took %.1fs: on Lambda it would have timed out after %ss",
                            spec.name, elapsed, spec.timeout_seconds)
        return Invocation(200, body, request_id)

    def invoke_async(self, name_or_arn: str, payload: bytes | str | None = None) -> Invocation:
        """InvocationType Event: queue the run in a thread and answer 202 at once."""
        self.find(name_or_arn)  # an unknown function fails now, as Lambda's Invoke would
        request_id = str(uuid.uuid4())

        def run() -> None:
            try:
                self.invoke(name_or_arn, payload)
            finally:
                with self._async_lock:
                    self._async.discard(threading.current_thread())

        thread = threading.Thread(target=run, name=f"lambda-event-{request_id[:8]}", daemon=True)
        with self._async_lock:
            self._async.add(thread)
        thread.start()
        return Invocation(202, b"", request_id)

    def join(self, timeout: float = 10.0) -> None:
        """Wait for Event invocations still running (at shutdown)."""
        deadline = time.monotonic() + timeout
        with self._async_lock:
            threads = list(self._async)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    # -- the botocore hook ------------------------------------------------------------------------

    def install(self, session: Any) -> None:
        """Answer lambda.Invoke for the template's functions on this boto3 (or botocore) session.

        Register on boto3's default session after anything that resets it (mock_aws does); clients
        copy the session's handlers when they are created.
        """
        events = getattr(session, "events", None) or session.get_component("event_emitter")
        events.register("before-parameter-build.lambda.Invoke", self._remember_params, unique_id=_PARAMS_KEY)
        events.register("before-call.lambda.Invoke", self._answer_invoke, unique_id="telar_local_invoke")

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # before-call sees the serialized HTTP request; the caller's parameters are simpler to read.
        context[_PARAMS_KEY] = dict(params)

    def _answer_invoke(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = context.get(_PARAMS_KEY) or {}
        name = str(params.get("FunctionName", ""))
        try:
            self.find(name)
        except FunctionNotFound:
            return None  # not ours: let moto answer (ResourceNotFoundException)
        payload = params.get("Payload")
        if hasattr(payload, "read"):
            payload = payload.read()
        if isinstance(payload, bytearray):
            payload = bytes(payload)
        return self._http_response(self.answer(name, payload, params.get("InvocationType")))

    def answer(self, name_or_arn: str, payload: bytes | str | None, invocation_type: str | None) -> Invocation:
        """Lambda's Invoke for its InvocationType: DryRun 204 without running, Event 202 in a thread, else run."""
        if invocation_type == "DryRun":
            return Invocation(204, b"", str(uuid.uuid4()))
        if invocation_type == "Event":
            return self.invoke_async(name_or_arn, payload)
        return self.invoke(name_or_arn, payload)

    @staticmethod
    def _http_response(result: Invocation) -> tuple[AWSResponse, dict[str, Any]]:
        headers = {"x-amzn-requestid": result.request_id, "x-amz-executed-version": result.executed_version}
        if result.function_error:
            headers["x-amz-function-error"] = result.function_error
        parsed: dict[str, Any] = {
            "ResponseMetadata": {
                "RequestId": result.request_id,
                "HTTPStatusCode": result.status_code,
                "HTTPHeaders": headers,
                "RetryAttempts": 0,
            },
            "StatusCode": result.status_code,
            "ExecutedVersion": result.executed_version,
            "Payload": StreamingBody(io.BytesIO(result.payload), len(result.payload)),
        }
        if result.function_error:
            parsed["FunctionError"] = result.function_error
        return AWSResponse("http://local-lambda/", result.status_code, headers, None), parsed
