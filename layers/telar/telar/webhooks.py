"""Webhooks: a buyer's order news POSTed to the URL on her record, signed, once per event id.

The same events as her e-mails (confirmed, date changed, ready to ship, needs attention, cancelled) go through a
queue to the delivery function, which POSTs each one as JSON with three headers:

- ``Telar-Event-Id``: the event's id, the same on every attempt (the receiver de-duplicates on it);
- ``Telar-Timestamp``: seconds since the epoch when this attempt was signed;
- ``Telar-Signature``: hex HMAC-SHA256, keyed with the buyer's webhook secret, of ``timestamp + "." + body``.

A receiver recomputes the signature over the raw body and refuses a timestamp older than a few minutes
(:func:`verify`; the OpenAPI document carries the same example). Pure logic: no I/O here.
"""

import hashlib
import hmac
import ipaddress
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field

SIGNATURE_HEADER: Final = "Telar-Signature"
TIMESTAMP_HEADER: Final = "Telar-Timestamp"
EVENT_ID_HEADER: Final = "Telar-Event-Id"
TOLERANCE_SECONDS: Final = 300  # a receiver refuses a signature older than this (a replayed request)

# The buyer's news (telar.stages.buyer_news) -> the webhook event type a receiver switches on.
EventType = Literal[
    "order.confirmed", "order.date_changed", "order.ready_to_ship", "order.needs_attention", "order.cancelled"
]
EVENT_TYPES: Final[dict[str, EventType]] = {
    "confirmed": "order.confirmed",
    "date_changed": "order.date_changed",
    "ready": "order.ready_to_ship",
    "attention": "order.needs_attention",
    "cancelled": "order.cancelled",
}

RETRY_FIRST_SECONDS: Final = 30
RETRY_MAX_SECONDS: Final = 900  # SQS allows up to 12 hours; a quarter of an hour keeps a receiver's outage short


class WebhookEvent(BaseModel, defer_build=True):
    """One event for one buyer, as queued. ``buyer_id`` says whose URL and secret; it is not in the POSTed body."""

    event_id: str
    type: EventType
    buyer_id: str
    created_at: datetime
    data: dict[str, Any] = Field(description="the order's id, reference, status and dates; the event's own fields")

    def body(self) -> bytes:
        """The JSON the receiver gets (the bytes that are signed): the same bytes on every attempt."""
        payload = {"id": self.event_id, "type": self.type, "created_at": self.created_at.isoformat(), "data": self.data}
        return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def event_id(once_name: str) -> str:
    """A stable id for the news named ``once_name`` (order, event, new date...): every retry of the stage that tells
    the buyer enqueues the same id, so the delivery and the receiver can both de-duplicate on it."""
    return "evt_" + hashlib.sha256(once_name.encode()).hexdigest()[:32]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``timestamp + "." + body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def signed_headers(event: WebhookEvent, secret: str, timestamp: int) -> dict[str, str]:
    """The headers of one delivery attempt (ids and digits only: nothing a buyer wrote goes into a header)."""
    return {
        "Content-Type": "application/json",
        "User-Agent": "Telar-Webhooks/1",
        EVENT_ID_HEADER: event.event_id,
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, event.body()),
    }


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: int, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver checks: the signature over the raw body and a timestamp within ``tolerance`` of ``now``."""
    by_name = {k.lower(): v for k, v in headers.items()}
    timestamp, signature = by_name.get(TIMESTAMP_HEADER.lower(), ""), by_name.get(SIGNATURE_HEADER.lower(), "")
    if not timestamp.isdigit() or abs(now - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def retry_delay(receive_count: int) -> int:
    """Seconds before the next attempt after the ``receive_count``-th failed one: 30 s, doubling, at most 15 min."""
    return min(RETRY_FIRST_SECONDS * 2 ** max(receive_count - 1, 0), RETRY_MAX_SECONDS)


def address_allowed(address: str, allow_private: bool = False) -> bool:
    """A public unicast address, or any address where ``allow_private`` (the local cloud only)."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return allow_private or (ip.is_global and not ip.is_multicast)


