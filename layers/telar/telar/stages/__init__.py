"""The pipeline's stages as use cases: each reads what it needs, calls the pure domain, writes its results.

Every stage is idempotent: Step Functions and SQS deliver at least once, so a stage that runs again
finds its own earlier results (conditional writes, deterministic S3 keys, claimed e-mails) and does
not repeat a side effect.

One module per stage, so each Lambda imports only what its stage needs (openpyxl and jinja2 are not free
at cold start).
"""


def cards_key(order_id: str) -> str:
    """Where an order's insert cards print sheet is kept in the artifacts bucket."""
    return f"cards/{order_id}/cards.html"
