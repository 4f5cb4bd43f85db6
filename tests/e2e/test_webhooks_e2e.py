"""Webhooks through the served local cloud: an order through the API -> SplitWork queues the buyer's "confirmed"
event (and the intake function her cancellation) on the template's WebhookQueue -> the SQS poller ->
WebhookDeliveryFunction (its role checked: the secret read from SSM) -> a signed POST to a real server on this
machine."""

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import requests

from telar.adapters.dynamo import DynamoStores
from telar.adapters.webhooks import WebhookSecrets
from telar.webhooks import EVENT_TYPES, verify
from tests.conftest import SAMPLES
from tests.waiting import wait_for
from tests.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


def test_a_buyer_with_a_url_receives_her_confirmation_signed(
    served: dict[str, Any], served_stores: DynamoStores
) -> None:
    api, buyer = served["api_url"].rstrip("/"), served["buyers"][1]
    auth = served_stores.auth
    secrets = WebhookSecrets(f"/{served['stack_name']}/webhook-secrets/")
    profile = auth.get_buyer(buyer["buyer_id"])
    assert profile is not None
    with WebhookReceiver(503) as receiver:  # her server fails the first POST
        # Given the buyer's profile with a webhook URL on this machine, and a secret (as an import makes them)
        auth.put_buyer_profile(profile.model_copy(update={"webhook_url": receiver.url}))
        secrets.delete(buyer["buyer_id"])
        secrets.create(buyer["buyer_id"], "whsec_e2e")
        try:
            # When she orders through the API
            body = json.loads((SAMPLES / "orders" / "tiendasol-otono-2027.json").read_text())
            body |= {"buyer_reference": "HOOK-E2E", "requested_ship_date": str(date.today() + timedelta(days=160))}
            reply = requests.post(f"{api}/orders", json=body, headers={"x-api-key": buyer["api_key"]}, timeout=30)
            assert reply.status_code == 202, reply.text
            order_id = reply.json()["order_id"]

            # Then, after a retry, her server gets the confirmation of that order, signed with her secret
            def confirmed() -> list[tuple[dict[str, str], bytes]]:
                return [(h, b) for h, b in receiver.received if order_id in b.decode()]

            posts = wait_for(lambda: len(confirmed()) >= 2 and confirmed(), timeout=90, what="the webhook's retry")
            headers, raw = posts[-1]
            assert verify("whsec_e2e", headers, raw, now=int(datetime.now(UTC).timestamp()))
            event = json.loads(raw)
            assert event["type"] == "order.confirmed" and event["data"]["buyer_reference"] == "HOOK-E2E"
            assert len({h["Telar-Event-Id"] for h, _ in posts}) == 1  # one event, delivered on its second attempt

            # When she cancels it through the API (the intake function queues the event: its role is checked)
            cancel = requests.post(
                f"{api}/orders/{order_id}/cancel", headers={"x-api-key": buyer["api_key"]}, timeout=30
            )
            assert cancel.status_code == 200, cancel.text

            # Then her server is told, signed with her secret
            def cancelled() -> list[tuple[dict[str, str], bytes]]:
                return [(h, b) for h, b in confirmed() if json.loads(b)["type"] == EVENT_TYPES["cancelled"]]

            [(headers, raw), *_] = wait_for(cancelled, timeout=90, what="the cancellation's webhook")
            assert verify("whsec_e2e", headers, raw, now=int(datetime.now(UTC).timestamp()))
            assert json.loads(raw)["data"]["buyer_reference"] == "HOOK-E2E"
        finally:  # other tests share the cloud: her profile as it was
            auth.put_buyer_profile(profile)
            secrets.delete(buyer["buyer_id"])
