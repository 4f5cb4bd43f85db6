"""S3: uploads kept as they came (versioned), artifacts written by the pipeline."""

from dataclasses import dataclass
from typing import Any

from telar.adapters.aws import client


@dataclass(frozen=True)
class StoredObject:
    key: str
    version_id: str | None
    etag: str | None = None


class Storage:
    def __init__(self, bucket: str):
        self.bucket = bucket

    def put(self, key: str, body: bytes, content_type: str, metadata: dict[str, str] | None = None) -> StoredObject:
        extra = {"Metadata": metadata} if metadata else {}
        reply = client("s3").put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, **extra)
        return StoredObject(key, reply.get("VersionId"))

    def get(self, key: str, version_id: str | None = None, *, first_bytes: int | None = None) -> bytes:
        """The object's bytes; with ``first_bytes``, only that many from its start (a ranged GET)."""
        extra: dict[str, str] = {"VersionId": version_id} if version_id else {}
        if first_bytes is not None:
            extra["Range"] = f"bytes=0-{first_bytes - 1}"
        return client("s3").get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()

    def describe(self, key: str, version_id: str | None = None) -> tuple[int, dict[str, str]]:
        """The object's size in bytes and its user metadata, without reading it (HEAD)."""
        extra = {"VersionId": version_id} if version_id else {}
        reply = client("s3").head_object(Bucket=self.bucket, Key=key, **extra)
        return int(reply["ContentLength"]), dict(reply.get("Metadata") or {})

    def link(self, key: str, seconds: int) -> str:
        """An HTTPS link that reads ``key`` without AWS credentials for ``seconds`` (a presigned GET).

        Signed with the caller's credentials, so the link works only while they allow ``s3:GetObject`` on the key
        (and, from Lambda, no longer than the role's session lasts).
        """
        params = {"Bucket": self.bucket, "Key": key}
        return str(client("s3").generate_presigned_url("get_object", Params=params, ExpiresIn=seconds))

    def upload_form(
        self, key: str, content_type: str, max_bytes: int, redirect: str, seconds: int
    ) -> tuple[str, dict[str, str]]:
        """A presigned POST a browser form uploads one file with: the URL and the hidden fields, in order.

        S3 refuses any other key, content type, redirect, a file over ``max_bytes`` or an empty one, and any use
        after ``seconds`` (the policy's conditions, signed with the caller's credentials: they must allow
        ``s3:PutObject`` on the key).
        """
        fields = {"Content-Type": content_type, "success_action_redirect": redirect}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {"success_action_redirect": redirect},
            ["content-length-range", 1, max_bytes],
        ]
        post = client("s3").generate_presigned_post(
            self.bucket, key, Fields=fields, Conditions=conditions, ExpiresIn=seconds
        )
        return str(post["url"]), {str(k): str(v) for k, v in post["fields"].items()}

    def get_if_exists(self, key: str) -> bytes | None:
        s3 = client("s3")
        try:
            return s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except s3.exceptions.NoSuchKey:
            return None

    def head(self, key: str) -> StoredObject | None:
        """The current version of ``key`` (version id and ETag), or None when there is no such object."""
        s3 = client("s3")
        try:
            reply = s3.head_object(Bucket=self.bucket, Key=key)
        except s3.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise
        return StoredObject(key, reply.get("VersionId"), reply.get("ETag"))
