"""Creates the resources of template.yaml in moto, one boto3 call per property that matters.

Why resource by resource: this keeps template.yaml the only list of resources (nothing is kept by
hand here: every table, bucket, queue and state machine comes from the template's properties) while
avoiding moto's CloudFormation, which cannot run our template (it ignores DefinitionSubstitutions, its
state machines do not execute, and REST API resources break its create_stack).
Resources that mean nothing locally (IAM, API Gateway, layers) get a Ref and attributes so that
the rest of the template still resolves, and are otherwise skipped.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from local.stack import (
    ApiRoute,
    Authorizer,
    FunctionSpec,
    GatewayResponse,
    LayerSpec,
    ReceiptRule,
    Resource,
    SqsSource,
    Stack,
)
from local.template import (
    Pseudo,
    Resolver,
    TemplateError,
    dependency_order,
    parameter_values,
    resources_with_globals,
)

log = logging.getLogger(__name__)

ClientFactory = Callable[[str], Any]
"""Returns a boto3 client for a service name, pointed at the local AWS endpoint."""

_SUBSTITUTION = re.compile(r"\$\{([A-Za-z0-9_.:]+)\}")

# Types that need no local counterpart; they still get a Ref (and Arn) so references resolve.
_NOT_NEEDED_LOCALLY = {
    "AWS::Serverless::Api": "served by the local API server (local.api)",
    "AWS::Serverless::HttpApi": "not served locally",
    "AWS::ApiGateway::RestApi": "served by the local API server (local.api)",
    "AWS::Lambda::LayerVersion": "layers are imported from the source tree",
    "AWS::Lambda::Permission": "moto does not enforce permissions",
    "AWS::Logs::LogGroup": "handlers log to the console",
    "AWS::CloudWatch::Alarm": "DLQ and execution alarms are watched by local.alarms (an ALARM log line)",
    "AWS::SNS::Topic": "alarms are log lines locally",
    "AWS::SNS::TopicPolicy": "alarms are log lines locally",
    "AWS::Lambda::EventInvokeConfig": "schedules are not run locally",
    "AWS::ApiGateway::Account": "the local API server logs its own requests",
    "AWS::SES::ReceiptRuleSet": "SES receiving is the local SMTP server (local.smtp), always active",
}


@dataclass(frozen=True)
class Created:
    ref: Any
    attributes: dict[str, Any]


class Provisioner:
    """Walks the template in dependency order, resolving intrinsics and creating each resource."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        project_root: Path,
        pseudo: Pseudo,
        clients: ClientFactory,
        parameters: Mapping[str, str] | None = None,
    ) -> None:
        self._template = template
        self._root = project_root
        self._pseudo = pseudo
        self._clients = clients
        self._resolver = Resolver(
            pseudo=pseudo,
            parameters=parameter_values(template, parameters),
            mappings=dict(template.get("Mappings") or {}),
        )
        self.stack = Stack(name=pseudo.stack_name, account_id=pseudo.account_id, region=pseudo.region)
        self._handlers: dict[str, Callable[[str, dict[str, Any], dict[str, Any]], Created]] = {
            "AWS::DynamoDB::Table": self._dynamodb_table,
            "AWS::S3::Bucket": self._s3_bucket,
            "AWS::S3::BucketPolicy": self._s3_bucket_policy,
            "AWS::SQS::Queue": self._sqs_queue,
            "AWS::SQS::QueuePolicy": self._sqs_queue_policy,
            "AWS::SES::EmailIdentity": self._ses_identity,
            "AWS::SES::ReceiptRule": self._ses_receipt_rule,
            "AWS::Serverless::Function": self._function,
            "AWS::Serverless::StateMachine": self._state_machine,
            "AWS::StepFunctions::StateMachine": self._state_machine,
            "AWS::Serverless::LayerVersion": self._layer,
            "AWS::Cognito::UserPool": self._cognito_user_pool,
            "AWS::Cognito::UserPoolClient": self._cognito_user_pool_client,
            "AWS::Cognito::UserPoolGroup": self._cognito_user_pool_group,
            "AWS::SSM::Parameter": self._ssm_parameter,
        }

    def provision(self) -> Stack:
        """Create every resource; then resolve the template's Outputs."""
        resources = resources_with_globals(self._template)
        for logical_id in dependency_order(resources):
            resource = resources[logical_id]
            rtype = resource.get("Type", "")
            where = f"Resources.{logical_id}.Properties"
            handler = self._handlers.get(rtype)
            if handler is None:
                created = self._placeholder(logical_id, rtype)
            else:
                props = self._resolver.resolve(resource.get("Properties") or {}, where)
                created = handler(logical_id, props, resource.get("Properties") or {})
            self._record(Resource(logical_id, rtype, created.ref, created.attributes, handler is not None))
        for name, output in (self._template.get("Outputs") or {}).items():
            self.stack.outputs[name] = self._resolver.resolve(output.get("Value"), f"Outputs.{name}")
        return self.stack

    # -- helpers ----------------------------------------------------------------------------------

    def _record(self, resource: Resource) -> None:
        self.stack.resources[resource.logical_id] = resource
        self._resolver.refs[resource.logical_id] = resource.ref
        self._resolver.attributes[resource.logical_id] = resource.attributes

    def _name(self, logical_id: str, given: Any = None) -> str:
        """The template's name if it gives one, else "<stack>-<LogicalId>"."""
        return str(given) if given else f"{self._pseudo.stack_name}-{logical_id}"

    def _arn(self, service: str, resource: str, *, region: bool = True, account: bool = True) -> str:
        p = self._pseudo
        return f"arn:{p.partition}:{service}:{p.region if region else ''}:{p.account_id if account else ''}:{resource}"

    def _path(self, uri: Any, where: str) -> Path:
        if not isinstance(uri, str):
            raise TemplateError(f"{where}: only local paths are supported locally, got {uri!r}")
        path = (self._root / uri).resolve()
        if not path.exists():
            raise TemplateError(f"{where}: {path} does not exist")
        return path

    @staticmethod
    def _ignore(logical_id: str, props: Mapping[str, Any], known: set[str]) -> None:
        unknown = sorted(set(props) - known)
        if unknown:
            log.warning("%s: properties not applied by the local cloud: %s", logical_id, ", ".join(unknown))

    def _placeholder(self, logical_id: str, rtype: str) -> Created:
        name = self._name(logical_id)
        if rtype.startswith("AWS::IAM::"):
            kind = rtype.removeprefix("AWS::IAM::").lower()
            return Created(name, {"Arn": self._arn("iam", f"{kind}/{name}", region=False)})
        if rtype in _NOT_NEEDED_LOCALLY:
            log.debug("%s (%s) not created: %s", logical_id, rtype, _NOT_NEEDED_LOCALLY[rtype])
        else:
            log.warning("%s: %s is not provisioned by the local cloud (Ref/Arn are placeholders)", logical_id, rtype)
        api_id = re.sub(r"[^a-z0-9]", "", logical_id.lower())[:10]
        if rtype in ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi"):
            return Created(api_id, {"RootResourceId": "root"})
        return Created(name, {"Arn": self._arn(rtype.split("::")[1].lower(), name)})

    # -- resource types ---------------------------------------------------------------------------

    def _ssm_parameter(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(logical_id, props, {"Name", "Type", "Value", "Description"})
        name = str(props.get("Name") or f"CFN-{logical_id}")
        kind, value = str(props.get("Type", "String")), str(props["Value"])
        extra = {"Description": str(props["Description"])} if props.get("Description") else {}
        self._clients("ssm").put_parameter(Name=name, Value=value, Type=kind, Overwrite=True, **extra)
        return Created(name, {"Type": kind, "Value": value})

    def _layer(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        # On Lambda a layer's python/ folder is /opt/python; with SAM's BuildMethod the ContentUri
        # itself becomes that folder (its requirements installed next to it: local.build).
        content = self._path(props.get("ContentUri"), f"{logical_id}.ContentUri")
        name = self._name(logical_id, props.get("LayerName"))
        arn = self._arn("lambda", f"layer:{name}:1")
        self.stack.layers[arn] = LayerSpec(logical_id, content / "python" if (content / "python").is_dir() else content)
        return Created(arn, {})

    def _dynamodb_table(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(
            logical_id,
            props,
            {
                "TableName",
                "AttributeDefinitions",
                "KeySchema",
                "BillingMode",
                "ProvisionedThroughput",
                "GlobalSecondaryIndexes",
                "LocalSecondaryIndexes",
                "StreamSpecification",
                "SSESpecification",
                "PointInTimeRecoverySpecification",
                "TimeToLiveSpecification",
                "Tags",
                "DeletionProtectionEnabled",
                "TableClass",
            },
        )
        client = self._clients("dynamodb")
        name = self._name(logical_id, props.get("TableName"))
        billing = props.get("BillingMode", "PROVISIONED")
        args: dict[str, Any] = {
            "TableName": name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": billing,
        }

        def throughput(spec: Mapping[str, Any]) -> dict[str, int]:
            return {k: int(v) for k, v in spec.items()}

        if billing == "PROVISIONED":
            args["ProvisionedThroughput"] = throughput(
                props.get(
                    "ProvisionedThroughput",
                    {
                        "ReadCapacityUnits": 5,
                        "WriteCapacityUnits": 5,
                    },
                )
            )
        if props.get("GlobalSecondaryIndexes"):
            indexes = []
            for index in props["GlobalSecondaryIndexes"]:
                index = dict(index)
                if "ProvisionedThroughput" in index:
                    index["ProvisionedThroughput"] = throughput(index["ProvisionedThroughput"])
                indexes.append(index)
            args["GlobalSecondaryIndexes"] = indexes
        if props.get("LocalSecondaryIndexes"):
            args["LocalSecondaryIndexes"] = props["LocalSecondaryIndexes"]
        if props.get("StreamSpecification"):
            args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
        if props.get("SSESpecification"):
            sse = props["SSESpecification"]
            args["SSESpecification"] = {"Enabled": bool(sse.get("SSEEnabled"))} | {
                k: sse[k] for k in ("SSEType", "KMSMasterKeyId") if k in sse
            }
        if props.get("Tags"):
            args["Tags"] = props["Tags"]
        description = client.create_table(**args)["TableDescription"]
        if props.get("PointInTimeRecoverySpecification"):
            client.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification=props["PointInTimeRecoverySpecification"]
            )
        ttl = props.get("TimeToLiveSpecification")
        if ttl and ttl.get("Enabled"):
            client.update_time_to_live(TableName=name, TimeToLiveSpecification=ttl)
        attributes = {"Arn": description["TableArn"]}
        if "LatestStreamArn" in description:
            attributes["StreamArn"] = description["LatestStreamArn"]
        return Created(name, attributes)

    def _s3_bucket(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(
            logical_id,
            props,
            {
                "BucketName",
                "VersioningConfiguration",
                "BucketEncryption",
                "PublicAccessBlockConfiguration",
                "NotificationConfiguration",
                "Tags",
                "OwnershipControls",
            },
        )
        client = self._clients("s3")
        # Bucket names are lower case; CloudFormation lower-cases the names it generates too.
        name = self._name(logical_id, props.get("BucketName")).lower()[:63]
        if self._pseudo.region == "us-east-1":
            client.create_bucket(Bucket=name)
        else:
            client.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": self._pseudo.region})
        if "VersioningConfiguration" in props:
            client.put_bucket_versioning(
                Bucket=name, VersioningConfiguration={"Status": props["VersioningConfiguration"]["Status"]}
            )
        if "BucketEncryption" in props:
            rules = [
                {"ApplyServerSideEncryptionByDefault": rule["ServerSideEncryptionByDefault"]}
                | ({"BucketKeyEnabled": rule["BucketKeyEnabled"]} if "BucketKeyEnabled" in rule else {})
                for rule in props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
            ]
            client.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
        if "PublicAccessBlockConfiguration" in props:
            client.put_public_access_block(
                Bucket=name, PublicAccessBlockConfiguration=props["PublicAccessBlockConfiguration"]
            )
        if "OwnershipControls" in props:
            client.put_bucket_ownership_controls(Bucket=name, OwnershipControls=props["OwnershipControls"])
        if "NotificationConfiguration" in props:
            client.put_bucket_notification_configuration(
                Bucket=name,
                NotificationConfiguration=self._notifications(logical_id, props["NotificationConfiguration"]),
            )
        return Created(
            name,
            {
                "Arn": f"arn:{self._pseudo.partition}:s3:::{name}",
                "DomainName": f"{name}.s3.{self._pseudo.url_suffix}",
                "RegionalDomainName": f"{name}.s3.{self._pseudo.region}.{self._pseudo.url_suffix}",
            },
        )

    @staticmethod
    def _notifications(logical_id: str, config: Mapping[str, Any]) -> dict[str, Any]:
        """CloudFormation's NotificationConfiguration in the shape of the S3 API."""

        def with_filter(entry: Mapping[str, Any], target: dict[str, Any]) -> dict[str, Any]:
            target["Events"] = [entry["Event"]]
            rules = (entry.get("Filter") or {}).get("S3Key", {}).get("Rules")
            if rules:
                target["Filter"] = {"Key": {"FilterRules": [{"Name": r["Name"], "Value": r["Value"]} for r in rules]}}
            return target

        result: dict[str, Any] = {}
        if config.get("QueueConfigurations"):
            result["QueueConfigurations"] = [
                with_filter(c, {"QueueArn": c["Queue"]}) for c in config["QueueConfigurations"]
            ]
        if config.get("TopicConfigurations"):
            result["TopicConfigurations"] = [
                with_filter(c, {"TopicArn": c["Topic"]}) for c in config["TopicConfigurations"]
            ]
        if config.get("EventBridgeConfiguration", {}).get("EventBridgeEnabled"):
            result["EventBridgeConfiguration"] = {}
        if config.get("LambdaConfigurations"):
            log.warning("%s: S3 -> Lambda notifications are not wired locally (use S3 -> SQS)", logical_id)
        return result

    def _s3_bucket_policy(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        # moto enforces bucket policies, and the local endpoint is plain HTTP: statements conditioned on
        # aws:SecureTransport (our TLS-only Deny) would refuse every request, so they are left out here.
        document = dict(props["PolicyDocument"])
        statements = document.get("Statement") or []
        statements = [statements] if isinstance(statements, dict) else statements
        kept = [s for s in statements if "aws:securetransport" not in json.dumps(s.get("Condition", {})).lower()]
        if len(kept) < len(statements):
            log.info("%s: TLS-only statements not applied (the local endpoint is plain HTTP)", logical_id)
        if kept:
            document["Statement"] = kept
            self._clients("s3").put_bucket_policy(Bucket=props["Bucket"], Policy=json.dumps(document))
        return Created(self._name(logical_id), {})

    _QUEUE_ATTRIBUTES = (
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
        "RedrivePolicy",
        "RedriveAllowPolicy",
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "KmsMasterKeyId",
        "KmsDataKeyReusePeriodSeconds",
        "SqsManagedSseEnabled",
    )

    def _sqs_queue(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(logical_id, props, {"QueueName", "Tags", *self._QUEUE_ATTRIBUTES})
        client = self._clients("sqs")
        name = self._name(logical_id, props.get("QueueName"))[:80]
        if props.get("FifoQueue") and not name.endswith(".fifo"):
            name = name[:75] + ".fifo"

        def as_attribute(value: Any) -> str:
            if isinstance(value, bool):
                return str(value).lower()
            if isinstance(value, dict):
                return json.dumps(value)
            return str(value)

        attributes = {k: as_attribute(props[k]) for k in self._QUEUE_ATTRIBUTES if k in props}
        url = client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = client.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return Created(url, {"Arn": arn, "QueueName": name, "QueueUrl": url})

    def _sqs_queue_policy(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        client = self._clients("sqs")
        for url in props["Queues"]:
            client.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(props["PolicyDocument"])})
        return Created(self._name(logical_id), {})

    def _ses_identity(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        # Verified in SES v1: moto's send_raw_email (v1 and v2) refuses unverified senders.
        identity = str(props["EmailIdentity"])
        client = self._clients("ses")
        if "@" in identity:
            client.verify_email_identity(EmailAddress=identity)
        else:
            client.verify_domain_identity(Domain=identity)
        return Created(identity, {})

    def _ses_receipt_rule(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        # moto stores receipt rules but receives no mail: local.smtp does, as the rule's S3 action would.
        # Only what the SMTP server can honour is accepted; any other action would silently do nothing here.
        rule = props["Rule"]
        actions = rule.get("Actions") or []
        if [next(iter(a)) for a in actions] != ["S3Action"]:
            raise TemplateError(f"{logical_id}: the local cloud serves receipt rules with one S3Action only")
        s3 = actions[0]["S3Action"]
        if rule.get("Enabled", False):
            self.stack.receipt_rules.append(
                ReceiptRule(
                    recipients=tuple(str(r).lower() for r in rule.get("Recipients") or ()),
                    bucket=str(s3["BucketName"]),
                    prefix=str(s3.get("ObjectKeyPrefix") or ""),
                    scan=bool(rule.get("ScanEnabled", False)),
                )
            )
        return Created(self._name(logical_id, rule.get("Name")), {})

    # The staff console's sign-in: moto's Cognito issues RS256 ID tokens (iss, aud, token_use, cognito:groups,
    # custom attributes) and serves the pool's JWKS at <endpoint>/<pool id>/.well-known/jwks.json, as AWS does.
    _USER_POOL_PROPERTIES = {
        "UserPoolName": "PoolName",
        "Policies": "Policies",
        "Schema": "Schema",
        "AdminCreateUserConfig": "AdminCreateUserConfig",
        "UsernameConfiguration": "UsernameConfiguration",
        "MfaConfiguration": "MfaConfiguration",
        "AccountRecoverySetting": "AccountRecoverySetting",
    }

    def _cognito_user_pool(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(logical_id, props, set(self._USER_POOL_PROPERTIES))
        given = {api: props[cfn] for cfn, api in self._USER_POOL_PROPERTIES.items() if cfn in props}
        given["PoolName"] = self._name(logical_id, props.get("UserPoolName"))
        pool = self._clients("cognito-idp").create_user_pool(**given)["UserPool"]
        provider = f"cognito-idp.{self._pseudo.region}.amazonaws.com/{pool['Id']}"
        return Created(pool["Id"], {"Arn": pool["Arn"], "ProviderName": provider, "ProviderURL": f"https://{provider}"})

    def _cognito_user_pool_client(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        known = {
            "UserPoolId",
            "ClientName",
            "GenerateSecret",
            "ExplicitAuthFlows",
            "PreventUserExistenceErrors",
            "ReadAttributes",
            "WriteAttributes",
            "IdTokenValidity",
            "AccessTokenValidity",
            "RefreshTokenValidity",
            "TokenValidityUnits",
        }
        self._ignore(logical_id, props, known)
        given = {k: props[k] for k in known if k in props}
        given.setdefault("ClientName", self._name(logical_id))
        client = self._clients("cognito-idp").create_user_pool_client(**given)["UserPoolClient"]
        return Created(client["ClientId"], {"ClientSecret": client.get("ClientSecret", "")})

    def _cognito_user_pool_group(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(logical_id, props, {"UserPoolId", "GroupName", "Description", "Precedence", "RoleArn"})
        given = {k: props[k] for k in ("UserPoolId", "GroupName", "Description", "Precedence", "RoleArn") if k in props}
        group = self._clients("cognito-idp").create_group(**given)["Group"]
        return Created(group["GroupName"], {})

    def _function(self, logical_id: str, props: dict[str, Any], raw: dict[str, Any]) -> Created:
        self._ignore(
            logical_id,
            props,
            {
                "CodeUri",
                "Handler",
                "Runtime",
                "Timeout",
                "MemorySize",
                "Environment",
                "FunctionName",
                "Events",
                "Description",
                "Policies",
                "Role",
                "Architectures",
                "Tracing",
                "Layers",
                "Tags",
                "Metadata",
                "ReservedConcurrentExecutions",
                "LoggingConfig",
                "AutoPublishAlias",
            },
        )
        name = self._name(logical_id, props.get("FunctionName"))
        runtime = str(props.get("Runtime", ""))
        if not runtime.startswith("python"):
            log.warning("%s: runtime %r cannot run in the local cloud (Python only)", logical_id, runtime)
        variables = (props.get("Environment") or {}).get("Variables") or {}
        spec = FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=self._arn("lambda", f"function:{name}"),
            code_dir=self._path(props.get("CodeUri", "."), f"{logical_id}.CodeUri"),
            handler=str(props["Handler"]),
            runtime=runtime,
            timeout_seconds=int(props.get("Timeout", 3)),
            memory_mb=int(props.get("MemorySize", 128)),
            environment={k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in variables.items()},
            layers=tuple(str(arn) for arn in props.get("Layers") or ()),
        )
        self.stack.functions[logical_id] = spec
        for event_id, event in (props.get("Events") or {}).items():
            self._event(spec, event_id, event, (raw.get("Events") or {}).get(event_id, {}))
        return Created(name, {"Arn": spec.arn})

    def _event(self, spec: FunctionSpec, event_id: str, event: dict[str, Any], raw: dict[str, Any]) -> None:
        kind, props = event.get("Type"), event.get("Properties") or {}
        if kind == "Api":
            api_ref = (raw.get("Properties") or {}).get("RestApiId")
            api_logical_id = api_ref.get("Ref") if isinstance(api_ref, dict) else None
            stage = "Prod"  # SAM's implicit API
            api_props: dict[str, Any] = {}
            if api_logical_id:
                resource = self._template["Resources"].get(api_logical_id, {})
                api_props = resource.get("Properties") or {}
                stage = str(self._resolver.resolve(api_props.get("StageName", "Prod")))
            where = f"Resources.{api_logical_id}.Properties"
            self.stack.routes.append(
                ApiRoute(
                    function_name=spec.name,
                    path=str(props["Path"]),
                    method=str(props["Method"]).upper(),
                    stage=stage,
                    api_logical_id=api_logical_id or "ServerlessRestApi",
                    authorizer=self._authorizer(self._resolver.resolve(api_props.get("Auth") or {}, where), props),
                    gateway_responses=self._gateway_responses(
                        self._resolver.resolve(api_props.get("GatewayResponses") or {}, where)
                    ),
                )
            )
        elif kind == "SQS":
            self.stack.sqs_sources.append(
                SqsSource(
                    function_name=spec.name,
                    queue_arn=str(props["Queue"]),
                    batch_size=int(props.get("BatchSize", 10)),
                    report_batch_item_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                    enabled=bool(props.get("Enabled", True)),
                )
            )
        else:
            log.warning("%s.Events.%s: event type %s is not wired locally", spec.logical_id, event_id, kind)

    @staticmethod
    def _authorizer(auth: Mapping[str, Any], event_props: Mapping[str, Any]) -> Authorizer | None:
        """The Lambda authorizer API Gateway runs before this route: the event's own, or the API's default."""
        name = (event_props.get("Auth") or {}).get("Authorizer") or auth.get("DefaultAuthorizer")
        if not name or name in ("NONE", "AWS_IAM"):
            return None
        config = (auth.get("Authorizers") or {}).get(name)
        if not config or "FunctionArn" not in config:
            raise TemplateError(f"authorizer {name}: only Lambda authorizers (FunctionArn) are served locally")
        if config.get("FunctionPayloadType", "TOKEN") != "REQUEST":
            raise TemplateError(f"authorizer {name}: only REQUEST authorizers are served locally")
        identity = config.get("Identity") or {}
        return Authorizer(
            function_name=str(config["FunctionArn"]),
            identity_headers=tuple(str(h) for h in identity.get("Headers") or ()),
            ttl_seconds=int(identity.get("ReauthorizeEvery", 300)),
        )

    @staticmethod
    def _gateway_responses(responses: Mapping[str, Any]) -> tuple[tuple[str, GatewayResponse], ...]:
        found = []
        for kind, config in responses.items():
            headers = ((config.get("ResponseParameters") or {}).get("Headers") or {}).items()
            found.append(
                (
                    kind,
                    GatewayResponse(
                        status=int(config.get("StatusCode", 500)),
                        headers=tuple((k, str(v).strip("'")) for k, v in headers),  # static values are quoted
                        body=str((config.get("ResponseTemplates") or {}).get("application/json", "")),
                    ),
                )
            )
        return tuple(found)

    def _state_machine(self, logical_id: str, props: dict[str, Any], _raw: dict[str, Any]) -> Created:
        self._ignore(
            logical_id,
            props,
            {
                "Name",
                "StateMachineName",
                "Definition",
                "DefinitionString",
                "DefinitionUri",
                "DefinitionSubstitutions",
                "Role",
                "RoleArn",
                "Type",
                "StateMachineType",
                "Tracing",
                "TracingConfiguration",
                "Policies",
                "Logging",
                "LoggingConfiguration",
                "Tags",
                "Events",
            },
        )
        name = self._name(logical_id, props.get("Name") or props.get("StateMachineName"))
        if "DefinitionUri" in props:
            text = self._path(props["DefinitionUri"], f"{logical_id}.DefinitionUri").read_text(encoding="utf-8")
        elif "DefinitionString" in props:
            text = str(props["DefinitionString"])
        elif "Definition" in props:
            text = json.dumps(props["Definition"])
        else:
            raise TemplateError(f"{logical_id}: needs Definition, DefinitionString or a local DefinitionUri")
        # moto's CloudFormation ignores DefinitionSubstitutions; CloudFormation substitutes in the text.
        substitutions = {k: str(v) for k, v in (props.get("DefinitionSubstitutions") or {}).items()}
        text = _SUBSTITUTION.sub(lambda m: substitutions.get(m.group(1), m.group(0)), text)
        try:
            definition = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"{logical_id}: the definition is not JSON after substitution: {exc}") from exc
        tracing = props.get("Tracing") or props.get("TracingConfiguration") or {}
        role = props.get("Role") or props.get("RoleArn") or self._arn("iam", f"role/{name}-role", region=False)
        response = self._clients("stepfunctions").create_state_machine(
            name=name,
            definition=json.dumps(definition),
            roleArn=str(role),
            type=str(props.get("Type") or props.get("StateMachineType") or "STANDARD"),
            tracingConfiguration={"enabled": bool(tracing.get("Enabled"))},
        )
        return Created(response["stateMachineArn"], {"Arn": response["stateMachineArn"], "Name": name})
