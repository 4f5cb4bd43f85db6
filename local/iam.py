"""IAM as deployed: every AWS call a function makes is checked against its execution role, as the template grants it.

Why: a role that misses an action passes every local test and fails on AWS; a role that grants too much is never
noticed. Here the local endpoint knows which function is calling (each function's environments get credentials
of their own: local.lambdas.Credentials), works out the call's IAM action and resource ARNs the way the service
authorises it, and evaluates the role's policies with moto's IAM policy evaluator (moto.iam.access_control):
an explicit Deny wins, an Allow grants, anything else is refused with the service's AccessDenied.

Where the policies come from: template.yaml translated by aws-sam-translator (as `sam deploy` would), so the SAM
policy templates (DynamoDBCrudPolicy, S3ReadPolicy...) are expanded exactly as on AWS, then the intrinsics resolved
against the provisioned stack. Callers that are not a function (tests, the demo, `aws --endpoint-url`, moto's
Step Functions interpreter) are not checked: they stand for an administrator.

Every allowed call can be recorded (TELAR_IAM_AUDIT_DIR); `python -m local.iam unused` (``make iam-unused``) then
lists each granted action that no recorded call used.
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import functools
import hashlib
import hmac
import io
import json
import logging
import os
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, parse_qsl, quote, unquote

import boto3
from moto.iam import policy_conditions
from moto.iam.access_control import IAMPolicyStatement, PermissionResult
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from local.stack import Stack
from local.template import Pseudo, Resolver, parameter_values

log = logging.getLogger(__name__)

AUDIT_DIR_ENV = "TELAR_IAM_AUDIT_DIR"

# AWS managed policies SAM attaches to every function role. No handler calls these services locally (logs go to
# stdout, traces are the Lambda service's); they are listed so the report and the check know what they grant.
MANAGED_POLICIES: dict[str, dict[str, Any]] = {
    "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": "*",
            }
        ]
    },
    "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess": {
        "Statement": [
            {
                "Effect": "Allow",
                "Action": [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ],
                "Resource": "*",
            }
        ]
    },
}


# ------------------------------------------------------------------------------------------ conditions


def _like(patterns: list[str] | str, value: str) -> bool:
    patterns = [patterns] if isinstance(patterns, str) else patterns
    return any(fnmatch.fnmatchcase(value, p) for p in patterns)


def _bool(expected: list[str] | str, value: str) -> bool:
    expected = [expected] if isinstance(expected, str) else expected
    return value.lower() in [str(e).lower() for e in expected]


def _teach_moto_condition_operators() -> None:
    """moto's evaluator knows StringEquals only and lets every other operator pass: that would grant what a
    condition restricts on AWS. Teach it the operators our policies use (single-valued keys, so ForAllValues and
    ForAnyValue compare the one value); a statement with any other operator is refused (``_supported``)."""
    operations: dict[str, Any] = policy_conditions.CONDITION_OPERATIONS  # its values differ in parameter names
    for name in ("StringLike", "ForAllValues:StringLike", "ForAnyValue:StringLike", "ArnLike"):
        operations.setdefault(name, _like)
    for name in ("ForAllValues:StringEquals", "ForAnyValue:StringEquals", "ArnEquals"):
        operations.setdefault(name, policy_conditions.string_equals_operation)
    operations.setdefault("Bool", _bool)


def _supported(statement: Mapping[str, Any]) -> bool:
    return all(op in policy_conditions.CONDITION_OPERATIONS for op in (statement.get("Condition") or {}))


# ------------------------------------------------------------------------------------------ roles


@dataclass(frozen=True)
class Grant:
    """One statement of a role's policy, resolved: where it comes from and what it says."""

    policy: str
    index: int
    statement: dict[str, Any]

    @property
    def actions(self) -> list[str]:
        actions = self.statement.get("Action") or []
        return [actions] if isinstance(actions, str) else list(actions)


