"""What a buyer is told about her order: an e-mail in her language, once per event, to her address on record.

Events: confirmed (the committed date and the lines; a plan already later than it says so and why), date
changed (old and new date, why), ready to ship (links to its documents), needs attention (the reason in buyer
words), cancelled. Each is sent at most once per order (a date change once per new date), whatever the number
of deliveries of the stage that tells her (``send_once``). A buyer no longer active is told nothing. A buyer
with a webhook URL on her record also gets each event as a signed POST (telar.webhooks), queued here and sent by
the delivery function (telar.stages.webhook_delivery).
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from telar import messages
from telar.artifacts import buyer_documents
from telar.models import Order, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.rendering import render_mail
from telar.stages.notify import send_once
from telar.webhooks import EVENT_TYPES, WebhookEvent, event_id

MAIL_LINK_SECONDS = 12 * 3600  # long enough to open from a mailbox; the API gives fresh links after
_DOCUMENT_NAMES = {"cards": messages.CARDS_TO_PRINT(), "packing_list": messages.PACKING_LIST()}


def tell_buyer(
    ports: Ports, order: Order, event: str, once_per: str = "", news: dict[str, Any] | None = None, **context: Any
) -> None:
    """E-mail the order's buyer ``templates/mail/buyer_<event>``, once per order and event (and ``once_per``);
    a buyer with a webhook URL also gets the event there, with ``news`` (JSON values) beside the order's dates."""
    buyer = ports.auth.get_buyer(order.buyer_id)
    if buyer is None or not buyer.active:
        logger.info("buyer not told: no active buyer on record", order_id=order.order_id, news=event)
        return
    mail = render_mail(f"buyer_{event}", buyer.language, buyer=buyer, order=order, **context)
    name = f"buyer#{order.order_id}#{event}{once_per}"
    send_once(ports, name, to=[str(buyer.email)], mail=mail)
    if buyer.webhook_url:  # queued on every delivery of the stage: the event id is the same, delivery de-duplicates
        data = {
            "order_id": order.order_id,
            "buyer_reference": order.buyer_reference,
            "committed_ship_date": order.promised_ship_date.isoformat(),
            **(news or {}),
        }
        event_type = EVENT_TYPES[event]
        ports.webhooks.publish(
            WebhookEvent(
                event_id=event_id(name),
                type=event_type,
                buyer_id=buyer.buyer_id,
                created_at=datetime.now(UTC),
                data=data,
            )
        )


def confirmed(ports: Ports, order: Order, ref: ReferenceData, expected: date | None) -> None:
    """The order is planned: its committed date and lines; ``expected`` when the plan is later than that date."""
    lines = [
        {
            "quantity": line.quantity,
            "sku": line.sku,
            "name": (p.name if (p := ref.find_product(line.sku)) else line.sku),
        }
        for line in order.lines
    ]
    late = expected if expected and expected > order.promised_ship_date else None
    news = {"expected_ship_date": (expected or order.promised_ship_date).isoformat()}
    if late:
        news["reason"] = str(messages.CAPACITY_SHORT())
    tell_buyer(ports, order, "confirmed", news=news, lines=lines, expected=late, reason=messages.CAPACITY_SHORT())


def date_changed(ports: Ports, order: Order, old: date, new: date, reason: messages.Text) -> None:
    news = {"previous_ship_date": old.isoformat(), "expected_ship_date": new.isoformat(), "reason": str(reason)}
    once_per = f"#{new.isoformat()}"
    tell_buyer(ports, order, "date_changed", once_per, news, old=old, new=new, reason=reason)


def ready(ports: Ports, order: Order, units: int) -> None:
    """Ready to ship, with links to its documents that last long enough to be opened from a mailbox."""
    until = datetime.now(UTC) + timedelta(seconds=MAIL_LINK_SECONDS)
    links = [
        (_DOCUMENT_NAMES[name], ports.artifacts.link(key, MAIL_LINK_SECONDS))
        for name, key in sorted(buyer_documents(order.order_id).items())
    ]
    # the webhook carries no links: a queued event may wait longer than a link lives; GET the order for fresh ones
    news = {"units_passed": units}
    tell_buyer(ports, order, "ready", news=news, units=units, links=links, until=until.strftime("%Y-%m-%d %H:%M"))


def attention(ports: Ports, order: Order, reason: str) -> None:
    """The order needs a person: the reason in buyer words."""
    tell_buyer(ports, order, "attention", news={"reason": reason}, reason=reason)
