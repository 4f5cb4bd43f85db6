"""boto3 clients, created once per process (cold start) and shared by the adapters."""

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode retries throttling and transient errors with backoff and jitter.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
# S3 links (presigned GETs) signed with Signature Version 4, the one every region accepts (SigV2 is deprecated).
_S3_CONFIG = _CONFIG.merge(Config(signature_version="s3v4"))


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_S3_CONFIG if service == "s3" else _CONFIG)  # type: ignore[call-overload]


@cache
def table(name: str) -> Any:
    return boto3.resource("dynamodb", config=_CONFIG).Table(name)