@dataclass(frozen=True)
class Call:
    """One IAM authorisation a request needs: an action on a resource, with the condition keys it carries."""

    action: str
    resource: str
    context: Mapping[str, str] = field(default_factory=dict)
    # S3 reads: the call S3 also checks when the object is missing; without it the caller gets 403, not 404
    # (AWS's GetObject and HeadObject documentation, "Permissions")
    when_missing: Call | None = None


@dataclass
class Role:
    """A function's execution role with its policies resolved."""

    function: str  # logical id
    function_name: str
    name: str
    grants: list[Grant]

    @property
    def arn_for_messages(self) -> str:
        return f"assumed-role/{self.name}/{self.function_name}"

    def decide(self, call: Call) -> Grant | None:
        """The statement that allows the call, or None if it is refused (an explicit Deny, or no Allow)."""
        allowed = None
        for grant in self.grants:
            if not _supported(grant.statement):
                continue
            result = IAMPolicyStatement(grant.statement).is_action_permitted(
                call.action, call.resource, incoming_condition_values=dict(call.context)
            )
            if result == PermissionResult.DENIED and grant.statement.get("Effect") == "Deny":
                return None
            if result == PermissionResult.PERMITTED and allowed is None:
                allowed = grant
        return allowed


def translate(template: Mapping[str, Any], region: str = "us-east-1") -> dict[str, Any]:
    """SAM -> CloudFormation as `sam deploy` would, with local paths replaced by the S3 URIs `sam package` makes."""
    sam = copy.deepcopy(dict(template))
    for resource in sam["Resources"].values():
        props = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(props.get(key), str):
                props[key] = f"s3://telar-artifacts/{props[key].strip('/')}"
    session = boto3.session.Session(region_name=region)  # offline: only names the partition
    translator = Translator(managed_policy_map={}, sam_parser=Parser(), boto_session=session)
    translated: dict[str, Any] = translator.translate(sam, parameter_values={})
    return translated


def roles(
    template: Mapping[str, Any], stack: Stack, pseudo: Pseudo, parameters: Mapping[str, str] | None = None
) -> dict[str, Role]:
    """Each function's role (by the function's logical id), its policies resolved against the provisioned stack."""
    _teach_moto_condition_operators()
    translated = translate(template, pseudo.region)
    resources = translated["Resources"]
    resolver = Resolver(
        pseudo=pseudo,
        parameters=parameter_values(template, parameters),
        mappings=dict(template.get("Mappings") or {}),
        refs={r.logical_id: r.ref for r in stack.resources.values()},
        attributes={r.logical_id: r.attributes for r in stack.resources.values()},
    )
    found: dict[str, Role] = {}
    for logical_id, spec in stack.functions.items():
        role_ref = (resources.get(logical_id, {}).get("Properties") or {}).get("Role")
        role_id = None
        if isinstance(role_ref, dict):
            role_id = (role_ref.get("Fn::GetAtt") or [None])[0] or role_ref.get("Ref")
        role = resources.get(role_id or "", {})
        if role.get("Type") != "AWS::IAM::Role":
            log.warning(
                "%s: role %r is not a role of this template: every AWS call it makes is refused", logical_id, role_ref
            )
            found[logical_id] = Role(logical_id, spec.name, str(role_id), [])
            continue
        props = role.get("Properties") or {}
        grants: list[Grant] = []
        for policy in props.get("Policies") or []:
            document = resolver.resolve(policy["PolicyDocument"], f"Resources.{role_id}.Policies")
            statements = document.get("Statement") or []
            for index, statement in enumerate([statements] if isinstance(statements, dict) else statements):
                grants.append(Grant(str(policy["PolicyName"]), index, statement))
        for arn in resolver.resolve(props.get("ManagedPolicyArns") or [], f"Resources.{role_id}"):
            if arn not in MANAGED_POLICIES:
                log.warning("%s: managed policy %s is unknown to the local cloud: not granted here", role_id, arn)
                continue
            for index, statement in enumerate(MANAGED_POLICIES[arn]["Statement"]):
                grants.append(Grant(arn, index, statement))
        found[logical_id] = Role(logical_id, spec.name, f"{pseudo.stack_name}-{role_id}", grants)
    return found


