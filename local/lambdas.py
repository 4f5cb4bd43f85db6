"""The local Lambda runtime: each function's handler runs in worker processes of its own, as on Lambda.

Why processes: on Lambda a handler runs in an execution environment that holds only its own code, its
layers and the runtime's packages, sees only its own environment variables, and is killed when it passes
its MemorySize or its Timeout. A handler run inside the test process would see the dev venv, every other
function's variables and no limits, so a deploy could fail where every test passed. Here each function has
a pool of workers (local.worker): a warm one is reused, a new one starts (a cold start) when all are busy.
The parent watches each invocation: past the deadline, or past MemorySize (peak resident memory), the
worker is killed and the caller gets Lambda's error for it.

Three paths invoke: a botocore ``before-call.lambda.Invoke`` hook on boto3's default session (moto's ASL
interpreter runs in this process; moto's own Lambda needs Docker), Lambda's Invoke URL on the local
endpoint (other processes, `aws lambda invoke`), and the API server and SQS poller, which call
``LambdaRuntime.invoke`` directly. All get the same ``Invocation``: Lambda's status, payload and
FunctionError, and all pass through ``LambdaRuntime.intercept`` (fault injection) on the way.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import logging
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.response import StreamingBody

from local import worker as protocol
from local.stack import FunctionSpec

log = logging.getLogger(__name__)

# where the before-parameter-build hook keeps an Invoke's parameters for the hook that answers it
INVOKE_PARAMS_KEY = "telar_local_invoke_params"
WORKER_SCRIPT = Path(protocol.__file__).resolve()
INIT_SECONDS = 10
"""Lambda's limit on an execution environment's init phase (on-demand functions)."""
_WATCH_SECONDS = 0.02
"""How often the parent checks a running invocation's memory (it wakes at once when the answer comes)."""
_PAGE = os.sysconf("SC_PAGE_SIZE")


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


class InvalidRequestContent(ValueError):
    """The payload is not JSON: Lambda's Invoke answers 400 InvalidRequestContentException."""


@dataclass(frozen=True)
class Credentials:
    """The temporary credentials a function's execution role gives its environment (local.iam checks them)."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    @classmethod
    def for_function(cls, spec: FunctionSpec) -> Credentials:
        digest = hashlib.sha256(spec.arn.encode()).hexdigest().upper()
        return cls(f"ASIA{digest[:16]}", digest[16:56], f"local-session-{spec.logical_id}")


@dataclass(frozen=True)
class Environment:
    """What every worker of a function starts from: its import path and its process environment."""

    own_path: tuple[Path, ...]  # the function's code (/var/task), and its own dependencies if it has any
    shared_path: tuple[Path, ...]  # its layers (/opt/python) and the runtime's packages: what its zygote holds
    variables: Mapping[str, str]

    @property
    def python_path(self) -> tuple[Path, ...]:
        return self.own_path + self.shared_path


class _Killed(Exception):
    """The worker was killed or died; ``error`` is what Lambda reports for it."""

    def __init__(self, error_type: str, message: str) -> None:
        super().__init__(message)
        self.error_type = error_type


class Zygote:
    """The template process (local.worker) that forks a function's execution environments.

    One per set of layers: it imports what the layers and the runtime hold once, with only the variables
    Lambda gives every function; each environment then takes its function's own (local.worker).
    """

    def __init__(self, python_path: tuple[Path, ...], variables: Mapping[str, str]) -> None:
        self._control, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-S", str(WORKER_SCRIPT), str(theirs.fileno()), *(str(p) for p in python_path)],
            env=dict(variables),
            pass_fds=(theirs.fileno(),),
        )
        theirs.close()
        self._lock = threading.Lock()
        self._control.settimeout(60)
        if not self._control.recv(1024):
            raise RuntimeError(f"the local Lambda runtime could not start (exit {self.process.wait()})")
        self._control.settimeout(None)

    def spawn(self, variables: Mapping[str, str], paths: tuple[Path, ...], cwd: Path) -> socket.socket:
        """A new execution environment; returns its channel."""
        ours, theirs = socket.socketpair()
        request = json.dumps({"env": dict(variables), "paths": [str(p) for p in paths], "cwd": str(cwd)})
        with self._lock:
            socket.send_fds(self._control, [request.encode()], [theirs.fileno()])
        theirs.close()
        return ours

    def close(self) -> None:
        self._control.close()  # the zygote returns when its control closes
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Worker:
    """One execution environment of one function (a process forked by its Zygote)."""

    def __init__(self, spec: FunctionSpec, environment: Environment, zygote: Zygote) -> None:
        self.spec = spec
        started = time.monotonic()
        self._channel = zygote.spawn(environment.variables, environment.own_path, spec.code_dir)
        self._fd = self._channel.fileno()
        self.pid: int | None = None
        self.peak_mb = 0.0
        self.init_error: dict[str, Any] | None = None
        self._ended = False
        try:
            self.pid = int(self._wait(started + INIT_SECONDS, "init")["pid"])
            reply = self._wait(started + max(INIT_SECONDS, spec.timeout_seconds), "init")
        except _Killed as killed:
            self.init_error = {"errorType": killed.error_type, "errorMessage": str(killed)}
        else:
            self.init_error = reply["init"]
        self.init_seconds = time.monotonic() - started

    @property
    def alive(self) -> bool:
        return not self._ended and self.init_error is None

    def invoke(self, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        """Send one request and wait for its answer; raises _Killed past the deadline or MemorySize."""
        protocol.send(self._fd, request)
        return self._wait(deadline, request["request_id"])

    def _wait(self, deadline: float, request_id: str) -> dict[str, Any]:
        limit_mb = self.spec.memory_mb
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.kill()
                raise _Killed(
                    "Sandbox.Timedout",
                    f"RequestId: {request_id} Error: Task timed out after {self.spec.timeout_seconds:.2f} seconds",
                )
            readable, _, _ = select.select([self._fd], [], [], min(left, _WATCH_SECONDS))
            self.peak_mb = max(self.peak_mb, self._resident_mb())
            if self.peak_mb > limit_mb:
                self.kill()
                raise _Killed(
                    "Runtime.OutOfMemory", f"RequestId: {request_id} Error: Runtime exited with error: signal: killed"
                )
            if readable:
                message = protocol.receive(self._fd)
                if message is None:
                    self._ended = True
                    raise _Killed(
                        "Runtime.ExitError", f"RequestId: {request_id} Error: Runtime exited without providing a reason"
                    )
                return dict(message)

    def _resident_mb(self) -> float:
        """The process's resident set now, in MB (0 before it said its pid, or once it is gone)."""
        if self.pid is None:
            return 0.0
        try:
            with open(f"/proc/{self.pid}/statm", encoding="ascii") as statm:
                return int(statm.read().split()[1]) * _PAGE / 2**20
        except (FileNotFoundError, ProcessLookupError, IndexError):
            return 0.0

    def kill(self) -> None:
        """SIGKILL, as Lambda ends an environment (the zygote reaps it)."""
        self._ended = True
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        self.kill()
        self._channel.close()


