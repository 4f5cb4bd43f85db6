"""local.alarms: the template's DLQ and execution alarms become ALARM log lines in the local cloud."""

import logging
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local.alarms import AlarmWatcher, WatchedAlarm, watched_alarms
from tests.template_tools import load_template


def test_the_templates_dlq_and_execution_alarms_are_watched_locally() -> None:
    # Given the template and the local Refs of its resources
    template = load_template()
    refs = {name: f"local-{name}" for name in template["Resources"]}
    # When the watched alarms are listed
    watched = {(a.name, a.kind, a.target, a.status) for a in watched_alarms(template, refs)}
    # Then the DLQ depth and the failed / timed out / aborted executions are among them
    assert ("UploadsDeadLetterQueueAlarm", "queue", "local-UploadsDeadLetterQueue", "") in watched
    for metric, status in (("Failed", "FAILED"), ("TimedOut", "TIMED_OUT"), ("Aborted", "ABORTED")):
        assert (f"PipelineExecutions{metric}Alarm", "executions", "local-OrderPipeline", status) in watched


class _Executions:
    def __init__(self) -> None:
        self.failed: list[dict[str, str]] = []

    def list_executions(self, stateMachineArn: str, statusFilter: str) -> dict[str, Any]:
        return {"executions": self.failed if statusFilter == "FAILED" else []}


def test_a_message_in_the_dlq_and_a_failed_execution_each_log_one_alarm_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    with mock_aws():
        # Given a watched DLQ and a watched state machine
        sqs = boto3.client("sqs")
        dlq = sqs.create_queue(QueueName="telar-dlq")["QueueUrl"]
        sfn = _Executions()
        clients = {"sqs": sqs, "stepfunctions": sfn}
        watcher = AlarmWatcher(
            [WatchedAlarm("DlqAlarm", "queue", dlq), WatchedAlarm("FailedAlarm", "executions", "arn:sm", "FAILED")],
            clients.__getitem__,
        )
        assert watcher.check_once() == []
        # When a message reaches the DLQ and an execution fails
        sqs.send_message(QueueUrl=dlq, MessageBody="{}")
        sfn.failed.append({"executionArn": "arn:exec:ord-1", "name": "ord-1"})
        with caplog.at_level(logging.WARNING, logger="local.alarms"):
            raised = watcher.check_once()
            again = watcher.check_once()
        # Then each is logged once as an ALARM line, not again while it lasts
        assert raised == ["ALARM DlqAlarm: 1 message(s) in telar-dlq", "ALARM FailedAlarm: execution ord-1 FAILED"]
        assert again == []
        assert [r.getMessage() for r in caplog.records if r.getMessage().startswith("ALARM")] == raised
