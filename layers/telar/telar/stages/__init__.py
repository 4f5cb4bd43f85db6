"""The pipeline's stages as use cases: each reads what it needs, calls the pure domain, writes its results.

Every stage is idempotent: Step Functions and SQS deliver at least once, so a stage that runs again
finds its own earlier results (conditional writes, deterministic S3 keys, claimed e-mails) and does
not repeat a side effect.

One module per stage, so each Lambda imports only what its stage needs (openpyxl and jinja2 are not free
at cold start).
"""

from telar.models import Order, ReferenceData
from telar.planned_reference import as_planned
from telar.ports import Ports


def order_reference(ports: Ports, order: Order | None) -> ReferenceData:
    """The reference data a stage of a running order reads: its planned version where planned is fair, the
    latest where it is owed (telar/planned_reference.py). Orders planned before versions were kept read the
    latest."""
    current = ports.reference.reference_version()
    latest = ports.reference.load_reference(current)
    planned = order.reference_version if order else None
    if planned is None or planned == current:
        return latest
    return as_planned(ports.reference.load_reference(planned), latest)
