"""Webhooks (issue 16): the buyer's order news POSTed to her URL, signed, retried with backoff, once per event id."""

import hashlib
import hmac
import json
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO

import openpyxl
import pytest

from telar import orders
from telar.models import Buyer
from telar.ports import Ports
from telar.stages.order_status import record_outcome
from telar.stages.reference_upload import accept_reference_upload
from telar.stages.split_work import split_work
from telar.stages.webhook_delivery import WebhookFailed, deliver, deliver_message
from telar.webhooks import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookEvent,
    retry_delay,
    sign,
    signed_headers,
    url_problem,
    verify,
)
from tests.conftest import SAMPLES
from tests.fakes import MemoryWebhooks, sent_mails
from tests.pipeline import BUYER, import_sample_reference, order_request

HOOKED = BUYER.model_copy(update={"buyer_id": "buyer-hooked", "webhook_url": "https://hooks.example.org/telar"})
SECRET = "whsec_test-secret"
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _event(event_id: str = "evt_1", buyer: Buyer = HOOKED) -> WebhookEvent:
    data = {"order_id": "ord-1", "buyer_reference": "PO-1", "committed_ship_date": "2027-01-15"}
    return WebhookEvent(event_id=event_id, type="order.confirmed", buyer_id=buyer.buyer_id, created_at=NOW, data=data)


