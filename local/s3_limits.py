"""S3's limit on user metadata, which moto does not enforce: 2 KB per object.

S3 refuses a PUT (or a POST, a copy, a multipart upload) whose user-defined metadata is over 2 KB, measured as the
UTF-8 bytes of each key (after ``x-amz-meta-``) and value, with ``400 MetadataTooLarge``. moto stores any amount,
so code that writes too much would pass every local test and fail on AWS. Installed by the local endpoint and the
moto test fixture; returns the undo.
"""

from collections.abc import Callable
from typing import Any

from moto.s3 import responses
from moto.s3.exceptions import S3ClientError

MAX_USER_METADATA_BYTES = 2048
_PREFIX = "x-amz-meta-"


class MetadataTooLarge(S3ClientError):
    def __init__(self, size: int) -> None:
        super().__init__(
            "MetadataTooLarge",
            f"Your metadata headers exceed the maximum allowed metadata size ({size} bytes; at most "
            f"{MAX_USER_METADATA_BYTES})",
        )


def user_metadata_bytes(metadata: Any) -> int:
    """The size S3 measures: UTF-8 bytes of each user metadata key (without its prefix) and value."""
    return sum(
        len(key[len(_PREFIX) :].encode()) + len(str(value).encode())
        for key, value in metadata.items()
        if key.lower().startswith(_PREFIX)
    )


def s3_metadata_limit() -> Callable[[], None]:
    original = responses.metadata_from_headers

    def limited(headers: Any) -> Any:
        metadata = original(headers)
        size = user_metadata_bytes(metadata)
        if size > MAX_USER_METADATA_BYTES:
            raise MetadataTooLarge(size)
        return metadata

    responses.metadata_from_headers = limited

    def undo() -> None:
        responses.metadata_from_headers = original

    return undo
