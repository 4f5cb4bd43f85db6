"""The local endpoint checks presigned S3 links as S3 does: the signature over every part, and the expiry."""

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import boto3
import pytest

from local.iam import presigned_refusal

ENDPOINT = "http://127.0.0.1:4566"
SECRET = "local-secret-of-the-intake-function"


def _link(key: str, seconds: int = 3600) -> str:
    s3 = boto3.client(
        "s3",
        endpoint_url=ENDPOINT,
        region_name="us-east-1",
        aws_access_key_id="ASIALOCALINTAKE",
        aws_secret_access_key=SECRET,
        aws_session_token="local-session-IntakeApiFunction",
        config=boto3.session.Config(signature_version="s3v4"),
    )
    return str(s3.generate_presigned_url("get_object", Params={"Bucket": "artifacts", "Key": key}, ExpiresIn=seconds))


def _environ(url: str) -> dict[str, str]:
    """What a WSGI server hands the endpoint for a plain GET of ``url`` (werkzeug keeps the raw path as RAW_URI)."""
    parts = urlsplit(url)
    return {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{parts.path}?{parts.query}",
        "PATH_INFO": parts.path,
        "QUERY_STRING": parts.query,
        "HTTP_HOST": parts.netloc,
    }


@pytest.mark.parametrize("key", ["cards/ord-1/cards.html", "cards/ord-1/packing list ñ (copy).html"])
def test_a_link_as_signed_is_served_and_any_change_or_late_use_is_refused(key: str) -> None:
    now = datetime.now(UTC)
    url = _link(key)
    # Given the link as S3's client signed it, Then it is accepted until it expires
    assert presigned_refusal(_environ(url), SECRET, now) is None
    assert presigned_refusal(_environ(url), SECRET, now + timedelta(minutes=59)) is None
    assert presigned_refusal(_environ(url), SECRET, now + timedelta(minutes=61)) == "expired"
    # and a link altered anywhere (another key, a longer life, another signer) does not match its signature
    other_key = url.replace("ord-1", "ord-2")
    longer = url.replace("X-Amz-Expires=3600", "X-Amz-Expires=86400")
    assert presigned_refusal(_environ(other_key), SECRET, now) == "SignatureDoesNotMatch"
    assert presigned_refusal(_environ(longer), SECRET, now) == "SignatureDoesNotMatch"
    assert presigned_refusal(_environ(url), "another-secret", now) == "SignatureDoesNotMatch"
