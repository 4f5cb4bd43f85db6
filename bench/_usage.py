"""What the functions ask of AWS during a benchmark, counted where the local cloud answers it.

``Usage`` is WSGI middleware for the local endpoint (``LocalCloud.endpoint.wrap(usage.wrapping)``): it counts
the requests signed with the keys it is told to watch (each function's role has its own), by service and
operation, with the request units DynamoDB would bill for them. ``Invocations`` reads the local Lambda
runtime's REPORT lines (duration and memory of every invocation), as CloudWatch Logs would show them.
"""

from __future__ import annotations

import io
import json
import logging
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from typing import Any

_DYNAMODB_READS = {"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"}
_DYNAMODB_WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


class Usage:
    """Counts requests signed with ``keys`` while ``on``: ``calls[(service, operation)]`` and DynamoDB's request
    units (``read_units``, ``write_units``), estimated as on-demand DynamoDB bills them: a write costs one unit
    per KB of item (two in a transaction), a strongly consistent read one per 4 KB returned (a Query or Scan sums
    its items), eventually consistent half of that. Sizes are those of the JSON on the wire, a close upper bound.
    """

    def __init__(self, keys: set[str]) -> None:
        self.app: Any = None
        self.keys = set(keys)
        self.on = False
        self.calls: Counter[tuple[str, str]] = Counter()
        self.read_units = 0.0
        self.write_units = 0.0
        self._lock = threading.Lock()

    def wrapping(self, app: Any) -> Usage:
        self.app = app
        return self

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.read_units = self.write_units = 0.0

    def count(self, service: str) -> int:
        return sum(n for (s, _), n in self.calls.items() if s == service)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        credential = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].partition("/")[0]
        if not (self.on and credential in self.keys):
            return self.app(environ, start_response)
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        service = _service(environ)
        if service == "dynamodb":
            return self._dynamodb(target.partition(".")[2], environ, start_response)
        if service == "s3":
            operation = _s3_operation(environ)
        else:
            operation = target.partition(".")[2] or environ.get("REQUEST_METHOD", "")
        with self._lock:
            self.calls[(service, operation)] += 1
        return self.app(environ, start_response)

    def _dynamodb(self, operation: str, environ: dict[str, Any], start_response: Any) -> Any:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        reply = b"".join(self.app(environ, start_response))
        request = json.loads(body or b"{}")
        units_read = units_written = 0.0
        if operation in _DYNAMODB_WRITES:
            items = _written_items(operation, request)
            per_item = 2 if operation == "TransactWriteItems" else 1
            units_written = sum(per_item * max(1, math.ceil(len(json.dumps(i)) / 1024)) for i in items)
        elif operation in _DYNAMODB_READS:
            consistent = request.get("ConsistentRead") or operation == "TransactGetItems"
            units_read = max(1, math.ceil(len(reply) / 4096)) * (1.0 if consistent else 0.5)
        with self._lock:
            self.calls[("dynamodb", operation)] += 1
            self.read_units += units_read
            self.write_units += units_written
        return [reply]


def _service(environ: dict[str, Any]) -> str:
    """The service a SigV4 request was signed for (Credential=key/date/region/service/aws4_request)."""
    credential = environ.get("HTTP_AUTHORIZATION", "").partition("Credential=")[2].split(",")[0]
    parts = credential.split("/")
    return parts[3] if len(parts) > 3 else ""


def _s3_operation(environ: dict[str, Any]) -> str:
    """S3 bills PUT, COPY, POST and LIST at one price, GET and HEAD at another."""
    method, query = environ.get("REQUEST_METHOD", ""), environ.get("QUERY_STRING", "")
    bucket_only = len(environ.get("PATH_INFO", "").strip("/").split("/")) == 1  # path-style: /bucket
    if method == "GET" and (bucket_only or "list-type" in query):
        return "LIST"
    return method


def _written_items(operation: str, request: dict[str, Any]) -> list[Any]:
    if operation == "PutItem":
        return [request.get("Item", {})]
    if operation in ("UpdateItem", "DeleteItem"):
        return [request]  # the item's size is not on the wire; the request is a lower bound
    if operation == "BatchWriteItem":
        return [next(iter(w.values())) for ws in request.get("RequestItems", {}).values() for w in ws]
    if operation == "TransactWriteItems":
        return [next(iter(t.values())) for t in request.get("TransactItems", []) if "ConditionCheck" not in t]
    return []


@dataclass(frozen=True)
class Invocation:
    function: str
    duration_ms: float
    memory_mb: int


class Invocations(logging.Handler):
    """Every REPORT line local.lambdas logs (one per invocation), kept while attached."""

    _FIELDS = re.compile(r"Function: (\S+)\tDuration: ([\d.]+) ms\tMemory Size: (\d+) MB")

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.seen: list[Invocation] = []
        self._logger = logging.getLogger("local.lambdas")
        self._level = self._logger.level

    def __enter__(self) -> Invocations:
        self._logger.addHandler(self)
        self._logger.setLevel(logging.INFO)
        return self

    def __exit__(self, *_: object) -> None:
        self._logger.removeHandler(self)
        self._logger.setLevel(self._level)

    def emit(self, record: logging.LogRecord) -> None:
        found = self._FIELDS.search(record.getMessage())
        if found:
            self.seen.append(Invocation(found[1], float(found[2]), int(found[3])))
