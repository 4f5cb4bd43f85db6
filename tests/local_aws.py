"""Clients for the local cloud's own tests."""

from typing import Any

import boto3
from botocore.config import Config


def unretried_client(service: str, endpoint_url: str) -> Any:
    """A boto3 client of the local endpoint that never retries: a 500 must not be hidden by a retry."""
    return boto3.client(
        service,
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )
