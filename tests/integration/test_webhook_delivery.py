"""Webhooks against moto (SQS, SSM, the table) and a real HTTP server on this machine: an event queued by the
buyer's news is POSTed signed, a failed POST comes back after its backoff and is then delivered once."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from telar.adapters.webhooks import HttpPoster, WebhookRefused
from telar.models import Buyer
from telar.ports import Ports
from telar.stages import buyer_news
from telar.stages.webhook_delivery import WebhookFailed, deliver_message
from telar.webhooks import EVENT_ID_HEADER, verify
from tests.factories import make_order
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver(500) as server:
        yield server


def _receive(ports: Ports) -> list[dict[str, Any]]:
    reply = boto3.client("sqs").receive_message(
        QueueUrl=ports.settings.webhook_queue_url, AttributeNames=["ApproximateReceiveCount"], MaxNumberOfMessages=10
    )
    return list(reply.get("Messages", []))


def _make_visible(ports: Ports, message: dict[str, Any]) -> None:
    """What the passing of the backoff does."""
    boto3.client("sqs").change_message_visibility(
        QueueUrl=ports.settings.webhook_queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )


def test_an_event_is_posted_to_a_real_server_retried_after_a_500_and_delivered_once(
    aws: Ports, receiver: WebhookReceiver
) -> None:
    # Given a buyer with a webhook URL (a server on this machine: the local cloud's setting) and her secret in SSM
    buyer = Buyer(buyer_id="buyer-hooked", name="Hooked", email="hooked@example.org", webhook_url=receiver.url)
    aws.auth.put_buyer(buyer, "hash")
    assert aws.webhook_secrets.create(buyer.buyer_id, "whsec_integration")
    order = make_order(buyer_id=buyer.buyer_id)
    post = HttpPoster(allow_private=True, timeout=5).post
    # When her order is cancelled (the news queues an event on SQS)
    buyer_news.tell_buyer(aws, order, "cancelled")
    [message] = _receive(aws)
    count = int(message["Attributes"]["ApproximateReceiveCount"])
    # and the first POST is answered 500
    with pytest.raises(WebhookFailed):
        deliver_message(aws, message["Body"], count, message["ReceiptHandle"], post, datetime.now(UTC))
    # Then the message is hidden for its backoff (not visible at once)
    assert _receive(aws) == []
    # When the backoff has passed and the message comes back
    _make_visible(aws, message)
    [again] = _receive(aws)
    assert int(again["Attributes"]["ApproximateReceiveCount"]) == 2
    assert deliver_message(aws, again["Body"], 2, again["ReceiptHandle"], post, datetime.now(UTC)) == "delivered"
    # Then the server has two POSTs of one event, the second signed with her secret over the exact body
    assert len(receiver.received) == 2
    (first_headers, first_body), (headers, body) = receiver.received
    assert first_body == body and first_headers[EVENT_ID_HEADER] == headers[EVENT_ID_HEADER]
    assert verify("whsec_integration", headers, body, now=int(datetime.now(UTC).timestamp()))
    event = json.loads(body)
    assert event["type"] == "order.cancelled" and event["data"]["order_id"] == order.order_id
    assert "buyer_id" not in event and "buyer-hooked" not in body.decode()
    # When SQS delivers the same message once more (at least once), Then nothing is POSTed again
    _make_visible(aws, again)
    [third] = _receive(aws)
    assert deliver_message(aws, third["Body"], 3, third["ReceiptHandle"], post, datetime.now(UTC)) == "duplicate"
    assert len(receiver.received) == 2


def test_a_buyer_without_a_url_queues_nothing(aws: Ports) -> None:
    buyer = Buyer(buyer_id="buyer-mail-only", name="Mail", email="mail@example.org")
    aws.auth.put_buyer(buyer, "hash")
    buyer_news.tell_buyer(aws, make_order(buyer_id=buyer.buyer_id), "cancelled")
    assert _receive(aws) == []


def test_the_secret_store_keeps_the_first_secret_encrypted(aws: Ports) -> None:
    assert aws.webhook_secrets.create("buyer-x", "whsec_one")
    assert not aws.webhook_secrets.create("buyer-x", "whsec_two")
    assert aws.webhook_secrets.get("buyer-x") == "whsec_one"
    parameter = boto3.client("ssm").get_parameter(Name="/telar-test/webhook-secrets/buyer-x")["Parameter"]
    assert parameter["Type"] == "SecureString" and parameter["Value"] != "whsec_one"
    aws.webhook_secrets.delete("buyer-x")
    assert aws.webhook_secrets.get("buyer-x") is None


def test_on_aws_a_host_resolving_to_this_machine_is_refused_before_any_connection(receiver: WebhookReceiver) -> None:
    # Given a URL whose name resolves to loopback, posted without the local cloud's setting
    url = receiver.url.replace("127.0.0.1", "localhost")
    with pytest.raises(WebhookRefused):
        HttpPoster(allow_private=False, timeout=5).post(url, b"{}", {})
    assert receiver.received == []