class Receiver:
    """A buyer's server: answers each POST with the next status of ``answers`` (then 200), keeps what it got."""

    def __init__(self, *answers: int | Exception):
        self.answers = list(answers)
        self.received: list[tuple[str, bytes, dict[str, str]]] = []

    def __call__(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        self.received.append((url, body, headers))
        answer = self.answers.pop(0) if self.answers else 200
        if isinstance(answer, Exception):
            raise answer
        return answer


def _hooked_ports(ports: Ports, buyer: Buyer = HOOKED) -> Ports:
    ports.auth.put_buyer(buyer, f"hash-of-{buyer.buyer_id}")
    ports.webhook_secrets.create(buyer.buyer_id, SECRET)
    return ports


# ---------------------------------------------------------------- signing


def test_the_signature_is_hmac_sha256_of_timestamp_dot_body_and_verifies() -> None:
    # Given an event signed at a time
    event, timestamp = _event(), int(NOW.timestamp())
    headers = signed_headers(event, SECRET, timestamp)
    body = event.body()
    # Then the signature is what a receiver computes with the standard library alone
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    assert headers[TIMESTAMP_HEADER] == str(timestamp) and headers[EVENT_ID_HEADER] == "evt_1"
    # and it verifies, with the header names in any case, within the tolerance
    assert verify(SECRET, {k.lower(): v for k, v in headers.items()}, body, now=timestamp + 299)
    # but not with another secret, another body, a stale or a future timestamp
    assert not verify("whsec_other", headers, body, now=timestamp)
    assert not verify(SECRET, headers, body.replace(b"PO-1", b"PO-2"), now=timestamp)
    assert not verify(SECRET, headers, body, now=timestamp + 301)
    assert not verify(SECRET, headers, body, now=timestamp - 301)
    assert not verify(SECRET, {**headers, TIMESTAMP_HEADER: "12x"}, body, now=timestamp)
    # and the body is JSON with the id, type and data (no buyer id: it is hers, and not a field of the event)
    assert json.loads(body) == {
        "id": "evt_1",
        "type": "order.confirmed",
        "created_at": NOW.isoformat(),
        "data": _event().data,
    }


def test_a_signature_is_over_the_exact_bytes_and_changes_with_the_timestamp() -> None:
    assert sign(SECRET, 1, b"{}") != sign(SECRET, 2, b"{}")
    assert sign(SECRET, 1, b"{}") != sign(SECRET, 1, b"{ }")


@pytest.mark.parametrize(
    ("url", "allow_private", "problem"),
    [
        ("https://hooks.example.org/telar?x=1", False, None),
        ("https://203.0.113.9/hook", False, "a public address"),  # documentation range: not global
        ("https://8.8.8.8/hook", False, None),
        ("http://hooks.example.org/telar", False, "an https:// URL"),
        ("https://localhost/hook", False, "a public host name"),
        ("https://127.0.0.1:8443/hook", False, "a public address"),
        ("https://10.0.0.5/hook", False, "a public address"),
        ("https://169.254.169.254/latest/meta-data", False, "a public address"),
        ("https://[::1]/hook", False, "a public address"),
        ("https://[::ffff:127.0.0.1]/hook", False, "a public address"),
        ("https://user:pw@hooks.example.org/", False, "without a user"),
        ("https://hooks.example.org/#frag", False, "without a user"),
        ("ftp://hooks.example.org/", False, "an https:// URL"),
        ("https://hooks.example.org:99999/", False, "an https:// URL"),
        ("http://127.0.0.1:8080/hook", True, None),  # the local cloud only
        ("ftp://127.0.0.1/hook", True, "an https:// URL"),
    ],
)
def test_webhook_urls_are_https_to_public_hosts_unless_local(
    url: str, allow_private: bool, problem: str | None
) -> None:
    found = url_problem(url, allow_private)
    assert (found is None) if problem is None else (found is not None and problem in found)


def test_retries_back_off_from_thirty_seconds_to_a_quarter_of_an_hour() -> None:
    assert [retry_delay(n) for n in range(1, 8)] == [30, 60, 120, 240, 480, 900, 900]


# ---------------------------------------------------------------- delivery


def test_an_event_is_posted_signed_to_the_buyers_url(ports: Ports) -> None:
    _hooked_ports(ports)
    receiver = Receiver()
    assert deliver(ports, _event(), receiver, NOW) == "delivered"
    [(url, body, headers)] = receiver.received
    assert url == HOOKED.webhook_url
    assert verify(SECRET, headers, body, now=int(NOW.timestamp()))


def test_a_failed_delivery_is_retried_later_and_then_delivered_once(ports: Ports) -> None:
    # Given the buyer's server answers 503 once, then times out once, then takes it
    _hooked_ports(ports)
    receiver = Receiver(503, TimeoutError("timed out"))
    body = _event().model_dump_json()
    # When the message is delivered, and SQS delivers it again after each failure
    with pytest.raises(WebhookFailed):
        deliver_message(ports, body, 1, "receipt-1", receiver, NOW)
    with pytest.raises(TimeoutError):
        deliver_message(ports, body, 2, "receipt-2", receiver, NOW)
    assert deliver_message(ports, body, 3, "receipt-3", receiver, NOW) == "delivered"
    # Then each failure put its next attempt off with backoff, and the third attempt was the last POST
    assert isinstance(ports.webhooks, MemoryWebhooks)
    assert ports.webhooks.delays == {"receipt-1": 30, "receipt-2": 60}
    assert len(receiver.received) == 3
    # and a later redelivery of the same message does not POST it again
    assert deliver_message(ports, body, 4, "receipt-4", receiver, NOW) == "duplicate"
    assert len(receiver.received) == 3


def test_the_same_event_queued_twice_is_posted_once(ports: Ports) -> None:
    _hooked_ports(ports)
    receiver = Receiver()
    assert deliver(ports, _event("evt_same"), receiver, NOW) == "delivered"
    assert deliver(ports, _event("evt_same"), receiver, NOW) == "duplicate"
    assert deliver(ports, _event("evt_other"), receiver, NOW) == "delivered"
    assert [h[EVENT_ID_HEADER] for _, _, h in receiver.received] == ["evt_same", "evt_other"]


def test_no_post_for_a_buyer_without_a_url_or_no_longer_active(ports: Ports) -> None:
    ports.auth.put_buyer(BUYER, "hash")  # no webhook URL
    inactive = HOOKED.model_copy(update={"buyer_id": "gone", "active": False})
    _hooked_ports(ports, inactive)
    receiver = Receiver()
    assert deliver(ports, _event(buyer=BUYER), receiver, NOW) == "no_webhook"
    assert deliver(ports, _event(buyer=inactive), receiver, NOW) == "no_webhook"
    assert receiver.received == []


def test_a_buyer_without_a_secret_is_not_posted_to_and_the_message_retries(ports: Ports) -> None:
    ports.auth.put_buyer(HOOKED, "hash")
    receiver = Receiver()
    with pytest.raises(WebhookFailed):
        deliver_message(ports, _event().model_dump_json(), 1, "r", receiver, NOW)
    assert receiver.received == []
    ports.webhook_secrets.create(HOOKED.buyer_id, SECRET)  # an operator sets it: the retry goes through
    assert deliver_message(ports, _event().model_dump_json(), 2, "r", receiver, NOW) == "delivered"


# ---------------------------------------------------------------- the events


def _published(ports: Ports) -> list[WebhookEvent]:
    assert isinstance(ports.webhooks, MemoryWebhooks)
    return ports.webhooks.published


def test_a_buyer_with_a_url_gets_her_news_as_events_with_stable_ids(ports: Ports) -> None:
    # Given a buyer with a webhook URL who orders
    import_sample_reference(ports)
    _hooked_ports(ports)
    view = orders.submit_order(ports, HOOKED, order_request())
    # When her order is planned (twice: a redelivery) and made ready
    split_work(ports, view.order_id)
    split_work(ports, view.order_id)
    record_outcome(ports, view.order_id, "READY_TO_SHIP")
    # Then she has a confirmed and a ready event, the confirmation queued twice under one id (delivered once)
    events = _published(ports)
    assert [e.type for e in events] == ["order.confirmed", "order.confirmed", "order.ready_to_ship"]
    assert events[0].event_id == events[1].event_id != events[2].event_id
    assert {e.buyer_id for e in events} == {HOOKED.buyer_id}
    confirmed = events[0].data
    assert confirmed["order_id"] == view.order_id and confirmed["buyer_reference"] == view.buyer_reference
    assert confirmed["committed_ship_date"] == view.committed_ship_date.isoformat()
    assert events[2].data["units_passed"] == 0
    # and a cancel of another order is an event too
    other = orders.submit_order(ports, HOOKED, order_request(1))
    orders.cancel_order(ports, HOOKED, other.order_id)
    assert _published(ports)[-1].type == "order.cancelled"


def test_a_buyer_without_a_url_gets_no_events(ports: Ports) -> None:
    import_sample_reference(ports)
    ports.auth.put_buyer(BUYER, "hash")
    view = orders.submit_order(ports, BUYER, order_request())
    split_work(ports, view.order_id)
    record_outcome(ports, view.order_id, "NEEDS_ATTENTION", {"Error": "States.Timeout"})
    assert _published(ports) == []


# ---------------------------------------------------------------- the URL on the buyers sheet, and her secret


def _with_webhook(data: bytes, row: int, url: str) -> bytes:
    """The workbook with a Webhook URL column on the buyers sheet (the samples predate it) and ``url`` at ``row``."""
    workbook = openpyxl.load_workbook(BytesIO(data))
    ws = workbook["buyers"]
    column = next((c.column for c in ws[1] if str(c.value).lower() == "webhook url"), ws.max_column + 1)
    ws.cell(row=1, column=column).value = "Webhook URL"
    ws.cell(row=row, column=column).value = url
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _upload(ports: Ports, data: bytes) -> str:
    stored = ports.uploads.put("reference/book.xlsx", data, "application/octet-stream")
    return accept_reference_upload(ports, "reference/book.xlsx", stored.version_id)


def test_a_buyer_given_a_url_gets_a_secret_by_e_mail_once_and_it_signs_her_events(ports: Ports) -> None:
    # Given the reference data with a webhook URL for the first buyer
    book = _with_webhook((SAMPLES / "reference.xlsx").read_bytes(), 2, "https://hooks.example.org/telar")
    assert _upload(ports, book) == "applied"
    [buyer] = [b for b in ports.reference.load_reference_buyers() if b.webhook_url]
    # Then she got one e-mail with her signing secret, and the secret store holds it
    [mail] = [m for m in sent_mails(ports) if m.to == [str(buyer.email)] and "webhook" in m.message["Subject"]]
    secret = next(w for w in mail.text.split() if w.startswith("whsec_"))
    assert ports.webhook_secrets.get(buyer.buyer_id) == secret
    # When the URL changes in a later upload
    assert _upload(ports, _with_webhook(book, 2, "https://hooks.example.org/v2")) == "applied"
    # Then no new secret is made or sent
    assert ports.webhook_secrets.get(buyer.buyer_id) == secret
    assert len([m for m in sent_mails(ports) if "webhook" in m.message["Subject"]]) == 1


@pytest.mark.parametrize("url", ["http://hooks.example.org/telar", "https://127.0.0.1/hook", "https://localhost/x"])
def test_a_url_webhooks_may_not_go_to_is_refused_at_its_cell(ports: Ports, url: str) -> None:
    book = _with_webhook((SAMPLES / "reference.xlsx").read_bytes(), 2, url)
    assert _upload(ports, book) == "rejected"
    [report] = [m for m in sent_mails(ports) if m.to[0].startswith("finance")]
    assert "buyers!" in report.text
    assert ports.reference.reference_version() is None


def test_the_local_cloud_may_use_a_receiver_on_this_machine(ports: Ports) -> None:
    local = replace(ports, settings=ports.settings.model_copy(update={"webhooks_allow_private": True}))
    book = _with_webhook((SAMPLES / "reference.xlsx").read_bytes(), 2, "http://127.0.0.1:8080/hook")
    assert _upload(local, book) == "applied"
