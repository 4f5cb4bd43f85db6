"""InsertCards: the print sheet of an order's insert cards, photos only with consent, and its packing list."""

from datetime import UTC, datetime
from functools import lru_cache

from telar import cards, photos
from telar.adapters.mail import HTML
from telar.artifacts import cards_key, packing_list_key
from telar.errors import OrderNotFound
from telar.models import Order, ReferenceData
from telar.observability import logger
from telar.packing import packing_rows, render_packing_list
from telar.ports import Ports
from telar.rendering import render_mail
from telar.settings import from_environment
from telar.stages import order_reference
from telar.stages.notify import send_once


def read_card_options() -> cards.CardOptions:
    """The organisation's card options from the function's environment: CARDS_PAPER, CARDS_PER, CARDS_STORY_URL.

    The template passes CARDS_STORY_URL="" for "no story page": an empty variable means the default.
    """
    return from_environment(cards.CardOptions, prefix="CARDS_")


@lru_cache(maxsize=1)
def card_options() -> cards.CardOptions:
    return read_card_options()


def _tell_office_photo_missing(
    ports: Ports, order: Order, ref: ReferenceData, worker_id: str, photo_file: str, problem: str
) -> None:
    """E-mail the office, once per maker and photo file, that the photo she chose could not be printed."""
    maker = next(m for m in ref.makers if m.worker_id == worker_id)  # her photo was asked for from ``ref``
    mail = render_mail(
        "photo_missing",
        maker=maker,
        group_name=ref.group(maker.group_id).name,
        order_reference=order.buyer_reference,
        photo_file=photo_file,
        problem=problem,
    )
    try:
        send_once(
            ports, f"photo-missing#{maker.worker_id}#{photo_file}", to=ports.settings.finance_recipients, mail=mail
        )
    except Exception:  # printing never stops for a photo: the claim is released, a later print tells the office
        logger.exception("office not told of a missing photo", worker_id=worker_id, order_id=order.order_id)


def make_cards(
    ports: Ports, order_id: str, generated_at: datetime | None = None, options: cards.CardOptions | None = None
) -> tuple[str, int]:
    """Render the order's insert cards print sheet; returns its S3 key and the number of units with a card.

    Consent is evaluated on ``generated_at`` (now): running again after a maker withdrew her consent
    overwrites the sheet without what she withdrew.
    """
    generated_at = generated_at or datetime.now(UTC)
    order = ports.orders.get_order(order_id)
    if order is None:
        raise OrderNotFound(f"order {order_id} does not exist")
    ref = order_reference(ports, order)  # consent as now; the catalog (care instructions) as planned
    assignments = ports.assignments.assignments_of(order_id)
    rows = [(a.group_id, row) for a in assignments for row in a.qc_rows]
    needed = cards.photo_files_needed(rows, ref, generated_at)
    loaded = photos.load_print_photos(needed, ports.uploads, ports.artifacts)
    for worker_id, problem in loaded.problems.items():  # a missing photo never fails the order
        logger.warning(f"photo of {worker_id} left out: {problem}", order_id=order_id)
        _tell_office_photo_missing(ports, order, ref, worker_id, needed[worker_id], problem)
    buyer = ports.auth.get_buyer(order.buyer_id)
    built = cards.build_cards(rows, ref, loaded.photos, buyer.language if buyer else "en", generated_at)
    for warning in (w for c in built for w in c.warnings):
        logger.warning(warning, order_id=order_id)
    html = cards.render_print_sheet(
        built,
        title=f"Insert cards — {order.buyer_reference}",
        options=options or card_options(),
        generated_at=generated_at,
    )
    key = ports.artifacts.put(cards_key(order_id), html.encode(), HTML).key
    # and the packing list, the other document the buyer is given a link to once the order is ready
    packing = render_packing_list(order, packing_rows(order, assignments, ref))
    ports.artifacts.put(packing_list_key(order_id), packing.encode(), HTML)
    return key, sum(c.copies for c in built)
