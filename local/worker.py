"""Lambda execution environments: forked from a template process, each imports one handler and runs it.

local.lambdas starts one template process (a "zygote") per set of layers as ``python -I -S worker.py <control
fd> <path>...``: isolated mode and no site-packages, so only the paths given are importable (the built
layers, then the runtime's packages: /opt/python and the runtime's own folder on Lambda). It imports the
third-party packages those paths hold, once, and then forks one child per execution environment. Each child
takes the function's own environment variables (nothing else), its CodeUri as working folder and first on
its path (/var/task), imports the handler and runs invocations. Forking saves every environment the half
second of importing boto3, pydantic and the rest, which otherwise doubles the demo's time on two cores.
This file uses the standard library only, since it must not depend on anything those paths do not hold.

Protocol. Control socket (SOCK_SEQPACKET): the zygote sends ``{"ready": true}``; each spawn request is one
JSON message ``{"env", "paths", "cwd"}`` carrying one end of a socket pair (SCM_RIGHTS), which becomes the
child's channel. Channel (stdout and stderr stay the handler's, as its logs): every message is 8 bytes of
length, then JSON. The child sends ``{"pid": n}``, then ``{"init": null}`` once its handler is imported (or
``{"init": <error>}``); then, for each ``{"request_id", "payload", "deadline_ms", "invoked_function_arn"}``
it reads, it answers ``{"result": <JSON text>}`` or ``{"error": <Lambda's error object>}``.
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
from typing import Any

_HEADER = struct.Struct(">Q")


def send(fd: int, message: Any) -> None:
    data = json.dumps(message).encode()
    view = memoryview(_HEADER.pack(len(data)) + data)
    while view:
        view = view[os.write(fd, view) :]


def receive(fd: int) -> Any:
    """The next message, or None when the other end closed the pipe."""
    header = _read_exactly(fd, _HEADER.size)
    if header is None:
        return None
    body = _read_exactly(fd, _HEADER.unpack(header)[0])
    return None if body is None else json.loads(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


class LambdaContext:
    """The Python runtime's context object (the attributes and method handlers use)."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.function_name = os.environ["AWS_LAMBDA_FUNCTION_NAME"]
        self.function_version = os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
        self.memory_limit_in_mb = int(os.environ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"])
        self.log_group_name = os.environ["AWS_LAMBDA_LOG_GROUP_NAME"]
        self.log_stream_name = os.environ["AWS_LAMBDA_LOG_STREAM_NAME"]
        self.invoked_function_arn = request["invoked_function_arn"]
        self.aws_request_id = request["request_id"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(error_type: str, message: str, exc: BaseException | None = None) -> dict[str, Any]:
    trace = traceback.format_list(traceback.extract_tb(exc.__traceback__)) if exc is not None else []
    return {"errorMessage": message, "errorType": error_type, "stackTrace": [line.rstrip("\n") for line in trace]}


def load_handler() -> Any:
    """Import _HANDLER ("module.function") as the Python runtime does; its errors carry the runtime's names."""
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except Exception as exc:
        raise _InitError(
            _error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}", exc)
        ) from exc
    handler = getattr(module, function_name, None)
    if handler is None:
        raise _InitError(
            _error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'")
        )
    return handler


class _InitError(Exception):
    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(error["errorMessage"])
        self.error = error


def serve(channel: int) -> int:
    """The execution environment: import the handler, then answer invocations until the channel closes."""
    try:
        handler = load_handler()
    except _InitError as failed:
        send(channel, {"init": failed.error})
        return 1
    send(channel, {"init": None})
    while (request := receive(channel)) is not None:
        try:
            event = json.loads(request["payload"]) if request["payload"].strip() else {}
            result = handler(event, LambdaContext(request))
        except Exception as exc:
            traceback.print_exc()  # the runtime logs it too
            send(channel, {"error": _error(type(exc).__name__, str(exc), exc)})
            continue
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        try:
            send(channel, {"result": json.dumps(result)})
        except (TypeError, ValueError) as exc:
            send(channel, {"error": _error("Runtime.MarshalError", f"Unable to marshal response: {exc}")})
    return 0


def installed_packages(paths: list[str]) -> list[str]:
    """The top-level packages installed (by pip, with a RECORD) in the given folders."""
    names: set[str] = set()
    for folder in paths:
        if not os.path.isdir(folder):
            continue
        for entry in os.listdir(folder):
            record = os.path.join(folder, entry, "RECORD")
            if not (entry.endswith(".dist-info") and os.path.isfile(record)):
                continue
            with open(record, encoding="utf-8") as lines:
                for line in lines:
                    top = line.split(",", 1)[0].split("/", 1)[0]
                    if top.endswith(".py"):
                        top = top[:-3]
                    if top.isidentifier() and not top.startswith("_"):
                        names.add(top)
    return sorted(names)


def _preload(paths: list[str]) -> None:
    for name in installed_packages(paths):
        try:
            importlib.import_module(name)
        except Exception:  # noqa: S112 - a package that cannot import alone is imported (or not) by the handler
            continue


def _child(request: dict[str, Any], channel: int) -> int:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.environ.clear()
    os.environ.update(request["env"])
    os.chdir(request["cwd"])
    sys.path[:0] = request["paths"]
    send(channel, {"pid": os.getpid()})
    return serve(channel)


def zygote(control_fd: int, paths: list[str]) -> int:
    """Import the packages once, then fork an environment for each spawn request until the control closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel; the parent watches them
    sys.path[:0] = paths
    _preload(paths)
    control = socket.socket(fileno=control_fd)
    control.send(json.dumps({"ready": True}).encode())
    while True:
        message, fds, _, _ = socket.recv_fds(control, 1 << 20, 1)
        if not message:
            return 0
        pid = os.fork()
        if pid == 0:
            control.close()
            code = 1
            try:
                code = _child(json.loads(message), fds[0])
            finally:
                os._exit(code)
        for fd in fds:
            os.close(fd)


if __name__ == "__main__":
    raise SystemExit(zygote(int(sys.argv[1]), sys.argv[2:]))
