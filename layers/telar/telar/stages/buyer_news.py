"""What a buyer is told about her order: an e-mail in her language, once per event, to her address on record.

Events: confirmed (the committed date and the lines; a plan already later than it says so and why), date
changed (old and new date, why), ready to ship (links to its documents), needs attention (the reason in buyer
words), cancelled. Each is sent at most once per order (a date change once per new date), whatever the number
of deliveries of the stage that tells her (``send_once``). A buyer no longer active is told nothing.
"""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from telar import messages
from telar.artifacts import buyer_documents
from telar.models import Order, ReferenceData
from telar.observability import logger
from telar.ports import Ports
from telar.stages.notify import send_once

MAIL_LINK_SECONDS = 12 * 3600  # long enough to open from a mailbox; the API gives fresh links after
_DOCUMENT_NAMES = {"cards": messages.CARDS_TO_PRINT(), "packing_list": messages.PACKING_LIST()}


def tell_buyer(ports: Ports, order: Order, event: str, once_per: str = "", **context: Any) -> None:
    """E-mail the order's buyer ``templates/mail/buyer_<event>``, once per order and event (and ``once_per``)."""
    # imported here: jinja2 is a cold-start cost the intake API pays only when a buyer cancels
    from telar.rendering import render_mail

    buyer = ports.auth.get_buyer(order.buyer_id)
    if buyer is None or not buyer.active:
        logger.info("buyer not told: no active buyer on record", order_id=order.order_id, news=event)
        return
    mail = render_mail(f"buyer_{event}", buyer.language, buyer=buyer, order=order, **context)
    send_once(ports, f"buyer#{order.order_id}#{event}{once_per}", to=[str(buyer.email)], mail=mail)


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
    tell_buyer(ports, order, "confirmed", lines=lines, expected=late, reason=messages.CAPACITY_SHORT())


def date_changed(ports: Ports, order: Order, old: date, new: date, reason: messages.Text) -> None:
    tell_buyer(ports, order, "date_changed", once_per=f"#{new.isoformat()}", old=old, new=new, reason=reason)


def ready(ports: Ports, order: Order, units: int) -> None:
    """Ready to ship, with links to its documents that last long enough to be opened from a mailbox."""
    until = datetime.now(UTC) + timedelta(seconds=MAIL_LINK_SECONDS)
    links = [
        (_DOCUMENT_NAMES[name], ports.artifacts.link(key, MAIL_LINK_SECONDS))
        for name, key in sorted(buyer_documents(order.order_id).items())
    ]
    tell_buyer(ports, order, "ready", units=units, links=links, until=until.strftime("%Y-%m-%d %H:%M"))
