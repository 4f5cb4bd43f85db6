"""Fault injection through the local cloud: make a function's invocations fail, once or for good.

Tests (and a person trying the pipeline's resilience) declare *slots*: "the next order fails at
SplitWorkFunction once, after the handler ran" or "... fails at PayrollFunction every time". A slot holds one
*subject*: the order an invocation is about (the ``order_id`` of a Step Functions task's payload), or, for an
SQS batch of uploads, an S3 key it names. The first time the pipeline sees a subject that holds no slot, it
takes the first slot still free, in the order they were declared (whichever function it reaches first), so
several faults run side by side in one batch of orders, each order meets at most one, and which order meets
which does not depend on timing. A slot bound up front (``subject=`` an order id) also meets the uploads whose
keys name that order: a QC sheet's name carries its assignment id, which starts with the order id. A slot
declared with ``prefix=`` takes only a subject that starts with it: ``prefix="inbound/"`` holds the next e-mail
received (its key is SES's own message id, unknown until it is stored, and it names no order).

The faults sit in ``LambdaRuntime.intercept``, which every invocation passes: Step Functions' Invoke, Event
invocations and the SQS pollers alike. A failed invocation answers as Lambda does for an unhandled error
(``FunctionError: Unhandled`` and the error payload), so Step Functions' Retry and Catch, and the SQS poller's
retry after the visibility timeout and the queue's redrive to its DLQ, see it as they would on AWS.

``after=True`` runs the handler first and then reports the failure (a function that timed out or crashed after
its side effects): the retry must then find its work done and do nothing twice.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote_plus

from local.lambdas import Invocation, LambdaRuntime
from local.stack import FunctionSpec

TRANSIENT_ERROR = "Sandbox.Timedout"  # what Step Functions reports when an invocation timed out
PERMANENT_ERROR = "InjectedFault"  # no retrier matches it: the state machine's Catch takes over


@dataclass
class Slot:
    function: str  # the function's name (as the stack names it)
    times: int | None  # failures before it succeeds; None: every time
    after: bool
    error: str
    subject: str | None = None  # the order id (or the S3 key) it holds
    prefix: str | None = None  # free, it takes only a subject starting with this
    failures: int = 0

    def takes(self, subject: str) -> bool:
        return self.subject is None and (self.prefix is None or subject.startswith(self.prefix))

    def meets(self, subjects: list[str]) -> bool:
        return self.subject is not None and any(self.subject in s for s in subjects)

    @property
    def spent(self) -> bool:
        return self.times is not None and self.failures >= self.times


def subjects_of(payload: bytes) -> list[str]:
    """What an invocation is about: its order id, or the S3 keys of an SQS batch's S3 events."""
    try:
        event = json.loads(payload or b"{}")
    except ValueError:
        return []
    if not isinstance(event, dict):
        return []
    if isinstance(event.get("order_id"), str):
        return [event["order_id"]]
    keys = []
    for record in event.get("Records") or []:
        try:
            body = json.loads(record["body"])
            keys += [unquote_plus(r["s3"]["object"]["key"]) for r in body.get("Records") or []]
        except (ValueError, KeyError, TypeError, AttributeError):
            continue  # not an S3 event: nothing to hold
    return keys


@dataclass
class FaultInjector:
    runtime: LambdaRuntime
    slots: list[Slot] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)  # subjects met so far: only a new one takes a free slot
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail(
        self,
        function: str,
        *,
        times: int | None = 1,
        after: bool = False,
        error: str | None = None,
        subject: str | None = None,
        prefix: str | None = None,
    ) -> Slot:
        """Make the next order (or ``subject``, or the next subject starting with ``prefix``) reaching ``function``
        fail there ``times`` times (None: for good)."""
        spec = self.runtime.find(function)
        error = error or (TRANSIENT_ERROR if times is not None else PERMANENT_ERROR)
        slot = Slot(spec.name, times, after, error, subject, prefix)
        with self._lock:
            self.slots.append(slot)
        return slot

    def heal(self, slot: Slot) -> None:
        """The cause is fixed: the slot fails no more (a redrive or a retry then goes through)."""
        with self._lock:
            slot.times = slot.failures

    def bound(self) -> dict[str, Slot]:
        """subject -> the slot it met."""
        with self._lock:
            return {s.subject: s for s in self.slots if s.subject}

    def install(self) -> None:
        self.runtime.intercept = self._maybe_fail

    def _slot_for(self, name: str, subjects: list[str]) -> Slot | None:
        """The slot this invocation meets: one its subject holds (taking a free one at first sight), here."""
        with self._lock:
            held = [slot for slot in self.slots if slot.meets(subjects)]
            free = next((slot for slot in self.slots if slot.takes(subjects[0])), None)
            if not held and free is not None and subjects[0] not in self._seen:
                free.subject = subjects[0]
                held = [free]
            self._seen.update(subjects)
            return next((slot for slot in held if slot.function == name), None)

    def _maybe_fail(self, spec: FunctionSpec, payload: bytes, run: Callable[[], Invocation]) -> Invocation | None:
        subjects = subjects_of(payload)
        slot = self._slot_for(spec.name, subjects) if subjects else None
        if slot is None:
            return None
        with self._lock:
            if slot.spent:
                return None
            slot.failures += 1
            failure = slot.failures
        if slot.after:
            run()
        error = {"errorType": slot.error, "errorMessage": f"injected fault {failure} in {spec.name}"}
        return LambdaRuntime.failed(spec, str(uuid.uuid4()), error)
