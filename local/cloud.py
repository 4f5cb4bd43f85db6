"""LocalCloud: the whole local cloud, started and stopped as one object.

Why one object: `make serve`, the demo and the e2e tests all need the same thing, started in the
same order and torn down completely (threads joined, servers closed, environment put back):

    with LocalCloud(api_port=0, aws_port=0, out_dir=tmp_path) as cloud:
        requests.post(cloud.outputs["api_url"] + "/orders", ...)

moto's state lives in the process, so one LocalCloud runs per process at a time; one after another is fine:
``stop`` puts back what ``start`` changed (environment, boto3's default session, sys.path, moto's config, the
objects it kept out of the garbage collector's walks) and forgets what this process cached while it ran (see
``forget_process_caches``).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import json
import logging
import os
import re
import socket
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

import boto3

from local.alarms import AlarmWatcher, watched_alarms
from local.api import ApiServer
from local.build import BUILD_DIR, function_path
from local.build import check as check_build
from local.endpoint import ACCOUNT_ID, MotoEndpoint, PatchedEnviron, aws_environment
from local.faults import FaultInjector
from local.files import write_atomically
from local.lambdas import LambdaRuntime
from local.outbox import Outbox
from local.poller import SqsEventSource
from local.provision import Provisioner
from local.smtp import SmtpReceiver
from local.stack import Stack
from local.template import Pseudo, load_template, resources_with_globals

log = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_API_PORT = 3000
DEFAULT_AWS_PORT = 4566
DEFAULT_SMTP_PORT = 2525
VISIBILITY_TIMEOUT_ENV = "TELAR_LOCAL_VISIBILITY_TIMEOUT"
# Every function's environment here, never on AWS: buyers' webhook URLs may be http to this machine (a receiver
# a developer or a test runs on 127.0.0.1), which telar.webhooks refuses everywhere else.
LOCAL_VARIABLES = {"WEBHOOKS_ALLOW_PRIVATE": "true"}

_ONE_PER_PROCESS = threading.Lock()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free right now (passing port 0 to LocalCloud does the same without a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def forget_process_caches() -> None:
    """Clear every functools cache of the telar package loaded in this process, and its unflushed metrics.

    The layer caches what it builds from the environment, once per process as on Lambda: boto3 clients bound
    to an endpoint, Settings, Ports, the idempotency store. The seed (and any test code) runs the layer in
    this process, so what it cached under one local cloud would point at that cloud's ports under the next.
    Found by walking the loaded modules, so a cache added to the layer later is covered without a list here.
    """
    for name, module in list(sys.modules.items()):
        if module is None or not (name == "telar" or name.startswith("telar.")):
            continue
        for value in list(vars(module).values()):
            if getattr(value, "__module__", None) == name and callable(getattr(value, "cache_clear", None)):
                value.cache_clear()
    observability = sys.modules.get("telar.observability")
    if observability is not None:  # counts recorded in-process but never flushed belong to no one
        observability.metrics.clear_metrics()


def _partition_keys(template: Mapping[str, Any], stack: Stack) -> dict[str, str]:
    """Each table's partition key attribute, by table name (IAM's dynamodb:LeadingKeys names its value)."""
    keys = {}
    for logical_id, resource in resources_with_globals(template).items():
        if resource.get("Type") == "AWS::DynamoDB::Table" and logical_id in stack.resources:
            schema = (resource.get("Properties") or {}).get("KeySchema") or []
            hash_key = next((k["AttributeName"] for k in schema if k.get("KeyType") == "HASH"), None)
            if hash_key:
                keys[str(stack.ref(logical_id))] = str(hash_key)
    return keys


class LocalCloud:
    """moto + the template's resources + the handlers + the API + the SQS pollers + the SES outbox.

    Parameters
    ----------
    project_root
        Paths in the template (CodeUri, DefinitionUri, ContentUri) are relative to it.
    template
        The SAM template; ``project_root / "template.yaml"`` by default.
    out_dir
        Where ``outputs.json`` and the ``outbox/`` folder go (``out/serve`` by default).
    api_port, aws_port, smtp_port
        0 picks free ports (read the real ones from ``outputs``); the SMTP server (SES receiving, local.smtp)
        defaults to TELAR_SMTP_PORT, else to a free port when ``api_port`` is 0, else to 2525.
    visibility_timeout
        Explicit local override of the SQS visibility timeout used by the pollers, to make retries
        and redrive quick; None reads TELAR_LOCAL_VISIBILITY_TIMEOUT, and without it the queue's own
        (template) value applies.
    build_dir
        Where ``make build`` put the layers' dependencies and the runtime's packages (local.build).
    seed
        Run ``local.seed.seed_sample_data`` (if that module exists) and list its buyers in outputs.
    """

    def __init__(
        self,
        *,
        project_root: Path | None = None,
        template: Path | None = None,
        out_dir: Path | None = None,
        api_port: int = DEFAULT_API_PORT,
        aws_port: int = DEFAULT_AWS_PORT,
        host: str = "127.0.0.1",
        stack_name: str = "telar",
        region: str = "us-east-1",
        parameters: Mapping[str, str] | None = None,
        visibility_timeout: int | None = None,
        seed: bool = True,
        build_dir: Path | None = None,
        clean_outbox: bool = True,
        smtp_port: int | None = None,
    ) -> None:
        self.project_root = (project_root or PROJECT_ROOT).resolve()
        self.template_path = (template or self.project_root / "template.yaml").resolve()
        self.out_dir = (out_dir or self.project_root / "out" / "serve").resolve()
        self.host = host
        self.region = region
        self.pseudo = Pseudo(stack_name=stack_name, account_id=ACCOUNT_ID, region=region)
        self._parameters = dict(parameters or {})
        if visibility_timeout is None and os.environ.get(VISIBILITY_TIMEOUT_ENV):
            visibility_timeout = int(os.environ[VISIBILITY_TIMEOUT_ENV])
        self.visibility_timeout = visibility_timeout
        self._seed = seed
        self.build_dir = (build_dir or BUILD_DIR).resolve()
        self._clean_outbox = clean_outbox
        self._api_port = api_port
        # SES receiving's stand-in (local.smtp). None: TELAR_SMTP_PORT, else a free port when the API's is
        # (tests running side by side), else 2525.
        if smtp_port is None:
            smtp_port = int(os.environ.get("TELAR_SMTP_PORT", DEFAULT_SMTP_PORT if api_port else 0))
        self._smtp_port = smtp_port
        self.smtp: SmtpReceiver | None = None
        self.endpoint = MotoEndpoint(host, aws_port)
        self._environ = PatchedEnviron()
        self._added_paths: list[str] = []
        self._saved_session: Any = None
        self._session_swapped = False
        self._owns_lock = False
        self._froze = False
        self._werkzeug_level: int | None = None
        self.stack: Stack | None = None
        self.runtime: LambdaRuntime | None = None
        self.iam: Any = None  # local.iam.Enforcer once started
        self.api: ApiServer | None = None
        self.outbox: Outbox | None = None
        self.pollers: list[SqsEventSource] = []
        self.alarms: AlarmWatcher | None = None
        self.faults: FaultInjector | None = None
        self.outputs: dict[str, Any] = {}
        self.staff: list[dict[str, Any]] = []

    # -- lifecycle --------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def start(self) -> LocalCloud:
        if not _ONE_PER_PROCESS.acquire(blocking=False):
            raise RuntimeError("a LocalCloud is already running in this process (moto's state is per process)")
        self._owns_lock = True
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    @property
    def outputs_file(self) -> Path:
        """Written, whole, once everything is up; absent while starting and after stopping."""
        return self.out_dir / "outputs.json"

    def _start(self) -> None:
        # A file left by an earlier run names ports that are gone: nobody may read it as ours.
        self.outputs_file.unlink(missing_ok=True)
        template = load_template(self.template_path)  # fail on a bad template before starting anything
        check_build(self.template_path, self.build_dir)  # or on a build that is not what would deploy
        self._werkzeug_level = logging.getLogger("werkzeug").level
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's request log: a line per call and poll
        self.endpoint.start()
        self._environ.set(aws_environment(self.endpoint, self.region))
        forget_process_caches()  # nothing cached before us may reach the endpoint we just started
        # Handlers and moto's ASL interpreter use boto3's default session: hooks go there.
        self._saved_session, self._session_swapped = boto3.DEFAULT_SESSION, True
        boto3.setup_default_session(region_name=self.region)
        session = boto3.DEFAULT_SESSION
        assert session is not None
        self.stack = Provisioner(
            template,
            project_root=self.project_root,
            pseudo=self.pseudo,
            clients=self.client,
            parameters=self._parameters,
        ).provision()
        for layer in self.stack.layers.values():  # the seed runs the app's own import use case, in this process
            if str(layer.content_dir) not in sys.path:
                sys.path.append(str(layer.content_dir))
                self._added_paths.append(str(layer.content_dir))
        self.runtime = LambdaRuntime(
            self.stack.functions.values(),
            python_paths={
                spec.logical_id: function_path(self.stack, spec, self.build_dir)
                for spec in self.stack.functions.values()
            },
            region=self.region,
            endpoint_url=self.endpoint.url,
            local_variables=LOCAL_VARIABLES,
        )
        self.runtime.install(session)
        self.faults = FaultInjector(self.runtime)  # tests declare faults on it; none by default
        self.faults.install()
        self.endpoint.answer_lambda_invoke(self.runtime)
        # Imported here: the SAM translator and moto's IAM models are half of this module's import time.
        from local.iam import AUDIT_DIR_ENV, Enforcer
        from local.iam import roles as iam_roles

        audit = os.environ.get(AUDIT_DIR_ENV)
        self.iam = Enforcer(
            iam_roles(template, self.stack, self.pseudo, self._parameters),
            {logical_id: c.access_key_id for logical_id, c in self.runtime.credentials.items()},
            account=self.pseudo.account_id,
            partition=self.pseudo.partition,
            hash_keys=_partition_keys(template, self.stack),
            audit_dir=Path(audit).resolve() if audit else None,
            template=self.template_path,
            secrets={c.access_key_id: c.secret_access_key for c in self.runtime.credentials.values()},
        )
        from local.s3_post import enforce_post_policies

        # browser uploads (presigned POSTs) meet their signed policy, and the signer's role may put the object, as
        # S3 requires (moto stores any POST)
        post_secrets = {c.access_key_id: c.secret_access_key for c in self.runtime.credentials.values()}
        self.endpoint.wrap(enforce_post_policies(lambda: post_secrets, self.iam.refuses_upload))
        self.endpoint.wrap(self.iam.wrap)  # outermost: the Lambda API is checked too
        self.outbox = Outbox(self.out_dir / "outbox", account_id=self.pseudo.account_id, region=self.region)
        self.outbox.install(session)
        self.outbox.start(clean=self._clean_outbox)
        self.runtime.after_invocation = self.outbox.flush

        sqs = self.client("sqs")
        for source in self.stack.sqs_sources:
            if source.enabled:
                poller = SqsEventSource(
                    source,
                    self.runtime,
                    sqs,
                    region=self.region,
                    account_id=self.pseudo.account_id,
                    visibility_timeout=self.visibility_timeout,
                )
                self.pollers.append(poller)
                poller.start()

        refs = {r.logical_id: r.ref for r in self.stack.resources.values() if r.created}
        self.alarms = AlarmWatcher(watched_alarms(template, refs), self.client)
        self.alarms.start()

        self.api = ApiServer(
            self.stack.routes,
            self.runtime,
            host=self.host,
            port=self._api_port,
            account_id=self.pseudo.account_id,
            region=self.region,
        )
        self.api.start()
        self._serve_api_urls()
        self.smtp = SmtpReceiver(
            self.stack.receipt_rules, self.client("s3"), host=self.host, port=self._smtp_port or free_port(self.host)
        )
        self.smtp.start()
        buyers = self._run_seed() if self._seed else []
        self.staff = self._create_staff() if self._seed else []
        self.outputs = self._outputs(buyers)
        # What starting built (moto's and the SDK's models, the stack, the seed's imports: ~400,000 objects) lives
        # as long as the cloud: out of the cyclic collector's full walks, which stopped every thread of the process
        # for up to 0.7 s at a time under the intake bench (nothing on AWS pauses like it). Later objects are
        # collected as before.
        gc.freeze()
        self._froze = True
        write_atomically(self.outputs_file, json.dumps(self.outputs, indent=2) + "\n")

    def stop(self) -> None:
        """Stop everything that was started, in reverse order; safe to call twice."""
        if self._owns_lock:  # what outputs.json names is about to go away
            self.outputs_file.unlink(missing_ok=True)
        if self.alarms is not None:
            self.alarms.stop()
            self.alarms = None
        if self.api is not None:
            self.api.stop()
            self.api = None
        if self.smtp is not None:
            self.smtp.stop()
            self.smtp = None
        for poller in self.pollers:
            poller.stop()
        for poller in self.pollers:
            poller.join()
        self.pollers = []
        if self.stack is not None and self.endpoint.port:
            self._stop_executions()
        if self.runtime is not None:
            self.runtime.stop()
            self.runtime = None
        if self.outbox is not None:
            self.outbox.stop()
            self.outbox = None
        self.endpoint.stop()
        if self.iam is not None:
            self.iam.close()
            self.iam = None
        self._environ.restore()
        for path in self._added_paths:
            if path in sys.path:
                sys.path.remove(path)
        self._added_paths = []
        if self._session_swapped:  # our hooks leave with our session
            boto3.DEFAULT_SESSION = self._saved_session
            self._saved_session, self._session_swapped = None, False
        if self._werkzeug_level is not None:
            logging.getLogger("werkzeug").setLevel(self._werkzeug_level)
            self._werkzeug_level = None
        self.stack = None
        forget_process_caches()
        if self._froze:  # what start froze is the collector's again (the process's earlier freezes with it)
            gc.unfreeze()
            self._froze = False
        if self._owns_lock:
            self._owns_lock = False
            _ONE_PER_PROCESS.release()

    def _stop_executions(self) -> None:
        """Stop executions still waiting (for a task token, say), so no thread calls a stopped moto."""
        try:
            sfn = self.client("stepfunctions")
            for machine in sfn.list_state_machines()["stateMachines"]:
                running = sfn.list_executions(stateMachineArn=machine["stateMachineArn"], statusFilter="RUNNING")
                for execution in running["executions"]:
                    sfn.stop_execution(executionArn=execution["executionArn"], cause="local cloud stopped")
        except Exception:
            log.debug("could not stop running executions", exc_info=True)

    # -- what callers use -------------------------------------------------------------------------

    def client(self, service: str) -> Any:
        """A boto3 client for the local endpoint, from the default session (so Invoke runs our handlers)."""
        return boto3.client(service, endpoint_url=self.endpoint.url, region_name=self.region)

    def _serve_api_urls(self) -> None:
        """Parameters that name the API's execute-api URL (the console's address) name the local API instead: the
        one adaptation of a value the template computes for AWS, which no local client could reach."""
        assert self.stack is not None and self.api is not None
        api_types = ("AWS::Serverless::Api", "AWS::ApiGateway::RestApi")
        apis = "|".join(re.escape(str(r.ref)) for r in self.stack.resources.values() if r.type in api_types)
        if not apis:
            return
        on_aws = re.compile(rf"https://(?:{apis})\.execute-api\.{re.escape(self.region)}\.[a-z.]+/[A-Za-z0-9_]+")
        ssm = self.client("ssm")
        for parameter in self.stack.resources.values():
            if parameter.type == "AWS::SSM::Parameter" and parameter.created:
                value = str(parameter.attributes["Value"])
                if on_aws.search(value):
                    ssm.put_parameter(Name=parameter.ref, Value=on_aws.sub(self.api.stage_url, value), Overwrite=True)

    def _run_seed(self) -> list[dict[str, Any]]:
        """The lead's sample data, if local/seed.py exists (imported only now: it is optional)."""
        if importlib.util.find_spec("local.seed") is None:
            log.info("no local/seed.py: no sample data, no buyers")
            return []
        seed = importlib.import_module("local.seed")
        assert self.stack is not None
        # The seed stands for staff loading the samples: it needs the names the functions are given.
        env = {k: v for k, v in aws_environment(self.endpoint, self.region).items() if v is not None}
        for spec in self.stack.functions.values():
            env = {**spec.environment, **env}
        return list(seed.seed_sample_data(env))

    def _create_staff(self) -> list[dict[str, Any]]:
        """The console's sample staff in the stack's user pool (local.staff), from the reference data in force."""
        assert self.stack is not None
        pool_id = self.stack.outputs.get("StaffUserPoolId")
        if not pool_id:
            return []
        from local.staff import create_sample_staff
        from telar.adapters.dynamo import dynamo_stores

        table = next(spec.environment["TABLE_NAME"] for spec in self.stack.functions.values())
        groups = dynamo_stores(table).reference.load_reference().groups
        finance = str(self._parameters.get("FinanceEmails") or "finance@example.org").split(",")[0].strip()
        return create_sample_staff(self.client("cognito-idp"), str(pool_id), groups, finance=finance)

    def _outputs(self, buyers: list[dict[str, Any]]) -> dict[str, Any]:
        assert self.stack is not None and self.api is not None and self.outbox is not None
        stack_outputs = self.stack.outputs
        return {
            "api_url": self.api.stage_url,  # under the stage, as the ApiUrl output on AWS
            "aws_endpoint": self.endpoint.url,
            "region": self.region,
            "account_id": self.pseudo.account_id,
            "stack_name": self.pseudo.stack_name,
            "uploads_bucket": stack_outputs.get("UploadsBucketName"),
            "artifacts_bucket": stack_outputs.get("ArtifactsBucketName"),
            "state_machine_arn": stack_outputs.get("StateMachineArn"),
            "outbox_dir": str(self.outbox.directory),
            "smtp": {"host": self.smtp.host, "port": self.smtp.port} if self.smtp else None,
            "inbound_address": stack_outputs.get("InboundAddress"),
            "buyers": buyers,
            "console_url": f"{self.api.stage_url}/console",
            "staff": self.staff,
            "routes": [f"{r.method} {r.path}" for r in self.stack.routes],
            "functions": {logical_id: spec.name for logical_id, spec in self.stack.functions.items()},
            "resources": {r.logical_id: r.ref for r in self.stack.resources.values() if r.created},
            "stack_outputs": stack_outputs,
            "sqs_visibility_timeout_override": self.visibility_timeout,
        }
