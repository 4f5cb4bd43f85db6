"""Fault injection through the local cloud: make a function's invocations fail, once or for good.

Tests (and a person trying the pipeline's resilience) declare *slots*: "the next order to reach
SplitWorkFunction fails there once, after the handler ran" or "... fails there every time". Each slot binds
to the first order (the ``order_id`` of the invocation's payload) that reaches its function and no other slot
holds, so several faults run side by side in one batch of orders and each order meets at most one. A failed
invocation answers as Lambda does for an unhandled error (``FunctionError: Unhandled`` and the error payload),
so Step Functions' Retry and Catch see it as they would on AWS.

``after=True`` runs the handler first and then reports the failure (a function that timed out or crashed after
its side effects): the retry must then find its work done and do nothing twice.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

from local.lambdas import INVOKE_PARAMS_KEY, Invocation, LambdaRuntime

TRANSIENT_ERROR = "Sandbox.Timedout"  # what Step Functions reports when an invocation timed out
PERMANENT_ERROR = "InjectedFault"  # no retrier matches it: the state machine's Catch takes over


@dataclass
class Slot:
    function: str  # the function's name (as the stack names it)
    times: int | None  # failures before it succeeds; None: every time
    after: bool
    error: str
    order_id: str | None = None
    failures: int = 0


@dataclass
class FaultInjector:
    runtime: LambdaRuntime
    slots: list[Slot] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(self, function: str, *, times: int | None = 1, after: bool = False, error: str | None = None) -> Slot:
        """Make the next order that reaches ``function`` fail there ``times`` times (None: for good)."""
        spec = self.runtime.find(function)
        slot = Slot(spec.name, times, after, error or (TRANSIENT_ERROR if times is not None else PERMANENT_ERROR))
        with self._lock:
            self.slots.append(slot)
        return slot

    def bound(self) -> dict[str, Slot]:
        """order_id -> the slot it met."""
        with self._lock:
            return {s.order_id: s for s in self.slots if s.order_id}

    def install(self, session: Any) -> None:
        """Answer lambda.Invoke ahead of the runtime's own hook (registered first) for the faults declared.

        The runtime's install (done before this one) keeps each Invoke's parameters under INVOKE_PARAMS_KEY.
        """
        events = getattr(session, "events", None) or session.get_component("event_emitter")
        events.register_first("before-call.lambda.Invoke", self._maybe_fail, unique_id="telar_fault_injection")

    def _slot_for(self, name: str, order_id: str) -> Slot | None:
        with self._lock:
            for slot in self.slots:
                if slot.order_id == order_id:
                    return slot if slot.function == name else None
            for slot in self.slots:
                if slot.order_id is None and slot.function == name:
                    slot.order_id = order_id
                    return slot
        return None

    def _maybe_fail(self, context: dict[str, Any], **_: Any) -> Any:
        params = context.get(INVOKE_PARAMS_KEY) or {}
        payload = params.get("Payload")
        if hasattr(payload, "read"):
            payload = payload.read()
            params["Payload"] = payload  # a stream reads once: the runtime's hook, if it runs, gets the bytes
        try:
            event = json.loads(payload or b"{}")
            spec = self.runtime.find(str(params.get("FunctionName", "")))
        except (ValueError, LookupError):
            return None
        order_id = event.get("order_id") if isinstance(event, dict) else None
        slot = self._slot_for(spec.name, order_id) if isinstance(order_id, str) else None
        if slot is None or (slot.times is not None and slot.failures >= slot.times):
            return None
        slot.failures += 1
        if slot.after:
            self.runtime.answer(spec.name, payload, params.get("InvocationType"))
        request_id = str(uuid.uuid4())
        body = json.dumps(
            {
                "errorType": slot.error,
                "errorMessage": f"injected fault {slot.failures} in {spec.name}",
                "requestId": request_id,
            }
        ).encode()
        return LambdaRuntime._http_response(Invocation(200, body, request_id, function_error="Unhandled"))
