"""The template's CloudWatch alarms, watched locally: an "ALARM" log line when a DLQ gets a message or an
execution of a watched state machine fails, times out or is aborted.

CloudWatch does not run locally, so the same conditions are read from the sources directly: each
AWS::CloudWatch::Alarm of the template on an SQS queue's ApproximateNumberOfMessagesVisible, or on a state
machine's ExecutionsFailed / ExecutionsTimedOut / ExecutionsAborted, becomes a check here. The list comes
from the template (no second list kept by hand); other alarms (Lambda errors, API 5xx) are left to CloudWatch.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_EXECUTION_STATUS = {"ExecutionsFailed": "FAILED", "ExecutionsTimedOut": "TIMED_OUT", "ExecutionsAborted": "ABORTED"}


@dataclass(frozen=True)
class WatchedAlarm:
    name: str  # the alarm's logical id
    kind: str  # "queue" or "executions"
    target: str  # queue URL, or state machine ARN
    status: str = ""  # the execution status, for "executions"


def _logical_id(value: Any) -> str | None:
    """The resource a dimension names: ``!Ref X``, ``!GetAtt X.Attr`` (either spelling), else None."""
    if not isinstance(value, dict):
        return None
    if "Ref" in value:
        return str(value["Ref"])
    target = value.get("Fn::GetAtt")
    if isinstance(target, str):
        return target.split(".", 1)[0]
    return str(target[0]) if isinstance(target, list) and target else None


def watched_alarms(template: Mapping[str, Any], refs: Mapping[str, Any]) -> list[WatchedAlarm]:
    """The template's alarms the local cloud can check; ``refs`` maps logical ids to their local Ref."""
    found: list[WatchedAlarm] = []
    for name, resource in (template.get("Resources") or {}).items():
        if resource.get("Type") != "AWS::CloudWatch::Alarm":
            continue
        props = resource.get("Properties") or {}
        metric = props.get("MetricName")
        for dimension in props.get("Dimensions") or []:
            logical = _logical_id(dimension.get("Value"))
            if logical is None or logical not in refs:
                continue
            if metric == "ApproximateNumberOfMessagesVisible" and dimension.get("Name") == "QueueName":
                found.append(WatchedAlarm(name, "queue", str(refs[logical])))
            elif metric in _EXECUTION_STATUS and dimension.get("Name") == "StateMachineArn":
                found.append(WatchedAlarm(name, "executions", str(refs[logical]), _EXECUTION_STATUS[metric]))
    return found


class AlarmWatcher:
    """Checks each watched alarm every ``interval`` seconds and logs ``ALARM <name>: <what>`` on each new event."""

    def __init__(self, alarms: list[WatchedAlarm], client: Callable[[str], Any], interval: float = 1.0) -> None:
        self.alarms = alarms
        self._make_client = client
        self._clients: dict[str, Any] = {}  # one per service: a new boto3 client each second costs ms of CPU
        self._interval = interval
        self._in_alarm: set[str] = set()
        self._seen_executions: set[str] = set()
        self.raised: list[str] = []  # every ALARM line, for tests and the demo summary
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="local-alarms", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stopping.wait(self._interval):
            try:
                self.check_once()
            except Exception:
                log.debug("alarm check failed; trying again", exc_info=True)

    def _client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._make_client(service)
        return self._clients[service]

    def check_once(self) -> list[str]:
        """Check every alarm once; returns the ALARM lines raised now."""
        raised: list[str] = []
        for alarm in self.alarms:
            if alarm.kind == "queue":
                depth = int(
                    self._client("sqs").get_queue_attributes(
                        QueueUrl=alarm.target, AttributeNames=["ApproximateNumberOfMessages"]
                    )["Attributes"]["ApproximateNumberOfMessages"]
                )
                if depth > 0 and alarm.name not in self._in_alarm:
                    self._in_alarm.add(alarm.name)
                    raised.append(f"ALARM {alarm.name}: {depth} message(s) in {alarm.target.rsplit('/', 1)[-1]}")
                elif depth == 0:
                    self._in_alarm.discard(alarm.name)
            else:
                reply = self._client("stepfunctions").list_executions(
                    stateMachineArn=alarm.target, statusFilter=alarm.status
                )
                for execution in reply.get("executions", []):
                    if execution["executionArn"] not in self._seen_executions:
                        self._seen_executions.add(execution["executionArn"])
                        raised.append(f"ALARM {alarm.name}: execution {execution['name']} {alarm.status}")
        for line in raised:
            log.warning(line)
        self.raised.extend(raised)
        return raised
