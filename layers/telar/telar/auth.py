"""Buyers' API keys: issued once, stored only as a hash."""

import hashlib
import secrets


def hash_api_key(api_key: str) -> str:
    """SHA-256 of the key: keys are long random tokens, so a fast hash is enough (no password stretching)."""
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_api_key() -> str:
    return "tlr_" + secrets.token_urlsafe(32)