def url_problem(url: str, allow_private: bool = False) -> str | None:
    """What is wrong with ``url`` as a webhook URL (None: nothing): https with a host name or a public address,
    no user or password, no fragment. ``allow_private`` (the local cloud only) also takes http and loopback or
    private hosts. Names that resolve to private addresses are refused at delivery, when they are resolved."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "an https:// URL"
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        return "an https:// URL with a host name"
    if parts.username is not None or parts.password is not None or parts.fragment:
        return "a URL without a user, password or #fragment"
    host = parts.hostname
    if not allow_private and (host == "localhost" or host.endswith((".localhost", ".local", ".internal"))):
        return "a public host name (not localhost or a local network name)"
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address_allowed(str(literal), allow_private):
        return "a public address (not loopback, private or link-local)"
    return None


VERIFY_EXAMPLE: Final = '''\
import hashlib, hmac, json, time

def verified_event(secret: str, headers: dict[str, str], body: bytes, tolerance: int = 300) -> dict | None:
    """The event if Telar signed this request (the raw body, as received), else None."""
    timestamp = headers.get("Telar-Timestamp", "")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return None  # missing, or too old: a replayed request
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, headers.get("Telar-Signature", "")):
        return None
    return json.loads(body)  # then de-duplicate on event["id"] (the Telar-Event-Id header)
'''


def webhooks_section() -> dict[str, Any]:
    """The OpenAPI document's ``webhooks``: what Telar POSTs to a buyer's URL, how to verify it, how it retries.
    A plain dict (OpenAPI 3.1), so describing it costs a function's cold start nothing."""
    header = {"in": "header", "required": True, "schema": {"type": "string"}}
    date_field = {"type": "string", "format": "date"}
    return {
        "orderEvent": {
            "post": {
                "summary": "News of your order, POSTed to your webhook URL",
                "description": (
                    "Optional: Telar POSTs these to the https URL on your buyer record (ask us to set it; you get "
                    "a signing secret by e-mail, once). The same events as the e-mails: `order.confirmed`, "
                    "`order.date_changed`, `order.ready_to_ship` (read the order for its `artifacts` links), "
                    "`order.needs_attention` and `order.cancelled`.\n\n"
                    f"**Verify every request.** `{SIGNATURE_HEADER}` is the hex HMAC-SHA256, keyed with your "
                    f"secret, of `{TIMESTAMP_HEADER}` + `.` + the raw body. Refuse a timestamp more than "
                    f"{TOLERANCE_SECONDS // 60} minutes away from your clock.\n\n"
                    f"**Answer 2xx quickly.** Anything else, or no answer within 8 seconds, is retried after "
                    f"{RETRY_FIRST_SECONDS} s, doubling up to {RETRY_MAX_SECONDS // 60} minutes, 8 attempts in all "
                    "(about 45 minutes); then our team is alerted. An event may arrive more than once and out of "
                    f"order: `{EVENT_ID_HEADER}` (also `id` in the body) is the same on every attempt, so process "
                    "each id once, and read the order (`GET /orders/{order_id}`) for its state now.\n\n"
                    "```python\n" + VERIFY_EXAMPLE + "```"
                ),
                "security": [],
                "parameters": [
                    {**header, "name": SIGNATURE_HEADER, "description": "hex HMAC-SHA256 of timestamp.body"},
                    {**header, "name": TIMESTAMP_HEADER, "description": "seconds since the epoch, when signed"},
                    {**header, "name": EVENT_ID_HEADER, "description": "the event's id: de-duplicate on it"},
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["id", "type", "created_at", "data"],
                                "properties": {
                                    "id": {"type": "string", "examples": ["evt_3f1c0a9e4b7d2c65a8e1f0b9d4c7a2e6"]},
                                    "type": {"type": "string", "enum": list(EVENT_TYPES.values())},
                                    "created_at": {"type": "string", "format": "date-time"},
                                    "data": {
                                        "type": "object",
                                        "required": ["order_id", "buyer_reference", "committed_ship_date"],
                                        "properties": {
                                            "order_id": {"type": "string"},
                                            "buyer_reference": {"type": "string"},
                                            "committed_ship_date": date_field,
                                            "expected_ship_date": {
                                                **date_field,
                                                "description": "confirmed, date_changed: when it is planned to ship",
                                            },
                                            "previous_ship_date": {**date_field, "description": "date_changed"},
                                            "reason": {
                                                "type": "string",
                                                "description": "date_changed, needs_attention (and confirmed when "
                                                "the plan is later than the committed date)",
                                            },
                                            "units_passed": {"type": "integer", "description": "ready_to_ship"},
                                        },
                                    },
                                },
                            },
                            "example": {
                                "id": "evt_3f1c0a9e4b7d2c65a8e1f0b9d4c7a2e6",
                                "type": "order.date_changed",
                                "created_at": "2027-01-20T14:03:11+00:00",
                                "data": {
                                    "order_id": "ord-20270112-7f3a",
                                    "buyer_reference": "PO-2027-014",
                                    "committed_ship_date": "2027-02-15",
                                    "previous_ship_date": "2027-02-15",
                                    "expected_ship_date": "2027-02-22",
                                    "reason": "some units did not pass quality control and are being made again",
                                },
                            },
                        }
                    },
                },
                "responses": {"200": {"description": "Received (any 2xx will do)"}},
            }
        }
    }
