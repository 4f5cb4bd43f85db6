"""The local endpoint checks a browser upload's POST policy as S3 does (moto stores any POST): signature, expiry,
every condition, and no field the policy does not name."""

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from local.s3_post import post_policy_refusal

SECRETS = {"ASIALOCALCONSOLE": "local-secret-of-the-console"}
REDIRECT = "http://127.0.0.1:3000/console/assignments/a/uploads/u"


def _form(seconds: int = 900) -> dict[str, str]:
    s3 = boto3.client(
        "s3",
        endpoint_url="http://127.0.0.1:4566",
        region_name="us-east-1",
        aws_access_key_id="ASIALOCALCONSOLE",
        aws_secret_access_key=SECRETS["ASIALOCALCONSOLE"],
        aws_session_token="local-session-ConsoleFunction",
        config=boto3.session.Config(signature_version="s3v4"),
    )
    post = s3.generate_presigned_post(
        "telar-uploads",
        "qc/console/a/u.xlsx",
        Fields={"Content-Type": "application/x-xlsx", "success_action_redirect": REDIRECT},
        Conditions=[
            {"Content-Type": "application/x-xlsx"},
            {"success_action_redirect": REDIRECT},
            ["content-length-range", 1, 1000],
        ],
        ExpiresIn=seconds,
    )
    return dict(post["fields"])


def _refusal(fields: dict[str, str], size: int = 10, bucket: str = "telar-uploads", late: int = 0) -> str | None:
    now = datetime.now(UTC) + timedelta(seconds=late)
    found = post_policy_refusal(fields, bucket, size, SECRETS, now)
    return found[1] if found else None


def test_the_form_as_signed_is_accepted() -> None:
    assert _refusal(_form()) is None


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"size": 1001}, "EntityTooLarge"),
        ({"size": 0}, "EntityTooSmall"),
        ({"key": "qc/elsewhere.xlsx"}, "AccessDenied"),
        ({"Content-Type": "text/html"}, "AccessDenied"),
        ({"success_action_redirect": "https://evil.example/"}, "AccessDenied"),
        ({"bucket": "telar-artifacts"}, "AccessDenied"),
        ({"late": 901}, "AccessDenied"),
        ({"x-amz-meta-extra": "1"}, "AccessDenied"),
        ({"x-amz-signature": "0" * 64}, "SignatureDoesNotMatch"),
        ({"x-amz-credential": "ASIAUNKNOWN/20260101/us-east-1/s3/aws4_request"}, "InvalidAccessKeyId"),
        ({"policy": None}, "AccessDenied"),
    ],
    ids=lambda v: str(v) if isinstance(v, str) else next(iter(v)),
)
def test_a_change_to_the_signed_form_or_a_file_out_of_range_is_refused(change: dict[str, object], code: str) -> None:
    fields, change = _form(), dict(change)
    size, bucket = int(str(change.pop("size", 10))), str(change.pop("bucket", "telar-uploads"))
    late = int(str(change.pop("late", 0)))
    for name, value in change.items():
        if value is None:
            fields.pop(name)
        else:
            fields[name] = str(value)
    assert _refusal(fields, size, bucket, late) == code
