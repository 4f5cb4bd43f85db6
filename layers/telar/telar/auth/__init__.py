"""Buyers' API keys: issued once, stored only as a hash, resolved to the buyer by the API's authorizer.

Operators issue, list and revoke keys with ``python -m telar.auth --table <TelarTable> issue|list|revoke``
(AWS credentials and region from the usual environment); that command, the edge that opens the table, is
``__main__.py``, so this module stays pure domain over the AuthStore port.
"""

import hashlib
import secrets
from typing import Any

from telar.errors import NotAuthenticated
from telar.models import Buyer
from telar.models.api_key import ApiKey
from telar.ports import AuthStore, Ports, SecretStore

API_KEY_HEADER = "x-api-key"


def hash_api_key(api_key: str) -> str:
    """SHA-256 of the key: keys are long random tokens, so a fast hash is enough (no password stretching)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "tlr_" + secrets.token_urlsafe(32)


def new_webhook_secret() -> str:
    """A buyer's webhook signing secret: kept retrievable (it signs every event), so not hashed like a key."""
    return "whsec_" + secrets.token_urlsafe(32)


def replace_webhook_secret(store: AuthStore, secrets_store: SecretStore, buyer_id: str) -> str:
    """A new webhook secret for the buyer, returned once in plain text: events are signed with it from now on (a
    lost or exposed secret; there is no overlap, so she switches to it at once). ValueError for no such buyer."""
    if store.get_buyer(buyer_id) is None:
        raise ValueError(f"no buyer {buyer_id!r}")
    secret = new_webhook_secret()
    secrets_store.replace(buyer_id, secret)
    return secret


def issue_api_key(store: AuthStore, buyer_id: str) -> tuple[str, ApiKey]:
    """A new key for the buyer, returned once in plain text; the buyer's other keys keep working.

    Rotation: issue a new key, let the buyer switch, then revoke the old one by its key id.

    Raises
    ------
    ValueError
        no such buyer.
    """
    if store.get_buyer(buyer_id) is None:
        raise ValueError(f"no buyer {buyer_id!r}")
    api_key = new_api_key()
    return api_key, store.put_api_key(buyer_id, hash_api_key(api_key))


def revoke_api_key(store: AuthStore, buyer_id: str, key_id: str) -> ApiKey:
    """Revoke the buyer's key whose id (``ApiKey.key_id``, from ``list``) starts with ``key_id``.

    API Gateway may still accept it for the authorizer's cache time (ReauthorizeEvery, 60 s).

    Raises
    ------
    ValueError
        the id names none of the buyer's keys, or more than one.
    """
    matches = [k for k in store.api_keys_of(buyer_id) if key_id and k.key_hash.startswith(key_id)]
    if len(matches) != 1:
        raise ValueError(f"{key_id!r} names {len(matches)} of the keys of {buyer_id!r}; see `list {buyer_id}`")
    store.revoke_api_key(matches[0].key_hash)
    return matches[0]


def authorize(ports: Ports, headers: dict[str, str] | None, method_arn: str) -> dict[str, Any]:
    """The API Gateway authorizer answer for a request: an Allow policy and the buyer as context.

    The policy covers every method of the stage, because API Gateway caches it per key for all routes.

    Raises
    ------
    NotAuthenticated
        no key, a key that belongs to no buyer, or to a buyer no longer active.
    """
    api_key = next((v for k, v in (headers or {}).items() if k.lower() == API_KEY_HEADER), None)
    buyer = ports.auth.buyer_for_key(hash_api_key(api_key)) if api_key else None
    if buyer is None or not buyer.active:  # a buyer removed or deactivated by a reference import: no access
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
