"""Loads the sample reference data, buyers and photos into a freshly provisioned local cloud.

Buyers' API keys are stored hashed, as in production; the plain sample keys come back for outputs.json.
"""

import json
from pathlib import Path

from telar.adapters.repository import Repository
from telar.adapters.storage import Storage
from telar.auth import hash_api_key
from telar.models import Buyer, ReferenceData

SAMPLES = Path(__file__).resolve().parent.parent / "samples"


def seed_sample_data(endpoint_url: str, region: str, env: dict[str, str]) -> list[dict[str, str]]:
    """Write the samples through the app's own adapters (the environment already points at the local cloud)."""
    repo = Repository(env["TABLE_NAME"])
    repo.put_reference(ReferenceData.model_validate_json((SAMPLES / "reference.json").read_text()))
    buyers = []
    for entry in json.loads((SAMPLES / "buyers.json").read_text()):
        api_key = entry.pop("api_key")
        repo.put_buyer(Buyer.model_validate(entry), hash_api_key(api_key))
        buyers.append({"buyer_id": entry["buyer_id"], "api_key": api_key})
    uploads = Storage(env["UPLOADS_BUCKET"])
    for photo in sorted((SAMPLES / "photos").glob("*.png")):
        uploads.put(f"photos/{photo.name}", photo.read_bytes(), "image/png")
    return buyers
