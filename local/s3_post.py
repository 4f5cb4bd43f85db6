"""S3's browser uploads (POST Object with a signed policy), checked as S3 checks them; moto stores any POST.

A presigned POST (the staff console's QC upload form) carries a base64 policy, its SigV4 signature and the form
fields. S3 refuses the upload unless the signature matches the policy under the signer's secret, the policy has
not expired, and every field and the file itself meet the policy's conditions (``eq``, ``starts-with``,
``content-length-range``); moto 5 checks none of this, so this middleware does, in front of the endpoint, and
answers S3's 403 (or 400 for a file out of the allowed size) before moto sees the request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from io import BytesIO
from typing import Any

from werkzeug.formparser import parse_form_data


def _s3_error(status: str, code: str, message: str) -> tuple[str, list[tuple[str, str]], bytes]:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
        f"<RequestId>{uuid.uuid4()}</RequestId></Error>"
    ).encode()
    return status, [("Content-Type", "application/xml"), ("Content-Length", str(len(body)))], body


def post_policy_refusal(
    fields: Mapping[str, str], bucket: str, file_size: int, secrets: Mapping[str, str], now: datetime
) -> tuple[str, str, str] | None:
    """Why S3 would refuse this POST upload, as (HTTP status, code, message); None if it would store it."""
    lower = {k.lower(): v for k, v in fields.items()}
    policy_b64 = lower.get("policy")
    if policy_b64 is None:  # an unsigned POST: S3 takes it only into a public bucket, which Telar has not
        return ("403 Forbidden", "AccessDenied", "Access Denied")
    credential = lower.get("x-amz-credential", "")
    access_key, _, scope = credential.partition("/")
    secret = secrets.get(access_key)
    try:
        day, region, service, _ = scope.split("/")
    except ValueError:
        return ("403 Forbidden", "AccessDenied", "Invalid according to Policy: bad x-amz-credential")
    if secret is None:
        return (
            "403 Forbidden",
            "InvalidAccessKeyId",
            "The AWS Access Key Id you provided does not exist in our records.",
        )
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, lower.get("x-amz-signature", "")):
        return ("403 Forbidden", "SignatureDoesNotMatch", "The request signature we calculated does not match.")
    policy = json.loads(base64.b64decode(policy_b64))
    expires = datetime.strptime(policy["expiration"].replace("Z", "+0000")[:19] + "+0000", "%Y-%m-%dT%H:%M:%S%z")
    if now > expires:
        return ("403 Forbidden", "AccessDenied", "Invalid according to Policy: Policy expired.")
    values = {**lower, "bucket": bucket}
    for condition in policy.get("conditions", []):
        if isinstance(condition, dict):
            ((name, wanted),) = condition.items()
            if values.get(name.lower()) != wanted:
                return (
                    "403 Forbidden",
                    "AccessDenied",
                    f"Invalid according to Policy: Policy Condition failed: {name}",
                )
        elif condition[0] == "content-length-range":
            low, high = int(condition[1]), int(condition[2])
            if file_size > high:
                return ("400 Bad Request", "EntityTooLarge", "Your proposed upload exceeds the maximum allowed size")
            if file_size < low:
                return (
                    "400 Bad Request",
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                )
        else:
            operator, name, wanted = condition
            got = values.get(str(name).lstrip("$").lower())
            ok = got == wanted if operator == "eq" else got is not None and got.startswith(wanted)
            if not ok:
                return (
                    "403 Forbidden",
                    "AccessDenied",
                    f"Invalid according to Policy: Policy Condition failed: {name}",
                )
    # S3 also refuses a form field the policy does not name (but these few)
    named = {str(c[1]).lstrip("$").lower() for c in policy.get("conditions", []) if isinstance(c, list) and len(c) == 3}
    named |= {next(iter(c)).lower() for c in policy.get("conditions", []) if isinstance(c, dict)}
    exempt = {"policy", "x-amz-signature", "file", "bucket"}
    extra = sorted(n for n in lower if n not in named and n not in exempt and not n.startswith("x-ignore-"))
    if extra:
        return ("403 Forbidden", "AccessDenied", f"Invalid according to Policy: Extra input fields: {extra[0]}")
    return None


def enforce_post_policies(
    secrets: Callable[[], Mapping[str, str]], refuses_signer: Callable[[str, str, str], bool] | None = None
) -> Callable[[Any], Any]:
    """Middleware (app -> app) for the endpoint: multipart POSTs to a bucket meet their policy or are refused.

    ``refuses_signer(access key, bucket, key)``: whether the policy's signer may not put the object (IAM, checked
    by S3 as the signer's s3:PutObject), answered as S3's 403 AccessDenied."""

    def middleware(app: Any) -> Any:
        def checked(environ: dict[str, Any], start_response: Any) -> Any:
            path = environ.get("PATH_INFO", "")
            is_upload = (
                environ.get("REQUEST_METHOD") == "POST"
                and "multipart/form-data" in environ.get("CONTENT_TYPE", "")
                and path.strip("/")
                and "/" not in path.strip("/")
            )
            if not is_upload:
                return app(environ, start_response)
            length = int(environ.get("CONTENT_LENGTH") or 0)
            body = environ["wsgi.input"].read(length) if length else b""
            probe = {**environ, "wsgi.input": BytesIO(body)}
            _, form, files = parse_form_data(probe)
            upload = files.get("file")
            size = len(upload.read()) if upload is not None else 0
            fields = form.to_dict()
            problem = post_policy_refusal(fields, path.strip("/"), size, secrets(), datetime.now(UTC))
            if problem is None and refuses_signer is not None and _signer_refused(fields, path, upload, refuses_signer):
                problem = ("403 Forbidden", "AccessDenied", "Access Denied")
            environ["wsgi.input"] = BytesIO(body)
            if problem is None:
                return app(environ, start_response)
            status, headers, payload = _s3_error(*problem)
            start_response(status, headers)
            return [payload]

        return checked

    return middleware


def _signer_refused(
    fields: Mapping[str, str], path: str, upload: Any, refuses_signer: Callable[[str, str, str], bool]
) -> bool:
    lower = {k.lower(): v for k, v in fields.items()}
    access_key = lower.get("x-amz-credential", "").partition("/")[0]
    filename = getattr(upload, "filename", None) or ""
    key = lower.get("key", "").replace("${filename}", filename)  # S3 puts the file's own name there
    return refuses_signer(access_key, path.strip("/"), key)
