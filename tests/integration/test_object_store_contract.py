"""The uploads bucket's reads and writes that mailed sheets rely on, alike on S3 (moto) and the in-memory fake."""

import pytest

from telar.ports import ObjectStore, Ports
from tests.fakes import MemoryObjects


@pytest.fixture(params=["s3", "memory"])
def bucket(request: pytest.FixtureRequest) -> ObjectStore:
    if request.param == "memory":
        return MemoryObjects()
    aws: Ports = request.getfixturevalue("aws")
    return aws.uploads


def test_metadata_size_and_a_ranged_read_of_each_version(bucket: ObjectStore) -> None:
    # Given two versions of a key, the first with metadata naming a sender
    first = bucket.put("qc/mail/m1/1-a.xlsx", b"0123456789", "application/octet-stream", {"telar-mail-from": "a%40x"})
    bucket.put("qc/mail/m1/1-a.xlsx", b"abc", "application/octet-stream")
    # Then each version keeps its own size and metadata, and a ranged read returns its first bytes only
    assert bucket.describe(first.key, first.version_id) == (10, {"telar-mail-from": "a%40x"})
    assert bucket.describe(first.key) == (3, {})
    assert bucket.get(first.key, first.version_id, first_bytes=4) == b"0123"
    assert bucket.get(first.key, first_bytes=100) == b"abc"
