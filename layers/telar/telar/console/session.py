"""Who is signed in: a Cognito ID token checked against the pool's keys, kept in an HttpOnly cookie.

The session is the ID token itself (no server-side store): every request checks its signature, issuer, audience,
use and expiry, so a session ends when the token does (ConsoleFunction's client: 8 hours). Forms of a signed-in
page carry a CSRF token derived from the session (an HMAC keyed by the token: a page of another site can neither
read the cookie nor compute it); the sign-in form, before any session, carries a random value that must match a
cookie of its own (double submit).
"""

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict

from telar.errors import TelarError

SESSION_COOKIE = "telar_session"
SIGN_IN_COOKIE = "telar_sign_in"
CHALLENGE_COOKIE = "telar_new_password"  # Cognito's NEW_PASSWORD_REQUIRED session, between the two forms
CHALLENGE_SECONDS = 180  # Cognito's challenge session lasts 3 minutes
SESSION_SECONDS = 8 * 3600
LEEWAY_SECONDS = 30  # clocks of Cognito and Lambda differ a little


class NotSignedIn(TelarError):
    """No session, or one that is not (or no longer) a valid token of the staff pool: sign in."""


class CsrfRefused(TelarError):
    """A form came without the token of the page that showed it."""


class UnknownSigningKey(NotSignedIn):
    """The token names a key the cached JWKS does not hold (Cognito rotated its keys): fetch them again."""


class Role(StrEnum):
    MANAGER = "manager"
    OFFICE = "office"
    FINANCE = "finance"


class Staff(BaseModel):
    """The person signed in, as her ID token says."""

    model_config = ConfigDict(defer_build=True, frozen=True)

    username: str
    role: Role
    group_ids: tuple[str, ...] = ()
    locale: str | None = None


def staff_from_claims(claims: Mapping[str, Any]) -> Staff:
    """Her role from ``cognito:groups`` (manager first: a manager who is also office staff sees her groups),
    her production groups from ``custom:group_ids``; raises NotSignedIn for a token of nobody on the staff."""
    groups = claims.get("cognito:groups") or []
    role = next((r for r in Role if r.value in groups), None)
    if role is None:
        raise NotSignedIn("the token's user is in none of the staff groups")
    group_ids = tuple(g.strip() for g in str(claims.get("custom:group_ids") or "").split(",") if g.strip())
    return Staff(
        username=str(claims.get("cognito:username") or claims.get("email") or claims.get("sub")),
        role=role,
        group_ids=group_ids,
        locale=str(claims["locale"]) if claims.get("locale") else None,
    )


def verify_id_token(token: str, keys: Mapping[str, Any], *, issuer: str, client_id: str, now: datetime) -> Staff:
    """The staff member an ID token of the pool names; raises NotSignedIn for anything else.

    Checked: the RS256 signature by a key of ``keys`` (the pool's JWKS), ``iss`` the pool, ``aud`` the console's
    client, ``token_use`` "id", and ``exp`` (``iat`` not in the future), each with a little leeway.
    """
    # joserfc (with cryptography, ~35 ms of a cold start) only here: a request without a session never checks one
    from joserfc import jwt
    from joserfc.errors import InvalidKeyIdError, JoseError
    from joserfc.jwk import KeySet

    try:
        key_set = KeySet.import_key_set(dict(keys))  # type: ignore[arg-type]
        decoded = jwt.decode(token, key_set, algorithms=["RS256"])
    except InvalidKeyIdError as error:
        raise UnknownSigningKey(str(error)) from error
    except (JoseError, ValueError, TypeError) as error:
        raise NotSignedIn(f"bad token: {error}") from error
    claims = decoded.claims
    moment = now.timestamp()
    if claims.get("iss") != issuer:
        raise NotSignedIn("token of another issuer")
    if claims.get("aud") != client_id:
        raise NotSignedIn("token for another client")
    if claims.get("token_use") != "id":
        raise NotSignedIn("not an ID token")
    if not isinstance(claims.get("exp"), int | float) or claims["exp"] + LEEWAY_SECONDS < moment:
        raise NotSignedIn("token expired")
    if isinstance(claims.get("iat"), int | float) and claims["iat"] - LEEWAY_SECONDS > moment:
        raise NotSignedIn("token issued in the future")
    return staff_from_claims(claims)


def csrf_token(session: str) -> str:
    """The token every form of a signed-in page carries: an HMAC of the session, so nobody without it can forge it."""
    return hmac.new(session.encode(), b"telar-console-csrf", hashlib.sha256).hexdigest()


def check_csrf(expected: str | None, submitted: str | None) -> None:
    """Raises CsrfRefused unless ``submitted`` is the (non-empty) ``expected`` token."""
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRefused("the form's CSRF token is missing or wrong")


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)


def cookie(name: str, value: str, *, path: str, secure: bool, max_age: int) -> str:
    """A Set-Cookie value: HttpOnly and SameSite=Lax always, Secure over HTTPS (on AWS; not on the local http)."""
    parts = [f"{name}={value}", f"Path={path}", f"Max-Age={max_age}", "HttpOnly", "SameSite=Lax"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def parse_cookies(header: str | None) -> dict[str, str]:
    found: dict[str, str] = {}
    for part in (header or "").split(";"):
        name, _, value = part.strip().partition("=")
        if name and name not in found:
            found[name] = value
    return found