# ------------------------------------------------------------------------------------------ requests -> calls

_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/([^/]+)/")


@dataclass(frozen=True)
class Request:
    """What the endpoint received, as much as IAM needs of it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    access_key: str
    region: str
    service: str

    def json(self) -> dict[str, Any]:
        try:
            parsed = json.loads(self.body or b"{}")
        except ValueError:
            return {}
        return parsed if isinstance(parsed, dict) else {}

    def form(self) -> dict[str, str]:
        values = parse_qs(self.body.decode("utf-8", "replace")) if self.body else {}
        values.update(self.query)
        return {k: v[0] for k, v in values.items()}


def read_request(environ: dict[str, Any]) -> Request | None:
    """The request's SigV4 identity and content; None for an unsigned request. Puts the body back for the app."""
    query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    match = _SIGV4_CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
    if match is None and "X-Amz-Credential" in query:
        match = _SIGV4_CREDENTIAL.search("Credential=" + query["X-Amz-Credential"][0])
    if match is None:
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    if "CONTENT_TYPE" in environ:
        headers["content-type"] = environ["CONTENT_TYPE"]
    return Request(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=unquote(environ.get("PATH_INFO", "")),
        query=query,
        headers=headers,
        body=body,
        access_key=match.group(1),
        region=match.group(2),
        service=match.group(3),
    )


def presigned_refusal(environ: Mapping[str, Any], secret: str, now: datetime) -> str | None:
    """Why S3 would refuse this presigned (SigV4 query) request: ``SignatureDoesNotMatch``, ``expired``; or None.

    The signature is computed again as S3 computes it (canonical request with an unsigned payload, then the
    string to sign and the HMAC chain of AWS Signature Version 4), so a link altered in any part, or used after
    X-Amz-Expires, is refused locally as on AWS.
    """
    pairs = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
    query = dict(pairs)
    try:
        signed_at = datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        expires = int(query["X-Amz-Expires"])
        scope = query["X-Amz-Credential"].split("/", 1)[1]
        day, region, service, _ = scope.split("/")
        signed_headers = query["X-Amz-SignedHeaders"].split(";")
        signature = query["X-Amz-Signature"]
    except (KeyError, ValueError):
        return "SignatureDoesNotMatch"
    raw_path = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or environ.get("PATH_INFO", "")).split("?")[0]
    encode = functools.partial(quote, safe="-_.~")
    canonical_query = "&".join(f"{encode(k)}={encode(v)}" for k, v in sorted(pairs) if k != "X-Amz-Signature")
    headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
    canonical_headers = "".join(f"{name}:{str(headers.get(name, '')).strip()}\n" for name in signed_headers)
    canonical = "\n".join(
        [
            str(environ.get("REQUEST_METHOD", "GET")),
            quote(unquote(raw_path), safe="/~"),
            canonical_query,
            canonical_headers,
            ";".join(signed_headers),
            "UNSIGNED-PAYLOAD",
        ]
    )
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", query["X-Amz-Date"], scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest(), signature):
        return "SignatureDoesNotMatch"
    if now > signed_at + timedelta(seconds=expires):
        return "expired"
    return None


def s3_refused(code: str) -> tuple[str, list[tuple[str, str]], bytes]:
    """S3's 403 for a presigned request it will not serve."""
    message = {
        "expired": ("AccessDenied", "Request has expired"),
        "SignatureDoesNotMatch": (
            "SignatureDoesNotMatch",
            "The request signature we calculated does not match the signature you provided.",
        ),
    }[code]
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{message[0]}</Code><Message>{message[1]}</Message>'
        f"<RequestId>{uuid.uuid4()}</RequestId></Error>"
    )
    return "403 Forbidden", [("Content-Type", "application/xml")], body.encode()


