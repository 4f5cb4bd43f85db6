"""The API's authorizer logic: a key resolves to its buyer by hash, and the answer API Gateway expects."""

from typing import Any

import pytest

from telar.auth import authorize, buyer_from_context, hash_api_key, new_api_key
from telar.errors import NotAuthenticated
from telar.models import Buyer
from telar.ports import Ports
from tests.fakes import memory_ports

BUYER = Buyer(buyer_id="fairloom", name="Fairloom", email="orders@fairloom.example")
KEY = "tlr_unit_test_key_0123456789"
ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/POST/orders"


def _ports() -> Ports:
    """The in-memory ports, with the buyer's key stored as the table stores it: by its hash."""
    ports = memory_ports()
    ports.auth.put_buyer(BUYER, hash_api_key(KEY))
    return ports


def test_a_known_key_is_allowed_on_every_route_of_the_stage_with_the_buyer_as_context() -> None:
    # When a request carries a known key (header names are case-insensitive)
    answer = authorize(_ports(), {"X-Api-Key": KEY}, ARN)
    # Then the policy, in the current policy language, allows the whole stage (API Gateway caches it per key
    # for every route)
    assert answer["policyDocument"]["Version"] == "2012-10-17"
    [statement] = answer["policyDocument"]["Statement"]
    assert statement == {
        "Action": "execute-api:Invoke",
        "Effect": "Allow",
        "Resource": "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*",
    }
    # And the buyer travels to the function as strings only
    assert answer["principalId"] == answer["context"]["buyer_id"] == "fairloom"
    assert all(isinstance(v, str) for v in answer["context"].values())
    assert buyer_from_context(answer["context"]) == BUYER


@pytest.mark.parametrize("headers", [None, {}, {"x-api-key": ""}, {"x-api-key": "tlr_wrong"}, {"key": KEY}])
def test_no_key_or_an_unknown_key_is_not_authenticated(headers: dict[str, str] | None) -> None:
    with pytest.raises(NotAuthenticated, match="x-api-key"):
        authorize(_ports(), headers, ARN)


@pytest.mark.parametrize("context", [None, {}, {"buyer_id": "fairloom"}])
def test_a_request_without_the_authorizers_buyer_is_not_authenticated(context: dict[str, Any] | None) -> None:
    with pytest.raises(NotAuthenticated, match="x-api-key"):
        buyer_from_context(context)


def test_keys_are_long_random_tokens_and_only_their_hash_is_kept() -> None:
    keys = {new_api_key() for _ in range(100)}
    assert len(keys) == 100 and all(k.startswith("tlr_") and len(k) >= 40 for k in keys)
    assert hash_api_key(KEY) == hash_api_key(KEY) != hash_api_key(KEY + "x")
    assert KEY not in hash_api_key(KEY) and len(hash_api_key(KEY)) == 64