@dataclass
class _Pool:
    """A function's execution environments: idle ones are reused, a new one starts when all are busy."""

    spec: FunctionSpec
    environment: Environment
    zygote: Callable[[], Zygote]
    idle: list[Worker] = field(default_factory=list)
    every: set[Worker] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    closed: bool = False

    def acquire(self) -> tuple[Worker, bool]:
        """A warm worker if one is idle, else a new one (cold); the flag says which."""
        with self.lock:
            if self.closed:
                raise RuntimeError("the local Lambda runtime is stopped")
            while self.idle:
                worker = self.idle.pop()
                if worker.alive:
                    return worker, False
                self.every.discard(worker)
        worker = Worker(self.spec, self.environment, self.zygote())
        with self.lock:
            self.every.add(worker)
        return worker, True

    def release(self, worker: Worker) -> None:
        with self.lock:
            if worker.alive and not self.closed:
                self.idle.append(worker)
                return
            self.every.discard(worker)
        worker.close()

    def close(self) -> None:
        with self.lock:
            self.closed = True
            workers, self.every, self.idle = list(self.every), set(), []
        for worker in workers:
            worker.close()


_SHARED_VARIABLES = ("PATH", "LANG", "TZ", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV", "AWS_ENDPOINT_URL")
"""What a zygote's environment holds: variables that are the same for every function (no names, no credentials)."""


def _lambda_variables(spec: FunctionSpec, code_dir: Path, credentials: Credentials, region: str) -> dict[str, str]:
    """The variables Lambda itself sets in every execution environment of a function."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "_HANDLER": spec.handler,
        "LAMBDA_TASK_ROOT": str(code_dir),
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex,
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
    }


class LambdaRuntime:
    """Finds a function by name or ARN and runs its invocations in its own worker processes.

    Parameters
    ----------
    functions
        The template's functions.
    python_paths
        Each function's import path (logical id -> its own folders, then the shared ones), as Lambda's: its
        CodeUri, then its layers and the runtime's packages. A function missing here imports from its
        CodeUri alone.
    region
        AWS_REGION in every environment.
    endpoint_url
        The local AWS endpoint, set as AWS_ENDPOINT_URL in every environment (the one variable Lambda would
        not set: SDK calls must reach the local cloud, not AWS).
    local_variables
        Settings of the local cloud only, in every environment (never in the template, so never on AWS).
    """

    def __init__(
        self,
        functions: Iterable[FunctionSpec],
        *,
        python_paths: Mapping[str, tuple[tuple[Path, ...], tuple[Path, ...]]] | None = None,
        region: str = "us-east-1",
        endpoint_url: str | None = None,
        local_variables: Mapping[str, str] | None = None,
    ) -> None:
        self._by_name: dict[str, FunctionSpec] = {}
        self._pools: dict[str, _Pool] = {}
        self.credentials: dict[str, Credentials] = {}
        for spec in functions:
            self._by_name[spec.name] = spec
            credentials = Credentials.for_function(spec)
            self.credentials[spec.logical_id] = credentials
            variables = {**_lambda_variables(spec, spec.code_dir, credentials, region), **spec.environment}
            if endpoint_url:
                variables["AWS_ENDPOINT_URL"] = endpoint_url
            variables.update(local_variables or {})
            own, shared = (python_paths or {}).get(spec.logical_id, ((spec.code_dir,), ()))
            environment = Environment(tuple(own), tuple(shared), variables)
            self._pools[spec.name] = _Pool(spec, environment, functools.partial(self._zygote, environment))
        self._zygotes: dict[tuple[Path, ...], Zygote] = {}
        self._zygotes_lock = threading.Lock()
        self._async: set[threading.Thread] = set()
        self._async_lock = threading.Lock()
        # Called when an invocation ends, before its caller hears back: the local cloud copies the e-mails the
        # worker sent into the outbox here, so they are on disk when the Invoke that sent them returns.
        self.after_invocation: Callable[[], object] | None = None
        # Consulted before every invocation, whichever path asked for it (Invoke, Event, an SQS poller): given the
        # function, the payload and a way to run it, it may answer instead (local.faults injects failures here).
        self.intercept: Callable[[FunctionSpec, bytes, Callable[[], Invocation]], Invocation | None] | None = None

    def _zygote(self, environment: Environment) -> Zygote:
        """The zygote for these layers, started on first use."""
        with self._zygotes_lock:
            if environment.shared_path not in self._zygotes:
                shared = {k: v for k, v in environment.variables.items() if k in _SHARED_VARIABLES}
                self._zygotes[environment.shared_path] = Zygote(environment.shared_path, shared)
            return self._zygotes[environment.shared_path]

    @property
    def functions(self) -> list[FunctionSpec]:
        return list(self._by_name.values())

    def environment(self, name_or_arn: str) -> Environment:
        return self._pools[self.find(name_or_arn).name].environment

    # -- lookup -----------------------------------------------------------------------------------

    def find(self, name_or_arn: str) -> FunctionSpec:
        """A function from its name, its ARN (with or without a qualifier) or a partial ARN."""
        name = name_or_arn
        if ":function:" in name:
            name = name.split(":function:", 1)[1].split(":", 1)[0]
        try:
            return self._by_name[name]
        except KeyError:
            raise FunctionNotFound(f"Function not found: {name_or_arn}") from None

    # -- invoking ---------------------------------------------------------------------------------

    def invoke(self, name_or_arn: str, payload: bytes | str | None = None) -> Invocation:
        """Run one invocation synchronously (RequestResponse); failures come back as FunctionError."""
        spec = self.find(name_or_arn)
        raw = payload.encode() if isinstance(payload, str) else (payload or b"")
        try:
            text = raw.decode("utf-8")
            if text.strip():
                json.loads(text)
        except ValueError as exc:
            raise InvalidRequestContent(f"Could not parse request body into json: {exc}") from None
        run = functools.partial(self._run, spec, name_or_arn, text)
        answered = self.intercept(spec, raw, run) if self.intercept is not None else None
        return answered if answered is not None else run()

    def _run(self, spec: FunctionSpec, name_or_arn: str, text: str) -> Invocation:
        request_id = str(uuid.uuid4())
        pool = self._pools[spec.name]
        worker, cold = pool.acquire()
        started = time.monotonic()
        try:
            if worker.init_error is not None:
                return self.failed(spec, request_id, worker.init_error)
            request = {
                "request_id": request_id,
                "payload": text,
                "deadline_ms": int(time.time() * 1000) + spec.timeout_seconds * 1000,
                "invoked_function_arn": name_or_arn if name_or_arn.startswith("arn:") else spec.arn,
            }
            try:
                reply = worker.invoke(request, started + spec.timeout_seconds)
            except _Killed as killed:
                return self.failed(spec, request_id, {"errorType": killed.error_type, "errorMessage": str(killed)})
            if "error" in reply:
                return self.failed(spec, request_id, reply["error"])
            return Invocation(200, reply["result"].encode(), request_id)
        finally:
            self._report(spec, request_id, worker, started, cold)
            pool.release(worker)
            if self.after_invocation is not None:
                self.after_invocation()

    @staticmethod
    def failed(spec: FunctionSpec, request_id: str, error: dict[str, Any]) -> Invocation:
        """What Lambda answers for an unhandled error: status 200, ``FunctionError: Unhandled``, the error."""
        log.warning(
            "%s failed (request %s): %s: %s", spec.name, request_id, error.get("errorType"), error.get("errorMessage")
        )
        return Invocation(200, json.dumps(error).encode(), request_id, function_error="Unhandled")

    @staticmethod
    def _report(spec: FunctionSpec, request_id: str, worker: Worker, started: float, cold: bool) -> None:
        """Lambda's REPORT line (logged at INFO; `make serve` shows it)."""
        init = f"\tInit Duration: {worker.init_seconds * 1000:.2f} ms" if cold else ""
        log.info(
            "REPORT RequestId: %s\tFunction: %s\tDuration: %.2f ms\tMemory Size: %d MB\tMax Memory Used: %d MB%s",
            request_id,
            spec.name,
            (time.monotonic() - started) * 1000,
            spec.memory_mb,
            worker.peak_mb,
            init,
        )

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

    def answer(self, name_or_arn: str, payload: bytes | str | None, invocation_type: str | None) -> Invocation:
        """Lambda's Invoke for its InvocationType: DryRun 204 without running, Event 202 in a thread, else run."""
        if invocation_type == "DryRun":
            self.find(name_or_arn)
            return Invocation(204, b"", str(uuid.uuid4()))
        if invocation_type == "Event":
            return self.invoke_async(name_or_arn, payload)
        return self.invoke(name_or_arn, payload)

    def join(self, timeout: float = 10.0) -> None:
        """Wait for Event invocations still running (at shutdown)."""
        deadline = time.monotonic() + timeout
        with self._async_lock:
            threads = list(self._async)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def stop(self) -> None:
        """Wait for Event invocations, then end every worker (idle or busy: a stop is a stop)."""
        self.join()
        for pool in self._pools.values():
            pool.close()
        with self._zygotes_lock:
            zygotes, self._zygotes = list(self._zygotes.values()), {}
        for zygote in zygotes:
            zygote.close()

    def process_ids(self) -> set[int]:
        """The processes this runtime started and has not ended: its zygotes and every function's workers."""
        pids = {zygote.process.pid for zygote in self._zygotes.values() if zygote.process.poll() is None}
        for pool in self._pools.values():
            with pool.lock:
                pids |= {worker.pid for worker in pool.every if worker.pid is not None and not worker._ended}
        return pids

    def workers(self, name_or_arn: str) -> int:
        """How many execution environments the function has now (busy or idle)."""
        pool = self._pools[self.find(name_or_arn).name]
        with pool.lock:
            return len(pool.every)

    # -- the botocore hook ------------------------------------------------------------------------

    def install(self, session: Any) -> None:
        """Answer lambda.Invoke for the template's functions on this boto3 (or botocore) session.

        Register on boto3's default session after anything that resets it (mock_aws does); clients
        copy the session's handlers when they are created.
        """
        events = getattr(session, "events", None) or session.get_component("event_emitter")
        events.register("before-parameter-build.lambda.Invoke", self._remember_params, unique_id=INVOKE_PARAMS_KEY)
        events.register("before-call.lambda.Invoke", self._answer_invoke, unique_id="telar_local_invoke")

    @staticmethod
    def _remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        # before-call sees the serialized HTTP request; the caller's parameters are simpler to read.
        context[INVOKE_PARAMS_KEY] = dict(params)

    def _answer_invoke(self, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
        params = context.get(INVOKE_PARAMS_KEY) or {}
        name = str(params.get("FunctionName", ""))
        try:
            self.find(name)
        except FunctionNotFound:
            return None  # not ours: let moto answer (ResourceNotFoundException)
        payload = params.get("Payload")
        if payload is not None and hasattr(payload, "read"):
            payload = payload.read()
        if isinstance(payload, bytearray):
            payload = bytes(payload)
        try:
            result = self.answer(name, payload, params.get("InvocationType"))
        except InvalidRequestContent as exc:
            return self._error_response(400, "InvalidRequestContentException", str(exc))
        return self._http_response(result)

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

    @staticmethod
    def _error_response(status: int, code: str, message: str) -> tuple[AWSResponse, dict[str, Any]]:
        request_id = str(uuid.uuid4())
        parsed = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {
                "RequestId": request_id,
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "RetryAttempts": 0,
            },
        }
        return AWSResponse("http://local-lambda/", status, {}, None), parsed
