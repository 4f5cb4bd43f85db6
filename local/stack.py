"""What provisioning produced: the functions, their triggers, and every resource's Ref and attributes.

Why a separate module: the Lambda runtime, the API server and the SQS poller only need this
description, not the template or boto3, which keeps them small and testable on their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class FunctionSpec:
    """One AWS::Serverless::Function, Globals merged and intrinsics resolved."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str
    runtime: str
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]  # Globals merged with the function's own: all its environment has
    layers: tuple[str, ...] = ()  # layer version ARNs, in order


@dataclass(frozen=True)
class LayerSpec:
    """An AWS::Serverless::LayerVersion: the folder its code imports from (like /opt/python)."""

    logical_id: str
    content_dir: Path


@dataclass(frozen=True)
class Authorizer:
    """A Lambda REQUEST authorizer of an API (`Auth.Authorizers`), as API Gateway applies it."""

    function_name: str  # name or ARN, as the runtime finds it
    identity_headers: tuple[str, ...]  # a request missing any of them gets 401 without a call
    ttl_seconds: int = 300  # ReauthorizeEvery: answers are cached per identity for this long


@dataclass(frozen=True)
class GatewayResponse:
    """A customised API Gateway response (`GatewayResponses`), e.g. the body of a 401."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: str


@dataclass(frozen=True)
class ApiRoute:
    """A `Type: Api` event: METHOD path (with {placeholders}) served by a function."""

    function_name: str
    path: str
    method: str  # upper case, or "ANY"
    stage: str
    api_logical_id: str
    authorizer: Authorizer | None = None
    gateway_responses: tuple[tuple[str, GatewayResponse], ...] = ()  # response type -> response


@dataclass(frozen=True)
class SqsSource:
    """A `Type: SQS` event: the event source mapping from a queue to a function."""

    function_name: str
    queue_arn: str
    batch_size: int = 10
    report_batch_item_failures: bool = False
    enabled: bool = True

    @property
    def queue_name(self) -> str:
        return self.queue_arn.rsplit(":", 1)[-1]


@dataclass(frozen=True)
class ReceiptRule:
    """An AWS::SES::ReceiptRule with an S3 action: which recipients it takes, and where it stores their mail."""

    recipients: tuple[str, ...]  # lower case; empty = every address of the account's verified domains
    bucket: str
    prefix: str
    scan: bool


@dataclass
class Resource:
    """A template resource: what `Ref` and `Fn::GetAtt` return, and whether it exists in moto."""

    logical_id: str
    type: str
    ref: Any
    attributes: dict[str, Any] = field(default_factory=dict)
    created: bool = True


@dataclass
class Stack:
    """The provisioned template."""

    name: str
    account_id: str
    region: str
    resources: dict[str, Resource] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    routes: list[ApiRoute] = field(default_factory=list)
    sqs_sources: list[SqsSource] = field(default_factory=list)
    layers: dict[str, LayerSpec] = field(default_factory=dict)  # by version ARN
    receipt_rules: list[ReceiptRule] = field(default_factory=list)  # SES receiving: local.smtp serves them
    outputs: dict[str, Any] = field(default_factory=dict)

    def ref(self, logical_id: str) -> Any:
        return self.resources[logical_id].ref

    def of_type(self, resource_type: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.type == resource_type]
