"""The embedded local cloud, run on a small throwaway SAM template with stub handlers.

The stubs stand in for Telar's real functions so that these tests check the local cloud itself:
provisioning from the template, the API, S3 -> SQS -> handler with partial batch failures and the
DLQ, a state machine that invokes a Lambda and waits for a task token, the SES outbox, shutdown.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote_plus

import boto3
import pytest
import requests

from local.cloud import PROJECT_ROOT, LocalCloud
from local.template import UnsupportedIntrinsic
from telar.adapters.workflow import Workflow
from tests.integration.stacks import STACKS
from tests.waiting import read_outputs, wait_for

TEMPLATE = (STACKS / "local_cloud.yaml").read_text()

MACHINE = json.loads((STACKS / "local_cloud.asl.json").read_text())

LAYER = """
import os

import boto3


def table():
    return boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])
"""

API_APP = """
import json
import os
from email.message import EmailMessage

import boto3


def lambda_handler(event, context):
    if event["resource"] == "/boom":
        raise RuntimeError("boom")
    if event["resource"] == "/mail":
        request = json.loads(event["body"])
        message = EmailMessage()
        message["From"] = os.environ["SENDER_EMAIL"]
        message["To"] = request["to"]
        message["Subject"] = request["subject"]
        message.set_content(request["text"])
        boto3.client("ses").send_raw_email(
            Source=os.environ["SENDER_EMAIL"], Destinations=[request["to"]], RawMessage={"Data": message.as_bytes()}
        )
        return {"statusCode": 202, "body": json.dumps({"sent": True})}
    return {
        "statusCode": 200,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"X-Seen": ["a", "b"]},
        "body": json.dumps({
            "resource": event["resource"],
            "path": event["path"],
            "path_parameters": event["pathParameters"],
            "query": event["queryStringParameters"],
            "headers": {k.lower(): v for k, v in event["headers"].items()},
            "stage": event["requestContext"]["stage"],
            "source_ip": event["requestContext"]["identity"]["sourceIp"],
            "table": os.environ["TABLE_NAME"],
            "function_name": context.function_name,
            "remaining_ms": context.get_remaining_time_in_millis(),
        }),
    }
"""

UPLOAD_APP = """
import json
from urllib.parse import unquote_plus

from shared import table


def lambda_handler(event, context):
    failures = []
    for record in event["Records"]:
        body = json.loads(record["body"])
        if body.get("Event") == "s3:TestEvent":
            table().put_item(Item={"pk": "test-event", "sk": body["Bucket"]})
            continue
        for s3 in body.get("Records", []):
            key = unquote_plus(s3["s3"]["object"]["key"])
            table().put_item(Item={
                "pk": "upload", "sk": key,
                "receives": record["attributes"]["ApproximateReceiveCount"],
                "source": record["eventSource"], "queue": record["eventSourceARN"],
            })
            if "fail" in key:
                failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
"""

STEP_APP = """
from shared import table


def lambda_handler(event, context):
    if event.get("action") == "double":
        return {"n": event["n"] * 2}
    if event.get("action") == "await":
        table().put_item(Item={"pk": "token", "sk": event["order"], "token": event["task_token"]})
        return {"stored": True}
    raise ValueError(f"unknown action {event.get('action')!r}")
