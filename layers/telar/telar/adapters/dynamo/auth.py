"""Buyers' live profiles and their API keys (stored as hashes)."""

from datetime import UTC, datetime

from boto3.dynamodb.conditions import Key

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.table import TableStore, item, model
from telar.models import Buyer
from telar.models.api_key import ApiKey


class DynamoAuth(TableStore):
    def put_buyer(self, buyer: Buyer, api_key_hash: str) -> None:
        self.put_buyer_profile(buyer)
        self.put_api_key(buyer.buyer_id, api_key_hash)

    def put_buyer_profile(self, buyer: Buyer) -> None:
        """Create or update a buyer's profile; her API keys are untouched."""
        self.table.put_item(Item=item(buyer, keys.buyer(buyer.buyer_id)))

    def get_buyer(self, buyer_id: str) -> Buyer | None:
        stored = self.table.get_item(Key=keys.buyer(buyer_id)).get("Item")
        return model(Buyer, stored) if stored else None

    def put_api_key(self, buyer_id: str, api_key_hash: str) -> ApiKey:
        """Add a key (rotation: add the new one, let the buyer switch, then revoke the old one)."""
        key = ApiKey(key_hash=api_key_hash, buyer_id=buyer_id, issued_at=datetime.now(UTC))
        index = keys.api_key_index(buyer_id, key.issued_at, api_key_hash)
        self.table.put_item(Item=item(key, keys.api_key(api_key_hash), index))
        return key

    def api_keys_of(self, buyer_id: str) -> list[ApiKey]:
        """The buyer's keys (their hashes), newest first."""
        condition = Key("gsi1pk").eq(keys.api_keys_of(buyer_id))
        return [
            model(ApiKey, i)
            for i in self._query(IndexName="gsi1", KeyConditionExpression=condition, ScanIndexForward=False)
        ]

    def revoke_api_key(self, api_key_hash: str) -> None:
        self.table.delete_item(Key=keys.api_key(api_key_hash))

    def buyer_for_key(self, api_key_hash: str) -> Buyer | None:
        key_item = self.table.get_item(Key=keys.api_key(api_key_hash)).get("Item")
        if not key_item:
            return None
        return self.get_buyer(key_item["buyer_id"])
