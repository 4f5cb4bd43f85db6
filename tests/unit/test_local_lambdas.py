"""local.lambdas: handlers run in-process with a Lambda-like context, and lambda.Invoke is answered locally."""

import json
from pathlib import Path

import boto3
import pytest

from local.lambdas import FunctionNotFound, LambdaRuntime
from local.stack import FunctionSpec

APP = """
def lambda_handler(event, context):
    if event.get("fail"):
        raise KeyError("missing")
    return {"echo": event, "name": context.function_name, "arn": context.invoked_function_arn,
            "memory": context.memory_limit_in_mb, "left": context.get_remaining_time_in_millis()}
"""


@pytest.fixture
def runtime(tmp_path: Path) -> LambdaRuntime:
    specs = []
    for name, marker in (("one", "1"), ("two", "2")):  # two folders, each with its own app.py
        folder = tmp_path / name
        folder.mkdir()
        (folder / "app.py").write_text(APP.replace('"echo": event', f'"echo": event, "which": "{marker}"'))
        specs.append(
            FunctionSpec(
                name,
                f"telar-{name}",
                f"arn:aws:lambda:us-east-1:123456789012:function:telar-{name}",
                folder,
                "app.lambda_handler",
                "python3.12",
                5,
                256,
                {},
            )
        )
    return LambdaRuntime(specs)


def test_each_function_runs_its_own_app_py_with_a_lambda_context(runtime: LambdaRuntime) -> None:
    one = runtime.invoke("telar-one", b'{"a": 1}').json()
    two = runtime.invoke("arn:aws:lambda:us-east-1:123456789012:function:telar-two:$LATEST", "{}").json()
    assert (one["which"], two["which"]) == ("1", "2")
    assert one["echo"]["a"] == 1 and one["name"] == "telar-one" and one["memory"] == 256
    assert 0 < one["left"] <= 5000
    assert two["arn"].endswith(":telar-two:$LATEST")


def test_an_exception_becomes_an_unhandled_function_error(runtime: LambdaRuntime) -> None:
    result = runtime.invoke("telar-one", b'{"fail": true}')
    assert (result.status_code, result.function_error) == (200, "Unhandled")
    payload = result.json()
    assert (payload["errorType"], payload["errorMessage"]) == ("KeyError", "'missing'")
    assert any("lambda_handler" in line for line in payload["stackTrace"])


def test_unknown_functions_are_not_found(runtime: LambdaRuntime) -> None:
    with pytest.raises(FunctionNotFound):
        runtime.invoke("telar-three")


def test_the_hook_answers_invoke_without_any_http(runtime: LambdaRuntime) -> None:
    # Given a session with the hook and a client pointed at a port where nothing listens
    session = boto3.session.Session(aws_access_key_id="a", aws_secret_access_key="b", region_name="us-east-1")
    runtime.install(session)
    client = session.client("lambda", endpoint_url="http://127.0.0.1:9")

    # When the function is invoked
    response = client.invoke(FunctionName="telar-two", Payload=json.dumps({"x": 1}))
    failed = client.invoke(FunctionName="telar-two", Payload=b'{"fail": 1}')

    # Then the handler answered, shaped like Lambda's response
    assert response["StatusCode"] == 200
    answer = json.load(response["Payload"])
    assert (answer["echo"], answer["which"]) == ({"x": 1}, "2")
    assert failed["FunctionError"] == "Unhandled"
    assert json.load(failed["Payload"])["errorType"] == "KeyError"
    runtime.join()
