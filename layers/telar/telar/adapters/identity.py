"""Cognito: staff sign in with the user pool's public client, and the pool's signing keys (JWKS).

The console is a public client (no secret): InitiateAuth needs no AWS credentials, so the call goes unsigned and
the function's role grants nothing on Cognito. The keys come from the pool's JWKS document, found at the Cognito
endpoint the client resolves (``https://cognito-idp.<region>.amazonaws.com/<pool>/.well-known/jwks.json`` on AWS,
the same path on any endpoint that stands in for Cognito), fetched once per process and again for an unknown key.
"""

import json
import urllib.request
from dataclasses import dataclass
from functools import cache
from typing import Any

import boto3
from botocore import UNSIGNED
from botocore.config import Config

_CONFIG = Config(signature_version=UNSIGNED, retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)


@cache
def _unsigned_client() -> Any:
    return boto3.client("cognito-idp", config=_CONFIG)  # type: ignore[call-overload]


@dataclass(frozen=True)
class PasswordChallenge:
    """Cognito asks a user created with a temporary password to choose her own before it signs her in: ``session``
    answers that challenge (valid for a few minutes)."""

    session: str


class CognitoIdentity:
    def __init__(self, pool_id: str, client_id: str) -> None:
        self.pool_id = pool_id
        self.client_id = client_id
        self._keys: dict[str, Any] | None = None

    @property
    def issuer(self) -> str:
        """The ``iss`` of the pool's tokens (always the AWS address, whichever endpoint issued them)."""
        region = self.pool_id.split("_", 1)[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.pool_id}"

    def sign_in(self, username: str, password: str) -> str | PasswordChallenge | None:
        """The ID token for these credentials; a PasswordChallenge for a user still on her temporary password; None
        when Cognito refuses them (or asks for anything else)."""
        cognito = _unsigned_client()
        try:
            reply = cognito.initiate_auth(
                ClientId=self.client_id,
                AuthFlow="USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except (cognito.exceptions.NotAuthorizedException, cognito.exceptions.UserNotFoundException):
            return None
        if reply.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
            return PasswordChallenge(str(reply["Session"]))
        token = (reply.get("AuthenticationResult") or {}).get("IdToken")
        return str(token) if token else None

    def set_new_password(self, username: str, challenge: str, new_password: str) -> str | None:
        """Answer the new-password challenge; the ID token, or None when Cognito refuses the password (its policy)
        or the challenge has expired."""
        cognito = _unsigned_client()
        if not 20 <= len(challenge) <= 2048:  # Cognito's session bounds: a cookie edited by hand is no session
            return None
        try:
            reply = cognito.respond_to_auth_challenge(
                ClientId=self.client_id,
                ChallengeName="NEW_PASSWORD_REQUIRED",
                Session=challenge,
                ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": new_password},
            )
        except (
            cognito.exceptions.InvalidPasswordException,
            cognito.exceptions.NotAuthorizedException,
            cognito.exceptions.CodeMismatchException,
            cognito.exceptions.ExpiredCodeException,
            cognito.exceptions.InvalidParameterException,
            cognito.exceptions.ResourceNotFoundException,  # her user deleted meanwhile (moto: any unknown session)
        ):
            return None
        token = (reply.get("AuthenticationResult") or {}).get("IdToken")
        return str(token) if token else None

    def signing_keys(self, refresh: bool = False) -> dict[str, Any]:
        """The pool's JWKS document (``{"keys": [...]}``)."""
        if self._keys is None or refresh:
            url = f"{_unsigned_client().meta.endpoint_url}/{self.pool_id}/.well-known/jwks.json"
            with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 (the endpoint's https URL)
                self._keys = json.loads(reply.read())
        return self._keys
