"""The local Lambda runtime refuses what Lambda refuses: each function in processes of its own, with only its
own environment and import path, killed past its Timeout or MemorySize, and Step Functions sees Lambda's errors.

A throwaway SAM project with stub handlers (stdlib only) keeps these tests about the runtime itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from local.cloud import LocalCloud
from tests.integration.stacks import STACKS

TEMPLATE = (STACKS / "lambda_runtime.yaml").read_text()

MACHINE = json.loads((STACKS / "lambda_runtime.asl.json").read_text())

SLEEPER = """
import os
import time


def lambda_handler(event, context):
    if event.get("mark"):
        with open(event["mark"], "a") as marks:
            marks.write(f"{os.getpid()}\\n")
    time.sleep(event.get("seconds", 0))
    return {"pid": os.getpid(), "secret": os.environ["SLEEPER_SECRET"]}
"""

HOG = """
def lambda_handler(event, context):
    hoard = bytearray(event["mb"] * 1024 * 1024)
    for i in range(0, len(hoard), 4096):  # touch every page: resident, not just reserved
        hoard[i] = 1
    return {"held_mb": len(hoard) // (1024 * 1024), "limit_mb": context.memory_limit_in_mb}
"""

SNOOP = """
import importlib.util
import os
import sys


def lambda_handler(event, context):
    if event.get("read"):
        return {"value": os.environ[event["read"]]}
    return {
        "pid": os.getpid(),
        "environment": sorted(os.environ),
        "shared": os.environ["SHARED_SETTING"],
        "own": os.environ["SNOOP_OWN"],
        "importable": {name: importlib.util.find_spec(name) is not None for name in event.get("modules", [])},
        "path": sys.path,
        "cwd": os.getcwd(),
    }
"""


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    root = tmp_path_factory.mktemp("strict-runtime")
    (root / "template.yaml").write_text(TEMPLATE)
    (root / "machine.asl.json").write_text(json.dumps(MACHINE))
    for name, source in (("sleeper", SLEEPER), ("hog", HOG), ("snoop", SNOOP)):
        (root / "fns" / name).mkdir(parents=True)
        (root / "fns" / name / "app.py").write_text(source)
    with LocalCloud(project_root=root, out_dir=root / "out", api_port=0, aws_port=0, seed=False) as running:
        yield running


def invoke(cloud: LocalCloud, function: str, event: dict[str, Any]) -> tuple[str | None, Any]:
    reply = cloud.client("lambda").invoke(FunctionName=f"telar-{function}", Payload=json.dumps(event))
    return reply.get("FunctionError"), json.load(reply["Payload"])


def test_a_handler_past_its_timeout_is_killed_with_lambdas_error(cloud: LocalCloud) -> None:
    # Given a function with Timeout: 1, warm (other tests of this module may have left environments of it too)
    assert invoke(cloud, "SleeperFunction", {})[0] is None
    assert cloud.runtime is not None
    warm = cloud.runtime.workers("telar-SleeperFunction")
    assert warm >= 1

    # When an invocation would run for 30 seconds
    started = time.monotonic()
    error, payload = invoke(cloud, "SleeperFunction", {"seconds": 30})

    # Then it ends at the deadline with Lambda's timeout error, and its environment is gone
    assert time.monotonic() - started < 10
    assert error == "Unhandled"
    assert payload["errorType"] == "Sandbox.Timedout"
    assert payload["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert cloud.runtime.workers("telar-SleeperFunction") == warm - 1


def test_step_functions_retries_a_timed_out_lambda_as_its_asl_says(cloud: LocalCloud, tmp_path: Path) -> None:
    # Given a state machine whose task retries Sandbox.Timedout twice
    sfn = cloud.client("stepfunctions")
    marks = tmp_path / "attempts"

    # When the task's Lambda times out every time
    execution = sfn.start_execution(
        stateMachineArn=cloud.outputs["stack_outputs"]["StateMachineArn"],
        input=json.dumps({"seconds": 30, "mark": str(marks)}),
    )["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline, "the execution did not end within 30 s"
        time.sleep(0.2)

    # Then the Lambda ran three times (the first try and two retries), each in a new environment,
    # and the execution failed with Lambda's timeout error
    attempts = marks.read_text().split()
    assert len(attempts) == 3 and len(set(attempts)) == 3
    assert described["status"] == "FAILED"
    assert described["error"] == "Sandbox.Timedout"


def test_a_handler_past_its_memory_size_is_killed_and_reported(cloud: LocalCloud) -> None:
    # Given a function with MemorySize: 128
    # When it holds 16 MB, and then 300 MB
    small_error, small = invoke(cloud, "HogFunction", {"mb": 16})
    big_error, big = invoke(cloud, "HogFunction", {"mb": 300})

    # Then the first is fine, and the second is killed as Lambda reports it
    assert small_error is None and small == {"held_mb": 16, "limit_mb": 128}
    assert big_error == "Unhandled"
    assert big["errorType"] == "Runtime.OutOfMemory"
    assert big["errorMessage"].endswith("Runtime exited with error: signal: killed")
    assert cloud.runtime is not None and cloud.runtime.workers("telar-HogFunction") == 0


def test_a_handler_sees_only_its_own_environment_and_import_path(cloud: LocalCloud) -> None:
    # Given the test process's own variables and packages (moto, pytest)
    assert "PYTEST_CURRENT_TEST" in os.environ

    # When a function looks at its environment, and reads another function's variable
    error, seen = invoke(cloud, "SnoopFunction", {"modules": ["moto", "pytest", "boto3", "json"]})
    other_error, other = invoke(cloud, "SnoopFunction", {"read": "SLEEPER_SECRET"})

    # Then it has the Globals' and its own variables and Lambda's, none of the test process's or the Sleeper's
    assert error is None
    assert (seen["shared"], seen["own"]) == ("from-globals", "mine")
    assert {"AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "LAMBDA_TASK_ROOT", "_HANDLER"} <= set(seen["environment"])
    assert not {"PYTEST_CURRENT_TEST", "SLEEPER_SECRET", "VIRTUAL_ENV", "PYTHONPATH"} & set(seen["environment"])
    assert other_error == "Unhandled"
    assert (other["errorType"], other["errorMessage"]) == ("KeyError", "'SLEEPER_SECRET'")
    # And it imports from its code, the layers and the runtime's packages only: boto3 yes, the dev venv no
    assert seen["importable"] == {"moto": False, "pytest": False, "boto3": True, "json": True}
    assert seen["cwd"].endswith("fns/snoop")
    assert not any(".venv" in entry and "site-packages" in entry for entry in seen["path"])


def test_a_warm_environment_is_reused_and_a_busy_one_gets_a_sibling(cloud: LocalCloud) -> None:
    # Given one warm environment of the Snoop function
    first = invoke(cloud, "SnoopFunction", {})[1]["pid"]
    # When it is invoked again, Then the same process answers
    assert invoke(cloud, "SnoopFunction", {})[1]["pid"] == first

    # When two invocations of the Sleeper overlap
    pids: list[int] = []
    calls = [
        threading.Thread(target=lambda: pids.append(invoke(cloud, "SleeperFunction", {"seconds": 0.5})[1]["pid"]))
        for _ in range(2)
    ]
    for call in calls:
        call.start()
    for call in calls:
        call.join(timeout=20)

    # Then each ran in an environment of its own
    assert len(pids) == 2 and pids[0] != pids[1]


def test_list_and_get_function_answer_with_the_templates_functions(cloud: LocalCloud) -> None:
    # Given a Lambda client in a session without the local hook: plain HTTP to the endpoint, as any other tool
    session = boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name="us-east-1")
    client = session.client("lambda", endpoint_url=cloud.endpoint.url)

    # When it lists the functions and gets one, and invokes one over HTTP (and once with a payload that is not JSON)
    listed = {f["FunctionName"]: f for f in client.list_functions()["Functions"]}
    got = client.get_function(FunctionName="telar-SleeperFunction")["Configuration"]
    invoked = client.invoke(FunctionName="telar-SnoopFunction", Payload=b"{}")
    with pytest.raises(client.exceptions.InvalidRequestContentException):
        client.invoke(FunctionName="telar-SnoopFunction", Payload=b"not json")

    # Then they are the template's, with their memory, timeout and environment
    assert set(listed) == {"telar-SleeperFunction", "telar-HogFunction", "telar-SnoopFunction"}
    assert (listed["telar-HogFunction"]["MemorySize"], listed["telar-HogFunction"]["Timeout"]) == (128, 10)
    assert (got["Timeout"], got["Environment"]["Variables"]["SLEEPER_SECRET"]) == (1, "only-for-the-sleeper")
    assert json.load(invoked["Payload"])["own"] == "mine"


@pytest.mark.skipif(shutil.which("aws") is None, reason="the aws CLI is not installed")
def test_aws_cli_lambda_invoke_with_endpoint_url_runs_the_handler(cloud: LocalCloud, tmp_path: Path) -> None:
    # Given an event file (fileb:// works with aws CLI v1 and v2 alike)
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"read": "SNOOP_OWN"}))
    out = tmp_path / "out.json"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_DEFAULT_REGION": "us-east-1",
    }

    # When `aws lambda invoke --endpoint-url` calls the function
    result = subprocess.run(
        [
            "aws",
            "lambda",
            "invoke",
            "--endpoint-url",
            cloud.endpoint.url,
            "--function-name",
            "telar-SnoopFunction",
            "--payload",
            f"fileb://{event}",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )

    # Then the handler's answer is in the file and the CLI reports Lambda's status
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["StatusCode"] == 200
    assert json.loads(out.read_text()) == {"value": "mine"}