class Arns:
    """Resource ARNs in the local account and region."""

    def __init__(self, account: str, region: str, partition: str = "aws") -> None:
        self.account, self.region, self.partition = account, region, partition

    def of(self, service: str, resource: str, *, regional: bool = True) -> str:
        region, account = (self.region, self.account) if regional else ("", "")
        return f"arn:{self.partition}:{service}:{region}:{account}:{resource}"


def dynamodb_calls(request: Request, arns: Arns, hash_keys: Mapping[str, str]) -> list[Call]:
    """DynamoDB authorises each table (or index) an operation touches; LeadingKeys is the partition key value."""
    operation = request.headers.get("x-amz-target", "").split(".", 1)[-1]
    body = request.json()

    def table_arn(name: str, index: str | None = None) -> str:
        return arns.of("dynamodb", f"table/{name}" + (f"/index/{index}" if index else ""))

    def leading(table: str, item: Mapping[str, Any] | None) -> dict[str, str]:
        key = hash_keys.get(table)
        value = (item or {}).get(key or "") if key else None
        if isinstance(value, dict) and value:
            return {"dynamodb:LeadingKeys": str(next(iter(value.values())))}
        return {}

    def query_leading(table: str) -> dict[str, str]:
        key = hash_keys.get(table)
        expression = str(body.get("KeyConditionExpression", ""))
        names = {v: k for k, v in (body.get("ExpressionAttributeNames") or {}).items()}
        for name, placeholder in re.findall(r"([#\w]+)\s*=\s*(:\w+)", expression):
            if name == key or names.get(key or "") == name:
                value = (body.get("ExpressionAttributeValues") or {}).get(placeholder) or {}
                if value:
                    return {"dynamodb:LeadingKeys": str(next(iter(value.values())))}
        return {}

    if operation in ("BatchGetItem", "BatchWriteItem"):
        return [Call(f"dynamodb:{operation}", table_arn(name)) for name in (body.get("RequestItems") or {})]
    if operation in ("TransactWriteItems", "TransactGetItems"):
        names = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
            "Get": "GetItem",
        }
        calls = []
        for item in body.get("TransactItems") or []:
            for kind, detail in item.items():
                table = str(detail.get("TableName", ""))
                calls.append(
                    Call(
                        f"dynamodb:{names.get(kind, kind)}",
                        table_arn(table),
                        leading(table, detail.get("Key") or detail.get("Item")),
                    )
                )
        return calls
    table = str(body.get("TableName", ""))
    if not table:
        return [Call(f"dynamodb:{operation}", "*")]
    context = query_leading(table) if operation == "Query" else leading(table, body.get("Key") or body.get("Item"))
    return [Call(f"dynamodb:{operation}", table_arn(table, body.get("IndexName")), context)]


_S3_BUCKET_READS = {
    "versions": "s3:ListBucketVersions",
    "uploads": "s3:ListBucketMultipartUploads",
    "location": "s3:GetBucketLocation",
    "versioning": "s3:GetBucketVersioning",
    "notification": "s3:GetBucketNotification",
    "policy": "s3:GetBucketPolicy",
    "acl": "s3:GetBucketAcl",
    "tagging": "s3:GetBucketTagging",
    "lifecycle": "s3:GetLifecycleConfiguration",
    "encryption": "s3:GetEncryptionConfiguration",
}


