"""Buyers' API keys: issued once, stored only as a hash, resolved to the buyer by the API's authorizer."""

import hashlib
import secrets
from typing import Any

from telar.errors import NotAuthenticated
from telar.models import Buyer
from telar.ports import Ports

API_KEY_HEADER = "x-api-key"


def hash_api_key(api_key: str) -> str:
    """SHA-256 of the key: keys are long random tokens, so a fast hash is enough (no password stretching)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "tlr_" + secrets.token_urlsafe(32)


def issue_api_key(ports: Ports, buyer_id: str) -> str:
    """A new key for the buyer, returned once in plain text. Rotation: issue, let the buyer switch, revoke."""
    api_key = new_api_key()
    ports.repo.put_api_key(buyer_id, hash_api_key(api_key))
    return api_key


def authorize(ports: Ports, headers: dict[str, str] | None, method_arn: str) -> dict[str, Any]:
    """The API Gateway authorizer answer for a request: an Allow policy and the buyer as context.

    The policy covers every method of the stage, because API Gateway caches it per key for all routes.

    Raises
    ------
    NotAuthenticated
        no key, or a key that belongs to no buyer.
    """
    api_key = next((v for k, v in (headers or {}).items() if k.lower() == API_KEY_HEADER), None)
    buyer = ports.repo.buyer_for_key(hash_api_key(api_key)) if api_key else None
    if buyer is None:
        raise NotAuthenticated(f"a valid {API_KEY_HEADER} header is required")
    arn, _, path = method_arn.partition("/")  # arn:...:execute-api:region:account:api_id / stage/METHOD/resource
    stage = path.split("/", 1)[0]
    return {
        "principalId": buyer.buyer_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": f"{arn}/{stage}/*"}],
        },
        # Context values must be strings, numbers or booleans: the buyer travels as JSON.
        "context": {"buyer_id": buyer.buyer_id, "buyer": buyer.model_dump_json()},
    }


def buyer_from_context(authorizer: dict[str, Any] | None) -> Buyer:
    """The buyer the authorizer resolved (API Gateway passes its context in requestContext.authorizer)."""
    if not authorizer or "buyer" not in authorizer:
        raise NotAuthenticated(f"a valid {API_KEY_HEADER} header is required")
    return Buyer.model_validate_json(authorizer["buyer"])