"""


def write_project(root: Path) -> Path:
    """A throwaway SAM project: template, state machine, a layer and three functions (each an app.py)."""
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "machine.asl.json").write_text(json.dumps(MACHINE))
    (root / "layer").mkdir()
    (root / "layer" / "shared.py").write_text(LAYER)
    for name, source in (("api", API_APP), ("upload", UPLOAD_APP), ("step", STEP_APP)):
        (root / "fns" / name).mkdir(parents=True)
        (root / "fns" / name / "app.py").write_text(source)
    return root / "template.yaml"


def running(pids: set[int]) -> set[int]:
    """Those of ``pids`` that are still processes (not ended, not reaped)."""
    alive = set()
    for pid in pids:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            continue
        alive.add(pid)
    return alive


def port_open(url: str) -> bool:
    host, port = url.removeprefix("http://").split("/", 1)[0].split(":")  # the API's URL carries its stage
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, int(port))) == 0


@pytest.fixture(scope="class")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sam-project")
    write_project(root)
    return root


@pytest.fixture(scope="class")
def cloud(project: Path) -> Iterator[LocalCloud]:
    with LocalCloud(
        project_root=project,
        template=project / "template.yaml",
        out_dir=project / "out",
        api_port=0,
        aws_port=0,
        seed=False,
        visibility_timeout=1,
    ) as running:
        yield running


class TestRunningCloud:
    def test_provisions_the_template_resources(self, cloud: LocalCloud) -> None:
        # Given the local cloud started on the template
        outputs = cloud.outputs
        resources = outputs["resources"]

        # Then the table has the template's keys and index
        table = cloud.client("dynamodb").describe_table(TableName="telar-Table")["Table"]
        assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
        assert [i["IndexName"] for i in table["GlobalSecondaryIndexes"]] == ["gsi1"]
        # And the bucket has its template name, versioning and the qc/ -> queue notification
        s3 = cloud.client("s3")
        assert outputs["uploads_bucket"] == "telar-uploads-123456789012"
        assert s3.get_bucket_versioning(Bucket=outputs["uploads_bucket"])["Status"] == "Enabled"
        notification = s3.get_bucket_notification_configuration(Bucket=outputs["uploads_bucket"])
        queue_config = notification["QueueConfigurations"][0]
        assert queue_config["QueueArn"].endswith(":telar-UploadsQueue")
        rules = queue_config["Filter"]["Key"]["FilterRules"]
        assert [(r["Name"].lower(), r["Value"]) for r in rules] == [("prefix", "qc/")]
        # And the queue keeps the template's visibility timeout and redrive policy
        attributes = cloud.client("sqs").get_queue_attributes(
            QueueUrl=resources["UploadsQueue"], AttributeNames=["All"]
        )["Attributes"]
        assert attributes["VisibilityTimeout"] == "60"
        assert json.loads(attributes["RedrivePolicy"])["maxReceiveCount"] == 2
        # And the state machine exists with its substitutions applied
        definition = json.loads(
            cloud.client("stepfunctions").describe_state_machine(stateMachineArn=outputs["state_machine_arn"])[
                "definition"
            ]
        )
        assert definition["States"]["Double"]["Parameters"]["FunctionName"] == (
            "arn:aws:lambda:us-east-1:123456789012:function:telar-StepFunction"
        )
        # And the sender identity is verified, and outputs.json was written
        assert "sender@example.org" in cloud.client("ses").list_identities()["Identities"]
        assert json.loads((cloud.out_dir / "outputs.json").read_text())["api_url"] == outputs["api_url"]
        # And the handlers see the template's environment, pointed at the local endpoint
        assert cloud.runtime is not None
        variables = cloud.runtime.environment("telar-ApiFunction").variables
        assert variables["TABLE_NAME"] == "telar-Table"
        assert variables["AWS_ENDPOINT_URL"] == outputs["aws_endpoint"]

    def test_api_route_reaches_the_handler_and_returns_its_response(self, cloud: LocalCloud) -> None:
        # Given the API URL
        api = cloud.outputs["api_url"]

        # When a buyer calls a templated route
        response = requests.get(f"{api}/items/abc-1?colour=red", headers={"x-api-key": "k1"}, timeout=10)

        # Then the handler got an API Gateway proxy event and its response came back as HTTP
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "application/json"
        assert response.headers["X-Seen"] == "a, b"
        seen = response.json()
        assert seen["resource"] == "/items/{item_id}"
        assert seen["path"] == "/items/abc-1"
        assert seen["path_parameters"] == {"item_id": "abc-1"}
        assert seen["query"] == {"colour": "red"}
        assert seen["headers"]["x-api-key"] == "k1"
        assert seen["stage"] == "v1"
        assert seen["source_ip"] == "127.0.0.1"
        assert seen["table"] == "telar-Table"
        assert seen["function_name"] == "telar-ApiFunction"
        assert 0 < seen["remaining_ms"] <= 10_000

    def test_api_answers_like_api_gateway_for_unknown_routes_and_handler_errors(self, cloud: LocalCloud) -> None:
        api = cloud.outputs["api_url"]
        # When the route or the method is not in the template
        missing = requests.get(f"{api}/nowhere", timeout=10)
        wrong_method = requests.delete(f"{api}/items/abc-1", timeout=10)
        # And when the handler raises
        boom = requests.get(f"{api}/boom", timeout=10)
        # And when the body is over API Gateway's 10 MB
        too_big = requests.post(f"{api}/mail", data=b"x" * (10 * 1024 * 1024 + 1), timeout=30)

        # Then the answers are API Gateway's
        assert (missing.status_code, missing.json()) == (403, {"message": "Missing Authentication Token"})
        assert wrong_method.status_code == 403
        assert (boom.status_code, boom.json()) == (502, {"message": "Internal server error"})
        assert too_big.status_code == 413

    def test_s3_upload_reaches_the_sqs_handler_and_failed_items_go_to_the_dlq(self, cloud: LocalCloud) -> None:
        # Given the uploads bucket, notified for qc/ only
        s3, bucket = cloud.client("s3"), cloud.outputs["uploads_bucket"]
        table = boto3.resource("dynamodb").Table("telar-Table")

        # When staff upload one good sheet, one the handler reports as failed, and one outside qc/
        s3.put_object(Bucket=bucket, Key="other/ignored.xlsx", Body=b"x")
        s3.put_object(Bucket=bucket, Key="qc/group one (v2).xlsx", Body=b"x")
        s3.put_object(Bucket=bucket, Key="qc/fail.xlsx", Body=b"x")

        # Then the handler got the decoded key from an aws:sqs record (and moto's s3:TestEvent before that)
        good = wait_for(lambda: table.get_item(Key={"pk": "upload", "sk": "qc/group one (v2).xlsx"}).get("Item"))
        assert good["source"] == "aws:sqs"
        assert good["queue"].endswith(":telar-UploadsQueue")
        assert table.get_item(Key={"pk": "test-event", "sk": bucket}).get("Item")
        # And the failed message, left on the queue, was retried up to maxReceiveCount and then moved to the DLQ
        sqs = cloud.client("sqs")
        dlq = cloud.outputs["stack_outputs"]["DeadLetterQueueUrl"]
        dead = wait_for(lambda: sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages"), timeout=20)
        assert len(dead) == 1
        dead_key = json.loads(dead[0]["Body"])["Records"][0]["s3"]["object"]["key"]
        assert unquote_plus(dead_key) == "qc/fail.xlsx"
        assert table.get_item(Key={"pk": "upload", "sk": "qc/fail.xlsx"})["Item"]["receives"] == "2"
        # And the good message was deleted (received once) and nothing outside qc/ was delivered
        assert good["receives"] == "1"
        assert "Item" not in table.get_item(Key={"pk": "upload", "sk": "other/ignored.xlsx"})
        queue = cloud.outputs["resources"]["UploadsQueue"]
        counts = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["All"])["Attributes"]
        assert (counts["ApproximateNumberOfMessages"], counts["ApproximateNumberOfMessagesNotVisible"]) == ("0", "0")

    def test_state_machine_invokes_a_lambda_waits_for_the_token_and_succeeds(self, cloud: LocalCloud) -> None:
        # Given the state machine from the template
        sfn = cloud.client("stepfunctions")
        table = boto3.resource("dynamodb").Table("telar-Table")

        # When an execution starts, and the token stored by the waiting task is sent back
        execution = sfn.start_execution(
            stateMachineArn=cloud.outputs["state_machine_arn"],
            name="order-42",
            input=json.dumps(
                {
                    "order": "order-42",
                    "n": 21,
                }
            ),
        )["executionArn"]
        token = wait_for(lambda: table.get_item(Key={"pk": "token", "sk": "order-42"}).get("Item"))["token"]
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
        sfn.send_task_success(taskToken=token, output=json.dumps({"approved": True}))

        # Then it succeeds with the Lambda's result and the callback's output
        done = wait_for(lambda: (d := sfn.describe_execution(executionArn=execution))["status"] != "RUNNING" and d)
        assert done["status"] == "SUCCEEDED"
        assert json.loads(done["output"]) == {
            "order": "order-42",
            "n": 21,
            "doubled": {"n": 42},
            "approval": {"approved": True},
        }

    def test_a_task_that_no_longer_waits_is_an_answer_not_an_error(self, cloud: LocalCloud) -> None:
        # Given Step Functions executing for real, and a task token it does not know (resumed and gone)
        workflow = Workflow(cloud.outputs["state_machine_arn"])
        # When a redelivered QC sheet resumes it, and the reminders job beats for it, then both say False
        assert workflow.resume("AAAAno-such-token", {"order_id": "x"}) is False
        assert workflow.heartbeat("AAAAno-such-token") is False

    def test_lambda_invoke_runs_the_handler(self, cloud: LocalCloud) -> None:
        # Given a Lambda client (boto3's default session carries the hook)
        client = cloud.client("lambda")
        arn = "arn:aws:lambda:us-east-1:123456789012:function:telar-StepFunction"

        # When the function is invoked by ARN, made to raise, and invoked asynchronously
        ok = client.invoke(FunctionName=arn, Payload=json.dumps({"action": "double", "n": 4}))
        failed = client.invoke(FunctionName="telar-StepFunction", Payload=b'{"action": "explode"}')
        queued = client.invoke(
            FunctionName="telar-StepFunction",
            InvocationType="Event",
            Payload=json.dumps({"action": "await", "order": "async-1", "task_token": "t-1"}),
        )

        # Then the responses are shaped like Lambda's
        assert (ok["StatusCode"], ok["ExecutedVersion"], json.load(ok["Payload"])) == (200, "$LATEST", {"n": 8})
        assert "FunctionError" not in ok
        assert failed["FunctionError"] == "Unhandled"
        error = json.load(failed["Payload"])
        assert error["errorType"] == "ValueError"
        assert "unknown action 'explode'" in error["errorMessage"]
        assert error["stackTrace"]
        assert queued["StatusCode"] == 202
        table = boto3.resource("dynamodb").Table("telar-Table")
        assert wait_for(lambda: table.get_item(Key={"pk": "token", "sk": "async-1"}).get("Item"))["token"] == "t-1"

    def test_ses_messages_land_in_the_outbox_as_eml(self, cloud: LocalCloud) -> None:
        # Given an empty outbox
        outbox = Path(cloud.outputs["outbox_dir"])
        before = set(outbox.glob("*.eml"))

        # When a handler sends a raw e-mail, and a simple one is sent through SES directly
        sent = requests.post(
            f"{cloud.outputs['api_url']}/mail",
            timeout=10,
            json={
                "to": "finance@example.org",
                "subject": "Payroll Ayacucho",
                "text": "Attached: payroll.",
            },
        )
        cloud.client("ses").send_email(
            Source="sender@example.org",
            Destination={"ToAddresses": ["manager@example.org"]},
            Message={"Subject": {"Data": "Work sheets ready"}, "Body": {"Text": {"Data": "Print them."}}},
        )

        # Then both are .eml files, in sending order, that a mail program can read
        assert sent.status_code == 202
        new = sorted(
            set(wait_for(lambda: len(set(outbox.glob("*.eml")) - before) >= 2 and outbox.glob("*.eml"))) - before
        )
        messages = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in new]
        assert [(m["Subject"], m["To"]) for m in messages] == [
            ("Payroll Ayacucho", "finance@example.org"),
            ("Work sheets ready", "manager@example.org"),
        ]
        assert messages[0].get_content().strip() == "Attached: payroll."
        assert new[0].name.endswith("-payroll-ayacucho.eml")


def test_stop_shuts_everything_down_and_restores_the_process(tmp_path: Path) -> None:
    # Given a running local cloud
    write_project(tmp_path)
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    session_before = boto3.DEFAULT_SESSION
    cloud = LocalCloud(project_root=tmp_path, out_dir=tmp_path / "out", api_port=0, aws_port=0, seed=False)
    cloud.start()
    try:
        api, aws = cloud.outputs["api_url"], cloud.outputs["aws_endpoint"]
        assert port_open(api) and port_open(aws)
        assert requests.get(f"{api}/items/1", timeout=10).status_code == 200  # a function's environment is running
        assert cloud.runtime is not None
        started = cloud.runtime.process_ids()
        assert started  # the zygote and the function's worker
    finally:
        # When it stops (also when a check above failed: a cloud left running holds the one-per-process lock
        # and every later local-cloud test of this run would fail to start)
        cloud.stop()

    # Then its servers are closed, its threads have ended, and the process is as it was
    assert not port_open(api) and not port_open(aws)
    names = {t.name for t in threading.enumerate()}
    assert not {n for n in names if n.startswith(("sqs-", "local-api", "ses-outbox"))}
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before
    assert boto3.DEFAULT_SESSION is session_before
    assert str(tmp_path / "layer") not in sys.path
    # And no process it started is left: the functions' environments and their zygote have ended
    assert not running(started)


def test_an_unsupported_intrinsic_fails_start_and_leaves_nothing_running(tmp_path: Path) -> None:
    # Given a template using an intrinsic the local cloud does not evaluate
    write_project(tmp_path)
    template = tmp_path / "template.yaml"
    unsupported = template.read_text().replace("VisibilityTimeout: 60", 'VisibilityTimeout: {"Fn::If": [C, 1, 2]}')
    template.write_text(unsupported)
    endpoint_before = os.environ.get("AWS_ENDPOINT_URL")
    cloud = LocalCloud(project_root=tmp_path, out_dir=tmp_path / "out", api_port=0, aws_port=0, seed=False)

    # When it starts, Then it names the place and the function
    with pytest.raises(UnsupportedIntrinsic, match=r"Resources\.UploadsQueue\.Properties\.VisibilityTimeout: Fn::If"):
        cloud.start()
    # And what had started was stopped: a new local cloud can start in this process
    assert not port_open(cloud.endpoint.url)
    assert os.environ.get("AWS_ENDPOINT_URL") == endpoint_before
    template.write_text(TEMPLATE)
    with LocalCloud(project_root=tmp_path, out_dir=tmp_path / "out", api_port=0, aws_port=0, seed=False) as again:
        assert again.outputs["uploads_bucket"] == "telar-uploads-123456789012"


def test_serve_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    # Given `python -m local.serve` on the throwaway project (its output to a file: a pipe nobody reads fills up)
    write_project(tmp_path)
    out = tmp_path / "out"
    log_file = tmp_path / "serve.log"
    with log_file.open("w") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "local.serve",
                "--project-root",
                str(tmp_path),
                "--api-port",
                "0",
                "--aws-port",
                "0",
                "--out-dir",
                str(out),
                "--no-seed",
            ],
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
    try:
        outputs = read_outputs(out / "outputs.json", process, timeout=30)
        assert requests.get(f"{outputs['api_url']}/items/1", timeout=10).status_code == 200

        # When it receives SIGTERM
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()

    # Then it exits 0, its ports are free, and outputs.json no longer names them
    output = log_file.read_text()
    assert process.returncode == 0, output
    assert "Telar local cloud stopped." in output
    assert not port_open(outputs["api_url"]) and not port_open(outputs["aws_endpoint"])
    assert not (out / "outputs.json").exists()


def test_outputs_json_is_complete_the_instant_it_appears_and_never_stale(tmp_path: Path) -> None:
    # Given an outputs.json left by an earlier run, and a reader polling it as fast as it can
    write_project(tmp_path)
    outputs_file = tmp_path / "out" / "outputs.json"
    outputs_file.parent.mkdir()
    outputs_file.write_text('{"api_url": "http://127.0.0.1:1"}')
    reads: list[str] = []
    started = threading.Event()
    stop_reading = threading.Event()

    def read_as_fast_as_possible() -> None:
        cloud_started = False
        while not stop_reading.is_set():
            try:
                text = outputs_file.read_text()
            except FileNotFoundError:
                cloud_started = True  # the stale file is gone: from now on every read counts
                continue
            if cloud_started or started.is_set():
                reads.append(text)

    reader = threading.Thread(target=read_as_fast_as_possible)
    reader.start()
    try:
        # When a local cloud starts and stops
        with LocalCloud(project_root=tmp_path, out_dir=tmp_path / "out", api_port=0, aws_port=0, seed=False) as cloud:
            started.set()
            wait_for(lambda: len(reads) > 10, what="the reader saw outputs.json")
            outputs = cloud.outputs
    finally:
        stop_reading.set()
        reader.join()

    # Then every read after the stale file went was the whole new JSON, never empty, half or old
    assert reads and all(json.loads(text) == outputs for text in reads)
    # And once stopped, no outputs.json names ports that are gone
    assert not outputs_file.exists()
