"""Reference data: versions (each in its own partition), the pointer to the one in force, uploads applied."""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from boto3.dynamodb.conditions import Key

from telar.adapters.dynamo import keys
from telar.adapters.dynamo.table import TableStore, conditional, item, model
from telar.errors import ConditionFailed
from telar.models import Buyer, DefectCode, Group, Maker, OptionWord, Product, PublicHoliday
from telar.models.reference import ReferenceBook, ReferenceData, WageRule


class DynamoReference(TableStore):
    def put_reference(self, ref: ReferenceData, buyers: Iterable[Buyer] = (), source: str = "") -> int:
        """Store ``ref`` (and the buyers, for export) as a new version and make it current; returns its number.

        The items go to the version's own partition first, invisible to readers; one conditional write of
        the ``CURRENT`` pointer then switches every reader at once. Earlier versions stay readable.
        """
        version = (self.reference_version() or 0) + 1
        while True:
            claimed = self._put_new(
                {
                    **keys.reference_version(version),
                    "version": version,
                    "source": source,
                    "created_at": datetime.now(UTC).isoformat(),
                }
            )
            if not claimed:  # a concurrent import (or one that crashed before switching) has the number
                version += 1
                continue
            with self.table.batch_writer() as batch:
                for g in ref.groups:
                    batch.put_item(Item=item(g, keys.group(version, g.group_id)))
                for m in ref.makers:
                    batch.put_item(Item=item(m, keys.maker(version, m.worker_id)))
                for p in ref.products:
                    batch.put_item(Item=item(p, keys.product(version, p.sku)))
                for w in ref.wage_rules:
                    batch.put_item(Item=item(w, keys.wage_rule(version, w.country, w.region, w.effective_from)))
                for h in ref.holidays:
                    batch.put_item(Item=item(h, keys.public_holiday(version, h.country, h.day)))
                for d in ref.defects:
                    batch.put_item(Item=item(d, keys.defect_code(version, d.code)))
                for o in ref.option_words:
                    batch.put_item(Item=item(o, keys.option_word(version, o.word)))
                for b in buyers:
                    batch.put_item(Item=item(b, keys.buyer_as_imported(version, b.buyer_id)))
            try:
                conditional(
                    self.table.put_item,
                    Item={**keys.reference_in_force(), "version": version, "source": source},
                    ConditionExpression="attribute_not_exists(pk) OR version < :v",
                    ExpressionAttributeValues={":v": version},
                )
            except ConditionFailed:  # a later version became current meanwhile: ours goes on top of it
                version = max(version, self.reference_version() or 0) + 1
                continue
            if source:  # so a late redelivery of this upload is known, and never rolls back a later version
                self.table.put_item(Item={**keys.upload_applied(source), "version": version})
            return version

    def reference_applied_from(self, source: str) -> int | None:
        """The version an upload (``key#version``) was applied as, if it was."""
        stored = self.table.get_item(Key=keys.upload_applied(source)).get("Item")
        return int(stored["version"]) if stored else None

    def reference_version(self) -> int | None:
        """The number of the reference version in force (None before the first import)."""
        stored = self.table.get_item(Key=keys.reference_in_force(), ConsistentRead=True).get("Item")
        return int(stored["version"]) if stored else None

    def reference_source(self, version: int) -> str | None:
        """What a version was imported from (the upload's ``key#version``), if it exists."""
        stored = self.table.get_item(Key=keys.reference_version(version)).get("Item")
        return str(stored["source"]) if stored else None

    def load_reference(self, version: int | None = None) -> ReferenceData:
        """The reference data in force, or as it was in ``version`` (running orders keep theirs)."""
        return self.load_reference_book(version).reference

    def load_reference_buyers(self, version: int | None = None) -> list[Buyer]:
        """The buyers as imported with a version (for export; live profiles are the auth store's)."""
        return list(self.load_reference_book(version).buyers)

    def load_reference_book(self, version: int | None = None) -> ReferenceBook:
        """The reference data and the buyers imported with it, in force or as in ``version``: one read of its items."""
        version = version if version is not None else self.reference_version()
        kinds: dict[str, list[dict[str, Any]]] = {
            "GROUP": [],
            "MAKER": [],
            "PRODUCT": [],
            "WAGE": [],
            "HOLIDAY": [],
            "DEFECT": [],
            "WORD": [],
            "BUYER": [],
        }
        if version is not None:
            for stored in self._query(KeyConditionExpression=Key("pk").eq(keys.reference_partition(version))):
                if stored["sk"] != "VERSION":  # the version's own record, not data
                    kinds[stored["sk"].split("#", 1)[0]].append(stored)
        ref = ReferenceData(
            groups=tuple(model(Group, i) for i in kinds["GROUP"]),
            makers=tuple(model(Maker, i) for i in kinds["MAKER"]),
            products=tuple(model(Product, i) for i in kinds["PRODUCT"]),
            wage_rules=tuple(model(WageRule, i) for i in kinds["WAGE"]),
            holidays=tuple(model(PublicHoliday, i) for i in kinds["HOLIDAY"]),
            defects=tuple(model(DefectCode, i) for i in kinds["DEFECT"]),
            option_words=tuple(model(OptionWord, i) for i in kinds["WORD"]),
        )
        return ReferenceBook(reference=ref, buyers=tuple(model(Buyer, i) for i in kinds["BUYER"]))