def s3_calls(request: Request, arns: Arns) -> list[Call]:
    """S3 authorises the bucket (listing, bucket settings) or the object (bucket/key)."""
    bucket, _, key = request.path.lstrip("/").partition("/")
    q, method = request.query, request.method
    if not bucket:
        return [Call("s3:ListAllMyBuckets", "*")]
    bucket_arn = f"arn:{arns.partition}:s3:::{bucket}"
    if not key:
        if method in ("GET", "HEAD"):
            sub = next((name for name in _S3_BUCKET_READS if name in q), None)
            return [Call(_S3_BUCKET_READS[sub] if sub else "s3:ListBucket", bucket_arn)]
        if method == "POST" and "delete" in q:
            return [Call("s3:DeleteObject", f"{bucket_arn}/*")]
        sub = next((name for name in q if name), "")
        verb = "Delete" if method == "DELETE" else "Put"
        if not sub:
            return [Call("s3:DeleteBucket" if verb == "Delete" else "s3:CreateBucket", bucket_arn)]
        return [Call(f"s3:{verb}Bucket{sub[:1].upper()}{sub[1:]}", bucket_arn)]
    object_arn = f"{bucket_arn}/{key}"
    versioned = "versionId" in q
    if "tagging" in q:
        verb = {"GET": "Get", "PUT": "Put", "DELETE": "Delete"}.get(method, "Get")
        return [Call(f"s3:{verb}Object{'Version' if versioned else ''}Tagging", object_arn)]
    if "acl" in q:
        return [Call("s3:GetObjectAcl" if method == "GET" else "s3:PutObjectAcl", object_arn)]
    if method in ("GET", "HEAD"):
        if "uploadId" in q:
            return [Call("s3:ListMultipartUploadParts", object_arn)]
        action = "s3:GetObjectVersion" if versioned else "s3:GetObject"
        return [Call(action, object_arn, when_missing=Call("s3:ListBucket", bucket_arn))]
    if method == "DELETE":
        if "uploadId" in q:
            return [Call("s3:AbortMultipartUpload", object_arn)]
        return [Call("s3:DeleteObjectVersion" if versioned else "s3:DeleteObject", object_arn)]
    calls = [Call("s3:PutObject", object_arn)]
    source = request.headers.get("x-amz-copy-source")
    if source:
        source = unquote(source).lstrip("/")
        source_key, _, version = source.partition("?versionId=")
        calls.append(
            Call("s3:GetObjectVersion" if version else "s3:GetObject", f"arn:{arns.partition}:s3:::{source_key}")
        )
    return calls


def states_calls(request: Request, arns: Arns) -> list[Call]:
    """Step Functions: the state machine or execution named in the request; task-token callbacks have no resource."""
    operation = request.headers.get("x-amz-target", "").split(".", 1)[-1]
    body = request.json()
    for key in ("stateMachineArn", "executionArn", "activityArn", "mapRunArn"):
        if key in body:
            return [Call(f"states:{operation}", str(body[key]))]
    return [Call(f"states:{operation}", "*")]


def ses_calls(request: Request, arns: Arns) -> list[Call]:
    """SES authorises sending against the sender's identity (the address, as SES v1's Source names it)."""
    if request.path.startswith("/v2/"):
        body = request.json()
        operation = "SendEmail" if request.path.rstrip("/").endswith("outbound-emails") else "Unknown"
        sender = str(body.get("FromEmailAddress", ""))
    else:
        form = request.form()
        operation = form.get("Action", "Unknown")
        sender = form.get("Source", "")
    address = re.search(r"<([^>]+)>", sender)
    sender = address.group(1) if address else sender
    if operation in ("SendEmail", "SendRawEmail", "SendTemplatedEmail", "SendBulkTemplatedEmail") and sender:
        return [Call(f"ses:{operation}", arns.of("ses", f"identity/{sender}"))]
    return [Call(f"ses:{operation}", "*")]


