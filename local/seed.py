"""Loads the sample reference data, buyers and photos into a freshly provisioned local cloud.

Reference data and buyers go through the same import as a staff upload (samples/reference.xlsx, see
telar.stages.reference_upload): validated, applied as version 1, receipt and API-key e-mails in the
outbox. The buyers get the fixed sample keys of samples/buyers.json, so scripts keep working across
restarts; the keys come back for outputs.json.
"""

import json
from pathlib import Path

from telar.adapters.console_link import ConsoleLink
from telar.adapters.dynamo import dynamo_stores
from telar.adapters.mail import Mailer
from telar.adapters.storage import Storage
from telar.adapters.webhooks import WebhookQueue, WebhookSecrets
from telar.adapters.workflow import Workflow
from telar.ports import Ports
from telar.settings import Settings
from telar.stages.reference_upload import apply_reference_workbook

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def seed_sample_data(env: dict[str, str]) -> list[dict[str, str]]:
    """Import the samples through the app's own use case (the environment already points at the local cloud)."""
    settings = Settings(
        table_name=env["TABLE_NAME"],
        uploads_bucket=env["UPLOADS_BUCKET"],
        artifacts_bucket=env["ARTIFACTS_BUCKET"],
        sender_email=env["SENDER_EMAIL"],
        finance_emails=env["FINANCE_EMAILS"],
        webhook_secrets_path=env.get("WEBHOOK_SECRETS_PATH", ""),
        webhooks_allow_private=True,  # the local cloud's setting (local.cloud.LOCAL_VARIABLES)
    )
    ports = Ports(
        settings=settings,
        **dynamo_stores(settings.table_name)._asdict(),
        uploads=Storage(settings.uploads_bucket),
        artifacts=Storage(settings.artifacts_bucket),
        workflow=Workflow(env.get("STATE_MACHINE_ARN") or ""),
        mailer=Mailer(settings.sender_email),
        webhooks=WebhookQueue(env.get("WEBHOOK_QUEUE_URL", "")),
        webhook_secrets=WebhookSecrets(settings.webhook_secrets_path),
        console=ConsoleLink(env.get("CONSOLE_URL_PARAMETER", "")),
    )
    sample_keys = {b["buyer_id"]: b["api_key"] for b in json.loads((SAMPLES / "buyers.json").read_text())}
    # photos first, as the office uploads them before naming them: the contact sheets sent when the reference
    # data is applied show them
    for photo in sorted((SAMPLES / "photos").glob("*.png")):
        ports.uploads.put(f"photos/{photo.name}", photo.read_bytes(), "image/png")
    book = SAMPLES / "reference.xlsx"
    result = apply_reference_workbook(
        ports, book.read_bytes(), f"samples/{book.name}#local-seed", sample_keys.__getitem__
    )
    if result is None:
        raise RuntimeError(f"{book} was refused: see the report under reference-reports/ in the uploads bucket")
    return [{"buyer_id": buyer_id, "api_key": sample_keys[buyer_id]} for buyer_id in sample_keys]
