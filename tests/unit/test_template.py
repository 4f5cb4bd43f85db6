"""template.yaml and the state machine: checks that `sam validate` and cfn-lint alone would miss."""

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from local import asl
from telar.adapters.dynamo.claims import CLAIM_LEASE
from tests.template_tools import ROOT, load_template, translate

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
FUNCTIONS = {name: r for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
STATE_MACHINE = RESOURCES["OrderPipeline"]["Properties"]
ASL_TEXT = (ROOT / STATE_MACHINE["DefinitionUri"]).read_text()
TRANSIENT_LAMBDA_ERRORS = {
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}


def test_every_asl_placeholder_has_a_substitution_and_every_substitution_is_used() -> None:
    placeholders = set(re.findall(r"\$\{(\w+)\}", ASL_TEXT))
    substitutions = set(STATE_MACHINE["DefinitionSubstitutions"])
    assert placeholders == substitutions


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_handler_exists(name: str) -> None:
    props = FUNCTIONS[name]["Properties"]
    module, function = props["Handler"].rsplit(".", 1)
    source = ROOT / props["CodeUri"] / f"{module}.py"
    assert source.is_file(), f"{name}: {source} is missing"
    defined = {n.name for n in ast.parse(source.read_text()).body if isinstance(n, ast.FunctionDef)}
    assert function in defined, f"{name}: {source} defines no {function}()"


def _tasks(states: dict) -> list[tuple[str, dict]]:
    found = []
    for name, state in states.items():
        if state["Type"] == "Task":
            found.append((name, state))
        for branch in state.get("Branches", []):
            found += _tasks(branch["States"])
        if "ItemProcessor" in state:
            found += _tasks(state["ItemProcessor"]["States"])
    return found


def test_the_deployed_definition_is_generated_from_its_source_with_each_retry_policy_written_once() -> None:
    # statemachines/order_pipeline.src.json is the one to edit: `make asl` writes the .asl.json the stack deploys
    assert asl.render(asl.SOURCE.read_text(encoding="utf-8")) == ASL_TEXT, "run make asl"
    retriers = json.loads(asl.SOURCE.read_text(encoding="utf-8"))["Retriers"]
    assert len({json.dumps(r["ErrorEquals"]) for r in retriers.values()}) == len(retriers)


def test_a_retry_name_missing_from_the_retriers_is_refused() -> None:
    source = {"Retriers": {"Transient": {"ErrorEquals": ["X"]}}, "States": {"A": {"Retry": ["Transient", "Typo"]}}}
    with pytest.raises(ValueError, match="Typo"):
        asl.expand(source)


def test_every_lambda_task_retries_transient_errors_with_backoff_and_jitter() -> None:
    definition = json.loads(ASL_TEXT)
    tasks = _tasks(definition["States"])
    assert len(tasks) >= 6
    for name, task in tasks:
        retry = next(r for r in task["Retry"] if set(r["ErrorEquals"]) >= TRANSIENT_LAMBDA_ERRORS)
        assert retry["BackoffRate"] > 1 and retry.get("JitterStrategy") == "FULL", name


def test_waiting_for_qc_has_a_timeout() -> None:
    waits = [t for _, t in _tasks(json.loads(ASL_TEXT)["States"]) if t["Resource"].endswith(".waitForTaskToken")]
    assert waits and all(0 < w["TimeoutSeconds"] <= 31_536_000 for w in waits)


def test_every_top_level_stage_records_failures_on_the_order() -> None:
    states = json.loads(ASL_TEXT)["States"]
    stages = [n for n, s in states.items() if s["Type"] in ("Task", "Map", "Parallel") and n != "RecordFailure"]
    assert {"SplitWork", "AwaitAllQc", "PayAndPrint", "Complete"} <= set(stages)  # a new stage joins this list
    for name in stages:
        assert states[name]["Catch"][0]["Next"] == "RecordFailure", name


def test_translated_template_passes_cfn_lint(tmp_path: Path) -> None:
    translated = tmp_path / "translated.json"
    translated.write_text(json.dumps(translate(TEMPLATE)))
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(translated)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


LOG_DELIVERY = {
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}


def test_no_wildcard_resource_except_task_token_callbacks() -> None:
    translated = translate(TEMPLATE)
    checked = 0
    for name, resource in translated["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                checked += 1
                resources = statement.get("Resource")
                if "*" in (resources if isinstance(resources, list) else [resources]):
                    actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                    # task-token callbacks, and Step Functions' log delivery: neither takes a resource-level ARN
                    assert all(a.startswith("states:SendTask") or a in LOG_DELIVERY for a in actions), (name, statement)
    assert checked > 0  # the roles' inline statements were found


def test_buckets_block_public_access_encrypt_and_require_tls() -> None:
    buckets = [n for n, r in RESOURCES.items() if r["Type"] == "AWS::S3::Bucket"]
    policies = {r["Properties"]["Bucket"]["Ref"]: r for r in RESOURCES.values() if r["Type"] == "AWS::S3::BucketPolicy"}
    assert len(buckets) == 2
    for name in buckets:
        props = RESOURCES[name]["Properties"]
        assert all(props["PublicAccessBlockConfiguration"].values())
        assert props["BucketEncryption"]
        statement = policies[name]["Properties"]["PolicyDocument"]["Statement"][0]
        assert statement["Effect"] == "Deny" and statement["Condition"]["Bool"]["aws:SecureTransport"] == "false"


def test_queue_visibility_is_at_least_six_times_the_consumer_timeout() -> None:
    queue = RESOURCES["UploadsQueue"]["Properties"]
    timeout = FUNCTIONS["QcUploadFunction"]["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"])
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["RedrivePolicy"]["maxReceiveCount"] >= 1


def test_a_once_only_claim_outlasts_every_invocation_and_its_retries_outlast_the_claim() -> None:
    # A claim's holder is alive at most its function's Timeout; an attempt that finds the claim held is retried
    # (ActionInProgress) until the holder's lease has run out, by the state machine and by every queue.
    lease = CLAIM_LEASE.total_seconds()
    timeouts = [f["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]) for f in FUNCTIONS.values()]
    assert max(timeouts) < lease
    retriers = json.loads(asl.SOURCE.read_text(encoding="utf-8"))["Retriers"]
    [retrier] = [r for r in retriers.values() if r["ErrorEquals"] == ["ActionInProgress"]]
    assert "JitterStrategy" not in retrier  # full jitter could retry every time within the lease
    waits = [retrier["IntervalSeconds"] * retrier["BackoffRate"] ** n for n in range(retrier["MaxAttempts"])]
    assert sum(waits) > lease
    queues = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::SQS::Queue"]
    consumed = [q for q in queues if "RedrivePolicy" in q]
    assert consumed and all(
        q["VisibilityTimeout"] * (q["RedrivePolicy"]["maxReceiveCount"] - 1) > lease for q in consumed
    )


# ---------------------------------------------------------------- an operator is told (issue 12)
def _alarms() -> list[dict]:
    return [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::CloudWatch::Alarm"]


def _dimension_refs(alarm: dict) -> set[str]:
    found = set()
    for d in alarm.get("Dimensions", []):
        value = d["Value"]
        if isinstance(value, dict):
            found.add(value.get("Ref") or value.get("Fn::GetAtt", [""])[0])
    return found


def test_every_alarm_tells_the_ops_topic_which_e_mails_ops_email() -> None:
    # Given the template; Then every alarm notifies AlarmTopic, subscribed by the OpsEmail parameter
    assert "OpsEmail" in TEMPLATE["Parameters"]
    assert RESOURCES["AlarmTopic"]["Properties"]["Subscription"] == [
        {"Protocol": "email", "Endpoint": {"Ref": "OpsEmail"}}
    ]
    assert _alarms() and all(a["AlarmActions"] == [{"Ref": "AlarmTopic"}] for a in _alarms())


def test_every_dead_letter_queue_has_a_depth_alarm() -> None:
    dlqs = {
        r["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in r["Properties"]
    }
    watched = {
        q for a in _alarms() if a["MetricName"] == "ApproximateNumberOfMessagesVisible" for q in _dimension_refs(a)
    }
    assert dlqs and dlqs <= watched


def test_every_function_has_error_and_throttle_alarms_and_a_log_group_with_retention() -> None:
    for metric in ("Errors", "Throttles"):
        watched = {f for a in _alarms() if a["MetricName"] == metric for f in _dimension_refs(a)}
        assert set(FUNCTIONS) <= watched, (metric, set(FUNCTIONS) - watched)
    groups = [r["Properties"] for r in RESOURCES.values() if r["Type"] == "AWS::Logs::LogGroup"]
    named = {g["LogGroupName"]["Fn::Sub"] for g in groups if "LogGroupName" in g}
    assert {f"/aws/lambda/${{{f}}}" for f in FUNCTIONS} <= named
    assert all(g["RetentionInDays"] == {"Ref": "LogRetentionDays"} for g in groups)


def test_failed_timed_out_and_aborted_executions_and_api_5xx_raise_alarms() -> None:
    pipeline = {a["MetricName"] for a in _alarms() if "OrderPipeline" in _dimension_refs(a)}
    assert {"ExecutionsFailed", "ExecutionsTimedOut", "ExecutionsAborted"} <= pipeline
    assert any(a["Namespace"] == "AWS/ApiGateway" and a["MetricName"] == "5XXError" for a in _alarms())


def test_state_machine_logs_errors_without_execution_data_and_the_api_logs_access() -> None:
    logging = STATE_MACHINE["Logging"]
    assert logging["Level"] == "ERROR" and logging["IncludeExecutionData"] is False
    assert RESOURCES["OrdersApi"]["Properties"]["AccessLogSetting"]["DestinationArn"]


def test_every_scheduled_function_sends_its_failures_to_the_alarm_topic() -> None:
    scheduled = {
        name
        for name, f in FUNCTIONS.items()
        if any(e["Type"] == "Schedule" for e in f["Properties"].get("Events", {}).values())
    }
    configured = {
        r["Properties"]["FunctionName"]["Ref"]
        for r in RESOURCES.values()
        if r["Type"] == "AWS::Lambda::EventInvokeConfig"
        and r["Properties"]["DestinationConfig"]["OnFailure"]["Destination"] == {"Ref": "AlarmTopic"}
    }
    assert scheduled and scheduled == configured


def test_tables_and_buckets_outlive_the_stack() -> None:
    # Orders, pay records and uploads must survive a deleted stack or a replacing update
    resources = load_template()["Resources"]
    stateful = {k: r for k, r in resources.items() if r["Type"] in ("AWS::DynamoDB::Table", "AWS::S3::Bucket")}
    assert len(stateful) == 4
    for logical_id, resource in stateful.items():
        assert (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy")) == ("Retain", "Retain"), logical_id