def lambda_calls(request: Request, arns: Arns) -> list[Call]:
    match = re.match(r"^/2015-03-31/functions/([^/]+)(/invocations)?", request.path)
    if match and match.group(2) and request.method == "POST":
        name = match.group(1).split(":function:")[-1].split(":")[0]
        return [Call("lambda:InvokeFunction", arns.of("lambda", f"function:{name}"))]
    if match and request.method == "GET":
        return [Call("lambda:GetFunction", arns.of("lambda", f"function:{match.group(1)}"))]
    return [Call("lambda:ListFunctions", "*")]


def generic_calls(request: Request, arns: Arns) -> list[Call]:
    """JSON services name the operation in X-Amz-Target, query services in Action; resources are not known: '*'
    (a role that grants the action on named resources only is refused, as fails safe)."""
    target = request.headers.get("x-amz-target")
    operation = target.split(".", 1)[-1] if target else request.form().get("Action", "Unknown")
    prefix = {"email": "ses", "monitoring": "cloudwatch", "events": "events"}.get(request.service, request.service)
    if request.service == "sqs":
        queue_url = request.json().get("QueueUrl") or request.form().get("QueueUrl") or ""
        name = queue_url.rstrip("/").rsplit("/", 1)[-1]
        return [Call(f"sqs:{operation}", arns.of("sqs", name) if name else "*")]
    return [Call(f"{prefix}:{operation}", "*")]


def ssm_calls(request: Request, arns: Arns) -> list[Call]:
    """SSM authorises a parameter by its ARN: ``parameter`` + its name (a path's leading / is the ARN's)."""
    operation = request.headers.get("x-amz-target", "").split(".", 1)[-1]
    name = str(request.json().get("Name", ""))
    return [Call(f"ssm:{operation}", arns.of("ssm", "parameter/" + name.lstrip("/")) if name else "*")]


def calls_of(request: Request, arns: Arns, hash_keys: Mapping[str, str]) -> list[Call]:
    """The authorisations a request needs, by the service that signed it."""
    if request.service == "dynamodb":
        return dynamodb_calls(request, arns, hash_keys)
    if request.service == "s3":
        return s3_calls(request, arns)
    if request.service == "states":
        return states_calls(request, arns)
    if request.service in ("ses", "email"):
        return ses_calls(request, arns)
    if request.service == "lambda":
        return lambda_calls(request, arns)
    if request.service == "ssm":
        return ssm_calls(request, arns)
    if request.service == "sts" and request.form().get("Action") == "GetCallerIdentity":
        return []  # needs no permission
    return generic_calls(request, arns)


# ------------------------------------------------------------------------------------------ the check


