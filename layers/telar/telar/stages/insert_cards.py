"""InsertCards: the print sheet of an order's insert cards, photos only with consent."""

from telar import cards
from telar.observability import logger
from telar.ports import Ports
from telar.stages import cards_key


def make_cards(ports: Ports, order_id: str) -> tuple[str, int]:
    """Render the order's insert cards print sheet; returns its S3 key and the number of cards."""
    ref = ports.repo.load_reference()
    order = ports.repo.get_order(order_id)
    assert order is not None
    rows = [(a.group_id, row) for a in ports.repo.assignments_of(order_id) for row in a.qc_rows]
    photos = {
        worker_id: ports.uploads.get_if_exists(f"photos/{photo_file}")
        for worker_id, photo_file in cards.photo_files_needed(rows, ref).items()
    }
    buyer = ports.repo.get_buyer(order.buyer_id)
    built = cards.build_cards(rows, ref, photos, buyer.language if buyer else "en")
    for warning in (w for c in built for w in c.warnings):  # a missing photo never fails the order
        logger.warning(warning, order_id=order_id)
    html = cards.render_print_sheet(built, title=f"Insert cards — {order.buyer_reference}")
    key = ports.artifacts.put(cards_key(order_id), html.encode(), "text/html; charset=utf-8").key
    return key, sum(c.copies for c in built)
