"""A buyer's API key as Telar keeps it: only its hash, never the key."""

from datetime import datetime

from pydantic import BaseModel, Field


class ApiKey(BaseModel, defer_build=True):
    key_hash: str = Field(description="SHA-256 of the key, hex")
    buyer_id: str
    issued_at: datetime

    @property
    def key_id(self) -> str:
        """What operators see and name when revoking: enough of the hash to tell a buyer's keys apart."""
        return self.key_hash[:12]