def access_denied(request: Request, user: str, call: Call) -> tuple[str, list[tuple[str, str]], bytes]:
    """The service's own AccessDenied answer (status, headers, body) for the principal ``user``."""
    message = (
        f"User: {user} is not authorized to perform: {call.action} on resource: {call.resource} "
        f"because no identity-based policy allows the {call.action} action"
    )
    request_id = str(uuid.uuid4())
    if request.headers.get("x-amz-target"):
        body = json.dumps({"__type": "com.amazon.coral.service#AccessDeniedException", "message": message})
        return (
            "400 Bad Request",
            [("Content-Type", "application/x-amz-json-1.0"), ("x-amzn-RequestId", request_id)],
            body.encode(),
        )
    if request.service == "lambda" or request.path.startswith("/v2/"):
        body = json.dumps({"Type": "User", "Message": message, "message": message})
        return (
            "403 Forbidden",
            [
                ("Content-Type", "application/json"),
                ("x-amzn-ErrorType", "AccessDeniedException"),
                ("x-amzn-RequestId", request_id),
            ],
            body.encode(),
        )
    if request.service == "s3":
        body = (
            f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code><Message>{message}'
            f"</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return "403 Forbidden", [("Content-Type", "application/xml")], body.encode()
    body = (
        f"<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>{message}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return "403 Forbidden", [("Content-Type", "text/xml")], body.encode()


class Enforcer:
    """The endpoint's IAM check: a WSGI wrapper that refuses a function's call its role does not allow.

    Parameters
    ----------
    roles
        Each function's role, by logical id.
    credentials
        Each function's access key id, by logical id (local.lambdas gives its environments these).
    hash_keys
        Each table's partition key attribute, by table name (for dynamodb:LeadingKeys).
    audit_dir
        Where allowed calls are recorded (one JSON line each), for `python -m local.iam unused`; None records nothing.
    """

    def __init__(
        self,
        roles: Mapping[str, Role],
        credentials: Mapping[str, str],
        *,
        account: str,
        partition: str = "aws",
        hash_keys: Mapping[str, str] | None = None,
        audit_dir: Path | None = None,
        template: Path | None = None,
        secrets: Mapping[str, str] | None = None,
    ) -> None:
        self.roles = dict(roles)
        self._secrets = dict(secrets or {})  # access key id -> secret: presigned links are verified with them
        self._role_by_key = {key: roles[logical_id] for logical_id, key in credentials.items() if logical_id in roles}
        self._account, self._partition = account, partition
        self._hash_keys = dict(hash_keys or {})
        self._audit_lock = threading.Lock()
        self._audit: io.TextIOWrapper | None = None
        self._template = str(template) if template else ""
        if audit_dir is not None:
            audit_dir.mkdir(parents=True, exist_ok=True)
            self._audit = open(audit_dir / f"{os.getpid()}-{uuid.uuid4().hex[:8]}.jsonl", "a", encoding="utf-8")  # noqa: SIM115
            for role in roles.values():
                for grant in role.grants:
                    self._record(
                        {
                            "granted": True,
                            "function": role.function,
                            "policy": grant.policy,
                            "statement": grant.index,
                            "actions": grant.actions,
                        }
                    )

    def _record(self, entry: dict[str, Any]) -> None:
        if self._audit is None:
            return
        with self._audit_lock:
            self._audit.write(json.dumps({"template": self._template, **entry}) + "\n")
            self._audit.flush()

    def close(self) -> None:
        if self._audit is not None:
            self._audit.close()
            self._audit = None

    def check(self, request: Request) -> tuple[Role, Call | None, Call | None] | None:
        """None if the request is not a function's; else its role, the call the role refused (None: allowed), and
        for an allowed S3 read the call S3 checks should the object be missing (``Call.when_missing``)."""
        role = self._role_by_key.get(request.access_key)
        if role is None:
            return None
        when_missing = None
        for call in calls_of(request, Arns(self._account, request.region, self._partition), self._hash_keys):
            if not self._allows(role, call):
                return role, call, None
            when_missing = when_missing or call.when_missing
        return role, None, when_missing

    def refuses_upload(self, access_key: str, bucket: str, key: str) -> bool:
        """Whether S3 would refuse a browser's POST upload (a presigned POST) signed with ``access_key``: S3
        authorises it as the signer's s3:PutObject on the key (AWS's POST Object documentation), however valid
        the policy. A key that is not a function's (an operator's) is not checked, as elsewhere."""
        role = self._role_by_key.get(access_key)
        if role is None:
            return False
        return not self._allows(
            role, Call("s3:PutObject", f"arn:{self._partition}:s3:::{bucket}/{key}"), "a POST upload"
        )

    def _allows(self, role: Role, call: Call, what: str = "a call") -> bool:
        """Whether ``role`` may make ``call``: the grant that allows it is recorded as used (the audit), a refusal
        is logged."""
        grant = role.decide(call)
        if grant is None:
            log.warning(
                "AccessDenied: %s (%s) may not %s on %s (%s)",
                role.function_name,
                role.name,
                call.action,
                call.resource,
                what,
            )
            return False
        record = {"function": role.function, "policy": grant.policy, "statement": grant.index}
        self._record({**record, "action": call.action, "resource": call.resource})
        return True

    def wrap(self, app: Callable[..., Any]) -> Callable[..., Any]:
        def checked(environ: dict[str, Any], start_response: Any) -> Any:
            request = read_request(environ)
            secret = self._secrets.get(request.access_key) if request is not None else None
            if request is not None and secret is not None and "X-Amz-Signature" in request.query:
                problem = presigned_refusal(environ, secret, datetime.now(UTC))
                if problem is not None:
                    status, headers, body = s3_refused(problem)
                    start_response(status, [*headers, ("Content-Length", str(len(body)))])
                    return [body]
            verdict = self.check(request) if request is not None else None
            if verdict is None:
                return app(environ, start_response)
            assert request is not None
            role, refused, when_missing = verdict
            if refused is not None:
                return self._refuse(request, role, refused, start_response)
            if when_missing is not None:
                return self._missing_object(app, environ, start_response, request, role, when_missing)
            return app(environ, start_response)

        return checked

    def _refuse(self, request: Request, role: Role, call: Call, start_response: Any) -> list[bytes]:
        user = f"arn:{self._partition}:sts::{self._account}:{role.arn_for_messages}"
        status, headers, body = access_denied(request, user, call)
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [body]

    def _missing_object(
        self,
        app: Callable[..., Any],
        environ: dict[str, Any],
        start_response: Any,
        request: Request,
        role: Role,
        call: Call,
    ) -> Any:
        """The app's answer to an allowed S3 read, unless it is a 404 and the role may not make ``call`` (the
        bucket's listing): then S3's 403 AccessDenied."""
        answered: list[Any] = []
        result = app(environ, lambda status, headers, exc_info=None: answered.append((status, headers, exc_info)))
        try:
            body = b"".join(result)
        finally:
            getattr(result, "close", lambda: None)()
        status, headers, exc_info = answered[0]
        if status.startswith("404") and not self._allows(role, call, "a missing object: a 403, not a 404"):
            return self._refuse(request, role, call, start_response)
        start_response(status, headers, exc_info)
        return [body]


# ------------------------------------------------------------------------------------------ the report


def unused_grants(audit_dir: Path, template: Path) -> dict[str, list[str]]:
    """Per function, each granted action (as ``policy#statement: action``) that no recorded call used."""
    granted: dict[tuple[str, str, int], set[str]] = {}
    used: dict[tuple[str, str, int], set[str]] = {}
    for file in sorted(audit_dir.glob("*.jsonl")):
        for line in file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry.get("template") != str(template):
                continue
            key = (entry["function"], entry["policy"], int(entry["statement"]))
            if entry.get("granted"):
                granted.setdefault(key, set()).update(entry["actions"])
            else:
                used.setdefault(key, set()).add(entry["action"])
    report: dict[str, list[str]] = {}
    for (function, policy, index), actions in sorted(granted.items()):
        calls = used.get((function, policy, index), set())
        for action in sorted(actions):
            if not any(fnmatch.fnmatchcase(call, action) for call in calls):
                report.setdefault(function, []).append(f"{policy}#{index}: {action}")
    return report


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.iam", description="IAM as deployed, checked locally")
    commands = parser.add_subparsers(dest="command", required=True)
    unused = commands.add_parser("unused", help="granted actions that no recorded call used")
    unused.add_argument("--audit", type=Path, default=Path("out/iam-audit"))
    unused.add_argument("--template", type=Path, default=Path("template.yaml"))
    unused.add_argument("--ignore-managed", action="store_true", help="leave out AWS managed policies")
    args = parser.parse_args(list(argv) if argv is not None else None)
    report = unused_grants(args.audit, args.template.resolve())
    total = 0
    for function, grants in report.items():
        shown = [g for g in grants if not (args.ignore_managed and g.startswith("arn:aws:iam::aws:policy/"))]
        if shown:
            print(function)
            for grant in shown:
                print(f"  {grant}")
            total += len(shown)
    print(f"{total} granted action(s) no test exercised" if total else "every granted action was exercised")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
