"""Delivering buyers' webhook events: one signed POST per event id, retried with backoff until her URL answers 2xx.

An event is claimed by its id before the POST and the claim completed after a 2xx (the claim store's lease), so a
message SQS delivers twice, or the same event queued twice by a retried stage, is POSTed once. A failed attempt
(an answer other than 2xx, no answer within the timeout, no connection) releases the claim, hides its message for
:func:`telar.webhooks.retry_delay` and fails that message alone; after the queue's maxReceiveCount it is parked in
the DLQ, which raises an alarm (docs/operations.md, "Webhook DLQ").
"""

from collections.abc import Callable
from datetime import datetime

from telar.errors import TelarError
from telar.observability import logger, metrics
from telar.ports import Ports
from telar.webhooks import WebhookEvent, retry_delay, signed_headers

Post = Callable[[str, bytes, dict[str, str]], int]  # (url, body, headers) -> the answer's status code


class WebhookFailed(TelarError):
    """The buyer's URL did not take the event (an answer other than 2xx), or she has no secret to sign with."""


def deliver(ports: Ports, event: WebhookEvent, post: Post, now: datetime) -> str:
    """POST ``event`` to its buyer's URL once; returns ``delivered``, ``duplicate`` or ``no_webhook``.

    Raises
    ------
    WebhookFailed, OSError
        not delivered: the claim is released, so the next attempt POSTs it.
    """
    buyer = ports.auth.get_buyer(event.buyer_id)
    if buyer is None or not buyer.active or not buyer.webhook_url:  # her URL was removed since the event was queued
        return "no_webhook"
    claim = f"webhook#{event.event_id}"
    if not ports.claims.claim(claim):
        return "duplicate"
    try:
        secret = ports.webhook_secrets.get(buyer.buyer_id)
        if secret is None:
            raise WebhookFailed(f"buyer {buyer.buyer_id} has no webhook secret (see docs/operations.md)")
        status = post(buyer.webhook_url, event.body(), signed_headers(event, secret, int(now.timestamp())))
        if not 200 <= status < 300:
            raise WebhookFailed(f"the buyer's URL answered {status}")
    except Exception:
        ports.claims.release(claim)
        raise
    ports.claims.complete(claim)
    return "delivered"


def deliver_message(ports: Ports, body: str, receive_count: int, receipt_handle: str, post: Post, now: datetime) -> str:
    """One queued message: its event delivered, or its next attempt put off with backoff before it fails."""
    event = WebhookEvent.model_validate_json(body)
    logger.append_keys(event_id=event.event_id, buyer_id=event.buyer_id)
    try:
        outcome = deliver(ports, event, post, now)
    except Exception as e:
        delay = retry_delay(receive_count)
        ports.webhooks.retry_later(receipt_handle, delay)
        metrics.add_metric(name="WebhookAttemptsFailed", unit="Count", value=1)
        # the error's kind and message only: what a buyer's server answered in its body is never logged
        logger.warning("webhook not delivered", attempt=receive_count, retry_in_seconds=delay, error=repr(e)[:300])
        raise
    if outcome == "delivered":
        metrics.add_metric(name="WebhooksDelivered", unit="Count", value=1)
    logger.info("webhook event handled", outcome=outcome, event_type=event.type)
    return outcome
